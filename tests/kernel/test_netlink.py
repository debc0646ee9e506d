"""networkd.kernel against the real kernel, in lab namespaces, every result checked with `ip -j`.

Netlink runs inside the node (tests/kernel/nlprobe.py via `ip netns exec`), never in the host
namespace; addresses and routes are sent there on the batch socket (tests/kernel/batch_probe.py), as the
appliers send them. Link kinds this kernel may lack (vlan, bond, dummy, wireguard, bridge vlan filtering)
are tried with `ip` first and skipped with the reason when the kernel refuses them.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nslab import CommandError, Lab, Node

from networkd.kernel.types import RTPROT_NETWORKD

PROBE = Path(__file__).with_name("nlprobe.py")
BATCH_PROBE = Path(__file__).with_name("batch_probe.py")
PROTO = str(RTPROT_NETWORKD)


def probe(node: Node, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Run Netlink calls inside `node`; one result per call ({"ok": ...} or {"error": ...})."""
    out = node.check([sys.executable, str(PROBE), json.dumps(calls)], uts_mount=False, timeout=120).stdout
    results: list[dict[str, Any]] = json.loads(out)
    return results


def batch_results(node: Node, *ops: tuple[str, dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Send address and route ops on the batch socket inside `node` (tests/kernel/batch_probe.py); one result
    per op: None, or the refusal's {"errno", "message"}."""
    out = node.check([sys.executable, str(BATCH_PROBE), json.dumps(ops)], uts_mount=False, timeout=120).stdout
    results: list[dict[str, Any] | None] = json.loads(out)["results"]
    return results


def batch(node: Node, *ops: tuple[str, dict[str, Any]]) -> list[int]:
    """The errno of each op sent with `batch_results` (0 for success)."""
    return [result["errno"] if result else 0 for result in batch_results(node, *ops)]


def ok(results: list[dict[str, Any]]) -> list[Any]:
    """The values of results that must all have succeeded."""
    for result in results:
        assert "error" not in result, result
    return [result["ok"] for result in results]


def ip(node: Node, *args: str) -> None:
    node.check(["ip", *args], uts_mount=False)


def index_of(node: Node, name: str) -> int:
    index: int = node.ip_json("link", "show", name)[0]["ifindex"]
    return index


def ip_links(node: Node) -> dict[str, Any]:
    return {link["ifname"]: link for link in node.ip_json("-d", "link", "show")}


def kernel_refuses(node: Node, *args: str) -> str | None:
    """Why `ip link add <args>` fails in `node` (None if it works; the link is removed again)."""
    try:
        ip(node, "link", "add", *args)
    except CommandError as e:
        return ((e.stderr or "").strip().splitlines() or [str(e)])[-1]
    ip(node, "link", "del", args[0])
    return None


@pytest.fixture
def node(lab: Lab) -> Node:
    return lab.add_node("k")


@pytest.fixture
def wired(lab: Lab, node: Node) -> Node:
    """`node` with veth v0 up, 10.0.0.1/24 and fd00::1/64 on it (its peer v1 up in node "peer")."""
    peer = lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"], b_addrs=["10.0.0.2/24", "fd00::2/64"])
    return node


# links


def test_bridge_create_is_idempotent_and_matches_ip(node: Node) -> None:
    created, again, links = ok(
        probe(
            node,
            ("link_add", {"name": "br0", "kind": "bridge", "stp": True}),
            ("link_add", {"name": "br0", "kind": "bridge"}),
            ("links", {}),
        )
    )
    assert (created, again) == (True, False)
    shown = ip_links(node)["br0"]
    assert shown["linkinfo"]["info_kind"] == "bridge"
    assert shown["linkinfo"]["info_data"]["stp_state"] == 1
    (mine,) = [link for link in links if link["name"] == "br0"]
    assert mine["index"] == shown["ifindex"]
    assert mine["kind"] == "bridge"
    assert mine["bridge"] == {"stp": True, "vlan_filtering": False}
    assert (mine["hw_addr"], mine["mtu"], mine["operstate"]) == (shown["address"], shown["mtu"], shown["operstate"])

    deleted, gone = ok(
        probe(node, ("link_del", {"index": shown["ifindex"]}), ("link_del", {"index": shown["ifindex"]}))
    )
    assert (deleted, gone) == (True, False)
    assert "br0" not in ip_links(node)


def test_bridge_vlan_filtering(node: Node) -> None:
    reason = kernel_refuses(node, "brvf", "type", "bridge", "vlan_filtering", "1")
    if reason:
        (result,) = probe(node, ("link_add", {"name": "br0", "kind": "bridge", "vlan_filtering": True}))
        assert result["error"]["errno"] == errno.EOPNOTSUPP, result
        ip(node, "link", "add", "br1", "type", "bridge")
        (result,) = probe(node, ("link_change", {"index": index_of(node, "br1"), "kind": "bridge",
                                                 "vlan_filtering": True}))
        assert result["error"]["errno"] == errno.EOPNOTSUPP, result
        print(f"SKIP reason: bridge vlan_filtering: ip says {reason!r}")
        pytest.skip(f"this kernel has no bridge vlan filtering (ip: {reason}); Netlink reports EOPNOTSUPP")
    ok(probe(node, ("link_add", {"name": "br0", "kind": "bridge", "vlan_filtering": True})))
    assert ip_links(node)["br0"]["linkinfo"]["info_data"]["vlan_filtering"] == 1


def test_veth_pair_and_peer(node: Node) -> None:
    ok(probe(node, ("link_add", {"name": "va", "kind": "veth", "peer": "vb"})))
    shown = ip_links(node)
    assert shown["va"]["linkinfo"]["info_kind"] == shown["vb"]["linkinfo"]["info_kind"] == "veth"
    assert shown["va"]["link"] == "vb"
    links = {link["name"]: link for link in ok(probe(node, ("links", {})))[0]}
    assert links["va"]["link_index"] == shown["vb"]["ifindex"]
    assert links["vb"]["link_index"] == shown["va"]["ifindex"]
    ok(probe(node, ("link_del", {"index": shown["va"]["ifindex"]})))
    assert not {"va", "vb"} & set(ip_links(node)), "deleting one end removes the pair"


def test_macvlan_on_a_parent(node: Node) -> None:
    ip(node, "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    parent = index_of(node, "p0")
    ok(probe(node, ("link_add", {"name": "mv0", "kind": "macvlan", "parent": parent, "macvlan_mode": 4})))
    shown = ip_links(node)["mv0"]
    assert shown["link"] == "p0"
    assert (shown["linkinfo"]["info_kind"], shown["linkinfo"]["info_data"]["mode"]) == ("macvlan", "bridge")
    (links,) = ok(probe(node, ("links", {})))
    (mine,) = [link for link in links if link["name"] == "mv0"]
    assert (mine["link_index"], mine["macvlan_mode"]) == (parent, 4)


def test_link_set_up_mtu_mac_master_alias(node: Node) -> None:
    ip(node, "link", "add", "br0", "type", "bridge")
    ip(node, "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    br, p0 = index_of(node, "br0"), index_of(node, "p0")
    mac = "02:00:5e:10:20:30"
    ok(
        probe(
            node, ("link_set", {"index": p0, "up": True, "mtu": 1400, "address": mac, "master": br, "alias": "uplink"})
        )
    )
    shown = ip_links(node)["p0"]
    assert "UP" in shown["flags"]
    assert (shown["mtu"], shown["address"], shown["master"], shown["ifalias"]) == (1400, mac, "br0", "uplink")
    (links,) = ok(probe(node, ("links", {})))
    (mine,) = [link for link in links if link["name"] == "p0"]
    assert (mine["flags"] & 1, mine["mtu"], mine["hw_addr"], mine["master_index"], mine["alias"]) == (
        1,
        1400,
        mac,
        br,
        "uplink",
    )
    assert mine["slave_kind"] == "bridge"

    ok(probe(node, ("link_set", {"index": p0, "up": False, "master": 0, "alias": ""})))
    shown = ip_links(node)["p0"]
    assert "UP" not in shown["flags"]
    assert "master" not in shown
    assert not shown.get("ifalias")
    assert shown["mtu"] == 1400, "fields not given are left alone"

    (result,) = probe(node, ("link_set", {"index": 9999, "mtu": 1300}))
    assert result["error"]["errno"] == errno.ENODEV
    assert "index 9999" in result["error"]["message"]


def test_bridge_settings_and_multicast_change_in_place(node: Node) -> None:
    ip(node, "link", "add", "br0", "type", "bridge")
    ip(node, "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    ip(node, "link", "set", "p0", "master", "br0")
    ip(node, "address", "add", "10.9.0.1/24", "dev", "br0")
    br = index_of(node, "br0")
    ok(probe(node, ("link_change", {"index": br, "kind": "bridge", "stp": True}),
             ("link_set", {"index": br, "multicast": False})))
    shown = ip_links(node)
    assert (shown["br0"]["ifindex"], shown["br0"]["linkinfo"]["info_data"]["stp_state"]) == (br, 1)
    assert "MULTICAST" not in shown["br0"]["flags"]
    assert shown["p0"]["master"] == "br0"
    assert [a["local"] for a in node.ip_json("addr", "show", "br0")[0]["addr_info"]] == ["10.9.0.1"]
    (links,) = ok(probe(node, ("links", {})))
    (mine,) = [link for link in links if link["name"] == "br0"]
    assert mine["bridge"] == {"stp": True, "vlan_filtering": False} and not mine["flags"] & 0x1000

    ok(probe(node, ("link_change", {"index": br, "kind": "bridge", "stp": False}),
             ("link_set", {"index": br, "multicast": True})))
    shown = ip_links(node)
    assert shown["br0"]["linkinfo"]["info_data"]["stp_state"] == 0 and "MULTICAST" in shown["br0"]["flags"]
    (result,) = probe(node, ("link_change", {"index": 9999, "kind": "bridge", "stp": True}))
    assert result["error"]["errno"] == errno.ENODEV and "link change index 9999 (bridge)" in result["error"]["message"]


VLAN_ARGS: dict[str, Any] = {"vlan_id": 100, "vlan_protocol": 0x88A8}
BOND_ARGS: dict[str, Any] = {"mode": 1, "miimon": 100, "updelay": 200, "downdelay": 200, "missed_max": 3}


@pytest.mark.parametrize(
    ("kind", "ip_args"),
    [
        ("vlan", ["link", "p0", "type", "vlan", "id", "100"]),
        ("bond", ["type", "bond", "mode", "active-backup"]),
        ("dummy", ["type", "dummy"]),
        ("wireguard", ["type", "wireguard"]),
    ],
)
def test_kinds_this_kernel_may_lack(node: Node, kind: str, ip_args: list[str]) -> None:
    ip(node, "link", "add", "p0", "type", "veth", "peer", "name", "p1")
    parent = index_of(node, "p0")
    args: dict[str, Any] = {"name": "x0", "kind": kind}
    if kind == "vlan":
        args.update(parent=parent, **VLAN_ARGS)
    elif kind == "bond":
        args["bond"] = BOND_ARGS
    reason = kernel_refuses(node, "probe0", *ip_args)
    if reason:
        (result,) = probe(node, ("link_add", args))
        assert result["error"]["errno"] == errno.EOPNOTSUPP, result
        assert f"link add x0 ({kind})" in result["error"]["message"]
        print(f"SKIP reason: {kind}: ip says {reason!r}; Netlink: {result['error']['message']}")
        pytest.skip(f"this kernel has no {kind} links (ip: {reason}); Netlink reports EOPNOTSUPP")

    assert ok(probe(node, ("link_add", args))) == [True]
    shown = ip_links(node)["x0"]
    assert shown["linkinfo"]["info_kind"] == kind
    (links,) = ok(probe(node, ("links", {})))
    (mine,) = [link for link in links if link["name"] == "x0"]
    if kind == "vlan":
        assert (shown["link"], shown["linkinfo"]["info_data"]["id"]) == ("p0", 100)
        assert shown["linkinfo"]["info_data"]["protocol"] == "802.1ad"
        assert mine["vlan"] == {"id": 100, "protocol": 0x88A8}
    elif kind == "bond":
        data = shown["linkinfo"]["info_data"]
        assert (data["mode"], data["miimon"], data["updelay"], data["arp_missed_max"]) == ("active-backup", 100, 200, 3)
        assert {k: mine["bond"][k] for k in BOND_ARGS} == BOND_ARGS
        ok(probe(node, ("link_change", {"index": shown["ifindex"], "kind": "bond", "bond": {"miimon": 300},
                                        "bond_mode": 1})))
        changed = ip_links(node)["x0"]
        assert (changed["ifindex"], changed["linkinfo"]["info_data"]["miimon"]) == (shown["ifindex"], 300)


# addresses


def addr_info(node: Node, ifname: str) -> dict[str, Any]:
    return {f"{a['local']}/{a['prefixlen']}": a for a in node.ip_json("addr", "show", ifname)[0]["addr_info"]}


def raw_protos(node: Node) -> dict[str, int]:
    """IFA_PROTO per address, read with a bare socket (iproute2 6.1 does not print it)."""
    out = node.check([sys.executable, str(PROBE), "raw-addr-protos"], uts_mount=False).stdout
    return {f"{a['address']}/{a['prefixlen']}": a["proto"] for a in json.loads(out)}


def assert_protocol(node: Node, shown: dict[str, Any], prefix: str) -> None:
    """The address carries our protocol: in `ip -j` where iproute2 shows it, else by the raw oracle."""
    if "protocol" in shown:
        assert shown["protocol"] in (PROTO, RTPROT_NETWORKD, hex(RTPROT_NETWORKD))
    assert raw_protos(node)[prefix] == RTPROT_NETWORKD


def test_ipv4_address_add_delete(wired: Node) -> None:
    node, v0 = wired, index_of(wired, "v0")
    add = ("address add", {"index": v0, "prefix": "10.9.0.5/24", "priority": 50})
    assert batch(node, add, add) == [0, errno.EEXIST]
    shown = addr_info(node, "v0")["10.9.0.5/24"]
    assert (shown["broadcast"], shown["metric"]) == ("10.9.0.255", 50)
    assert_protocol(node, shown, "10.9.0.5/24")
    routes = node.ip_json("route", "show", "10.9.0.0/24")
    assert [r["metric"] for r in routes] == [50], "the prefix route takes the address priority"

    assert batch(node, ("address add", {"index": v0, "prefix": "10.9.1.5/32"}),
                 ("address add", {"index": v0, "prefix": "10.9.2.0/31"})) == [0, 0]
    assert "broadcast" not in addr_info(node, "v0")["10.9.1.5/32"]
    assert "broadcast" not in addr_info(node, "v0")["10.9.2.0/31"]

    (addresses,) = ok(probe(node, ("addresses", {})))
    (mine,) = [a for a in addresses if a["prefix"] == "10.9.0.5/24"]
    assert (mine["index"], mine["link_name"], mine["broadcast"], mine["priority"], mine["protocol"]) == (
        v0,
        "v0",
        "10.9.0.255",
        50,
        RTPROT_NETWORKD,
    )

    delete = ("address del", {"index": v0, "prefix": "10.9.0.5/24"})
    assert batch(node, delete, delete) == [0, errno.EADDRNOTAVAIL]
    assert "10.9.0.5/24" not in addr_info(node, "v0")


def test_ipv6_address_flags_and_protocol(wired: Node) -> None:
    node, v0 = wired, index_of(wired, "v0")
    flags = 0x02 | 0x200  # nodad, noprefixroute
    assert batch(node, ("address add", {"index": v0, "prefix": "fd00:9::5/64", "flags": flags})) == [0]
    shown = addr_info(node, "v0")["fd00:9::5/64"]
    assert shown.get("nodad") and shown.get("noprefixroute")
    assert "tentative" not in shown
    assert_protocol(node, shown, "fd00:9::5/64")
    assert node.ip_json("-6", "route", "show", "fd00:9::/64") == []

    assert batch(node, ("address add", {"index": v0, "prefix": "fd00:9::6/64", "flags": 0x02, "priority": 300})) == [0]
    assert [r["metric"] for r in node.ip_json("-6", "route", "show", "fd00:9::/64")] == [300]
    assert batch(node, ("address del", {"index": v0, "prefix": "fd00:9::5/64"})) == [0]
    assert "fd00:9::5/64" not in addr_info(node, "v0")


# routes


def our_routes(node: Node, *args: str) -> dict[str, Any]:
    return {r["dst"]: r for r in node.ip_json(*args, "route", "show", "table", "all", "proto", PROTO)}


ROUTES: list[dict[str, Any]] = [
    {"dst": "10.1.0.0/16", "gateway": "10.0.0.2", "priority": 100},
    {"dst": "10.2.0.0/16", "gateway": "192.0.2.1", "flags": 4},  # on-link
    {"dst": "10.3.0.0/16", "type": 6},  # blackhole
    {"dst": "10.4.0.0/16", "type": 7},  # unreachable
    {"dst": "10.5.0.0/16", "type": 8},  # prohibit
    {"dst": "10.6.0.0/16", "gateway": "10.0.0.2", "table": 100, "pref_src": "10.0.0.1", "mtu": 1400},
    {"dst": "10.7.0.0/16", "nexthops": [{"gateway": "10.0.0.2", "weight": 3}, {"gateway": "10.0.0.3"}]},
    {"dst": "10.8.0.0/16", "gateway": "fd00::2"},  # IPv4 via an IPv6 gateway (RTA_VIA)
    {"dst": "2001:db8:1::/48", "gateway": "fd00::2", "priority": 512},
    {"dst": "0.0.0.0/0", "gateway": "10.0.0.2", "table": 200},
]


def with_oif(route: dict[str, Any], v0: int) -> dict[str, Any]:
    route = {**route, "oif": v0} if "gateway" in route else dict(route)
    if "nexthops" in route:
        route["nexthops"] = [{**hop, "oif": v0} for hop in route["nexthops"]]
    return route


def test_routes_of_every_kind_tagged_with_our_protocol(wired: Node) -> None:
    node, v0 = wired, index_of(wired, "v0")
    routes = [with_oif(route, v0) for route in ROUTES]
    assert batch(node, *[("route add", route) for route in routes]) == [0] * len(routes)

    shown4, shown6 = our_routes(node, "-4"), our_routes(node, "-6")
    assert (shown4["10.1.0.0/16"]["gateway"], shown4["10.1.0.0/16"]["dev"], shown4["10.1.0.0/16"]["metric"]) == (
        "10.0.0.2",
        "v0",
        100,
    )
    assert "onlink" in shown4["10.2.0.0/16"]["flags"]
    assert shown4["10.2.0.0/16"]["gateway"] == "192.0.2.1"
    for dst, kind in (("10.3.0.0/16", "blackhole"), ("10.4.0.0/16", "unreachable"), ("10.5.0.0/16", "prohibit")):
        assert shown4[dst]["type"] == kind
        assert "gateway" not in shown4[dst]
    in100 = shown4["10.6.0.0/16"]
    assert (in100["table"], in100["prefsrc"], in100["metrics"]) == ("100", "10.0.0.1", [{"mtu": 1400}])
    hops = shown4["10.7.0.0/16"]["nexthops"]
    assert [(h["gateway"], h["weight"], h["dev"]) for h in hops] == [("10.0.0.2", 3, "v0"), ("10.0.0.3", 1, "v0")]
    assert shown4["10.8.0.0/16"]["via"] == {"family": "inet6", "host": "fd00::2"}
    assert (shown4["default"]["table"], shown4["default"]["gateway"]) == ("200", "10.0.0.2")
    v6 = shown6["2001:db8:1::/48"]
    assert (v6["gateway"], v6["metric"], v6["dev"]) == ("fd00::2", 512, "v0")

    (dumped,) = ok(probe(node, ("routes", {})))
    mine = {r["dst"]: r for r in dumped if r["protocol"] == RTPROT_NETWORKD}
    assert set(mine) == {r["dst"] for r in ROUTES}
    assert mine["10.6.0.0/16"]["table"] == 100
    assert mine["10.6.0.0/16"]["mtu"] == 1400
    assert mine["10.2.0.0/16"]["flags"] & 4
    assert mine["10.8.0.0/16"]["gateway"] == "fd00::2"
    assert [(h["gateway"], h["weight"], h["oif_name"]) for h in mine["10.7.0.0/16"]["nexthops"]] == [
        ("10.0.0.2", 3, "v0"),
        ("10.0.0.3", 1, "v0"),
    ]
    (table100,) = ok(probe(node, ("routes", {"table": 100})))
    assert {r["table"] for r in table100} == {100}

    # kernel routes are reported but not ours: the filter above saw only what we added
    assert any(r["protocol"] == 2 for r in dumped)


def test_route_add_replace_and_delete(wired: Node) -> None:
    node, v0 = wired, index_of(wired, "v0")
    route = {"dst": "10.20.0.0/16", "gateway": "10.0.0.2", "oif": v0, "priority": 10}
    assert batch(node, ("route add", route), ("route add", route)) == [0, errno.EEXIST]
    assert batch(node, ("route replace", {**route, "gateway": "10.0.0.3"})) == [0]
    assert our_routes(node, "-4")["10.20.0.0/16"]["gateway"] == "10.0.0.3"
    # delete by key: the gateway does not have to match
    assert batch(node, ("route del", route), ("route del", route)) == [0, errno.ESRCH]
    assert "10.20.0.0/16" not in our_routes(node, "-4")
    (result,) = batch_results(node, ("route add", {"dst": "10.21.0.0/16", "gateway": "10.99.0.1", "oif": v0}))
    assert result is not None and result["errno"] == errno.ENETUNREACH
    assert "10.21.0.0/16 via 10.99.0.1" in result["message"]


def test_route_delete_leaves_foreign_protocols_alone(wired: Node) -> None:
    node = wired
    ip(node, "route", "add", "blackhole", "10.30.0.0/16", "proto", "static")
    assert batch(node, ("route del", {"dst": "10.30.0.0/16", "type": 6})) == [errno.ESRCH]
    assert node.ip_json("route", "show", "10.30.0.0/16")[0]["protocol"] == "static"


# rules


def test_rules_add_delete_and_match_ip(node: Node) -> None:
    rules = [
        {"family": 2, "priority": 100, "table": 100, "src": "10.0.0.0/8", "fwmark": 32},
        {"family": 2, "priority": 101, "action": 6, "table": 0, "iif": "lo", "dst": "192.0.2.0/24"},
        {"family": 10, "priority": 102, "table": 180, "oif": "lo", "fwmark": 64, "fwmask": 96},
    ]
    results = ok(probe(node, *[("rule_add", {"rule": r}) for r in rules], ("rule_add", {"rule": rules[0]})))
    assert results == [True, True, True, False]
    shown4 = {r["priority"]: r for r in node.ip_json("-4", "rule")}
    shown6 = {r["priority"]: r for r in node.ip_json("-6", "rule")}
    assert (shown4[100]["src"], shown4[100]["srclen"], shown4[100]["fwmark"], shown4[100]["table"]) == (
        "10.0.0.0",
        8,
        "0x20",
        "100",
    )
    assert shown4[100]["protocol"] == PROTO
    assert (shown4[101]["action"], shown4[101]["iif"], shown4[101]["dst"]) == ("blackhole", "lo", "192.0.2.0")
    assert (shown6[102]["oif"], shown6[102]["fwmark"], shown6[102]["fwmask"], shown6[102]["table"]) == (
        "lo",
        "0x40",
        "0x60",
        "180",
    )

    (dumped,) = ok(probe(node, ("rules", {})))
    mine = {r["priority"]: r for r in dumped if r["protocol"] == RTPROT_NETWORKD}
    assert set(mine) == {100, 101, 102}
    assert (mine[100]["fwmark"], mine[100]["fwmask"], mine[100]["src"]) == (32, 0xFFFFFFFF, "10.0.0.0/8")
    assert mine[102]["family"] == 10

    results = ok(probe(node, *[("rule_del", {"rule": r}) for r in rules], ("rule_del", {"rule": rules[0]})))
    assert results == [True, True, True, False]
    left = {r["priority"] for r in node.ip_json("rule")} | {r["priority"] for r in node.ip_json("-6", "rule")}
    assert not {100, 101, 102} & left


# monitor


class Watcher:
    """nlprobe.py watch running in a node: JSON lines appended to a file, read as they come."""

    def __init__(self, node: Node, *args: str) -> None:
        self.log = node.dir / f"watch-{time.monotonic_ns()}.jsonl"
        self.proc = node.run(
            [sys.executable, str(PROBE), "watch", *args],
            uts_mount=False,
            stdout=self.log,
            stderr=node.dir / "watch.err",
        )
        self.ready = self.wait(lambda line: True, 30.0, "the initial item")

    def lines(self) -> list[dict[str, Any]]:
        text = self.log.read_text() if self.log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.endswith("}")]

    def wait(self, match: Any, timeout: float, what: str, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines()[after:]:
                if match(line):
                    return line
            assert self.proc.poll() is None, f"watcher exited {self.proc.returncode}"
            time.sleep(0.005)
        raise AssertionError(f"no {what} within {timeout} s: {self.lines()[after:]}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def watcher_factory(node: Node) -> Iterator[Any]:
    made: list[Watcher] = []

    def make(*args: str) -> Watcher:
        made.append(Watcher(node, *args))
        return made[-1]

    yield make
    for watcher in made:
        watcher.stop()


def test_monitor_reports_ip_changes_within_a_second(node: Node, watcher_factory: Any) -> None:
    watcher = watcher_factory(str(16 << 20), "0.01")
    assert watcher.ready["changes"] == ["address", "link", "route", "rule"]
    assert watcher.ready["rcvbuf"] >= 16 << 20
    steps = [
        (["link", "add", "w0", "type", "veth", "peer", "name", "w1"], {"link", "route"}),
        (["link", "set", "w0", "up"], {"link", "route"}),
        (["addr", "add", "10.40.0.1/24", "dev", "w0"], {"address"}),
        (["route", "add", "10.41.0.0/16", "via", "10.40.0.2", "proto", PROTO], {"route"}),
        (["rule", "add", "prio", "500", "table", "100"], {"rule"}),
        (["-6", "rule", "add", "prio", "501", "table", "100"], {"rule"}),
    ]
    latencies = []
    for argv, kinds in steps:
        seen = len(watcher.lines())
        start = time.monotonic()
        ip(node, *argv)
        line = watcher.wait(lambda ln, k=kinds: k <= set(ln["changes"]), 1.0, f"report of ip {' '.join(argv)}", seen)
        latencies.append(round((line["t"] - start) * 1000, 1))
    print(f"monitor latency from starting `ip` to the item, ms (settle 10 ms): {latencies}")
    assert max(latencies) < 1000


def test_monitor_link_down_flags_routes_the_kernel_removes_silently(wired: Node, watcher_factory: Any) -> None:
    node = wired
    ip(node, "route", "add", "10.50.0.0/16", "via", "10.0.0.2", "proto", PROTO)
    watcher = watcher_factory(str(16 << 20), "0.01")
    seen = len(watcher.lines())
    ip(node, "link", "set", "v0", "down")
    line = watcher.wait(lambda ln: "link" in ln["changes"], 1.0, "link down", seen)
    assert "route" in line["changes"]
    assert "10.50.0.0/16" not in our_routes(node, "-4"), "the kernel dropped the route with the link"


def burst(node: Node, count: int) -> float:
    ip(node, "link", "add", "bx0", "type", "bridge")
    ip(node, "link", "set", "bx0", "up")
    ip(node, "addr", "add", "10.60.0.1/16", "dev", "bx0")
    batch = "".join(f"route add 10.61.{i // 250}.{i % 250}/32 via 10.60.0.2 proto {PROTO}\n" for i in range(count))
    start = time.monotonic()
    subprocess.run(node.command(["ip", "-batch", "-"], uts_mount=False), input=batch, text=True, check=True)
    return start


@pytest.mark.slow
@pytest.mark.parametrize(("rcvbuf", "overflow"), [(16 << 20, False), (4096, True)], ids=["16MiB", "4KiB"])
def test_monitor_burst_of_5000_routes_keeps_the_final_state(
    node: Node, watcher_factory: Any, rcvbuf: int, overflow: bool
) -> None:
    watcher = watcher_factory(str(rcvbuf), "0.01", PROTO)
    seen = len(watcher.lines())
    start = burst(node, 5000)
    final = watcher.wait(lambda ln: ln.get("count") == 5000, 60.0, "a dump seeing all 5,000 routes", seen)
    items = watcher.lines()[seen:]
    print(
        f"rcvbuf asked {rcvbuf}, granted {final['rcvbuf']}: {len(items)} items until the dump saw 5,000 routes "
        f"{final['t'] - start:.3f} s after the burst started; overflows {final['overflows']}; "
        f"items {[(round(i['t'] - start, 3), i['changes'], i['count']) for i in items]}"
    )
    assert len(node.ip_json("route", "show", "proto", PROTO)) == 5000
    if overflow:
        assert final["overflows"] >= 1
        assert any(set(i["changes"]) == {"address", "link", "route", "rule"} for i in items), "ENOBUFS -> resync all"
    else:
        assert final["overflows"] == 0
