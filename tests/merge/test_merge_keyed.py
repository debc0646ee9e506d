"""Address, route, routing rule, operator and probe merges (talos_other_cases.md §1.1, 1.3, 1.7, 1.8, 1.9)."""

import ipaddress
import itertools

from merge import merge_addresses, merge_operators, merge_probes, merge_routes, merge_routing_rules
from networkd.resources.enums import (
    AddressFlags,
    ConfigLayer,
    Family,
    Operator,
    RouteType,
    RoutingRuleAction,
    RoutingTable,
    Scope,
)
from networkd.resources.network import (
    AddressSpec,
    OperatorSpec,
    ProbeSpec,
    RouteSpec,
    RoutingRuleSpec,
    TCPProbeSpec,
    VIPOperatorSpec,
)
from networkd.resources.values import Duration

ip = ipaddress.ip_address
net = ipaddress.ip_network
iface = ipaddress.ip_interface

# §1.1 AddressMerge
LOOPBACK = AddressSpec(address=iface("127.0.0.1/8"), link_name="lo", family=Family.INET4, scope=Scope.HOST)
DHCP = AddressSpec(address=iface("10.0.0.1/8"), link_name="eth0", family=Family.INET4, layer=ConfigLayer.OPERATOR)
STATIC = AddressSpec(address=iface("10.0.0.35/32"), link_name="eth0", family=Family.INET4,
                     layer=ConfigLayer.CONFIGURATION)
OVERRIDE = AddressSpec(address=iface("10.0.0.1/8"), link_name="eth0", family=Family.INET4, scope=Scope.HOST,
                       layer=ConfigLayer.CONFIGURATION)
ADDRESSES = [
    ("default/lo/127.0.0.1/8", LOOPBACK),
    ("dhcp/eth0/10.0.0.1/8", DHCP),
    ("configuration/eth0/10.0.0.35/32", STATIC),
    ("configuration/eth0/10.0.0.1/8", OVERRIDE),
]


def test_addresses() -> None:
    assert merge_addresses(ADDRESSES) == {
        "lo/127.0.0.1/8": LOOPBACK,
        "eth0/10.0.0.1/8": OVERRIDE,
        "eth0/10.0.0.35/32": STATIC,
    }
    without_static = [p for p in ADDRESSES if p[1] is not STATIC]
    assert "eth0/10.0.0.35/32" not in merge_addresses(without_static)


def test_addresses_any_input_order() -> None:
    for order in itertools.permutations(ADDRESSES):
        assert merge_addresses(order)["eth0/10.0.0.1/8"] == OVERRIDE


def test_addresses_same_layer_later_id_wins() -> None:
    other = AddressSpec(address=iface("10.0.0.1/8"), link_name="eth0", family=Family.INET4, priority=7,
                        layer=ConfigLayer.OPERATOR)
    merged = merge_addresses([("dhcp4/eth0/eth0/10.0.0.1/8", other), ("dhcp/eth0/10.0.0.1/8", DHCP)])
    assert merged["eth0/10.0.0.1/8"] == other


def test_addresses_kernel_flags_dropped() -> None:
    flags = AddressFlags.parse("permanent,temporary,tentative,dadfailed")
    spec = AddressSpec(address=iface("10.0.0.1/8"), link_name="eth0", family=Family.INET4, flags=flags)
    assert merge_addresses([("default/eth0/10.0.0.1/8", spec)])["eth0/10.0.0.1/8"].flags is AddressFlags.PERMANENT


# §1.3 RouteMerge
def _gw_route(link: str, layer: ConfigLayer) -> RouteSpec:
    return RouteSpec(family=Family.INET4, gateway=ip("10.5.0.3"), out_link_name=link, table=RoutingTable.MAIN,
                     priority=50, scope=Scope.GLOBAL, type=RouteType.UNICAST, layer=layer)


CMDLINE_ROUTE = _gw_route("eth0", ConfigLayer.CMDLINE)
DHCP_ROUTE = _gw_route("eth0", ConfigLayer.OPERATOR)
STATIC_ROUTE = RouteSpec(family=Family.INET4, destination=net("10.0.0.35/32"), gateway=ip("10.0.0.34"),
                         out_link_name="eth0", table=RoutingTable.MAIN, priority=1024, type=RouteType.UNICAST,
                         layer=ConfigLayer.CONFIGURATION)
ROUTES = [
    ("cmdline/inet4//10.5.0.3/50", CMDLINE_ROUTE),
    ("dhcp/inet4//10.5.0.3/50", DHCP_ROUTE),
    ("configuration/inet4/10.0.0.35/32/10.0.0.34/1024", STATIC_ROUTE),
]


def test_routes() -> None:
    assert merge_routes(ROUTES) == {"inet4/10.5.0.3//50": DHCP_ROUTE, "inet4/10.0.0.34/10.0.0.35/32/1024": STATIC_ROUTE}
    assert merge_routes([ROUTES[0], ROUTES[2]])["inet4/10.5.0.3//50"] == CMDLINE_ROUTE
    assert list(merge_routes(ROUTES[:2])) == ["inet4/10.5.0.3//50"]


def test_routes_inet4_key_ignores_link() -> None:
    on_eth1 = _gw_route("eth1", ConfigLayer.OPERATOR)
    for order in itertools.permutations([("cmdline/inet4//10.5.0.3/50", CMDLINE_ROUTE), ("dhcp/x", on_eth1)]):
        assert merge_routes(order) == {"inet4/10.5.0.3//50": on_eth1}


# §1.7 OperatorMerge
DEFAULT_DHCP4 = OperatorSpec(operator=Operator.DHCP4, link_name="eth0")
CONFIG_DHCP4 = OperatorSpec(operator=Operator.DHCP4, link_name="eth0", require_up=True,
                            layer=ConfigLayer.CONFIGURATION)
CONFIG_DHCP6 = OperatorSpec(operator=Operator.DHCP6, link_name="eth0", require_up=True,
                            layer=ConfigLayer.CONFIGURATION)
OPERATORS = [
    ("default/dhcp4/eth0", DEFAULT_DHCP4),
    ("configuration/dhcp4/eth0", CONFIG_DHCP4),
    ("configuration/dhcp6/eth0", CONFIG_DHCP6),
]


def test_operators() -> None:
    assert merge_operators(OPERATORS) == {"dhcp4/eth0": CONFIG_DHCP4, "dhcp6/eth0": CONFIG_DHCP6}
    assert merge_operators(OPERATORS[:2]) == {"dhcp4/eth0": CONFIG_DHCP4}
    for order in itertools.permutations(OPERATORS[:2]):
        assert merge_operators(order)["dhcp4/eth0"] == CONFIG_DHCP4


def test_operators_vip_keyed_by_ip() -> None:
    vip = OperatorSpec(operator=Operator.VIP, link_name="eth1", vip=VIPOperatorSpec(ip=ip("2.3.4.5")))
    assert list(merge_operators([("configuration/vip/eth1/2.3.4.5", vip)])) == ["vip/eth1/2.3.4.5"]


# §1.8 RoutingRuleMerge
CMDLINE_RULE = RoutingRuleSpec(family=Family.INET4, src=net("10.0.0.0/8"), table=RoutingTable.of(100), priority=1000,
                               action=RoutingRuleAction.UNICAST, layer=ConfigLayer.CMDLINE)
CONFIG_RULE = RoutingRuleSpec(family=Family.INET4, src=net("10.0.0.0/8"), table=RoutingTable.of(200), priority=1000,
                              action=RoutingRuleAction.UNICAST, layer=ConfigLayer.CONFIGURATION)
CONFIG_RULE2 = RoutingRuleSpec(family=Family.INET4, dst=net("192.168.0.0/16"), table=RoutingTable.of(123),
                               priority=2000, action=RoutingRuleAction.UNICAST, layer=ConfigLayer.CONFIGURATION)


def test_routing_rules() -> None:
    rules = [("cmdline/inet4/01000", CMDLINE_RULE), ("configuration/inet4/01000", CONFIG_RULE),
             ("configuration/inet4/02000", CONFIG_RULE2)]
    assert merge_routing_rules(rules) == {"inet4/01000": CONFIG_RULE, "inet4/02000": CONFIG_RULE2}
    assert merge_routing_rules(rules[:1]) == {"inet4/01000": CMDLINE_RULE}


# §1.9 ProbeMerge
def _probe(interval: int, threshold: int, endpoint: str, timeout: int, layer: ConfigLayer) -> ProbeSpec:
    return ProbeSpec(interval=Duration(seconds=interval), failure_threshold=threshold,
                     tcp=TCPProbeSpec(endpoint=endpoint, timeout=Duration(seconds=timeout)), layer=layer)


P1 = _probe(1, 3, "proxy.example.com:3128", 10, ConfigLayer.CONFIGURATION)
P2 = _probe(5, 5, "proxy.example.com:3128", 5, ConfigLayer.PLATFORM)
P3 = _probe(2, 4, "google.com:80", 3, ConfigLayer.CONFIGURATION)
PROBES = [
    ("configuration/tcp:proxy.example.com:3128", P1),
    ("platform/tcp:proxy.example.com:3128", P2),
    ("configuration/tcp:google.com:80", P3),
]


def test_probes() -> None:
    assert merge_probes(PROBES) == {"tcp:proxy.example.com:3128": P1, "tcp:google.com:80": P3}
    assert merge_probes(PROBES[:2]) == {"tcp:proxy.example.com:3128": P1}
    assert merge_probes([("configuration/none", ProbeSpec())]) == {}
