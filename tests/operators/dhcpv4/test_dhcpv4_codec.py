"""Codec tests on golden bytes and on the vectors other DHCP clients test (see dhcp-client-behaviour.md)."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv4Network

import pytest

from operators.dhcpv4.codec import (
    BOOTP_MIN_LEN,
    ClasslessRoute,
    DHCPDecodeError,
    Message,
    MessageType,
    Op,
    Options,
    decode,
    encode,
)

A = IPv4Address
MAC = bytes.fromhex("525400123456")


def frame(options: bytes, *, sname: bytes = b"", file: bytes = b"", op: int = 2, hlen: int = 6) -> bytes:
    """A BOOTP header built independently of the codec, then the magic cookie and ``options``."""
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        op, 1, hlen, 0, 0x5A3C1E77, 0, 0,
        bytes(4), A("192.168.2.100").packed, bytes(4), bytes(4),
        MAC, sname, file,
    )  # fmt: skip
    return header + b"\x63\x82\x53\x63" + options


# A DHCPACK hand-written in the shape dnsmasq sends on a libvirt network (its option order and
# choices: siaddr set, T1/T2 sent, 119 compressed); scapy cross-checks it below.
DNSMASQ_ACK = bytes.fromhex(
    "02010600 5a3c1e77 0000 0000"  # op, htype, hlen, hops, xid, secs, flags
    "00000000 c0a87a5c c0a87a01 00000000"  # ciaddr, yiaddr, siaddr, giaddr
    "525400123456" + "00" * 10 + "00" * 64 + "00" * 128 +  # chaddr, sname, file
    "63825363"
    "350105"  # 53 ACK
    "3604c0a87a01"  # 54 server id 192.168.122.1
    "330400000e10"  # 51 lease 3600
    "3a0400000708"  # 58 T1 1800
    "3b0400000c4e"  # 59 T2 3150
    "0104ffffff00"  # 1 mask /24
    "1c04c0a87aff"  # 28 broadcast
    "0f096c61622e696e747261"  # 15 "lab.intra"
    "0c056e6f646531"  # 12 "node1"
    "0304c0a87a01"  # 3 router
    "0608c0a87a0101010101"  # 6 DNS 192.168.122.1 1.1.1.1
    "2a04c0a87a01"  # 42 NTP
    "1a0205dc"  # 26 MTU 1500
    "770d036c616205696e74726100c004"  # 119 lab.intra, intra (pointer to offset 4)
    "790d180a0000c0a87a0100c0a87a01"  # 121 10.0.0.0/24 via .1, default via .1
    "ff" + "00" * 8
)  # fmt: skip

DNSMASQ_OFFER = bytes.fromhex(
    "02010600 5a3c1e77 0000 0000"
    "00000000 c0a87a5c c0a87a01 00000000"
    "525400123456" + "00" * 10 + "00" * 64 + "00" * 128 +
    "63825363"
    "350102 3604c0a87a01 330400000e10 3a0400000708 3b0400000c4e"
    "0104ffffff00 1c04c0a87aff 0304c0a87a01 0604c0a87a01"
    "ff"
)  # fmt: skip


def test_golden_dnsmasq_ack() -> None:
    msg = decode(DNSMASQ_ACK)
    assert (msg.op, msg.xid, msg.chaddr, msg.htype) == (Op.BOOTREPLY, 0x5A3C1E77, MAC, 1)
    assert (msg.yiaddr, msg.siaddr, msg.ciaddr) == (A("192.168.122.92"), A("192.168.122.1"), A("0.0.0.0"))
    assert msg.options == Options(
        message_type=MessageType.ACK,
        subnet_mask=A("255.255.255.0"),
        routers=(A("192.168.122.1"),),
        dns_servers=(A("192.168.122.1"), A("1.1.1.1")),
        hostname="node1",
        domain_name="lab.intra",
        interface_mtu=1500,
        broadcast_address=A("192.168.122.255"),
        ntp_servers=(A("192.168.122.1"),),
        lease_time=3600,
        server_id=A("192.168.122.1"),
        renewal_time=1800,
        rebinding_time=3150,
        domain_search=("lab.intra", "intra"),
        classless_routes=(
            ClasslessRoute(IPv4Network("10.0.0.0/24"), A("192.168.122.1")),
            ClasslessRoute(IPv4Network("0.0.0.0/0"), A("192.168.122.1")),
        ),
    )
    assert decode(encode(msg)) == msg


def test_golden_dnsmasq_ack_agrees_with_scapy() -> None:
    """The hand-written golden bytes, read by an independent parser."""
    dhcp = pytest.importorskip("scapy.layers.dhcp")
    theirs = dict((o[0], o[1:]) for o in dhcp.BOOTP(DNSMASQ_ACK)[dhcp.DHCP].options if isinstance(o, tuple))
    assert theirs["message-type"] == (5,) and theirs["server_id"] == ("192.168.122.1",)
    assert theirs["lease_time"] == (3600,) and theirs["renewal_time"] == (1800,)
    assert theirs["rebinding_time"] == (3150,) and theirs["interface-mtu"] == (1500,)
    assert theirs["name_server"] == ("192.168.122.1", "1.1.1.1") and theirs["domain"] == (b"lab.intra",)
    assert theirs["classless_static_routes"] == (["10.0.0.0/24:192.168.122.1", "0.0.0.0/0:192.168.122.1"],)
    assert theirs[119] == (bytes.fromhex("036c616205696e74726100c004"),)


def test_golden_dnsmasq_offer() -> None:
    msg = decode(DNSMASQ_OFFER)
    assert msg.message_type is MessageType.OFFER
    assert msg.options.server_id == A("192.168.122.1")
    assert msg.options.dns_servers == (A("192.168.122.1"),)
    assert msg.options.raw == ()


def test_golden_discover_encoding() -> None:
    """Our own DISCOVER, pinned byte for byte (hand-checked against RFC 2131 §2 and RFC 2132)."""
    msg = Message(
        op=Op.BOOTREQUEST,
        xid=0x12345678,
        chaddr=MAC,
        secs=3,
        options=Options(
            message_type=MessageType.DISCOVER,
            client_id=b"\x01" + MAC,
            parameter_request_list=(1, 121, 3, 6),
            requested_ip=A("192.168.122.92"),
        ),
    )
    expected = bytes.fromhex(
        "01010600 12345678 0003 0000" + "00" * 16 +
        "525400123456" + "00" * 10 + "00" * 192 +
        "63825363"
        "350101"  # 53 first
        "3204c0a87a5c"  # 50
        "370401790306"  # 55, in the given order
        "3d0701525400123456"  # 61
        "ff"
    )  # fmt: skip
    expected += bytes(BOOTP_MIN_LEN - len(expected))
    assert encode(msg) == expected
    assert decode(expected) == msg


def test_encode_pads_to_bootp_minimum_and_trailing_bytes_are_ignored() -> None:
    msg = Message(op=Op.BOOTREQUEST, xid=1, chaddr=MAC, options=Options(message_type=MessageType.DISCOVER))
    wire = encode(msg)
    assert len(wire) == BOOTP_MIN_LEN
    assert decode(wire + b"\x01\x02garbage") == msg


# systemd test-dhcp-option.c option walks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("42054142434445", None),  # no message type: a BOOTP message
        ("420541424344450000350105", MessageType.ACK),  # PAD skipped
        ("350105360401 00a8c0 330400015180 0104ffffff00 0304c0a80001 0604c0a80001" + "00" * 6,
         MessageType.ACK),  # classic ACK, zero padding and no END
        ("3501022a03000000", MessageType.OFFER),
    ],
)  # fmt: skip
def test_option_walks(options: str, expected: MessageType | None) -> None:
    assert decode(frame(bytes.fromhex(options))).message_type is expected


@pytest.mark.parametrize(
    "options",
    [
        "08ff464748",  # option length runs past the end
        "2a0201022c",  # truncated: code without a length byte... after a full option
        "350105 2a",  # code at the very end, no length
        "340104",  # overload value 4
        "34020101",  # overload of length 2
        "340101 340102",  # two overload options
    ],
)
def test_framing_errors(options: str) -> None:
    with pytest.raises(DHCPDecodeError):
        decode(frame(bytes.fromhex(options)))


def test_short_header_bad_cookie_bad_op_and_hlen() -> None:
    good = frame(b"\x35\x01\x05\xff")
    with pytest.raises(DHCPDecodeError, match="shorter"):
        decode(good[:239])
    with pytest.raises(DHCPDecodeError, match="cookie"):
        decode(good[:236] + b"\x63\x82\x53\x64" + good[240:])
    with pytest.raises(DHCPDecodeError, match="op"):
        decode(frame(b"\xff", op=3))
    with pytest.raises(DHCPDecodeError, match="hlen"):
        decode(frame(b"\xff", hlen=17))


def test_overload_file_holds_message_type() -> None:
    """systemd: options = overload(FILE); file = 222(3 bytes), 53=NAK."""
    msg = decode(frame(bytes.fromhex("340101"), file=bytes.fromhex("de03010203350106")))
    assert msg.message_type is MessageType.NAK
    assert msg.options.raw == ((222, b"\x01\x02\x03"),)
    assert msg.file == b""


def test_overload_both_fields_file_before_sname() -> None:
    """RFC 2131 §4.1: options, then file, then sname; a split option is concatenated (RFC 3396)."""
    msg = decode(
        frame(
            bytes.fromhex("340103 0304c0a80001"),
            file=bytes.fromhex("350105 0304c0a80002 ff"),
            sname=bytes.fromhex("0304c0a80003 0c03 616263 ff"),
        )
    )
    assert msg.message_type is MessageType.ACK
    assert msg.options.routers == (A("192.168.0.1"), A("192.168.0.2"), A("192.168.0.3"))
    assert msg.options.hostname == "abc"
    assert (msg.sname, msg.file) == (b"", b"")
    assert decode(encode(msg)) == msg


def test_overload_in_file_is_ignored_and_sname_kept_when_not_overloaded() -> None:
    msg = decode(frame(bytes.fromhex("340101"), file=bytes.fromhex("340102350105"), sname=b"tftp.example"))
    assert msg.message_type is MessageType.ACK
    assert msg.sname == b"tftp.example"


# Option 119 (systemd and NetworkManager vectors) ---------------------------------------------------


def _search(hex_value: str) -> Options:
    value = bytes.fromhex(hex_value)
    return decode(frame(b"\x35\x01\x05\x77" + bytes([len(value)]) + value + b"\xff")).options


FOO, BAR, ABCD, EFG, ABC = "03464f4f", "03424152", "0441424344", "03454647", "03414243"


@pytest.mark.parametrize(
    ("hex_value", "names"),
    [
        (FOO + BAR + "00" + ABCD + EFG + "00", ("FOO.BAR", "ABCD.EFG")),
        (FOO + "00c000", ("FOO", "FOO")),
        (FOO + BAR + "00" + ABC + "c004", ("FOO.BAR", "ABC.BAR")),
        ("056c6f63616c00", ("local",)),
        ("0474657374076578616d706c6503636f6d00c005036162 63c00d06666f6f62617200",
         ("test.example.com", "example.com", "abc.com", "foobar")),
    ],
)  # fmt: skip
def test_domain_search_vectors(hex_value: str, names: tuple[str, ...]) -> None:
    assert _search(hex_value).domain_search == names


@pytest.mark.parametrize(
    "hex_value",
    [
        FOO + "00" + BAR + "c006",  # pointer loop (forward/self reference)
        (FOO + BAR + "00" + ABCD + EFG + "00")[:-10],  # truncated by 5 bytes
        "40626164",  # label length 64
        "04 6f6b6179 00 40626164",  # NetworkManager keeps "okay"; we ignore the whole option
        "00",  # the root name
        "c000",  # pointer to itself
    ],
)
def test_domain_search_malformed_is_kept_raw(hex_value: str) -> None:
    opts = _search(hex_value)
    assert opts.domain_search == ()
    assert opts.raw == ((119, bytes.fromhex(hex_value)),)


def test_domain_search_two_byte_pointer_offsets() -> None:
    names = tuple(f"host{i:03d}.example.com" for i in range(40))
    opts = Options(message_type=MessageType.ACK, domain_search=names)
    msg = Message(op=Op.BOOTREPLY, xid=1, chaddr=MAC, options=opts)
    wire = encode(msg)
    assert decode(wire).options.domain_search == names
    long_names = tuple(f"{'x' * 60}{i}.{'y' * 60}.example.com" for i in range(6))
    msg = Message(op=Op.BOOTREPLY, xid=1, chaddr=MAC, options=Options(domain_search=long_names))
    assert decode(encode(msg)).options.domain_search == long_names  # > 255 bytes: split and pointers > 255


def test_domain_search_encoding_compresses_suffixes() -> None:
    msg = Message(op=Op.BOOTREPLY, xid=1, chaddr=MAC, options=Options(domain_search=("lab.intra", "intra")))
    assert bytes.fromhex("770d036c616205696e74726100c004") in encode(msg)


# Option 121 (NetworkManager vectors, as bytes) -----------------------------------------------------


def _classless(hex_value: str) -> Options:
    value = bytes.fromhex(hex_value)
    return decode(frame(b"\x35\x01\x05\x79" + bytes([len(value)]) + value + b"\xff")).options


def test_classless_routes_vectors() -> None:
    r = ClasslessRoute
    assert _classless("18c0a80ac0a80101 080a0a114229").classless_routes == (
        r(IPv4Network("192.168.10.0/24"), A("192.168.1.1")),
        r(IPv4Network("10.0.0.0/8"), A("10.17.66.41")),
    )
    # Fedora dhclient: 0 192.168.0.113, 25.129.210.177.132 192.168.0.113, 7.2 10.34.255.6
    assert _classless("00c0a80071 1981d2b184c0a80071 07020a22ff06").classless_routes == (
        r(IPv4Network("0.0.0.0/0"), A("192.168.0.113")),
        r(IPv4Network("129.210.177.128/25"), A("192.168.0.113")),
        r(IPv4Network("2.0.0.0/7"), A("10.34.255.6")),
    )
    assert _classless("18c0a80ac0a80101 00c0020304").classless_routes[1] == r(IPv4Network("0.0.0.0/0"), A("192.2.3.4"))


def test_classless_route_host_bits_are_masked() -> None:
    assert _classless("07030a000001").classless_routes == (ClasslessRoute(IPv4Network("2.0.0.0/7"), A("10.0.0.1")),)


@pytest.mark.parametrize(
    "hex_value",
    [
        "18c0a80ac0a80101 2d0a114229",  # width 45
        "2d0a114229 18c0a80ac0a80101",  # invalid first
        "18c0a80ac0a80101 20800a114229",  # second entry short
    ],
)
def test_classless_routes_malformed_is_kept_raw(hex_value: str) -> None:
    """Policy: a malformed option 121 is ignored entirely (systemd), not partially kept (NM)."""
    opts = _classless(hex_value)
    assert opts.classless_routes == ()
    assert opts.raw == ((121, bytes.fromhex(hex_value)),)


# Other value rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ("0303c0a800", "routers"),  # not a multiple of 4
        ("0300", "routers"),  # empty list
        ("0104ff00ff00", "subnet_mask"),  # non-contiguous mask
        ("1a03000000", "interface_mtu"),
        ("3303000000", "lease_time"),
        ("0c00", "hostname"),  # RFC 2132: minimum length 1
        ("3d0101", "client_id"),  # RFC 2132: minimum length 2
        ("3700", "parameter_request_list"),
    ],
)
def test_malformed_known_options_are_kept_raw(option: str, field: str) -> None:
    value = bytes.fromhex(option)
    opts = decode(frame(b"\x35\x01\x05" + value + b"\xff")).options
    assert getattr(opts, field) in (None, ())
    assert opts.raw == ((value[0], value[2:]),)


def test_unknown_message_type_is_raw_and_unknown_options_survive() -> None:
    wire = frame(bytes.fromhex("350109 5000 e0030a0b0c ff"))  # FORCERENEW, rapid commit, private
    msg = decode(wire)
    assert msg.message_type is None
    assert msg.options.raw == ((53, b"\x09"), (80, b""), (224, b"\x0a\x0b\x0c"))
    assert decode(encode(msg)) == msg
    assert bytes.fromhex("350109 5000 e0030a0b0c ff") in encode(msg)


def test_hostname_bytes_survive_via_latin1() -> None:
    msg = decode(frame(bytes.fromhex("350105 0c05") + "h\xe9st\0".encode("latin-1") + b"\xff"))
    assert msg.options.hostname == "h\xe9st\0"
    assert decode(encode(msg)) == msg


def test_long_option_is_split_and_rejoined() -> None:
    """RFC 3396: a value over 255 bytes travels as consecutive instances of the option."""
    routes = tuple(ClasslessRoute(IPv4Network(f"10.{i}.0.0/16"), A("10.0.0.1")) for i in range(60))
    msg = Message(op=Op.BOOTREPLY, xid=7, chaddr=MAC, options=Options(classless_routes=routes))
    wire = encode(msg)
    assert wire.count(b"\x79\xff") == 1  # a full 255-byte first instance
    assert decode(wire) == msg


@pytest.mark.parametrize(
    "options",
    [
        Options(hostname=""),
        Options(hostname="h\u0101st"),  # not latin-1
        Options(domain_search=("a..b",)),
        Options(domain_search=("bad name",)),
        Options(parameter_request_list=(256,)),
        Options(lease_time=1 << 32),
        Options(client_id=b"\x01"),
    ],
)
def test_encode_refuses_values_that_would_not_round_trip(options: Options) -> None:
    with pytest.raises(ValueError):
        encode(Message(op=Op.BOOTREQUEST, xid=1, chaddr=MAC, options=options))


def test_encode_refuses_bad_header_fields() -> None:
    with pytest.raises(ValueError):
        encode(Message(op=Op.BOOTREQUEST, xid=1 << 32, chaddr=MAC))
    with pytest.raises(ValueError):
        encode(Message(op=Op.BOOTREQUEST, xid=1, chaddr=bytes(17)))


@pytest.mark.parametrize(
    "raw",
    [
        ((52, b"\x01"),),  # overload is the codec's business
        ((0, b""),),
        ((80, b""), (80, b"")),  # duplicate codes
        ((3, b"\x01\x02\x03\x04"),),  # a valid router belongs in `routers`
    ],
)
def test_raw_option_invariants(raw: tuple[tuple[int, bytes], ...]) -> None:
    with pytest.raises(ValueError):
        Options(raw=raw)


def test_raw_option_cannot_shadow_a_set_typed_field() -> None:
    with pytest.raises(ValueError):
        Options(routers=(A("10.0.0.1"),), raw=((3, b"\x01"),))
    assert Options(raw=((3, b"\x01"),)).raw == ((3, b"\x01"),)
