"""RoutingRuleConfigController: RoutingRuleSpecs of the configuration layer (RoutingRuleConfig documents)."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.config import RoutingRuleConfig
from networkd.controllers.config_common import MACHINE_CONFIG, machine_config
from networkd.resources.enums import ConfigLayer, Family, RoutingTable
from networkd.resources.ids import layered_id, routing_rule_id
from networkd.resources.network import NETWORK_CONFIG, RoutingRuleSpec
from networkd.runtime import Context, Controller, Input, Output, OutputKind


def rule_specs(doc: RoutingRuleConfig) -> list[RoutingRuleSpec]:
    """One rule per family the selectors imply; without src and dst, one for inet6 and one for inet4.

    The loader has already refused the kernel's and KubeSpan's reserved priorities.
    """
    selectors = [p for p in (doc.src, doc.dst) if p is not None]
    if any(p.version == 6 for p in selectors):
        families = [Family.INET6]
    elif selectors:
        families = [Family.INET4]
    else:
        families = [Family.INET6, Family.INET4]
    return [RoutingRuleSpec(family=family, src=doc.src, dst=doc.dst,
                            table=RoutingTable.UNSPEC if doc.table is None else RoutingTable.of(doc.table),
                            priority=doc.priority, action=doc.action,
                            iif_name=doc.iif_name or "", oif_name=doc.oif_name or "", fw_mark=doc.fw_mark or 0,
                            fw_mask=doc.fw_mask or 0, layer=ConfigLayer.CONFIGURATION) for family in families]


class RoutingRuleConfigController(Controller):
    """Policy routing rules of the RoutingRuleConfig documents."""

    name = "network.RoutingRuleConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG]

    def outputs(self) -> Iterable[Output]:
        return [Output(RoutingRuleSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            cfg = machine_config(ctx)
            docs = cfg.routing_rules() if cfg is not None else ()
            specs = {layered_id(s.layer, routing_rule_id(s.family, s.priority)): s
                     for doc in docs for s in rule_specs(doc)}
            ctx.publish(NETWORK_CONFIG, RoutingRuleSpec.TYPE, specs)
