"""The appliers together: how the daemon gets them, shutdown leaving the kernel alone, and a restart that adopts
what it finds (watched with `ip monitor`: nothing of ours is deleted and added again), removes tagged leftovers
no spec wants any more, and keeps foreign objects.
"""

from __future__ import annotations

from typing import Any

from nslab import Lab, Node, wait_for

from networkd.controllers.appliers import applier_controllers
from networkd.daemon import parse_args
from networkd.kernel.hub import KernelHub
from networkd.kernel.types import RTPROT_NETWORKD
from networkd.resources.enums import AddressFlags, Family, LinkType, RouteType, Scope
from networkd.resources.link import LinkSpec
from networkd.resources.network import AddressSpec, RouteSpec, RoutingRuleSpec
from networkd.runtime import InputKind
from tests.controllers import test_address_spec as addresses
from tests.controllers import test_route_spec as routes
from tests.controllers import test_routing_rule_spec as rules
from tests.controllers.applier_lab import Appliers, Monitor, addr_protos, ip, latency

PROTO = str(RTPROT_NETWORKD)


def test_applier_controllers_are_the_four_spec_controllers_on_one_hub() -> None:
    hub = KernelHub()
    controllers = applier_controllers(parse_args(["--cmdline", ""]), hub)
    assert [c.name for c in controllers] == ["network.LinkSpecController", "network.AddressSpecController",
                                             "network.RouteSpecController", "network.RoutingRuleSpecController"]
    for controller, spec in zip(controllers, (LinkSpec, AddressSpec, RouteSpec, RoutingRuleSpec), strict=True):
        assert [(i.type, i.kind) for i in controller.inputs()] == [(spec.TYPE, InputKind.STRONG)]
        assert list(controller.outputs()) == []
        assert controller.hub is hub  # type: ignore[attr-defined]


KEPT = [
    ("br0", LinkSpec(name="br0", logical=True, up=True, kind="bridge", type=LinkType.ETHER)),
    ("v0", LinkSpec(name="v0", up=True, mtu=1450)),
    addresses.spec("v0", "10.0.1.1/24"),
    addresses.spec("br0", "10.0.2.1/24"),
    addresses.spec("v0", "fd00:1::1/64", AddressFlags.PERMANENT | AddressFlags.NODAD),
    routes.spec("10.1.0.0/24", "10.0.0.2", "v0", priority=1024),
    routes.spec("10.2.0.0/24", link="br0", table=100),
    routes.spec("10.3.0.0/16", type=RouteType.BLACKHOLE),
    rules.rule(1000, src="10.0.1.0/24", table=100),
]
LEFTOVERS = [
    addresses.spec("v0", "10.0.3.1/24", scope=Scope.GLOBAL),
    routes.spec("10.4.0.0/24", link="v0"),
    rules.rule(1002, Family.INET6, src="fd00:1::/64", table=100),
]


def snapshot(node: Node) -> dict[str, Any]:
    """Links, addresses (with IFA_PROTO), routes and rules as `ip -j` shows them (link fields that can change
    by themselves, such as counters and bridge timers, left out)."""
    links = {link["ifname"]: (link["ifindex"], link["flags"], link["mtu"], link["address"], link.get("master"),
                              link.get("linkinfo", {}).get("info_kind"))
             for link in node.ip_json("-d", "link", "show")}
    addrs = {(a["ifindex"], f"{i['local']}/{i['prefixlen']}") for a in node.ip_json("addr", "show")
             for i in a["addr_info"]}
    return {"links": links, "addresses": sorted(addrs), "protos": addr_protos(node), "routes": routes.routes(node),
            "rules": rules.rules(node)}


def test_shutdown_leaves_everything_and_a_restart_adopts_what_is_ours(lab: Lab) -> None:
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1", a_addrs=["10.0.0.1/24"], b_addrs=["10.0.0.2/24"])
    ip(node, "addr", "add", "10.0.9.1/24", "dev", "v0")
    ip(node, "route", "add", "10.9.0.0/24", "dev", "v0", "proto", "bgp")
    ip(node, "rule", "add", "prio", "900", "from", "10.9.0.0/24", "lookup", "200")

    first = Appliers(node, grace=0.0, name="first")
    first.put(KEPT + LEFTOVERS)

    def converged() -> bool:
        ours = [r for r in routes.routes(node) if r.get("protocol") == PROTO]
        return len(ours) == 4 and len(rules.ours(node)) == 2 and sum(
            proto == RTPROT_NETWORKD for proto in addr_protos(node).values()) == 4

    wait_for(converged, timeout=10.0, what="everything applied")
    before = snapshot(node)
    first.stop()
    assert snapshot(node) == before, "shutdown changed the kernel"

    monitor = Monitor(node)
    second = Appliers(node, grace=2.0, name="second")
    second.put(KEPT)  # the leftovers' specs are gone with the old process
    wait_for(lambda: all(second.finalizers(t, id) for t, id in ids(KEPT)), timeout=5.0, what="KEPT adopted")
    assert snapshot(node)["routes"] == before["routes"], "a leftover went before the grace ran out"

    wait_for(lambda: not [r for r in routes.routes(node) if r["dst"] == "10.4.0.0/24"]
             and not [r for r in rules.ours(node) if r["priority"] == 1002]
             and (2, "10.0.3.1/24") not in addr_protos(node), timeout=10.0, what="the leftovers removed")
    after = snapshot(node)
    second.stop()
    monitor.stop()

    # only the leftovers were deleted; nothing of ours or anyone else's was deleted, added or changed (the
    # kernel's own events left out: link-local addresses finishing DAD)
    events = [line for _, line in monitor.events() if "fe80::" not in line]
    assert sorted(events) == sorted([
        "Deleted 10.4.0.0/24 dev v0 proto 78 scope link ",
        "Deleted 1002:\tfrom fd00:1::/64 lookup 100 proto 78",
        "Deleted 2: v0    inet 10.0.3.1/24 brd 10.0.3.255 scope global v0",
        "Deleted 10.0.3.0/24 dev v0 proto kernel scope link src 10.0.3.1 ",
        "Deleted broadcast 10.0.3.255 dev v0 table local proto kernel scope link src 10.0.3.1 ",
        "Deleted local 10.0.3.1 dev v0 table local proto kernel scope host src 10.0.3.1 ",
    ]), "\n".join(events)
    assert after["links"] == before["links"]
    assert after["addresses"] == [a for a in before["addresses"] if a != (2, "10.0.3.1/24")]
    assert {r["dst"] for r in after["routes"]} == {r["dst"] for r in before["routes"]} - {"10.4.0.0/24",
                                                                                             "10.0.3.0/24"}
    assert [r for r in after["rules"] if r.get("protocol") != PROTO] == \
        [r for r in before["rules"] if r.get("protocol") != PROTO]
    assert second.lines(r"^(added|created|restored|drift|set|brought|enslaved|replac|re-creat)") == []
    assert sorted(second.lines(r"^removed")) == [
        "removed address 10.0.3.1/24 from v0", "removed route 10.4.0.0/24 dev v0",
        "removed rule ipv6 priority 1002 from fd00:1::/64 lookup 100"]


def ids(specs: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(spec.TYPE.type, id) for id, spec in specs]


def test_a_link_set_down_outside_comes_back_up_with_its_routes(lab: Lab) -> None:
    """The kernel drops a link's IPv4 routes when it goes down: the link applier brings it up, the route
    applier (refused with ENETDOWN meanwhile) puts the routes back; the addresses never left."""
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1", up=False)
    appliers = Appliers(node)
    appliers.put([("v0", LinkSpec(name="v0", up=True)), addresses.spec("v0", "10.0.0.1/24"),
                  routes.spec("10.1.0.0/24", "10.0.0.2", "v0", priority=1024)])
    wait_for(lambda: [r["dst"] for r in routes.routes(node) if r.get("protocol") == PROTO] == ["10.1.0.0/24"],
             timeout=5.0, what="the route")
    monitor = Monitor(node)
    took = latency(monitor, lambda: ip(node, "link", "set", "v0", "down"),
                   r"^\d+: v0@\S+: <(?![^>]*\bUP\b)", r"^10\.1\.0\.0/24 via 10\.0\.0\.2 dev v0 proto 78")
    monitor.stop()
    print(f"link down to its route back: {took * 1000:.1f} ms")
    assert (2, "10.0.0.1/24") in addr_protos(node)
    appliers.stop()
    assert sorted(appliers.lines("^drift: ")) == [
        "drift: brought link v0 up", "drift: restored route 10.1.0.0/24 via 10.0.0.2 dev v0 metric 1024"]
