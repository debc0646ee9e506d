"""Frame building and parsing of the packet socket, with scapy as the independent oracle."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from networkd.operators.rawsock import build_frame, internet_checksum, parse_frame

scapy_l2 = pytest.importorskip("scapy.layers.l2")
scapy_inet = pytest.importorskip("scapy.layers.inet")
Ether, IP, UDP = scapy_l2.Ether, scapy_inet.IP, scapy_inet.UDP

MAC = bytes.fromhex("0a1b2c3d4e5f")
SERVER_MAC = bytes.fromhex("02aabbccddee")
PAYLOAD = bytes(range(256)) * 2 + b"odd"  # odd length: the checksum pads


def test_checksum_of_a_known_header() -> None:
    # systemd's test-dhcp-client vector: the header of a DISCOVER with its checksum field zeroed
    header = bytes.fromhex("45000240000000004011000000000000ffffffff")
    assert internet_checksum(header) == 0x78AE


def test_broadcast_frame_as_scapy_reads_it() -> None:
    frame = build_frame(PAYLOAD, src_mac=MAC)
    pkt = Ether(frame)
    assert (pkt.dst, pkt.src, pkt.type) == ("ff:ff:ff:ff:ff:ff", "0a:1b:2c:3d:4e:5f", 0x0800)
    ip, udp = pkt[IP], pkt[UDP]
    assert (ip.src, ip.dst, ip.ttl, ip.proto, ip.len) == ("0.0.0.0", "255.255.255.255", 64, 17, 20 + 8 + len(PAYLOAD))
    assert (udp.sport, udp.dport, udp.len, bytes(udp.payload)) == (68, 67, 8 + len(PAYLOAD), PAYLOAD)
    # scapy recomputes both checksums from scratch when they are deleted
    fresh = Ether(frame)
    del fresh[IP].chksum, fresh[UDP].chksum
    fresh = Ether(bytes(fresh))
    assert (ip.chksum, udp.chksum) == (fresh[IP].chksum, fresh[UDP].chksum)


def test_scapy_frames_parse() -> None:
    pkt = Ether(src="02:aa:bb:cc:dd:ee", dst="0a:1b:2c:3d:4e:5f") / IP(src="10.0.0.1", dst="10.0.0.112") / UDP(
        sport=67, dport=68
    ) / PAYLOAD
    got = parse_frame(bytes(pkt))
    assert got is not None
    assert (got.src_mac, got.src, got.dst, got.src_port, got.payload) == (
        SERVER_MAC, IPv4Address("10.0.0.1"), IPv4Address("10.0.0.112"), 67, PAYLOAD
    )
    assert parse_frame(build_frame(PAYLOAD, src_mac=MAC)) is not None  # our own frames too
    no_checksum = Ether() / IP(src="10.0.0.1", dst="255.255.255.255") / UDP(sport=67, dport=68, chksum=0) / b"x"
    assert parse_frame(bytes(no_checksum)) is not None


def _server_frame(**ip: object) -> bytes:
    pkt = Ether() / IP(src="10.0.0.1", dst="255.255.255.255", **ip) / UDP(sport=67, dport=68) / PAYLOAD
    return bytes(pkt)


@pytest.mark.parametrize(
    ("what", "frame"),
    [
        ("ARP", bytes(Ether(type=0x0806) / (b"\0" * 40))),
        ("TCP", bytes(Ether() / IP(proto=6) / (b"\0" * 40))),
        ("later fragment", _server_frame(frag=10)),
        ("first fragment", _server_frame(flags="MF")),
        ("truncated", _server_frame()[:60]),
        ("IPv6 version nibble", b"".join([_server_frame()[:14], b"\x65", _server_frame()[15:]])),
    ],
)
def test_unsound_frames_are_refused(what: str, frame: bytes) -> None:
    assert parse_frame(frame) is None, what


def test_corrupted_checksums() -> None:
    frame = bytearray(_server_frame())
    frame[-1] ^= 0xFF  # payload byte: the UDP checksum no longer matches
    assert parse_frame(bytes(frame)) is None
    # a sender that left the checksum to hardware (CSUMNOTREADY): the partial sum is not checked
    assert parse_frame(bytes(frame), verify_udp_checksum=False) is not None
    frame = bytearray(_server_frame())
    frame[14 + 8] ^= 0x01  # TTL: the IP header checksum no longer matches
    assert parse_frame(bytes(frame)) is None
