"""RoutingRuleStatusController: rules in a lab node checked against `ip -j rule` and `ip -j -6 rule`."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from nslab import Lab, Node
from observer_lab import ip, observe, timed

from networkd.controllers.routing_rule_status import rule_status
from networkd.kernel.types import AF_INET6, FR_ACT_BLACKHOLE, KernelRule
from networkd.resources.base import to_plain


def selector(rule: dict[str, Any], key: str, family: str) -> str:
    """ip's `src`/`dst` with its length as a prefix; "" for "all"."""
    if rule.get(key, "all") == "all":
        return ""
    return f"{rule[key]}/{rule.get(key + 'len', 32 if family == 'inet4' else 128)}"


def expected_rules(node: Node) -> dict[str, Any]:
    """What ip says of every IPv4 and IPv6 rule, keyed by RoutingRuleStatus id."""
    out = {}
    for family, flag in (("inet4", "-4"), ("inet6", "-6")):
        for rule in node.ip_json(flag, "rule", "show"):
            mark = int(rule.get("fwmark", "0"), 16)
            out[f"{family}/{rule['priority']:05d}"] = {
                "family": family,
                "src": selector(rule, "src", family),
                "dst": selector(rule, "dst", family),
                "table": rule.get("table", "unspec"),
                "priority": rule["priority"],
                "action": rule.get("action", "unicast"),
                "iifName": rule.get("iif", ""),
                "oifName": rule.get("oif", ""),
                "fwMark": mark,
                "fwMask": int(rule["fwmask"], 16) if "fwmask" in rule else (0xFFFFFFFF if mark else 0),
            }
    return out


def view(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The statuses with omitted fields at their zero values."""
    return {id: {"iifName": "", "oifName": "", "fwMark": 0, "fwMask": 0, **s} for id, s in statuses.items()}


@pytest.fixture
def node(lab: Lab) -> Node:
    """A node with rules on every selector and of every action, IPv4 and IPv6."""
    node = lab.add_node("k")
    ip(node, "link", "add", "w0", "type", "veth", "peer", "name", "w1")
    for rule in (
        ["prio", "500", "from", "10.0.0.0/8", "table", "100"],
        ["prio", "501", "to", "192.168.0.0/16", "lookup", "200"],
        ["prio", "502", "fwmark", "0x10/0xff", "table", "100"],
        ["prio", "503", "fwmark", "0x20", "table", "main"],
        ["prio", "504", "iif", "w0", "table", "100"],
        ["prio", "505", "oif", "w0", "blackhole"],
        ["prio", "506", "from", "10.1.2.3", "unreachable"],
        ["prio", "507", "to", "10.2.0.0/16", "prohibit"],
    ):
        ip(node, "rule", "add", *rule)
    ip(node, "-6", "rule", "add", "prio", "600", "from", "fd00::/64", "table", "100")
    ip(node, "-6", "rule", "add", "prio", "601", "to", "fd01::/64", "prohibit")
    return node


def test_rules_match_ip(node: Node) -> None:
    with observe(node) as observed:
        rules = observed.converged("RoutingRuleStatus", lambda: expected_rules(node), view)
    assert rules["inet4/00500"] == {"family": "inet4", "src": "10.0.0.0/8", "dst": "", "table": "100",
                                    "priority": 500, "action": "unicast"}
    assert (rules["inet4/00502"]["fwMark"], rules["inet4/00502"]["fwMask"]) == (0x10, 0xFF)
    assert rules["inet4/00503"]["fwMask"] == 0xFFFFFFFF, "a mark without a mask: the kernel reports all bits"
    assert (rules["inet4/00505"]["oifName"], rules["inet4/00505"]["action"]) == ("w0", "blackhole")
    assert rules["inet4/00506"]["src"] == "10.1.2.3/32"
    assert rules["inet6/00600"]["src"] == "fd00::/64"
    assert {"inet4/00000", "inet4/32766", "inet4/32767", "inet6/00000", "inet6/32766"} <= set(rules)
    assert rules["inet4/32766"]["table"] == "main"


def test_changes_show_up_within_a_second(node: Node) -> None:
    with observe(node) as observed:
        observed.converged("RoutingRuleStatus", lambda: expected_rules(node), view)

        def rules() -> dict[str, dict[str, Any]]:
            return observed.statuses("RoutingRuleStatus")

        timed(lambda: ip(node, "rule", "add", "prio", "700", "from", "10.7.0.0/16", "table", "170"),
              lambda: rules().get("inet4/00700", {}).get("table") == "170", what="IPv4 rule added")
        timed(lambda: ip(node, "rule", "del", "prio", "700"), lambda: "inet4/00700" not in rules(),
              what="IPv4 rule deleted")
        timed(lambda: ip(node, "-6", "rule", "add", "prio", "701", "iif", "w0", "table", "171"),
              lambda: rules().get("inet6/00701", {}).get("iifName") == "w0", what="IPv6 rule added")
        timed(lambda: ip(node, "-6", "rule", "del", "prio", "701"), lambda: "inet6/00701" not in rules(),
              what="IPv6 rule deleted")
        observed.converged("RoutingRuleStatus", lambda: expected_rules(node), view)


def test_mapping() -> None:
    id, status = rule_status(KernelRule(family=AF_INET6, priority=42, table=0, action=FR_ACT_BLACKHOLE,
                                        dst=ip_network("fd00::/8"), oif="eth0"))
    assert id == "inet6/00042"
    assert to_plain(status) == {"family": "inet6", "src": "", "dst": "fd00::/8", "table": "unspec", "priority": 42,
                                "action": "blackhole", "oifName": "eth0"}
