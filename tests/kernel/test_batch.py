"""networkd.kernel.batch: the hand-written route and address encoders against pyroute2's encoding of the reference
messages (reference_messages.py), round trips, ACK parsing, and the socket in a lab node (every result checked
with `ip -j route`; addresses in test_netlink.py).
"""

from __future__ import annotations

import errno
import json
import socket
import struct
import sys
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_interface, ip_network
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nslab import Lab, Node

from networkd.kernel.batch import (
    ADD,
    BATCH,
    DELETE,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLMSG_ERROR,
    REPLACE_OP,
    AddressChange,
    Op,
    RouteSocket,
    ack_error,
    decode_route,
    encode_address,
    encode_dump,
    encode_route,
    split_messages,
)
from networkd.kernel.codec import to_nlmsg
from networkd.kernel.messages import NLM_F_ACK, RTM_GETROUTE
from networkd.kernel.types import (
    RTN_BLACKHOLE,
    RTN_PROHIBIT,
    RTN_THROW,
    RTN_UNREACHABLE,
    RTNH_F_ONLINK,
    RTPROT_NETWORKD,
    KernelRoute,
    NextHop,
)
from tests.kernel.reference_messages import build_address_add, build_address_del, build_route_add, build_route_del

PROBE = Path(__file__).with_name("batch_probe.py")
ROUTES = [
    KernelRoute(dst=ip_network("10.1.0.0/24"), gateway=ip_address("10.0.0.2"), oif=2, priority=5),
    KernelRoute(dst=ip_network("0.0.0.0/0"), gateway=ip_address("192.168.99.1"), oif=2, table=101,
                flags=RTNH_F_ONLINK),
    KernelRoute(dst=ip_network("10.3.0.0/16"), type=RTN_BLACKHOLE),
    KernelRoute(dst=ip_network("fd11::/64"), type=RTN_UNREACHABLE, priority=1024, table=100),
    KernelRoute(dst=ip_network("fd00::/64"), table=1000, src=ip_network("fd01::/64"), pref_src=ip_address("fd00::1"),
                mtu=1400, oif=3, scope=253),
    KernelRoute(dst=ip_network("10.2.0.0/24"), gateway=ip_address("fe80::1"), oif=2),  # RTA_VIA
    KernelRoute(dst=ip_network("10.4.0.0/24"), nexthops=(NextHop(oif=2, gateway=ip_address("10.0.0.2"), weight=3),
                                                         NextHop(oif=3, flags=RTNH_F_ONLINK))),
]
BUILDERS = {
    ADD: lambda route: build_route_add(route),
    REPLACE_OP: lambda route: build_route_add(route, replace=True),
    DELETE: build_route_del,
}


def pyroute2_bytes(route: KernelRoute, op: Op, seq: int) -> bytes:
    """What pyroute2 sends for the reference message of the same request."""
    request = BUILDERS[op](route)
    msg = to_nlmsg(request)
    msg["header"].update({"type": request.type, "flags": request.flags, "sequence_number": seq, "pid": 0})
    msg.encode()
    return bytes(msg.data)


ADDRESSES = [
    AddressChange("address add", 2, ip_interface("10.2.3.1/24")),
    AddressChange("address add", 3, ip_interface("10.2.3.1/31"), flags=0x80, scope=253, priority=1024),
    AddressChange("address add", 3, ip_interface("192.0.2.9/32"), flags=0x300, protocol=0),
    AddressChange("address add", 4, ip_interface("fd00::1/64"), flags=0x280, priority=7),
    AddressChange("address del", 2, ip_interface("10.2.3.1/24"), flags=0x80, scope=253, priority=5),
    AddressChange("address del", 4, ip_interface("fd00::1/64")),
]


@pytest.mark.parametrize("change", ADDRESSES, ids=lambda c: f"{c.op}-{c.prefix}")
def test_address_changes_are_the_bytes_pyroute2_makes_of_the_builders(change: AddressChange) -> None:
    if change.op == "address add":
        request = build_address_add(change.index, change.prefix, flags=change.flags, scope=change.scope,
                                    priority=change.priority, protocol=change.protocol)
    else:
        request = build_address_del(change.index, change.prefix)
    msg = to_nlmsg(request)
    msg["header"].update({"type": request.type, "flags": request.flags, "sequence_number": 77, "pid": 0})
    msg.encode()
    assert encode_address(change, 77) == bytes(msg.data)


@pytest.mark.parametrize("op", [ADD, REPLACE_OP, DELETE])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: str(r.dst))
def test_same_bytes_as_pyroute2_encoding_the_builders(route: KernelRoute, op: Op) -> None:
    assert encode_route(route, op, 41) == pyroute2_bytes(route, op, 41)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: str(r.dst))
def test_decode_what_was_encoded(route: KernelRoute) -> None:
    assert decode_route(memoryview(encode_route(route, ADD, 1))) == route


def test_decode_filters_the_protocol_and_the_delete_carries_only_the_key() -> None:
    route = ROUTES[0]
    assert decode_route(memoryview(encode_route(route, ADD, 1)), protocol=186) is None
    deleted = decode_route(memoryview(encode_route(route, DELETE, 1)))
    assert deleted == KernelRoute(dst=route.dst, priority=route.priority, scope=255, protocol=RTPROT_NETWORKD)


@pytest.mark.parametrize("op", [ADD, REPLACE_OP])
@pytest.mark.parametrize("route_type", [RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT, RTN_THROW])
def test_routes_without_nexthop_refuse_oif_gateway_and_nexthops(route_type: int, op: Op) -> None:
    dst = ip_network("10.0.0.0/8")
    for route in (KernelRoute(dst=dst, type=route_type, oif=2),
                  KernelRoute(dst=dst, type=route_type, gateway=ip_address("10.0.0.1")),
                  KernelRoute(dst=dst, type=route_type, nexthops=(NextHop(oif=2),))):
        with pytest.raises(ValueError, match=f"route 10.0.0.0/8 of type {route_type} cannot have a gateway"):
            encode_route(route, op, 1)
    assert encode_route(KernelRoute(dst=dst, type=route_type, oif=2), DELETE, 1)  # a delete names the key only


def test_bad_nexthops_are_refused() -> None:
    dst = ip_network("10.0.0.0/8")
    with pytest.raises(ValueError, match="either nexthops or gateway"):
        encode_route(KernelRoute(dst=dst, oif=2, nexthops=(NextHop(oif=2),)), ADD, 1)
    with pytest.raises(ValueError, match="either nexthops or gateway"):
        encode_route(KernelRoute(dst=dst, gateway=ip_address("10.0.0.1"), nexthops=(NextHop(oif=2),)), ADD, 1)
    for weight in (0, 257):
        with pytest.raises(ValueError, match=f"nexthop weight {weight} not in 1-256"):
            encode_route(KernelRoute(dst=dst, nexthops=(NextHop(oif=2, weight=weight),)), ADD, 1)


v4 = st.builds(lambda a, n: IPv4Network((a, n), strict=False), st.integers(0, 2**32 - 1), st.integers(0, 32))
v6 = st.builds(lambda a, n: IPv6Network((a, n), strict=False), st.integers(0, 2**128 - 1), st.integers(0, 128))
routes = st.one_of(v4, v6).flatmap(lambda dst: st.builds(
    KernelRoute,
    dst=st.just(dst),
    table=st.integers(1, 2**32 - 1),
    gateway=st.none() | st.just(dst.network_address),
    oif=st.integers(0, 2**31 - 1),
    priority=st.integers(0, 2**32 - 1),
    pref_src=st.none() | st.just(dst.broadcast_address),
    scope=st.sampled_from([0, 200, 253, 254]),
    protocol=st.integers(0, 255),
    flags=st.sampled_from([0, RTNH_F_ONLINK]),
    tos=st.integers(0, 255),
    mtu=st.integers(0, 2**32 - 1),
))


@given(routes, st.sampled_from([ADD, REPLACE_OP, DELETE]), st.integers(0, 2**32 - 1))
def test_any_route_encodes_as_pyroute2_does_and_decodes_back(route: KernelRoute, op: Op, seq: int) -> None:
    data = encode_route(route, op, seq)
    assert data == pyroute2_bytes(route, op, seq)
    if op != DELETE:
        assert decode_route(memoryview(data)) == route


def error_message(code: int, seq: int, text: str = "", capped: bool = True) -> bytes:
    inner = struct.pack("=IHHII", 28, 24, 0x605, seq, 0) + (b"" if capped else bytes(12))
    if capped:
        inner = inner[:16]
    flags = (NLM_F_CAPPED if capped else 0) | (NLM_F_ACK_TLVS if text else 0)
    tlv = b""
    if text:
        raw = text.encode() + b"\0"
        tlv = struct.pack("=HH", 4 + len(raw), 1) + raw + b"\0" * (-len(raw) & 3)
    body = struct.pack("=i", -code) + inner + tlv
    return struct.pack("=IHHII", 16 + len(body), NLMSG_ERROR, flags, seq, 99) + body


def test_acks_are_read_with_their_errors_and_extended_messages() -> None:
    datagram = error_message(0, 5) + error_message(errno.EEXIST, 6, "File exists") + \
        error_message(errno.ENETUNREACH, 7, "Nexthop has invalid gateway", capped=False)
    found = [(seq, ack_error(message)) for msg_type, _, seq, message in split_messages(memoryview(datagram))
             if msg_type == NLMSG_ERROR]
    assert found == [(5, (0, "")), (6, (errno.EEXIST, "File exists")),
                     (7, (errno.ENETUNREACH, "Nexthop has invalid gateway"))]
    assert list(split_messages(memoryview(datagram[:-4])))[-1][2] == 6  # a truncated last message is dropped


@given(st.sampled_from(ROUTES), st.sampled_from([ADD, REPLACE_OP, DELETE]), st.integers(0, 2**32 - 1))
def test_without_ack_only_the_ack_flag_differs(route: KernelRoute, op: Op, seq: int) -> None:
    for acked, unacked in ((encode_route(route, op, seq), encode_route(route, op, seq, ack=False)),
                           *((encode_address(change, seq), encode_address(change, seq, ack=False))
                             for change in ADDRESSES)):
        (flags,) = struct.unpack_from("=H", acked, 6)
        assert flags & NLM_F_ACK
        assert struct.unpack_from("=H", unacked, 6) == (flags & ~NLM_F_ACK,)
        assert unacked[:6] == acked[:6] and unacked[8:] == acked[8:]


def test_a_batch_asks_an_ack_of_its_last_request_only_and_maps_each_error_to_its_request() -> None:
    """A fake kernel on a socket pair answers as rtnetlink does: errors always, an ACK only when asked for."""
    ours, kernel = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    routes = [KernelRoute(dst=ip_network(f"10.{9 + i // 256}.{i % 256}.0/24"), oif=2) for i in range(BATCH + 3)]
    failing = {1: errno.ENETUNREACH, BATCH - 1: errno.EEXIST, BATCH + 2: errno.ESRCH}  # a batch's last too
    asked: list[list[bool]] = []

    def answer() -> None:
        for _ in range(2):  # two sendmsgs: BATCH requests, then 3
            data = kernel.recv(1 << 20)
            messages = list(split_messages(memoryview(data)))
            asked.append([bool(flags & NLM_F_ACK) for _, flags, _, _ in messages])
            for _, flags, seq, _ in messages:
                index = seq - 1
                if index in failing or flags & NLM_F_ACK:
                    kernel.send(error_message(failing.get(index, 0), seq))

    async def main() -> list[Any]:
        ours.setblocking(False)
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, answer)
            results = await RouteSocket(ours).apply([(ADD, route) for route in routes])
        return results

    try:
        results = anyio.run(main)
    finally:
        ours.close()
        kernel.close()
    assert asked == [[False] * (BATCH - 1) + [True], [False, False, True]]
    assert {i: r.errno for i, r in enumerate(results) if r is not None} == failing
    assert "10.9.1.0/24" in str(results[1])


def test_dump_request_names_family_and_protocol_only() -> None:
    data = encode_dump(10, RTPROT_NETWORKD, 3)
    length, msg_type, flags, seq, _ = struct.unpack_from("=IHHII", data)
    assert (length, msg_type, flags, seq) == (len(data), RTM_GETROUTE, 0x301, 3)
    assert struct.unpack_from("=BBBBBBBBI", data, 16) == (10, 0, 0, 0, 0, RTPROT_NETWORKD, 0, 0, 0)


# the kernel


def probe(node: Node, ops: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    out = node.check([sys.executable, str(PROBE), json.dumps(ops)], uts_mount=False, timeout=60).stdout
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.fixture
def node(lab: Lab) -> Node:
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1", a_addrs=["10.0.0.1/24"], b_addrs=["10.0.0.2/24"])
    return node


def test_one_result_per_request_across_batches_and_a_dump_of_ours_only(node: Node) -> None:
    node.check(["ip", "route", "add", "10.77.0.0/24", "dev", "v0", "proto", "bgp"], uts_mount=False)
    count = 2 * BATCH + 10
    adds = [("route add", {"dst": f"10.{100 + i // 256}.{i % 256}.0/24", "oif": 2, "scope": 253, "table": 100})
            for i in range(count)]
    bad = [("route add", {"dst": "10.77.0.0/24", "oif": 2, "scope": 253}),  # the bgp route holds the key
           ("route add", {"dst": "10.5.0.0/24", "gateway": "192.0.2.1", "oif": 2}),  # unreachable gateway
           ("route del", {"dst": "10.6.0.0/24"}),  # not there
           ("route del", {"dst": "10.77.0.0/24", "scope": 253})]  # the bgp one: not ours, not deleted
    out = probe(node, [*adds[:BATCH - 1], *bad, *adds[BATCH - 1:]])
    results = out["results"]
    assert len(results) == count + len(bad)
    assert [r["errno"] if r else 0 for r in results[BATCH - 1 : BATCH + 3]] == [
        errno.EEXIST, errno.ENETUNREACH, errno.ESRCH, errno.ESRCH]
    assert "10.5.0.0/24 via 192.0.2.1" in results[BATCH]["message"]
    assert all(r is None for r in results[: BATCH - 1] + results[BATCH + 3 :])
    shown = node.ip_json("route", "show", "table", "100")
    assert len(shown) == count and all(r["protocol"] == str(RTPROT_NETWORKD) for r in shown)
    assert node.ip_json("route", "show", "10.77.0.0/24")[0]["protocol"] == "bgp"
    ours = out["ours"]
    assert len(ours) == count and {r["protocol"] for r in ours} == {RTPROT_NETWORKD}
    assert sorted(r["dst"] for r in ours) == sorted(route["dst"] for _, route in adds)

    out = probe(node, [("route del", {"dst": route["dst"], "table": 100}) for _, route in adds])
    assert out["results"] == [None] * count and out["ours"] == []
    assert node.ip_json("route", "show", "table", "100") == []
