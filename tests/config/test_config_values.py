"""The pure value checks behind the loader: durations, host names, link names, MACs, WireGuard keys."""

from __future__ import annotations

import contextlib
import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from networkd.config import _reader
from networkd.config.errors import FieldError
from networkd.config.values import (
    MAX_LINK_NAME,
    hardware_addr_problem,
    hex_pairs,
    hostname_problem,
    link_name_problem,
    parse_duration,
    wireguard_key_problem,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("1.5h", 5400.0),
        ("250ms", 0.25),
        ("0", 0.0),
        ("+2m", 120.0),
        ("-5s", -5.0),
        ("1h2m3s4ms", 3723.004),
        ("10us", 1e-5),
        ("10µs", 1e-5),
        (".5s", 0.5),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "s", "1d", "1 m", "1m 30s", "1.2.3s", "--1s", "1S", "0x10s"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize("name", ["node1", "a", "cp-1.example.org", "1234", "x" * 63, ".".join(["a" * 63] * 3)])
def test_good_hostnames(name: str) -> None:
    assert hostname_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must not be empty"),
        ("a..b", "'a..b' has an empty label (a leading, trailing or doubled '.')"),
        ("host.", "'host.' has an empty label (a leading, trailing or doubled '.')"),
        ("-a", "label '-a' may only hold letters, digits and '-', and may not start or end with '-'"),
        ("a_b", "label 'a_b' may only hold letters, digits and '-', and may not start or end with '-'"),
        ("x" * 64, "label 'xxxxxxxxxxxxxxxxxxxx'... is 64 characters long; a label is at most 63"),
        (".".join(["a" * 63] * 4) + ".ab", "is 258 characters long; a fully qualified name is at most 253"),
    ],
)
def test_bad_hostnames(name: str, problem: str) -> None:
    assert hostname_problem(name) == problem


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("eth0", None),
        ("enp0s31f6.1000", None),
        ("bond.int", None),
        ("", "must not be empty"),
        ("..", "'..' is not a valid link name"),
        ("a" * 16, f"'{'a' * 16}' is 16 characters long; a link name is at most 15"),
        ("eth 0", "'eth 0' may not contain '/', ':' or whitespace"),
        ("eth0:1", "'eth0:1' may not contain '/', ':' or whitespace"),
    ],
)
def test_link_names(name: str, problem: str | None) -> None:
    assert link_name_problem(name, MAX_LINK_NAME) == problem


@pytest.mark.parametrize(
    ("text", "good"),
    [
        ("02:42:ac:11:00:02", True),
        ("02:42:AC:11:00:02", True),
        ("00:01:02:03:04:05:06:07", True),
        (":".join(["ab"] * 20), True),
        ("02:42:ac:11:00", False),
        ("02-42-ac-11-00-02", False),
        ("0242ac110002", False),
        ("02:42:ac:11:00:0g", False),
    ],
)
def test_hardware_addresses(text: str, good: bool) -> None:
    assert (hardware_addr_problem(text) is None) is good


def test_hex_pairs() -> None:
    assert hex_pairs("00:01:AB") == b"\x00\x01\xab"
    assert hex_pairs("0001") is None
    assert hex_pairs("") is None


def test_wireguard_keys() -> None:
    assert wireguard_key_problem("OJ34O6J1z4ZZB+t16c+vYrzIrKddxyU3Z2eLhwYzqE8=") is None
    assert wireguard_key_problem("AAAA") == "decodes to 3 bytes; a WireGuard key is 32 bytes"
    assert wireguard_key_problem("not a key!") == "is not valid base64 (generate one with `wg genkey`)"
    assert wireguard_key_problem("clé") == "is not valid base64 (generate one with `wg genkey`)"


_OCTETS = st.one_of(st.integers(0, 300).map(str),
                    st.sampled_from(["00", "01", "007", "0x1", "", "1e1", "\u0661", " 1"]))


_PREFIX_TEXTS = st.one_of(
    st.tuples(st.lists(_OCTETS, min_size=3, max_size=5),
              st.one_of(st.integers(0, 40).map(str),
                        st.sampled_from(["08", "032", "0024", "00032", "\u0663", "", "-1"]))
              ).map(lambda t: ".".join(t[0]) + "/" + t[1]),
    st.text(alphabet="0123456789./:abcdef%", max_size=20),
)


@settings(max_examples=3000, deadline=None)
@given(_PREFIX_TEXTS)
def test_the_ipv4_prefix_shortcut_reads_what_ipaddress_reads(text: str) -> None:
    """`to_network`'s IPv4 shortcut gives ip_network's result, or leaves the text to it."""
    try:
        expected: object = ipaddress.ip_network(text, strict=False)
    except ValueError:
        expected = None
    got = _reader._ipv4_network(text)
    if got is not None:
        assert got == expected and got.prefixlen == expected.prefixlen  # type: ignore[union-attr]
        assert _reader._PREFIX.fullmatch(text) and "%" not in text  # to_network would have let ip_network read it
    elif isinstance(expected, ipaddress.IPv4Network):
        # left to ip_network only what the shortcut is not for: no prefix length, a netmask, or a length of
        # more than 3 digits (which to_network refuses)
        assert not re.fullmatch(r"[0-9.]+/[0-9]{1,3}", text)


@given(_PREFIX_TEXTS)
def test_to_network_reads_what_ip_network_reads_of_a_prefix(text: str) -> None:
    """`to_network` (with its IPv4 shortcut first) gives what `ip_network` alone gives of the texts it lets through."""
    expected: object = None
    if re.fullmatch(r"[^/\s]+/\d{1,3}", text) and "%" not in text:
        with contextlib.suppress(ValueError):
            expected = ipaddress.ip_network(text, strict=False)
    errors = _reader.Errors()
    try:
        got: object = _reader.to_network(errors, "p", text)
    except _reader.Invalid:
        got = None
        message = f"{text!r} is not a valid IP prefix (like 10.0.0.0/8 or fd00::/64)"
        assert errors.items == [FieldError("p", message)]
    assert got == expected and type(got) is type(expected)
    if isinstance(got, ipaddress.IPv4Network | ipaddress.IPv6Network):
        assert got.prefixlen == expected.prefixlen  # type: ignore[union-attr]


def test_the_ipv4_prefix_shortcut_reads_route_destinations() -> None:
    assert _reader._ipv4_network("100.64.7.9/24") == ipaddress.IPv4Network("100.64.7.0/24")
    assert _reader._ipv4_network("0.0.0.0/0") == ipaddress.IPv4Network("0.0.0.0/0")
    assert _reader._ipv4_network("10.0.0.0/08") == ipaddress.IPv4Network("10.0.0.0/8")
    assert _reader._ipv4_network("fd00::/64") is None and _reader._ipv4_network("10.0.0.1") is None
