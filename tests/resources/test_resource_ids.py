"""Ids (talos_other_cases.md §7), RouteSpec.normalize and ResolverSpec.convert vectors."""

import ipaddress
from typing import Any

import pytest

from networkd.resources.enums import ConfigLayer, DNSProtocol, Family, Operator, RoutingTable, Scope
from networkd.resources.ids import (
    address_id,
    filtered_node_address_id,
    layered_id,
    link_id,
    operator_id,
    probe_id,
    route_id,
    routing_rule_id,
)
from networkd.resources.network import (
    HTTPProbeSpec,
    NameServerSpec,
    OperatorSpec,
    ProbeSpec,
    ResolverSpec,
    RouteNextHop,
    RouteSpec,
    TCPProbeSpec,
    VIPOperatorSpec,
)

ip = ipaddress.ip_address
net = ipaddress.ip_network
GW6 = ip("2001:470:6d:30e:8ed2:b60c:9d2f:803b")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((RoutingTable.MAIN, Family.INET4, None, ip("10.5.0.3"), 50, "eth0"), "inet4/10.5.0.3//50"),
        ((RoutingTable.MAIN, Family.INET4, net("169.254.254.254/32"), None, 1024, "eth3"),
         "inet4//169.254.254.254/32/1024"),
        ((RoutingTable.MAIN, Family.INET4, net("10.0.0.35/32"), ip("10.0.0.34"), 1024, "eth0"),
         "inet4/10.0.0.34/10.0.0.35/32/1024"),
        ((RoutingTable.MAIN, Family.INET4, net("192.168.0.0/18"), ip("192.168.0.25"), 25, "eth3"),
         "inet4/192.168.0.25/192.168.0.0/18/25"),
        ((RoutingTable.of(101), Family.INET6, None, GW6, 200, "enp0s3"),
         "101/enp0s3/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//200"),
        ((RoutingTable.MAIN, Family.INET6, None, GW6, 1024, "eth2"),
         "eth2/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//1024"),
        ((RoutingTable.LOCAL, Family.INET4, net("10.0.0.0/8"), None, 0, ""), "local/inet4//10.0.0.0/8/0"),
    ],
)
def test_route_id(args: tuple[Any, ...], expected: str) -> None:
    assert route_id(*args) == expected


def test_layered_and_simple_ids() -> None:
    assert layered_id(ConfigLayer.CONFIGURATION, "inet4/10.0.3.1/10.0.3.0/24/1024") == (
        "configuration/inet4/10.0.3.1/10.0.3.0/24/1024"
    )
    assert layered_id(ConfigLayer.DEFAULT, "lo") == "default/lo"
    assert address_id("eth0", ipaddress.ip_interface("172.20.0.2/24")) == "eth0/172.20.0.2/24"
    assert address_id("eth6", ipaddress.ip_interface("2001:470:6d:30e:8ed2:b60c:9d2f:803b/64")) == (
        "eth6/2001:470:6d:30e:8ed2:b60c:9d2f:803b/64"
    )
    assert link_id("eth0.24") == "eth0.24"
    assert routing_rule_id(Family.INET4, 1000) == "inet4/01000"
    assert routing_rule_id(Family.INET6, 32766) == "inet6/32766"
    assert filtered_node_address_id("current", "no-k8s") == "current-no-k8s"


def test_operator_id() -> None:
    assert operator_id(OperatorSpec(operator=Operator.DHCP4, link_name="eth0")) == "dhcp4/eth0"
    assert operator_id(OperatorSpec(operator=Operator.DHCP6, link_name="eth0")) == "dhcp6/eth0"
    vip = OperatorSpec(operator=Operator.VIP, link_name="eth1", vip=VIPOperatorSpec(ip=ip("2.3.4.5")))
    assert operator_id(vip) == "vip/eth1/2.3.4.5"


def test_probe_id() -> None:
    assert probe_id(ProbeSpec(tcp=TCPProbeSpec(endpoint="proxy.example.com:3128"))) == "tcp:proxy.example.com:3128"
    http = ProbeSpec(http=HTTPProbeSpec(url="https://user:secret@example.com:8443/health?x=1"))
    assert probe_id(http) == "http:https://example.com:8443/health?x=1"
    assert probe_id(ProbeSpec()) is None


def test_normalize_v4_default_route() -> None:
    spec = RouteSpec(family=Family.INET4, destination=net("0.0.0.0/0"), source=ip("0.0.0.0"), gateway=ip("0.0.0.0"),
                     out_link_name="eth0", table=RoutingTable.LOCAL, priority=1024, layer=ConfigLayer.PLATFORM,
                     mtu=1400)
    normalized, family = spec.normalize()
    assert (normalized.destination, normalized.source, normalized.gateway) == (None, None, None)
    assert family is Family.INET4
    assert normalized.scope is Scope.GLOBAL
    assert (normalized.out_link_name, normalized.table, normalized.priority, normalized.mtu) == (
        "eth0", RoutingTable.LOCAL, 1024, 1400
    )


def test_normalize_v6_default_route() -> None:
    spec = RouteSpec(family=Family.INET4, destination=net("::/0"), out_link_name="eth0")
    normalized, family = spec.normalize()
    assert normalized.destination is None
    assert family is Family.INET6
    assert normalized.scope is Scope.GLOBAL
    assert normalized.family is Family.INET4  # the caller decides what to do with the family


@pytest.mark.parametrize(
    ("spec", "scope"),
    [
        (RouteSpec(family=Family.INET4, destination=net("10.0.0.0/8")), Scope.LINK),
        (RouteSpec(family=Family.INET4, destination=net("10.0.0.0/8"), gateway=ip("0.0.0.0")), Scope.LINK),
        (RouteSpec(family=Family.INET4, destination=net("127.0.0.0/8"), gateway=ip("10.0.0.1")), Scope.HOST),
        (RouteSpec(family=Family.INET4, destination=net("10.0.0.0/8"), gateway=ip("10.0.0.1")), Scope.GLOBAL),
        (RouteSpec(family=Family.INET4, gateway=ip("10.0.0.1"), scope=Scope.LINK), Scope.GLOBAL),
        (RouteSpec(family=Family.INET4, destination=net("10.0.0.0/8"),
                   next_hops=(RouteNextHop(gateway=ip("10.0.0.1")),)), Scope.GLOBAL),
    ],
)
def test_normalize_scope(spec: RouteSpec, scope: Scope) -> None:
    normalized, family = spec.normalize()
    assert normalized.scope is scope
    assert family is (Family.INET4 if spec.gateway == ip("0.0.0.0") else None)


@pytest.mark.parametrize("dst", [None, "0.0.0.0/0", "::/0", "::/64", "10.0.0.0/8", "127.0.0.0/8", "fd00::/64"])
@pytest.mark.parametrize("gw", [None, "0.0.0.0", "::", "10.0.0.1", "fe80::1"])
@pytest.mark.parametrize("src", [None, "0.0.0.0", "::", "10.0.0.2"])
def test_normalized_builds_what_normalize_makes(dst: str | None, gw: str | None, src: str | None) -> None:
    fields: dict[str, Any] = {"family": Family.INET4, "out_link_name": "eth0", "priority": 1024}
    spec = RouteSpec(destination=dst and net(dst), gateway=gw and ip(gw), source=src and ip(src), **fields)
    assert RouteSpec.normalized(destination=spec.destination, gateway=spec.gateway, source=spec.source,
                                **fields) == spec.normalize()


def test_resolver_convert() -> None:
    flat = ResolverSpec(dns_servers=(ip("1.1.1.1"), ip("8.8.8.8")), layer=ConfigLayer.PLATFORM,
                        search_domains=("example.com",))
    assert flat.convert().name_servers == (NameServerSpec(addr=ip("1.1.1.1")), NameServerSpec(addr=ip("8.8.8.8")))
    rich = ResolverSpec(name_servers=(NameServerSpec(addr=ip("3.3.3.3"), protocol=DNSProtocol.DO53,
                                                     tls_server_name="dns.example.com"),))
    assert rich.convert().dns_servers == (ip("3.3.3.3"),)
    assert rich.convert().name_servers == rich.name_servers
