"""RoutingRuleConfigController with the real runtime: RoutingRuleConfig documents into RoutingRuleSpecs."""

from __future__ import annotations

import ipaddress

import pytest

from networkd.controllers.routing_rule_config import RoutingRuleConfigController
from networkd.resources.enums import ConfigLayer, Family, RoutingRuleAction, RoutingTable
from networkd.resources.network import RoutingRuleSpec
from tests.controllers.layer_harness import Node, converge

RULES = """\
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: "1000"
src: 10.0.0.0/8
table: 100
---
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: "2000"
dst: 192.168.0.0/16
table: 123
iifName: eth0
fwMark: 0x20
fwMask: 0xff
---
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: "3000"
dst: fd00::/8
table: main
---
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: "4000"
action: blackhole
"""


def specs(n: Node) -> dict[str, RoutingRuleSpec]:
    return n.specs(RoutingRuleSpec.TYPE)


@pytest.mark.anyio
async def test_rules_one_per_family_the_selectors_imply() -> None:
    n = Node()
    n.config(RULES)
    layer = ConfigLayer.CONFIGURATION
    async with n.running(RoutingRuleConfigController()):
        await converge(lambda: set(specs(n)), {"configuration/inet4/01000", "configuration/inet4/02000",
                                               "configuration/inet6/03000", "configuration/inet6/04000",
                                               "configuration/inet4/04000"})
        got = specs(n)
        assert got["configuration/inet4/01000"] == RoutingRuleSpec(
            family=Family.INET4, src=ipaddress.ip_network("10.0.0.0/8"), table=RoutingTable.of(100),
            action=RoutingRuleAction.UNICAST, priority=1000, layer=layer)
        assert got["configuration/inet4/02000"] == RoutingRuleSpec(
            family=Family.INET4, dst=ipaddress.ip_network("192.168.0.0/16"), table=RoutingTable.of(123),
            action=RoutingRuleAction.UNICAST, iif_name="eth0", fw_mark=0x20, fw_mask=0xFF, priority=2000, layer=layer)
        assert got["configuration/inet6/03000"].table == RoutingTable.MAIN
        assert got["configuration/inet4/04000"] == RoutingRuleSpec(
            family=Family.INET4, action=RoutingRuleAction.BLACKHOLE, priority=4000, layer=layer)
        n.config(None)
        await converge(lambda: specs(n), {})
