"""RoutingRuleSpecController: rule conversion without a kernel; rules in a lab node checked with `ip -j rule`."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from nslab import Lab, Node, wait_for

from networkd.controllers.routing_rule_spec import canonical, describe, kernel_rule
from networkd.kernel.types import AF_INET, FR_ACT_BLACKHOLE, RTPROT_NETWORKD, KernelRule
from networkd.resources.enums import Family, RoutingRuleAction, RoutingTable
from networkd.resources.ids import routing_rule_id
from networkd.resources.network import RoutingRuleSpec
from tests.controllers.applier_lab import Appliers, Monitor, ip, latency, p50

TYPE = RoutingRuleSpec.TYPE.type
NAME = "network.RoutingRuleSpecController"
PROTO = str(RTPROT_NETWORKD)


def rule(priority: int, family: Family = Family.INET4, **fields: Any) -> tuple[str, RoutingRuleSpec]:
    for key in ("src", "dst"):
        if key in fields:
            fields[key] = ip_network(fields[key])
    if "table" in fields:
        fields["table"] = RoutingTable.of(fields["table"])
    spec = RoutingRuleSpec(family=family, priority=priority, **fields)
    return routing_rule_id(family, priority), spec


def test_kernel_rule_defaults_and_the_kernels_own_way_of_reporting() -> None:
    _, fwmark = rule(1100, fw_mark=0x20, table=180)
    want = kernel_rule(fwmark)
    assert want == KernelRule(family=AF_INET, priority=1100, table=180, fwmark=0x20, protocol=RTPROT_NETWORKD)
    # the kernel reports the mask of a mark given without one as all bits
    dumped = KernelRule(family=AF_INET, priority=1100, table=180, fwmark=0x20, fwmask=0xFFFFFFFF, protocol=78)
    assert canonical(want) == canonical(dumped)
    _, blackhole = rule(1200, iif_name="v0", action=RoutingRuleAction.BLACKHOLE, table=100)
    want = kernel_rule(blackhole)
    assert (want.action, want.table) == (FR_ACT_BLACKHOLE, 0)  # no table for an action that looks none up
    assert canonical(want) == canonical(KernelRule(family=AF_INET, priority=1200, iif="v0", action=FR_ACT_BLACKHOLE,
                                                   table=0, protocol=78))
    _, main = rule(1300, src="10.0.0.0/24")
    assert kernel_rule(main).table == 254  # table unspec: main
    assert describe(kernel_rule(main)) == "priority 1300 from 10.0.0.0/24 lookup 254"
    assert describe(kernel_rule(blackhole)) == "priority 1200 from all iif v0 blackhole"


@pytest.fixture
def node(lab: Lab) -> Node:
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1")
    return node


def rules(node: Node) -> list[dict[str, Any]]:
    return [{**r, "family": 4} for r in node.ip_json("-4", "rule", "show")] + \
           [{**r, "family": 6} for r in node.ip_json("-6", "rule", "show")]


def ours(node: Node) -> list[dict[str, Any]]:
    return [r for r in rules(node) if r.get("protocol") == PROTO]


WANTED = [
    rule(1000, src="10.0.0.0/24", table=100),
    rule(1000, Family.INET6, src="fd00::/64", table=100),
    rule(1100, fw_mark=0x20, table=180),
    rule(1200, iif_name="v0", action=RoutingRuleAction.BLACKHOLE),
    rule(1300, dst="10.10.0.0/24", table=100),
]


def test_rules_tagged_foreign_ones_untouched_changes_and_teardown(node: Node) -> None:
    ip(node, "rule", "add", "from", "10.9.0.0/24", "lookup", "200", "prio", "1000")  # foreign, our priority
    ip(node, "rule", "add", "to", "10.10.0.0/24", "lookup", "100", "prio", "1300")  # foreign, as a spec's
    ip(node, "rule", "add", "from", "10.8.0.0/24", "lookup", "100", "prio", "900", "protocol", PROTO)  # leftover
    foreign = [r for r in rules(node) if r.get("protocol") != PROTO]
    appliers = Appliers(node, grace=0.0, controllers=["rule"])
    appliers.put(WANTED)
    wait_for(lambda: len(ours(node)) == 5, timeout=5.0, what="five rules of ours")
    got = {(r["family"], r["priority"]): r for r in ours(node)}
    assert (got[(4, 1000)]["src"], got[(4, 1000)]["srclen"], got[(4, 1000)]["table"]) == ("10.0.0.0", 24, "100")
    assert (got[(6, 1000)]["src"], got[(6, 1000)]["table"]) == ("fd00::", "100")
    assert (got[(4, 1100)]["fwmark"], got[(4, 1100)]["table"]) == ("0x20", "180")
    assert (got[(4, 1200)]["iif"], got[(4, 1200)]["action"]) == ("v0", "blackhole")
    assert (got[(4, 1300)]["dst"], got[(4, 1300)]["table"]) == ("10.10.0.0", "100")
    assert [r for r in rules(node) if r.get("protocol") != PROTO] == foreign  # kept, also the identical one
    for id, _ in WANTED:
        assert appliers.finalizers(TYPE, id) == [NAME]

    # a spec changes its table: its old rule goes, the new one comes
    changed = list(WANTED)
    changed[2] = rule(1100, fw_mark=0x20, fw_mask=0xF0, table=181)
    appliers.put(changed)
    wait_for(lambda: [(r.get("fwmark"), r.get("fwmask"), r["table"]) for r in ours(node) if r["priority"] == 1100]
             == [("0x20", "0xf0", "181")], timeout=5.0, what="the changed rule")

    appliers.put([])
    wait_for(lambda: not ours(node), timeout=5.0, what="no rule of ours")
    assert rules(node) == foreign
    appliers.wait_released(TYPE)
    appliers.stop()


def test_drift_a_rule_deleted_outside_comes_back(node: Node) -> None:
    appliers = Appliers(node, controllers=["rule"])
    appliers.put(WANTED[:1])
    wait_for(lambda: len(ours(node)) == 1, timeout=5.0, what="the rule")
    monitor = Monitor(node)
    samples = [latency(monitor, lambda: ip(node, "rule", "del", "prio", "1000", "from", "10.0.0.0/24"),
                       r"^Deleted 1000:\s+from 10\.0\.0\.0/24", r"^1000:\s+from 10\.0\.0\.0/24 lookup 100 proto 78")
               for _ in range(20)]
    monitor.stop()
    print(f"rule drift repair: p50 {p50(samples) * 1000:.1f} ms over {len(samples)}")
    assert p50(samples) < 0.1
    appliers.stop()
    assert appliers.lines("^drift: ").count("drift: restored rule priority 1000 from 10.0.0.0/24 lookup 100") == 20
