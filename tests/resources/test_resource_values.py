"""Value types: MAC addresses, Go durations, Go zero values."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from networkd.resources.base import to_plain
from networkd.resources.enums import ConfigLayer, Scope
from networkd.resources.link import BridgeMasterSpec, STPSpec
from networkd.resources.values import Duration, HardwareAddr, addr_text, is_zero, prefix_text


def test_hardware_addr() -> None:
    mac = HardwareAddr.parse("01:23:45:67:89:AB")
    assert bytes(mac) == bytes.fromhex("0123456789ab")
    assert str(mac) == to_plain(mac) == "01:23:45:67:89:ab"
    assert to_plain(HardwareAddr()) == ""
    assert mac == HardwareAddr.parse("0123456789ab")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(), "0s"),
        (Duration(seconds=30), "30s"),
        (Duration(seconds=120), "2m0s"),
        (Duration(hours=1), "1h0m0s"),
        (Duration(hours=1, minutes=2, seconds=3, milliseconds=500), "1h2m3.5s"),
        (Duration(milliseconds=1500), "1.5s"),
        (Duration(milliseconds=250), "250ms"),
        (Duration(microseconds=1500), "1.5ms"),
        (Duration(microseconds=7), "7µs"),
        (Duration(seconds=-5), "-5s"),
    ],
)
def test_duration_renders_like_go(duration: Duration, text: str) -> None:
    assert str(duration) == to_plain(duration) == text


def test_is_zero() -> None:
    for zero in (None, 0, "", False, (), b"", Duration(), ConfigLayer.DEFAULT, Scope.GLOBAL, BridgeMasterSpec()):
        assert is_zero(zero), zero
    for value in (1, "x", True, (0,), ConfigLayer.CMDLINE, ipaddress.ip_address("0.0.0.0"),
                  BridgeMasterSpec(stp=STPSpec(enabled=True))):
        assert not is_zero(value), value


@given(st.integers(0, 2**32 - 1), st.integers(0, 32), st.integers(0, 2**128 - 1), st.integers(0, 128))
def test_address_and_prefix_texts_are_str(v4: int, len4: int, v6: int, len6: int) -> None:
    for addr, prefix in ((ipaddress.IPv4Address(v4), ipaddress.IPv4Network((v4, len4), strict=False)),
                         (ipaddress.IPv6Address(v6), ipaddress.IPv6Network((v6, len6), strict=False))):
        assert addr_text(addr) == str(addr)
        assert prefix_text(prefix) == str(prefix)


def test_address_text_of_the_call_before_is_remembered_by_identity_only() -> None:
    a, b, a_again = (ipaddress.IPv4Address(1), ipaddress.IPv4Address(2), ipaddress.IPv4Address(1))
    assert [addr_text(x) for x in (a, a, b, a_again, a, ipaddress.IPv6Address(1))] == [
        "0.0.0.1", "0.0.0.1", "0.0.0.2", "0.0.0.1", "0.0.0.1", "::1"]
