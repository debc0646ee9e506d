"""RoutingRuleStatusController: every IPv4 and IPv6 policy routing rule as a RoutingRuleStatus."""

from __future__ import annotations

from networkd.controllers.observers import KernelObserver
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import KernelRule
from networkd.resources.base import Spec
from networkd.resources.enums import Family, RoutingRuleAction, RoutingTable
from networkd.resources.ids import routing_rule_id
from networkd.resources.network import RoutingRuleStatus
from networkd.runtime import Context


def rule_status(rule: KernelRule) -> tuple[str, RoutingRuleStatus]:
    """The id (`<family>/<priority, 5 digits>`) and status of a dumped rule.

    The mask is as the kernel reports it (0xffffffff for a mark given without one). Rules sharing a
    family and priority share an id, as in Talos: the one dumped last is shown.
    """
    family = Family.of(rule.family)
    status = RoutingRuleStatus(
        family=family,
        src=rule.src,
        dst=rule.dst,
        table=RoutingTable.of(rule.table),
        priority=rule.priority,
        action=RoutingRuleAction.of(rule.action),
        iif_name=rule.iif,
        oif_name=rule.oif,
        fw_mark=rule.fwmark,
        fw_mask=rule.fwmask,
    )
    return routing_rule_id(family, rule.priority), status


class RoutingRuleStatusController(KernelObserver):
    """Mirrors `ip rule` and `ip -6 rule`, the kernel's default rules included."""

    name = "network.RoutingRuleStatusController"
    kinds = ("rule",)
    status = RoutingRuleStatus.TYPE

    async def observe(self, ctx: Context, nl: Netlink) -> dict[str, Spec]:
        return dict(rule_status(rule) for rule in await nl.rules())
