"""scapy as an independent oracle for the ARP codec: our probes and announcements read the same in scapy, and back."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from operators.acd import ArpPacket, Op, announcement, decode, encode, probe

scapy_l2 = pytest.importorskip("scapy.layers.l2")
ARP = scapy_l2.ARP

MAC = bytes.fromhex("0a1b2c3d4e5f")
ADDRESS = IPv4Address("10.0.0.100")


def test_our_probe_is_scapy_who_has_from_zero() -> None:
    theirs = ARP(encode(probe(MAC, ADDRESS)))
    assert (theirs.hwtype, theirs.ptype, theirs.hwlen, theirs.plen) == (1, 0x0800, 6, 4)
    assert theirs.op == 1  # who-has
    assert (theirs.hwsrc, theirs.psrc) == ("0a:1b:2c:3d:4e:5f", "0.0.0.0")
    assert (theirs.hwdst, theirs.pdst) == ("00:00:00:00:00:00", "10.0.0.100")


def test_our_announcement_is_scapy_gratuitous_request() -> None:
    theirs = ARP(encode(announcement(MAC, ADDRESS)))
    assert theirs.op == 1 and theirs.psrc == theirs.pdst == "10.0.0.100"
    assert theirs.hwsrc == "0a:1b:2c:3d:4e:5f"


def test_scapy_is_at_reply_reads_as_ours() -> None:
    wire = bytes(ARP(op="is-at", hwsrc="02:00:00:00:00:09", psrc="10.0.0.100", hwdst="0a:1b:2c:3d:4e:5f",
                     pdst="0.0.0.0"))
    assert decode(wire) == ArpPacket(Op.REPLY, bytes.fromhex("020000000009"), ADDRESS, MAC, IPv4Address(0))


macs = st.binary(min_size=6, max_size=6)
ips = st.integers(0, 2**32 - 1).map(IPv4Address)


@given(st.integers(0, 0xFFFF), macs, ips, macs, ips)
def test_any_packet_reads_the_same_in_scapy_and_back(op: int, sha: bytes, spa: IPv4Address, tha: bytes,
                                                     tpa: IPv4Address) -> None:
    packet = ArpPacket(op, sha, spa, tha, tpa)
    theirs = ARP(encode(packet))
    assert (theirs.op, theirs.hwsrc, theirs.psrc, theirs.hwdst, theirs.pdst) == (
        op, sha.hex(":"), str(spa), tha.hex(":"), str(tpa))
    assert decode(bytes(theirs)) == packet
