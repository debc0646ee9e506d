"""scapy as an independent oracle: what we send parses the same in scapy, what scapy builds parses the same in ours.

Also the properties over generated messages (round trip, agreement with scapy both ways).
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operators.dhcpv4.client import (
    AddressInUse,
    Client,
    ClientConfig,
    PacketReceived,
    Send,
    Start,
    Stop,
    Timer,
    TimerFired,
    client_identifier,
)
from operators.dhcpv4.codec import ClasslessRoute, Message, MessageType, Op, Options, decode, encode

scapy_dhcp = pytest.importorskip("scapy.layers.dhcp")
scapy_dns = pytest.importorskip("scapy.layers.dns")
BOOTP, DHCP, REV = scapy_dhcp.BOOTP, scapy_dhcp.DHCP, scapy_dhcp.DHCPRevOptions

A = IPv4Address
MAC = bytes.fromhex("0a1b2c3d4e5f")

# Our field for each option code, written out here independently of the codec's table.
FIELDS = {
    1: "subnet_mask", 3: "routers", 6: "dns_servers", 12: "hostname", 15: "domain_name",
    26: "interface_mtu", 28: "broadcast_address", 42: "ntp_servers", 50: "requested_ip",
    51: "lease_time", 53: "message_type", 54: "server_id", 55: "parameter_request_list",
    56: "message", 58: "renewal_time", 59: "rebinding_time", 61: "client_id",
    119: "domain_search", 121: "classless_routes",
}  # fmt: skip
SINGLE_IP, IP_LIST, TEXT = {1, 28, 50, 54}, {3, 6, 42}, {12, 15, 56}


def scapy_names(data: bytes) -> tuple[str, ...]:
    """Option 119 decoded by scapy's DNS name decompressor."""
    names, rest = [], data
    while rest:
        name, rest = scapy_dns.dns_get_str(rest, full=data)
        names.append(name.decode("ascii").rstrip("."))
    return tuple(names)


def options_from_scapy(packet: Any) -> Options:
    """scapy's view of a packet's options, expressed as our Options."""
    typed: dict[str, Any] = {}
    raw = []
    for item in packet[DHCP].options:
        if item in ("end", "pad"):
            continue
        name, *values = item
        code = name if isinstance(name, int) else REV[name][0]
        if code not in FIELDS:
            raw.append((code, values[0]))
            continue
        if code in SINGLE_IP:
            value: Any = A(values[0])
        elif code in IP_LIST:
            value = tuple(A(v) for v in values)
        elif code in TEXT:
            value = values[0].decode("latin-1")
        elif code == 55:
            value = tuple(values[0])
        elif code == 119:
            value = scapy_names(values[0])
        elif code == 121:
            value = tuple(ClasslessRoute(IPv4Network(n), A(g)) for n, g in (r.split(":") for r in values[0]))
        else:
            value = values[0]
        typed[FIELDS[code]] = value
    return Options(**typed, raw=tuple(raw))


def scapy_option_list(options: Options) -> list[Any]:
    """Our Options as a scapy DHCP option list (119 encoded by hand, uncompressed)."""
    out: list[Any] = []
    for code, field in FIELDS.items():
        value = getattr(options, field)
        if value is None or value == ():
            continue
        known = scapy_dhcp.DHCPOptions.get(code)
        name = code if known is None else known if isinstance(known, str) else known.name
        if code in SINGLE_IP:
            out.append((name, str(value)))
        elif code in IP_LIST:
            out.append((name, *map(str, value)))
        elif code in TEXT:
            out.append((name, value.encode("latin-1")))
        elif code == 55:
            out.append((name, list(value)))
        elif code == 119:
            wire = b"".join(
                b"".join(bytes([len(label)]) + label.encode() for label in n.split(".")) + b"\0" for n in value
            )
            out.append((name, wire))
        elif code == 121:
            out.append((name, *[f"{r.destination}:{r.router}" for r in value]))
        else:
            out.append((name, int(value) if isinstance(value, int) else value))
    out.extend(options.raw)
    out.append("end")
    return out


def assert_header_agrees(ours: Message, theirs: Any) -> None:
    assert (theirs.op, theirs.xid, theirs.secs, int(theirs.flags)) == (ours.op, ours.xid, ours.secs, ours.flags)
    assert theirs.hlen == len(ours.chaddr) and theirs.chaddr[: theirs.hlen] == ours.chaddr
    for field in ("ciaddr", "yiaddr", "siaddr", "giaddr"):
        assert A(getattr(theirs, field)) == getattr(ours, field)
    assert theirs.sname.rstrip(b"\0") == ours.sname and theirs.file.rstrip(b"\0") == ours.file


def check_both_ways(message: Message) -> None:
    theirs = BOOTP(encode(message))
    assert_header_agrees(message, theirs)
    assert options_from_scapy(theirs) == message.options


# What the client sends -----------------------------------------------------------------------------


def client_messages() -> list[Message]:
    """One of each message the client sends, produced by driving the state machine."""
    client = Client(
        ClientConfig(mac=MAC, client_id=client_identifier("mac", MAC), hostname="node-1", domain="example.com"),
        random.Random(3),
    )
    out: list[Message] = []

    def run(event: Any) -> None:
        out.extend(a.message for a in client.handle(event) if isinstance(a, Send))

    def answer(kind: MessageType, now: float) -> None:
        request = out[-1]
        opts = Options(message_type=kind, server_id=A("10.9.8.1"), lease_time=600, subnet_mask=A("255.255.255.0"))
        run(PacketReceived(Message(Op.BOOTREPLY, request.xid, MAC, opts, yiaddr=A("10.9.8.7")), now))

    run(Start(0.0))  # DISCOVER
    answer(MessageType.OFFER, 1.0)  # REQUEST (selecting)
    answer(MessageType.ACK, 2.0)
    run(TimerFired(Timer.T1, 300.0))  # REQUEST (renewing)
    run(TimerFired(Timer.T2, 525.0))  # REQUEST (rebinding)
    answer(MessageType.ACK, 526.0)
    run(AddressInUse(527.0))  # DECLINE
    run(TimerFired(Timer.RESEND, 537.0))  # DISCOVER
    answer(MessageType.OFFER, 538.0)
    answer(MessageType.ACK, 539.0)
    run(Stop(540.0))  # RELEASE
    return out


def test_every_client_message_parses_the_same_in_scapy() -> None:
    messages = client_messages()
    kinds = [m.message_type for m in messages]
    assert set(kinds) == {MessageType.DISCOVER, MessageType.REQUEST, MessageType.DECLINE, MessageType.RELEASE}
    for message in messages:
        check_both_ways(message)


def test_discover_in_scapy_terms() -> None:
    discover = BOOTP(encode(client_messages()[0]))
    opts = dict((o[0], o[1:]) for o in discover[DHCP].options if isinstance(o, tuple))
    assert opts["message-type"] == (1,)
    assert opts["client_id"] == (b"\x01" + MAC,)
    assert opts["hostname"] == (b"node-1",)
    assert 12 not in opts["param_req_list"][0]
    assert opts["param_req_list"][0].index(121) < opts["param_req_list"][0].index(3)
    assert len(bytes(discover)) >= 300


# What a server (scapy) sends -----------------------------------------------------------------------


def test_scapy_built_ack_parses_the_same_in_ours() -> None:
    packet = BOOTP(
        op=2, xid=0xDEADBEEF, chaddr=MAC + bytes(10), yiaddr="10.9.8.7", siaddr="10.9.8.1", sname=b"boot"
    ) / DHCP(
        options=[
            ("message-type", "ack"),
            ("server_id", "10.9.8.1"),
            ("lease_time", 86400),
            ("renewal_time", 43200),
            ("rebinding_time", 75600),
            ("subnet_mask", "255.255.255.0"),
            ("router", "10.9.8.1", "10.9.8.2"),
            ("name_server", "10.9.8.1", "9.9.9.9"),
            ("NTP_server", "10.9.8.3"),
            ("domain", b"corp.example"),
            ("hostname", b"node-1"),
            ("interface-mtu", 9000),
            ("broadcast_address", "10.9.8.255"),
            ("classless_static_routes", "0.0.0.0/0:10.9.8.1", "172.16.0.0/12:10.9.8.2", "10.9.8.128/25:0.0.0.0"),
            (119, b"\x04corp\x07example\x00\x03lab\xc0\x00"),
            ("rapid_commit", b""),
            ("vendor_specific", b"\x01\x02\x03"),
            "end",
        ]
    )
    ours = decode(bytes(packet))
    assert_header_agrees(ours, BOOTP(bytes(packet)))
    assert ours.options.domain_search == ("corp.example", "lab.corp.example")
    assert ours.options.classless_routes[2] == ClasslessRoute(IPv4Network("10.9.8.128/25"), A("0.0.0.0"))
    assert ours.options.raw == ((80, b""), (43, b"\x01\x02\x03"))
    assert ours.options == options_from_scapy(BOOTP(bytes(packet)))


def test_our_encoding_of_a_scapy_option_list_round_trips() -> None:
    options = Options(
        message_type=MessageType.OFFER,
        server_id=A("192.0.2.1"),
        routers=(A("192.0.2.1"),),
        domain_search=("a.example", "b.example"),
        classless_routes=(ClasslessRoute(IPv4Network("198.51.100.0/24"), A("192.0.2.254")),),
        message="hello",
    )
    packet = BOOTP(op=2, xid=9, chaddr=MAC) / DHCP(options=scapy_option_list(options))
    assert decode(bytes(packet)).options == options


# Generated messages --------------------------------------------------------------------------------

KNOWN_TO_SCAPY = set(scapy_dhcp.DHCPOptions) | set(FIELDS) | {0, 52, 255}
addresses = st.integers(0, 2**32 - 1).map(A)
address_lists = st.lists(addresses, min_size=1, max_size=8).map(tuple)
masks = st.integers(0, 32).map(lambda n: IPv4Network(f"0.0.0.0/{n}").netmask)
texts = st.text(st.characters(max_codepoint=255), min_size=1, max_size=80)
labels = st.text(st.sampled_from([chr(c) for c in range(0x21, 0x7F) if c != ord(".")]), min_size=1, max_size=20)
names = st.lists(labels, min_size=1, max_size=4).map(".".join)
routes = st.builds(
    lambda a, w, gw: ClasslessRoute(IPv4Network((a, w), strict=False), gw), addresses, st.integers(0, 32), addresses
)
u32 = st.integers(0, 2**32 - 1)
# Every value stays under 255 bytes: scapy does not join split options (RFC 3396).
options = st.builds(
    Options,
    message_type=st.none() | st.sampled_from(MessageType),
    subnet_mask=st.none() | masks,
    routers=st.just(()) | address_lists,
    dns_servers=st.just(()) | address_lists,
    hostname=st.none() | texts,
    domain_name=st.none() | texts,
    interface_mtu=st.none() | st.integers(0, 0xFFFF),
    broadcast_address=st.none() | addresses,
    ntp_servers=st.just(()) | address_lists,
    requested_ip=st.none() | addresses,
    lease_time=st.none() | u32,
    server_id=st.none() | addresses,
    parameter_request_list=st.just(()) | st.lists(st.integers(0, 255), min_size=1, max_size=40).map(tuple),
    message=st.none() | texts,
    renewal_time=st.none() | u32,
    rebinding_time=st.none() | u32,
    client_id=st.none() | st.binary(min_size=2, max_size=40),
    domain_search=st.just(()) | st.lists(names, min_size=1, max_size=2).map(tuple),
    classless_routes=st.just(()) | st.lists(routes, min_size=1, max_size=10).map(tuple),
    raw=st.lists(
        st.tuples(st.integers(1, 254).filter(lambda c: c not in KNOWN_TO_SCAPY), st.binary(max_size=40)),
        max_size=4,
        unique_by=lambda o: o[0],
    ).map(tuple),
)
messages = st.builds(
    Message,
    op=st.sampled_from(Op),
    xid=u32,
    chaddr=st.binary(max_size=16),
    options=options,
    htype=st.integers(0, 255),
    hops=st.integers(0, 255),
    secs=st.integers(0, 0xFFFF),
    flags=st.integers(0, 0xFFFF),
    ciaddr=addresses,
    yiaddr=addresses,
    siaddr=addresses,
    giaddr=addresses,
    sname=st.binary(max_size=64).map(lambda b: b.rstrip(b"\0")),
    file=st.binary(max_size=128).map(lambda b: b.rstrip(b"\0")),
)


@settings(max_examples=400)
@given(messages)
def test_generated_messages_round_trip_and_scapy_reads_them_the_same(message: Message) -> None:
    assert decode(encode(message)) == message
    check_both_ways(message)


@settings(max_examples=300)
@given(options)
def test_we_read_what_scapy_writes(opts: Options) -> None:
    packet = BOOTP(op=2, xid=1, chaddr=MAC) / DHCP(options=scapy_option_list(opts))
    assert decode(bytes(packet)).options == opts
