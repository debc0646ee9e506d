"""Enumerated values of the machine configuration that the resources do not have.

Every other enumerated field (bond options, `vlanMode`, `protocol`, `clientIdentifier`, `action`,
`nodeAddressSortAlgorithm`) holds the resource enum of `networkd.resources.enums`, whose values are the
same Talos YAML spellings; the tuples here narrow one to the spellings the configuration accepts.
"""

from __future__ import annotations

from enum import StrEnum

from networkd.resources.enums import ADLACPActive, RoutingRuleAction


class AutoHostname(StrEnum):
    """How HostnameConfig generates a hostname (`auto`)."""

    STABLE = "stable"
    OFF = "off"


AD_LACP_ACTIVE_CHOICES = (ADLACPActive.ON, ADLACPActive.OFF)
"""`adLACPActive`: both values, `on` first."""

ROUTING_RULE_ACTIONS = (
    RoutingRuleAction.UNICAST,
    RoutingRuleAction.BLACKHOLE,
    RoutingRuleAction.UNREACHABLE,
    RoutingRuleAction.PROHIBIT,
)
"""RoutingRuleConfig `action`: every action but `unspec`."""
