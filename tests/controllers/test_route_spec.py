"""RouteSpecController: conversion and comparison without a kernel; routes in a lab node checked with `ip -j`.

Also the benchmark of the fast path: 10,000 RouteSpecs to the kernel, against `ip -batch` in the same node.
"""

from __future__ import annotations

import errno
import json
import sys
import time
from ipaddress import ip_address, ip_network
from typing import Any

import pytest
from nslab import Lab, Node, wait_for

from networkd.controllers.route_spec import _reachable_since, describe, kernel_route, route_key, same
from networkd.kernel.batch import ADD
from networkd.kernel.errors import KernelError
from networkd.kernel.types import RTN_BLACKHOLE, RTNH_F_ONLINK, RTPROT_NETWORKD, KernelRoute
from networkd.resources.enums import Family, RouteFlags, RouteProtocol, RouteType, RoutingTable, Scope
from networkd.resources.ids import route_id
from networkd.resources.network import RouteNextHop, RouteSpec
from tests.controllers.applier_lab import IN_NODE, Appliers, Monitor, ip, latency, p50, routes

TYPE = RouteSpec.TYPE.type
NAME = "network.RouteSpecController"
PROTO = str(RTPROT_NETWORKD)


def spec(dst: str | None, gateway: str | None = None, link: str = "", *, family: Family | None = None,
         table: int = 254, priority: int = 0, type: RouteType = RouteType.UNICAST, source: str | None = None,
         flags: int = 0, mtu: int = 0) -> tuple[str, RouteSpec]:
    """A normalized RouteSpec (as RouteConfigController makes them) and its Talos id."""
    destination = ip_network(dst) if dst else None
    gw = ip_address(gateway) if gateway else None
    version = (destination or gw or ip_address("0.0.0.0")).version
    family = family or (Family.INET4 if version == 4 else Family.INET6)
    route, _ = RouteSpec(family=family, destination=destination, gateway=gw, out_link_name=link,
                         table=RoutingTable.of(table), priority=priority, type=type,
                         source=ip_address(source) if source else None, flags=RouteFlags.of(flags), mtu=mtu,
                         protocol=RouteProtocol.STATIC).normalize()
    return route_id(route.table, route.family, route.destination, route.gateway, route.priority, link), route


# conversion and comparison, without a kernel


def test_kernel_route_fills_the_kernel_defaults_and_tags_it() -> None:
    _, v4 = spec(None, "10.0.0.2", "eth0")
    route = kernel_route(v4, {"eth0": 7})
    assert route == KernelRoute(dst=ip_network("0.0.0.0/0"), gateway=ip_address("10.0.0.2"), oif=7,
                                protocol=RTPROT_NETWORKD)
    _, v6 = spec("fd10::/64", link="eth0", table=100)
    route6 = kernel_route(v6, {"eth0": 7})
    assert route6 is not None and (route6.priority, route6.table, route6.scope) == (1024, 100, int(Scope.LINK))
    assert route_key(v6) == route6.key == (10, 100, ip_network("fd10::/64"), 1024, 0)
    assert kernel_route(v4, {}) is None  # its link is missing: wait


def test_kernel_route_types_flags_and_nexthops() -> None:
    _, blackhole = spec("10.3.0.0/16", type=RouteType.BLACKHOLE, link="eth0")
    route = kernel_route(blackhole, {"eth0": 7})
    assert route is not None and (route.type, route.oif) == (RTN_BLACKHOLE, 0)  # no link for a reject route
    _, onlink = spec(None, "192.168.99.1", "eth0", flags=RTNH_F_ONLINK | int(RouteFlags.NOTIFY))
    route = kernel_route(onlink, {"eth0": 7})
    assert route is not None and route.flags == RTNH_F_ONLINK  # RTM_F_* are not settings
    ecmp = RouteSpec(family=Family.INET4, destination=ip_network("10.9.0.0/24"), table=RoutingTable.MAIN,
                     next_hops=(RouteNextHop(gateway=ip_address("10.0.0.2"), out_link_name="eth0", weight=2),
                                RouteNextHop(gateway=ip_address("10.0.1.2"), out_link_name="eth1")))
    route = kernel_route(ecmp, {"eth0": 7, "eth1": 8})
    assert route is not None and [(h.oif, str(h.gateway), h.weight) for h in route.nexthops] == [
        (7, "10.0.0.2", 2), (8, "10.0.1.2", 1)]
    assert kernel_route(ecmp, {"eth0": 7}) is None
    with pytest.raises(ValueError, match="blackhole route cannot have a gateway"):
        kernel_route(RouteSpec(family=Family.INET4, gateway=ip_address("10.0.0.1"), type=RouteType.BLACKHOLE), {})


def test_same_ignores_what_the_kernel_reports_its_own_way() -> None:
    _, v6 = spec("fd11::/64", type=RouteType.UNREACHABLE)
    want = kernel_route(v6, {})
    assert want is not None
    # the kernel shows an IPv6 reject route on lo, with scope universe
    assert same(want, KernelRoute(dst=want.dst, priority=1024, type=want.type, oif=1, scope=0))
    _, v4 = spec("10.1.0.0/24", "10.0.0.2", "eth0", mtu=1400)
    want = kernel_route(v4, {"eth0": 7})
    assert want is not None
    have = KernelRoute(dst=want.dst, gateway=want.gateway, oif=7, mtu=1400, flags=0x10)  # linkdown: the kernel's
    assert same(want, have)
    for changed in ({"oif": 8}, {"mtu": 1500}, {"gateway": ip_address("10.0.0.3")}, {"scope": 253},
                    {"pref_src": ip_address("10.0.0.1")}, {"flags": RTNH_F_ONLINK}):
        assert not same(want, KernelRoute(**{**{f: getattr(have, f) for f in KernelRoute.__slots__}, **changed}))


def test_describe_reads_like_ip_route() -> None:
    default = kernel_route(spec(None, "10.0.0.2", "eth0", priority=1024)[1], {"eth0": 7})
    assert default is not None and describe(default, {7: "eth0"}) == "default via 10.0.0.2 dev eth0 metric 1024"
    route = kernel_route(spec("10.3.0.0/16", type=RouteType.BLACKHOLE, table=100)[1], {})
    assert route is not None and describe(route, {}) == "blackhole 10.3.0.0/16 table 100"


def test_refused_routes_are_retried_when_the_batch_reached_their_gateway() -> None:
    def route(dst: str, gateway: str | None, oif: int = 2) -> KernelRoute:
        return KernelRoute(dst=ip_network(dst), gateway=ip_address(gateway) if gateway else None, oif=oif,
                           protocol=RTPROT_NETWORKD)

    unreachable = KernelError(errno.ENETUNREACH, "route add", "x")
    early, reached = route("10.1.0.0/24", "10.0.0.254"), route("10.2.0.0/24", "10.0.0.254")
    other_link, other_gateway = route("10.3.0.0/24", "10.0.0.254", oif=3), route("10.4.0.0/24", "10.9.0.254")
    link_down = route("10.5.0.0/24", None)
    batch = [((ADD, early), unreachable), ((ADD, reached), None), ((ADD, other_link), unreachable),
             ((ADD, other_gateway), unreachable), ((ADD, link_down), KernelError(errno.ENETDOWN, "route add", "x"))]
    waiting = [(r, e) for (_, r), e in batch if e is not None]
    assert _reachable_since(batch, waiting) == {early}
    assert _reachable_since([batch[0], batch[2]], waiting) == set()


# the kernel


@pytest.fixture
def node(lab: Lab) -> Node:
    """Node "k" with veth v0 up, 10.0.0.1/24 and fd00::1/64 (nodad) on it; the peer (.2, ::2) in node "p"."""
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"],
             b_addrs=["10.0.0.2/24", "fd00::2/64"])
    return node


def shown(node: Node) -> dict[tuple[str, str], dict[str, Any]]:
    """Every route but the local table's, by (table, dst)."""
    return {(r.get("table", "main"), r["dst"]): r for r in routes(node)}


WANTED = [
    spec("10.1.0.0/24", "10.0.0.2", "v0", priority=1024),
    spec("10.2.0.0/24", link="v0", table=100),
    spec("10.3.0.0/16", type=RouteType.BLACKHOLE),
    spec("10.4.0.0/16", type=RouteType.UNREACHABLE, table=100),
    spec("fd10::/64", "fd00::2", "v0", priority=1024),
    spec("fd11::/64", type=RouteType.UNREACHABLE),
    spec(None, "192.168.99.1", "v0", table=101, flags=RTNH_F_ONLINK),
    spec("10.5.0.0/24", "10.0.0.2", "v0", priority=50, source="10.0.0.1", mtu=1400),
    spec(None, "10.0.0.2", "v0", priority=1024),
    spec("10.6.0.0/24", link="v9"),  # its link comes later
    spec("10.77.0.0/24", link="v0"),  # a bgp route holds this key
]


def test_routes_of_every_kind_tagged_foreign_ones_untouched(node: Node) -> None:
    ip(node, "route", "add", "10.77.0.0/24", "dev", "v0", "proto", "bgp")
    ip(node, "route", "add", "10.78.0.0/24", "dev", "v0", "proto", "bgp")
    ip(node, "route", "add", "10.9.0.0/24", "dev", "v0", "table", "200")
    ip(node, "route", "add", "10.8.0.0/24", "dev", "v0", "proto", PROTO)  # tagged leftover: removed (grace 0)
    before = shown(node)
    foreign = {key: r for key, r in before.items() if key != ("main", "10.8.0.0/24")}
    appliers = Appliers(node, grace=0.0, controllers=["route"])
    appliers.put(WANTED)

    wait_for(lambda: len([r for r in routes(node) if r.get("protocol") == PROTO]) == 9, timeout=5.0,
             what="nine routes of ours")
    now = shown(node)
    ours = {key: r for key, r in now.items() if r.get("protocol") == PROTO}
    assert set(ours) == {
        ("main", "10.1.0.0/24"), ("100", "10.2.0.0/24"), ("main", "10.3.0.0/16"), ("100", "10.4.0.0/16"),
        ("main", "fd10::/64"), ("main", "fd11::/64"), ("101", "default"), ("main", "10.5.0.0/24"),
        ("main", "default"),
    }
    first = ours[("main", "10.1.0.0/24")]
    assert (first["gateway"], first["dev"], first["metric"]) == ("10.0.0.2", "v0", 1024)
    assert (ours[("main", "default")]["gateway"], ours[("main", "default")]["metric"]) == ("10.0.0.2", 1024)
    assert ours[("100", "10.2.0.0/24")]["scope"] == "link"
    assert ours[("main", "10.3.0.0/16")]["type"] == "blackhole"
    assert ours[("100", "10.4.0.0/16")]["type"] == "unreachable"
    assert (ours[("main", "fd10::/64")]["gateway"], ours[("main", "fd10::/64")]["metric"]) == ("fd00::2", 1024)
    assert ours[("main", "fd11::/64")]["type"] == "unreachable"
    assert ours[("101", "default")]["flags"] == ["onlink"] and ours[("101", "default")]["gateway"] == "192.168.99.1"
    src = ours[("main", "10.5.0.0/24")]
    assert (src["prefsrc"], src["metric"], src["metrics"]) == ("10.0.0.1", 50, [{"mtu": 1400}])
    # the bgp route kept its key, the rest of what was there is untouched, the leftover is gone
    assert {key: r for key, r in now.items() if r.get("protocol") != PROTO} == foreign
    assert ("main", "10.8.0.0/24") not in now
    appliers.expect_lines("holds its key", [
        "route 10.77.0.0/24 dev v0: a route of another protocol holds its key; leaving it"])
    appliers.expect_lines("waiting for link", ["route inet4//10.6.0.0/24/0: waiting for link v9"])

    # the missing link appears: the route follows
    ip(node, "link", "add", "v9", "type", "veth", "peer", "name", "v9p")
    ip(node, "link", "set", "v9", "up")
    wait_for(lambda: shown(node).get(("main", "10.6.0.0/24"), {}).get("protocol") == PROTO, timeout=5.0,
             what="the route on v9")
    for id, _ in WANTED:
        assert appliers.finalizers(TYPE, id) == [NAME]

    # a change (MTU and source) replaces the route; a spec gone removes it and destroys the spec
    changed = [w for w in WANTED if w[0] != WANTED[1][0]]
    changed[6] = spec("10.5.0.0/24", "10.0.0.2", "v0", priority=50, mtu=1300)
    appliers.put(changed)
    wait_for(lambda: ("100", "10.2.0.0/24") not in shown(node)
             and shown(node)[("main", "10.5.0.0/24")].get("metrics") == [{"mtu": 1300}], timeout=5.0,
             what="the change")
    assert "prefsrc" not in shown(node)[("main", "10.5.0.0/24")]
    wait_for(lambda: appliers.finalizers(TYPE, WANTED[1][0]) is None, timeout=5.0, what="the spec destroyed")

    # everything torn down: only what was not ours is left
    appliers.put([])
    wait_for(lambda: not [r for r in routes(node) if r.get("protocol") == PROTO], timeout=5.0, what="no route of ours")
    assert {key: r for key, r in shown(node).items() if key != ("main", "10.6.0.0/24")} == foreign
    appliers.wait_released(TYPE)
    appliers.stop()
    assert appliers.lines("^drift: ") == []


def test_drift_a_route_deleted_outside_comes_back(node: Node) -> None:
    appliers = Appliers(node, controllers=["route"])
    appliers.put([spec("10.1.0.0/24", "10.0.0.2", "v0", priority=1024), spec("fd10::/64", "fd00::2", "v0")])
    wait_for(lambda: {("main", "10.1.0.0/24"), ("main", "fd10::/64")} <= set(shown(node)), timeout=5.0,
             what="the routes")
    monitor = Monitor(node)
    samples = [
        latency(monitor, lambda: ip(node, "route", "del", "10.1.0.0/24", "table", "main"),
                r"^Deleted 10\.1\.0\.0/24 via", r"^10\.1\.0\.0/24 via 10\.0\.0\.2 dev v0 proto 78")
        for _ in range(20)
    ]
    samples6 = [
        latency(monitor, lambda: ip(node, "-6", "route", "del", "fd10::/64"),
                r"^Deleted fd10::/64 via", r"^fd10::/64 via fd00::2 dev v0 proto 78")
        for _ in range(5)
    ]
    monitor.stop()
    print(f"route drift repair: p50 {p50(samples) * 1000:.1f} ms over {len(samples)} (IPv6 p50 "
          f"{p50(samples6) * 1000:.1f} ms), max {max(samples) * 1000:.1f} ms")
    assert p50(samples) < 0.1
    appliers.stop()
    assert appliers.lines("^drift: ").count("drift: restored route 10.1.0.0/24 via 10.0.0.2 dev v0 metric 1024") == 20


@pytest.mark.slow
def test_ten_thousand_routes_within_three_times_ip_batch(node: Node) -> None:
    count = 10_000
    out = json.loads(node.check([sys.executable, str(IN_NODE), "bench", str(count), "v0"], uts_mount=False,
                                timeout=120).stdout)
    batch = "".join(f"route add 10.{100 + i // 65536}.{i // 256 % 256}.{i % 256}/32 dev v0 table 101\n"
                    for i in range(count))
    start = time.perf_counter()
    node.check(["ip", "-batch", "-"], input=batch, uts_mount=False)
    ip_batch = time.perf_counter() - start
    assert len(node.ip_json("route", "show", "table", "101")) == count
    print(f"{count} routes: specs to kernel {out['specs_to_kernel_s']:.3f} s, ip -batch {ip_batch:.3f} s "
          f"({out['specs_to_kernel_s'] / ip_batch:.1f}x); unchanged pass {out['unchanged_pass_s']:.3f} s "
          f"(dump of ours {out['dump_ours_s']:.3f} s); teardown {out['teardown_s']:.3f} s")
    assert out["dump_ours"] == count
    assert out["finalizers_left"] == 0 and out["restarts"] == 0
    assert not node.ip_json("route", "show", "table", "100")
    assert out["specs_to_kernel_s"] < 3 * ip_batch


def test_a_link_recreated_gets_its_routes_back_on_its_new_index(node: Node) -> None:
    ip(node, "link", "add", "v9", "type", "veth", "peer", "name", "v9p")
    ip(node, "link", "set", "v9", "up")
    appliers = Appliers(node, controllers=["route"])
    appliers.put([spec("10.6.0.0/24", link="v9")])
    wait_for(lambda: shown(node).get(("main", "10.6.0.0/24"), {}).get("dev") == "v9", timeout=5.0,
             what="the route on v9")
    old_index = node.ip_json("link", "show", "v9")[0]["ifindex"]
    ip(node, "link", "del", "v9")
    ip(node, "link", "add", "v9", "type", "veth", "peer", "name", "v9p")
    ip(node, "link", "set", "v9", "up")
    assert node.ip_json("link", "show", "v9")[0]["ifindex"] != old_index
    wait_for(lambda: shown(node).get(("main", "10.6.0.0/24"), {}).get("dev") == "v9", timeout=5.0,
             what="the route back on the new v9")
    appliers.stop()


def test_many_routes_waiting_for_their_gateway_say_so_once_and_follow_its_address(node: Node) -> None:
    appliers = Appliers(node, controllers=["route"])
    wanted = [spec(f"10.50.{i}.0/24", "10.20.0.254", "v0", priority=1024) for i in range(40)]
    appliers.put(wanted)
    first = "10.50.0.0/24 via 10.20.0.254 dev v0 metric 1024 (route add 10.50.0.0/24 via 10.20.0.254"
    wait_for(lambda: len(appliers.lines("cannot be added yet")) == 1, timeout=5.0, what="the waiting message")
    [line] = appliers.lines("cannot be added yet")
    assert line.startswith(f"40 routes cannot be added yet, the first {first}")
    assert line.endswith("waiting for a link or address change")
    assert not [r for r in routes(node) if r["dst"].startswith("10.50.")]
    ip(node, "address", "add", "10.20.0.1/24", "dev", "v0")
    wait_for(lambda: len([r for r in routes(node) if r["dst"].startswith("10.50.")
                          and r.get("protocol") == PROTO and r.get("gateway") == "10.20.0.254"]) == 40,
             timeout=5.0, what="the 40 routes via 10.20.0.254")
    assert len(appliers.lines("cannot be added yet")) == 1
    appliers.stop()
