"""The hand-written dump decoders against pyroute2's decoding and `ip -j`, on real namespace dumps.

tests/kernel/dump_probe.py runs inside the node: `Netlink.links()` / `addresses()` / `routes()`
(networkd.kernel.dumps and batch.decode_route on a raw socket) and the same dumps through pyroute2 and codec,
which must agree record for record; `ip -j` then checks which objects were seen. Link kinds this kernel lacks
(vlan, bond) are decoded from the bytes pyroute2 encodes for them.
"""

from __future__ import annotations

import json
import sys
from ipaddress import IPv4Address, IPv6Address, ip_interface, ip_network
from pathlib import Path
from typing import Any

import pytest
from nslab import Lab, Node, wait_for

from networkd.kernel.codec import link_from_msg, to_nlmsg
from networkd.kernel.dumps import decode_link
from networkd.kernel.messages import RTM_NEWLINK, Nest, Request, build_link_add
from networkd.kernel.types import BOND_MODE_8023AD, BOND_MODE_ACTIVEBACKUP, ETH_P_8021AD, BondOptions

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


def encoded(request: Request, index: int) -> bytes:
    """`request` as pyroute2 encodes it, with the link index a dump would carry."""
    msg = to_nlmsg(request)
    msg["index"] = index
    msg["header"]["type"] = RTM_NEWLINK
    msg.encode()
    return bytes(msg.data)


def pyroute2_link(data: bytes) -> Any:
    msg = type(to_nlmsg(Request(RTM_NEWLINK, 0, Nest(()), "", "")))(data)
    msg.decode()
    return link_from_msg(msg)


@pytest.mark.parametrize("request_", [
    build_link_add("vl0", "vlan", parent=3, vlan_id=42, vlan_protocol=ETH_P_8021AD),
    build_link_add("bond0", "bond", bond=BondOptions(
        mode=BOND_MODE_ACTIVEBACKUP, miimon=100, use_carrier=True, primary=4, missed_max=2, arp_interval=100,
        arp_ip_targets=(IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2")),
        ns_ip6_targets=(IPv6Address("2001:db8::1"),))),
    build_link_add("bond1", "bond", bond=BondOptions(
        mode=BOND_MODE_8023AD, xmit_hash_policy=1, lacp_rate=1, ad_select=2, ad_actor_sys_prio=65535,
        ad_user_port_key=7, ad_lacp_active=1, updelay=200, resend_igmp=1, use_carrier=False)),
    build_link_add("mv0", "macvlan", parent=3, macvlan_mode=8),
    build_link_add("br0", "bridge", stp=True, vlan_filtering=True),
], ids=["vlan", "bond-activebackup", "bond-8023ad", "macvlan", "bridge"])
def test_kinds_this_kernel_may_lack_decode_as_pyroute2(request_: Request) -> None:
    data = encoded(request_, 9)
    ours = decode_link(memoryview(data))
    assert ours == pyroute2_link(data)
    assert (ours.index, ours.kind) == (9, request_.attr("IFLA_LINKINFO", "IFLA_INFO_KIND"))
    assert any(value is not None for value in (ours.vlan, ours.bond, ours.bridge, ours.macvlan_mode))


@pytest.fixture
def node(lab: Lab) -> Node:
    node = lab.add_node("k")
    peer = lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"], b_addrs=["10.0.0.2/24", "fd00::2/64"])
    # the kernel adds v0's link-local address, and each IPv6 address's local route once its DAD is over, on its
    # own time: wait for that, so that a dump and a later `ip route` see the same routes
    wait_for(lambda: (a := node.ip_json("-6", "addr", "show", "dev", "v0")[0]["addr_info"])
             and any(i["scope"] == "link" for i in a) and not any(i.get("tentative") for i in a),
             timeout=10, what="v0's IPv6 addresses past DAD")
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
    add = [["address add", {"index": v0, "prefix": "fd00:a::5/128"}]]
    out = node.check([sys.executable, str(PROBE.with_name("batch_probe.py")), json.dumps(add)], uts_mount=False)
    assert json.loads(out.stdout)["results"] == [None]
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


def test_links_decode_as_pyroute2_and_match_ip(node: Node) -> None:
    ip(node, "link", "add", "br0", "type", "bridge", "stp_state", "1")  # no vlan filtering in this kernel
    ip(node, "link", "add", "mv0", "link", "v0", "type", "macvlan", "mode", "bridge")
    ip(node, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    ip(node, "link", "set", "va", "master", "br0", "alias", "to the bridge", "mtu", "1400")
    ip(node, "link", "property", "add", "dev", "va", "altname", "bridge-port-a")
    ip(node, "link", "set", "br0", "up")

    out = dumped(node)
    assert out["ours"]["links"] == out["pyroute2"]["links"]
    links = {link["name"]: link for link in out["ours"]["links"]}
    shown = {link["ifname"]: link for link in node.ip_json("-d", "link", "show")}
    assert set(links) == set(shown)
    for name, link in links.items():
        assert (link["index"], link["mtu"]) == (shown[name]["ifindex"], shown[name]["mtu"])
        assert bool(link["flags"] & 1) == ("UP" in shown[name]["flags"])  # IFF_UP
        assert link["hw_addr"] == shown[name].get("address", "")
        assert link["operstate"] == shown[name]["operstate"]
        assert link["kind"] == shown[name].get("linkinfo", {}).get("info_kind", "")
    assert links["br0"]["bridge"] == {"stp": True, "vlan_filtering": False}
    assert (links["mv0"]["macvlan_mode"], links["mv0"]["link_index"]) == (4, links["v0"]["index"])
    assert (links["va"]["master_index"], links["va"]["slave_kind"]) == (links["br0"]["index"], "bridge")
    assert (links["va"]["alias"], links["va"]["altnames"], links["va"]["mtu"]) == (
        "to the bridge", ["bridge-port-a"], 1400)
    assert links["va"]["link_index"] == links["vb"]["index"]
    assert links["v0"]["link_netnsid"] is not None  # its peer is in the other node


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
