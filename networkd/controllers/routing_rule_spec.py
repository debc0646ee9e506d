"""RoutingRuleSpecController: adds and removes policy routing rules, tagged FRA_PROTOCOL 78, as the specs say."""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import cast

from networkd.controllers.appliers import Applier, log_changes
from networkd.kernel.errors import KernelError
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import AF_INET6, FR_ACT_TO_TBL, RT_TABLE_MAIN, RTPROT_NETWORKD, KernelRule
from networkd.resources.enums import RoutingRuleAction
from networkd.resources.network import RoutingRuleSpec
from networkd.runtime import Context


def kernel_rule(spec: RoutingRuleSpec) -> KernelRule:
    """The rule a spec asks for: action unspec means "look up a table", table unspec the main table."""
    action = int(spec.action) or FR_ACT_TO_TBL
    return KernelRule(
        family=int(spec.family),
        priority=spec.priority,
        table=(int(spec.table) or RT_TABLE_MAIN) if action == FR_ACT_TO_TBL else 0,
        action=action,
        src=spec.src,
        dst=spec.dst,
        iif=spec.iif_name,
        oif=spec.oif_name,
        fwmark=spec.fw_mark,
        fwmask=spec.fw_mask,
        protocol=RTPROT_NETWORKD,
    )


def canonical(rule: KernelRule) -> Hashable:
    """What identifies a rule and what it does, with the kernel's defaults filled in (comparable to a dump)."""
    return (*rule.key, rule.table if rule.action == FR_ACT_TO_TBL else 0, rule.action)


def describe(rule: KernelRule) -> str:
    """`ip rule` style text."""
    words = [f"priority {rule.priority}", "from", str(rule.src) if rule.src else "all"]
    words += [f"{name} {value}" for name, value in (("to", rule.dst), ("iif", rule.iif), ("oif", rule.oif)) if value]
    if rule.fwmark or rule.fwmask:
        words.append(f"fwmark {rule.fwmark:#x}/{rule.fwmask or 0xFFFFFFFF:#x}")
    words.append(f"lookup {rule.table}" if rule.action == FR_ACT_TO_TBL else str(RoutingRuleAction.of(rule.action)))
    return ("ipv6 " if rule.family == AF_INET6 else "") + " ".join(words)


class RoutingRuleSpecController(Applier[Netlink]):
    """Makes the policy routing rules match the RoutingRuleSpecs; only rules tagged with our protocol are changed.

    A spec's rule is added with FRA_PROTOCOL 78. A rule of ours that no live spec wants (the spec changed,
    was torn down, or, after the start-up grace, is unknown) is removed; rules of other protocols (the
    kernel's own at priorities 0, 32766, 32767, or `ip rule add` ones) are never touched, even when
    identical to a spec's.
    """

    name = "network.RoutingRuleSpecController"
    spec_type = RoutingRuleSpec.TYPE
    kinds = ("rule",)

    async def open(self, stack: contextlib.AsyncExitStack) -> Netlink:
        return await stack.enter_async_context(await Netlink.open())

    async def reconcile(self, ctx: Context, kernel: Netlink, *, sweep: bool) -> list[KernelError]:
        live, dying = self.specs(ctx)
        want: dict[Hashable, KernelRule] = {}
        slots = set()  # (family, priority): the identity of a spec (one rule per slot)
        for res in live:
            rule = kernel_rule(cast(RoutingRuleSpec, res.spec))
            want[canonical(rule)] = rule
            slots.add((rule.family, rule.priority))
        dying_slots = {(int(s.family), s.priority) for s in (cast(RoutingRuleSpec, r.spec) for r in dying)}
        ours = {canonical(rule): rule for rule in await kernel.rules() if rule.protocol == RTPROT_NETWORKD}
        errors: list[KernelError] = []
        lines: list[str] = []
        failed = set()
        for key, rule in ours.items():
            slot = (rule.family, rule.priority)
            if key in want or not (sweep or slot in slots or slot in dying_slots):
                continue
            try:
                if await kernel.rule_del(rule):
                    lines.append(f"removed rule {describe(rule)}")
            except KernelError as e:
                errors.append(e)
                failed.add(slot)
            self.applied(key, None)
        for res in dying:
            spec = cast(RoutingRuleSpec, res.spec)
            if (int(spec.family), spec.priority) not in failed:
                self.release(ctx, res)
        for key, rule in want.items():
            if key in ours:
                self.applied(key, rule)
                continue
            drift = "drift: " if self.drifted(key, rule) else ""
            try:
                added = await kernel.rule_add(rule)
            except KernelError as e:
                errors.append(e)
                continue
            if added:
                lines.append(f"{drift}{'restored' if drift else 'added'} rule {describe(rule)}")
                self.applied(key, rule)
            else:
                self.say(ctx, f"rule {describe(rule)}: exists already (EEXIST); leaving it")
        log_changes(ctx, "rule", lines)
        return errors
