"""RouteStatusController: routes of every table in a lab node checked against `ip -j route show table all`.

Also: IPv4 routes the kernel drops silently with a link going down, a 5,000-route burst with and without
lost events (ENOBUFS), and the cost of a converge pass over 10,000 routes (printed, not asserted).
"""

from __future__ import annotations

import json
import subprocess
import sys
from ipaddress import IPv4Address, ip_network
from typing import Any

import pytest
from nslab import Lab, Node
from observer_lab import IN_NODE, index_of, ip, observe, timed

from networkd.controllers.route_status import route_status
from networkd.kernel.types import KernelRoute, NextHop
from networkd.resources.base import to_plain

NAMED_TABLES = {"default": "default", "main": "main", "local": "local"}
ROUTE_FLAG_WORDS = ("notify", "cloned", "equalize", "prefix", "lookup_table", "fib_match", "offload", "trap")


def table_name(table: str | None) -> str:
    """ip's table word as Talos names the table (numbers 1-252 as such, others as Go's fallback)."""
    if table is None:
        return "main"
    if table in NAMED_TABLES:
        return table
    number = int(table)
    return table if 1 <= number <= 252 else f"RoutingTable({number})"


def expected_routes(node: Node) -> dict[str, Any]:
    """What `ip -j route show table all` says of every IPv4 and IPv6 route, keyed by RouteStatus id."""
    index = {link["ifname"]: link["ifindex"] for link in node.ip_json("link", "show")}
    out = {}
    for family, flag in (("inet4", "-4"), ("inet6", "-6")):
        for route in node.ip_json(flag, "route", "show", "table", "all"):
            dst = route["dst"]
            if dst == "default":
                dst = ""
            elif "/" not in dst:
                dst += "/32" if family == "inet4" else "/128"
            gateway = route.get("gateway") or route.get("via", {}).get("host", "")
            dev = route.get("dev", "")
            table = table_name(route.get("table"))
            metric = route.get("metric", 0)
            prefix = ("" if table == "main" else f"{table}/") + (f"{dev}/" if family == "inet6" else "")
            out[f"{prefix}{family}/{gateway}/{dst}/{metric}"] = {
                "family": family,
                "dst": dst,
                "src": route.get("prefsrc", ""),
                "gateway": gateway,
                "outLinkIndex": index.get(dev, 0),
                "outLinkName": dev,
                "table": table,
                "priority": metric,
                "scope": route.get("scope", "global"),
                "type": route.get("type", "unicast"),
                "flags": ",".join(w for w in ROUTE_FLAG_WORDS if w in route.get("flags", ())),
                "protocol": route.get("protocol", "boot"),
                "mtu": next((m["mtu"] for m in route.get("metrics", ()) if "mtu" in m), 0),
                "nextHops": [{"gateway": hop.get("gateway", ""), "outLinkName": hop["dev"], "weight": hop["weight"]}
                             for hop in route.get("nexthops", ())],
            }
    return out


def view(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The statuses in the shape of `expected_routes` (omitted fields at their zero values)."""
    return {id: {"outLinkIndex": 0, "outLinkName": "", "mtu": 0, "nextHops": [], **s} for id, s in statuses.items()}


def wired(lab: Lab) -> Node:
    """A node with veths v0 (10.0.0.1/24, fd00::1/64) and v2 (10.0.1.1/24) to a peer node."""
    node, peer = lab.add_node("k"), lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"], b_addrs=["10.0.0.2/24", "fd00::2/64"])
    lab.veth(node, peer, "v2", "v3", a_addrs=["10.0.1.1/24"], b_addrs=["10.0.1.2/24"])
    return node


@pytest.fixture
def node(lab: Lab) -> Node:
    """`wired` with routes of every sort: main and other tables, v6, blackhole, gateways, ECMP, MTU, source."""
    node = wired(lab)
    for route in (
        ["10.1.0.0/16", "via", "10.0.0.2"],
        ["default", "via", "10.0.0.2", "metric", "50", "proto", "static"],
        ["10.3.0.0/16", "via", "10.0.0.2", "table", "100"],
        ["blackhole", "10.2.0.0/16"],
        ["unreachable", "10.5.0.0/16", "table", "100"],
        ["10.4.0.0/16", "via", "10.0.0.2", "mtu", "1400", "src", "10.0.0.1", "metric", "7", "proto", "dhcp"],
        ["10.20.0.0/16", "nexthop", "via", "10.0.0.2", "weight", "2", "nexthop", "via", "10.0.1.2"],
        ["10.6.0.0/16", "via", "10.9.9.9", "dev", "v0", "onlink"],
        ["10.7.0.0/16", "dev", "v0", "table", "1000"],
    ):
        ip(node, "route", "add", *route)
    ip(node, "-6", "route", "add", "fd01::/64", "via", "fd00::2", "metric", "1024")
    ip(node, "-6", "route", "add", "blackhole", "fd09::/64")
    ip(node, "-6", "route", "add", "default", "via", "fd00::2", "table", "100")
    return node


def test_routes_match_ip(node: Node) -> None:
    with observe(node) as observed:
        routes = observed.converged("RouteStatus", lambda: expected_routes(node), view)
    v0 = index_of(node, "v0")
    assert routes["inet4/10.0.0.2//50"] == {
        "family": "inet4", "dst": "", "src": "", "gateway": "10.0.0.2", "outLinkIndex": v0, "outLinkName": "v0",
        "table": "main", "priority": 50, "scope": "global", "type": "unicast", "flags": "", "protocol": "static"}
    assert routes["100/inet4/10.0.0.2/10.3.0.0/16/0"]["table"] == "100"
    assert routes["100/inet4//10.5.0.0/16/0"]["type"] == "unreachable"
    assert routes["inet4//10.2.0.0/16/0"]["type"] == "blackhole" and "outLinkName" not in routes["inet4//10.2.0.0/16/0"]
    assert {k: routes["inet4/10.0.0.2/10.4.0.0/16/7"][k] for k in ("mtu", "src", "protocol")} == {
        "mtu": 1400, "src": "10.0.0.1", "protocol": "dhcp"}
    assert routes["inet4//10.20.0.0/16/0"]["nextHops"] == [
        {"gateway": "10.0.0.2", "outLinkName": "v0", "weight": 2}, {"gateway": "10.0.1.2", "outLinkName": "v2",
                                                                   "weight": 1}]
    assert "RoutingTable(1000)/inet4//10.7.0.0/16/0" in routes, "tables above 255 keep their number"
    assert routes["v0/inet6/fd00::2/fd01::/64/1024"]["outLinkName"] == "v0"
    assert routes["100/v0/inet6/fd00::2//1024"]["table"] == "100"
    assert routes["lo/inet6//fd09::/64/1024"]["type"] == "blackhole"
    assert routes["local/inet4//10.0.0.1/32/0"]["type"] == "local"
    assert routes["local/inet4//10.0.0.1/32/0"]["scope"] == "host"


def test_link_down_drops_the_ipv4_routes_the_kernel_removes_silently(node: Node) -> None:
    with observe(node) as observed:
        observed.converged("RouteStatus", lambda: expected_routes(node), view)

        def on_v0() -> list[str]:
            return [id for id, r in observed.statuses("RouteStatus").items()
                    if r["family"] == "inet4" and r.get("outLinkName") == "v0" and r["table"] != "local"]

        assert len(on_v0()) >= 5
        timed(lambda: ip(node, "link", "set", "v0", "down"), lambda: not on_v0(), what="IPv4 routes of v0 gone")
        routes = observed.converged("RouteStatus", lambda: expected_routes(node), view)
        assert "inet4/10.0.0.2//50" not in routes and "inet4//10.2.0.0/16/0" in routes
        timed(lambda: ip(node, "link", "set", "v0", "up"), lambda: "inet4//10.0.0.0/24/0" in observed.statuses(
            "RouteStatus"), what="prefix route back")
        observed.converged("RouteStatus", lambda: expected_routes(node), view)


def test_changes_show_up_within_a_second(node: Node) -> None:
    with observe(node) as observed:
        observed.converged("RouteStatus", lambda: expected_routes(node), view)

        def routes() -> dict[str, dict[str, Any]]:
            return observed.statuses("RouteStatus")

        timed(lambda: ip(node, "route", "add", "10.30.0.0/16", "via", "10.0.0.2", "table", "100"),
              lambda: "100/inet4/10.0.0.2/10.30.0.0/16/0" in routes(), what="route added")
        timed(lambda: ip(node, "route", "change", "10.30.0.0/16", "via", "10.0.0.2", "table", "100", "mtu", "1300"),
              lambda: routes().get("100/inet4/10.0.0.2/10.30.0.0/16/0", {}).get("mtu") == 1300, what="route changed")
        timed(lambda: ip(node, "route", "del", "10.30.0.0/16", "table", "100"),
              lambda: "100/inet4/10.0.0.2/10.30.0.0/16/0" not in routes(), what="route deleted")
        timed(lambda: ip(node, "-6", "route", "add", "fd30::/64", "via", "fd00::2"),
              lambda: "v0/inet6/fd00::2/fd30::/64/1024" in routes(), what="IPv6 route added")
        timed(lambda: ip(node, "-6", "route", "del", "fd30::/64", "via", "fd00::2"),
              lambda: "v0/inet6/fd00::2/fd30::/64/1024" not in routes(), what="IPv6 route deleted")
        observed.converged("RouteStatus", lambda: expected_routes(node), view)


def add_routes(node: Node, count: int) -> None:
    """`count` /32 routes via 10.0.0.2 in one `ip -batch`."""
    batch = "".join(f"route add 10.{100 + i // 62500}.{i // 250 % 250}.{i % 250}/32 via 10.0.0.2\n"
                    for i in range(count))
    subprocess.run(node.command(["ip", "-batch", "-"], uts_mount=False), input=batch, text=True, check=True)


@pytest.mark.slow
@pytest.mark.parametrize("rcvbuf", [4096, None], ids=["4KiB-ENOBUFS", "default-buffer"])
def test_burst_of_5000_routes_ends_with_all_of_them(lab: Lab, rcvbuf: int | None) -> None:
    node = wired(lab)
    with observe(node, rcvbuf) as observed:
        observed.converged("RouteStatus", lambda: expected_routes(node), view)
        if rcvbuf is not None:
            observed.hold()  # nothing reads the small buffer during the burst: it must overflow
        add_routes(node, 5000)
        if rcvbuf is not None:
            observed.release()

        def burst_routes() -> int:
            return sum(1 for r in observed.statuses("RouteStatus").values() if r["dst"].startswith("10.100."))

        observed.wait(lambda: burst_routes() == 5000, timeout=60.0, what="RouteStatus of all 5,000 routes")
        observed.converged("RouteStatus", lambda: expected_routes(node), view, timeout=30.0)
        overflows = observed.snapshot()["overflows"]
    if rcvbuf is not None:
        assert overflows >= 1, "the small buffer must have overflowed: the test is about recovering from ENOBUFS"


@pytest.mark.slow
def test_converge_cost_with_10000_routes(lab: Lab) -> None:
    """Prints the cost of RouteStatusController passes over 10,000 routes (no timing is asserted)."""
    node = wired(lab)
    add_routes(node, 10000)
    out = json.loads(node.check([sys.executable, str(IN_NODE), "measure"], timeout=300).stdout)
    print(f"10,000 routes: {out}")
    assert out["dumped"] >= 10000 and out["statuses"] >= out["dumped"]


def test_mapping_and_links_gone_mid_dump() -> None:
    default = KernelRoute(dst=ip_network("0.0.0.0/0"), gateway=IPv4Address("10.0.0.2"), oif=2, oif_name="eth0",
                          priority=1024, protocol=3, pref_src=IPv4Address("10.0.0.1"))
    found = route_status(default)
    assert found is not None
    assert found[0] == "inet4/10.0.0.2//1024"
    assert to_plain(found[1]) == {
        "family": "inet4", "dst": "", "src": "10.0.0.1", "gateway": "10.0.0.2", "outLinkIndex": 2,
        "outLinkName": "eth0", "table": "main", "priority": 1024, "scope": "global", "type": "unicast",
        "flags": "", "protocol": "boot"}
    assert route_status(KernelRoute(dst=ip_network("10.0.0.0/8"), oif=7)) is None, "link gone since the link dump"
    hops = (NextHop(oif=2, oif_name="eth0", gateway=IPv4Address("10.0.0.2")), NextHop(oif=9, weight=3))
    assert route_status(KernelRoute(dst=ip_network("10.0.0.0/8"), nexthops=hops)) is None
    cloned_flags = route_status(KernelRoute(dst=ip_network("fd00::/64"), oif=2, oif_name="eth0", table=300,
                                            flags=0x200 | 0x4, protocol=78))
    assert cloned_flags is not None
    assert cloned_flags[0] == "RoutingTable(300)/eth0/inet6//fd00::/64/0"
    assert (to_plain(cloned_flags[1])["flags"], to_plain(cloned_flags[1])["protocol"]) == ("cloned",
                                                                                           "RouteProtocol(78)")
