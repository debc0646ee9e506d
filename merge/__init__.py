"""Pure merge functions: the unmerged (layered id, spec) pairs of network-config in, merged id -> spec out."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from merge.keyed import merge_addresses, merge_operators, merge_probes, merge_routes, merge_routing_rules
from merge.link import merge_links
from merge.resolver import merge_resolvers
from merge.singleton import merge_hostname, merge_time_servers
from networkd.resources.base import ResourceType, Spec
from networkd.resources.link import LinkSpec
from networkd.resources.network import (
    AddressSpec,
    HostnameSpec,
    OperatorSpec,
    ProbeSpec,
    ResolverSpec,
    RouteSpec,
    RoutingRuleSpec,
    TimeServerSpec,
)

Merger = Callable[[Iterable[tuple[str, Any]]], Mapping[str, Spec]]
"""A merge function: (layered id, spec) pairs of one type -> merged id -> spec."""

MERGERS: dict[ResourceType, Merger] = {
    AddressSpec.TYPE: merge_addresses,
    LinkSpec.TYPE: merge_links,
    RouteSpec.TYPE: merge_routes,
    RoutingRuleSpec.TYPE: merge_routing_rules,
    HostnameSpec.TYPE: merge_hostname,
    ResolverSpec.TYPE: merge_resolvers,
    TimeServerSpec.TYPE: merge_time_servers,
    OperatorSpec.TYPE: merge_operators,
    ProbeSpec.TYPE: merge_probes,
}

__all__ = [
    "MERGERS",
    "Merger",
    "merge_addresses",
    "merge_hostname",
    "merge_links",
    "merge_operators",
    "merge_probes",
    "merge_resolvers",
    "merge_routes",
    "merge_routing_rules",
    "merge_time_servers",
]
