"""MERGERS maps every merged spec type to its merge function."""

import merge
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


def test_mergers() -> None:
    expected = {
        AddressSpec.TYPE: merge.merge_addresses,
        LinkSpec.TYPE: merge.merge_links,
        RouteSpec.TYPE: merge.merge_routes,
        RoutingRuleSpec.TYPE: merge.merge_routing_rules,
        HostnameSpec.TYPE: merge.merge_hostname,
        ResolverSpec.TYPE: merge.merge_resolvers,
        TimeServerSpec.TYPE: merge.merge_time_servers,
        OperatorSpec.TYPE: merge.merge_operators,
        ProbeSpec.TYPE: merge.merge_probes,
    }
    assert expected == merge.MERGERS
    for rt, fn in merge.MERGERS.items():
        assert fn([]) == {}, rt.type
