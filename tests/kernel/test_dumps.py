"""The hand-written dump decoders against pyroute2's decoding and `ip -j`, on real namespace dumps.

tests/kernel/dump_probe.py runs inside the node: `Netlink.addresses()` / `routes()` (networkd.kernel.dumps and
batch.decode_route on a raw socket) and the same dumps through pyroute2 and codec, which must agree record for
record; `ip -j` then checks which objects were seen.
"""

from __future__ import annotations

import json
import sys
from ipaddress import ip_interface, ip_network
from pathlib import Path
from typing import Any

import pytest
from nslab import Lab, Node

PROBE = Path(__file__).with_name("dump_probe.py")
TABLES = {"main": 254, "local": 255, "default": 253}
MANY = 3000  # routes of a table of their own: the dump spans dozens of datagrams


def ip(node: Node, *args: str) -> None:
    node.check(["ip", *args], uts_mount=False)


def dumped(node: Node) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(node.check([sys.executable, str(PROBE)], uts_mount=False, timeout=120).stdout)
    return result


def ip_routes(node: Node) -> set[tuple[str, int]]:
    """(dst, table) of every route `ip -j` shows in every table, both families."""
    found = set()
    for family, any_dst in (("-4", "0.0.0.0/0"), ("-6", "::/0")):
        for route in node.ip_json(family, "route", "show", "table", "all"):
            dst = any_dst if route["dst"] == "default" else route["dst"]
            table = route.get("table", "main")
            found.add((str(ip_network(dst, strict=False)), TABLES.get(table) or int(table)))
    return found


@pytest.fixture
def node(lab: Lab) -> Node:
    node = lab.add_node("k")
    peer = lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"], b_addrs=["10.0.0.2/24", "fd00::2/64"])
    return node


def test_addresses_and_routes_decode_as_pyroute2_and_match_ip(node: Node) -> None:
    for args in (
        ["10.9.0.5/24", "brd", "+", "dev", "v0", "metric", "50"],
        ["10.9.1.5/32", "dev", "v0", "label", "v0:one"],
        ["10.9.2.1", "peer", "10.9.2.2/32", "dev", "v0"],
        ["10.9.3.1/24", "dev", "v0", "valid_lft", "300", "preferred_lft", "100", "noprefixroute"],
        ["fd00:9::5/64", "dev", "v0", "nodad", "valid_lft", "600", "preferred_lft", "0"],
    ):
        ip(node, "addr", "add", *args)
    v0 = node.ip_json("link", "show", "v0")[0]["ifindex"]  # IFA_PROTO 78 (iproute2 6.1 cannot set it)
    add = [["address_add", {"index": v0, "prefix": "fd00:a::5/128"}]]
    node.check([sys.executable, str(PROBE.with_name("nlprobe.py")), json.dumps(add)], uts_mount=False)
    for args in (
        ["10.1.0.0/16", "via", "10.0.0.2", "metric", "100", "proto", "78"],
        ["10.2.0.0/16", "via", "192.0.2.1", "dev", "v0", "onlink"],
        ["blackhole", "10.3.0.0/16"],
        ["unreachable", "10.4.0.0/16", "proto", "static"],
        ["10.6.0.0/16", "via", "10.0.0.2", "table", "100", "src", "10.0.0.1", "mtu", "1400"],
        ["10.7.0.0/16", "nexthop", "via", "10.0.0.2", "weight", "3", "nexthop", "via", "10.0.0.3"],
        ["10.8.0.0/16", "via", "inet6", "fd00::2"],
        ["2001:db8:1::/48", "via", "fd00::2", "metric", "512", "proto", "bgp"],
        ["default", "via", "10.0.0.2", "table", "70000"],
    ):
        ip(node, "route", "add", *args)
    batch = "".join(f"route add 100.64.{i // 256}.{i % 256}/32 via 10.0.0.2 table 300 proto 78\n" for i in range(MANY))
    node.check(["ip", "-batch", "-"], uts_mount=False, input=batch)

    out = dumped(node)
    assert out["ours"]["addresses"] == out["pyroute2"]["addresses"]
    assert out["ours"]["routes"] == out["pyroute2"]["routes"]

    addresses = {(a["link_name"], a["prefix"]): a for a in out["ours"]["addresses"]}
    shown = {(link["ifname"], f"{a['local']}/{a['prefixlen']}"): a
             for link in node.ip_json("addr", "show") for a in link["addr_info"]}
    assert set(addresses) == {(name, str(ip_interface(prefix))) for name, prefix in shown}
    assert addresses[("v0", "10.9.0.5/24")]["priority"] == 50
    assert addresses[("v0", "10.9.0.5/24")]["broadcast"] == "10.9.0.255"
    assert addresses[("v0", "10.9.2.1/32")]["local"] == "10.9.2.1"
    lifetimes = addresses[("v0", "10.9.3.1/24")]
    assert 0 < lifetimes["preferred_lft"] <= 100 < lifetimes["valid_lft"] <= 300
    assert lifetimes["flags"] & 0x200  # IFA_F_NOPREFIXROUTE, beyond the header's 8 bits
    assert addresses[("v0", "fd00:9::5/64")]["preferred_lft"] == 0
    assert addresses[("v0", "fd00:a::5/128")]["protocol"] == 78

    routes = out["ours"]["routes"]
    assert {(r["dst"], r["table"]) for r in routes} == ip_routes(node)
    assert sum(1 for r in routes if r["table"] == 300) == MANY
    by_dst = {(r["dst"], r["table"]): r for r in routes}
    assert [(h["gateway"], h["weight"], h["oif_name"]) for h in by_dst[("10.7.0.0/16", 254)]["nexthops"]] == [
        ("10.0.0.2", 3, "v0"), ("10.0.0.3", 1, "v0")]
    assert by_dst[("10.8.0.0/16", 254)]["gateway"] == "fd00::2"
    assert (by_dst[("10.6.0.0/16", 100)]["mtu"], by_dst[("10.6.0.0/16", 100)]["pref_src"]) == (1400, "10.0.0.1")
    assert by_dst[("0.0.0.0/0", 70000)]["oif_name"] == "v0"
    assert by_dst[("2001:db8:1::/48", 254)]["protocol"] == 186  # bgp


def test_unchanged_routes_are_not_decoded_again_and_changes_are_seen(node: Node) -> None:
    ip(node, "route", "add", "10.1.0.0/16", "via", "10.0.0.2", "proto", "78")
    batch = "".join(f"route add 100.64.{i // 256}.{i % 256}/32 via 10.0.0.2\n" for i in range(MANY))
    node.check(["ip", "-batch", "-"], uts_mount=False, input=batch)
    out = node.check([sys.executable, str(PROBE), "memo"], uts_mount=False, timeout=120).stdout
    replaced, renamed = json.loads(out)

    assert replaced["as_pyroute2"] and renamed["as_pyroute2"]
    # `ip route replace` of one route: only that one is a new record, with the new gateway
    assert replaced["same_objects"] == replaced["routes"] - 1
    assert [(r["dst"], r["gateway"]) for r in replaced["changed"]] == [("10.1.0.0/16", "10.0.0.3")]
    # a link renamed: every record is decoded again, with the new name
    assert renamed["same_objects"] == 0
    shown = {r["dst"]: r for r in node.ip_json("route", "show", "10.1.0.0/16")}
    (mine,) = [r for r in renamed["changed"] if r["dst"] == "10.1.0.0/16"]
    assert (mine["oif_name"], mine["gateway"]) == (shown["10.1.0.0/16"]["dev"], shown["10.1.0.0/16"]["gateway"]) == (
        "v9", "10.0.0.3")
