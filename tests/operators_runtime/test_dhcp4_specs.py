"""Lease -> specs, with Talos's dhcpparse vectors (talos_other_cases.md §3, D1-D14)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from networkd.operators.dhcp4 import lease_specs
from networkd.resources.enums import (
    AddressFlags,
    ConfigLayer,
    Family,
    RouteProtocol,
    RouteType,
    RoutingTable,
    Scope,
)
from networkd.resources.link import LinkSpec
from networkd.resources.network import AddressSpec, HostnameSpec, NameServerSpec, RouteSpec, TimeServerSpec
from operators.dhcpv4.codec import ClasslessRoute
from operators.dhcpv4.lease import Lease

A = IPv4Address
OP = ConfigLayer.OPERATOR


def lease(address: str = "10.0.0.5/24", **fields: Any) -> Lease:
    """A one-hour lease from 10.0.0.1 with `fields` as its options."""
    return Lease(address=IPv4Interface(address), server_id=A("10.0.0.1"), obtained=0.0, lease_time=3600,
                 renewal_time=1800.0, rebinding_time=3150.0, **fields)


def classless(*routes: tuple[str, str]) -> tuple[ClasslessRoute, ...]:
    return tuple(ClasslessRoute(IPv4Network(dst), A(gw)) for dst, gw in routes)


def route(dst: str | None, gw: str | None, src: str = "10.0.0.5", scope: Scope = Scope.GLOBAL) -> RouteSpec:
    """A route as Talos's dhcpparse emits it after Normalize(), with our protocol."""
    return RouteSpec(family=Family.INET4, destination=None if dst is None else IPv4Network(dst), source=A(src),
                     gateway=None if gw is None else A(gw), out_link_name="eth0", table=RoutingTable.MAIN,
                     priority=1024, scope=scope, type=RouteType.UNICAST, protocol=RouteProtocol.BOOT, layer=OP)


def specs(the_lease: Lease, *, use_hostname: bool = False, use_routes: bool = True) -> Any:
    return lease_specs("eth0", the_lease, route_metric=1024, use_hostname=use_hostname, use_routes=use_routes)


def test_d1_router_in_the_lease_subnet() -> None:
    out = specs(lease(routers=(A("10.0.0.1"),)))
    assert out.addresses == (AddressSpec(address=IPv4Interface("10.0.0.5/24"), link_name="eth0", family=Family.INET4,
                                         scope=Scope.GLOBAL, flags=AddressFlags.PERMANENT, priority=1024, layer=OP),)
    assert out.routes == (route(None, "10.0.0.1"),)
    assert (out.links, out.hostnames, out.resolvers, out.time_servers) == ((), (), (), ())


def test_d2_router_outside_the_lease_subnet_gets_an_on_link_route() -> None:
    out = specs(lease("10.0.0.5/32", routers=(A("10.0.0.1"),)))
    assert out.routes == (route(None, "10.0.0.1"), route("10.0.0.1/32", None, scope=Scope.LINK))


def test_d3_classless_routes_win_over_the_router() -> None:
    out = specs(lease(routers=(A("10.0.0.1"),), classless_routes=classless(("0.0.0.0/0", "10.0.0.254"))))
    assert out.routes == (route(None, "10.0.0.254"),)


def test_d4_aws_link_local_lease_with_classless_routes() -> None:
    routes = classless(("169.254.169.123/32", "169.254.0.1"), ("169.254.169.249/32", "169.254.0.1"),
                       ("169.254.169.254/31", "169.254.0.1"))
    out = specs(lease("169.254.251.148/32", classless_routes=routes))
    src = "169.254.251.148"
    assert out.routes == (
        route("169.254.169.123/32", "169.254.0.1", src),
        route("169.254.0.1/32", None, src, Scope.LINK),
        route("169.254.169.249/32", "169.254.0.1", src),
        route("169.254.169.254/31", "169.254.0.1", src),
    )


def test_d5_classless_route_via_0_0_0_0_is_on_link() -> None:
    out = specs(lease(classless_routes=classless(("192.168.1.0/24", "0.0.0.0"))))
    assert out.routes == (route("192.168.1.0/24", None, scope=Scope.LINK),)


def test_d6_dns_ntp_mtu_hostname() -> None:
    out = specs(lease(dns_servers=(A("8.8.8.8"), A("8.8.4.4")), ntp_servers=(A("169.254.169.123"),),
                      hostname="myhost", domain_name="example.com", mtu=1500), use_hostname=True)
    assert out.links == (LinkSpec(name="eth0", mtu=1500, up=True, layer=OP),)
    [resolver] = out.resolvers
    assert resolver.name_servers == (NameServerSpec(addr=A("8.8.8.8")), NameServerSpec(addr=A("8.8.4.4")))
    assert resolver.dns_servers == (A("8.8.8.8"), A("8.8.4.4")), "converted, as the controller writes it"
    assert (resolver.search_domains, resolver.layer) == (("example.com",), OP)
    assert out.time_servers == (TimeServerSpec(time_servers=("169.254.169.123",), layer=OP),)
    assert out.hostnames == (HostnameSpec(hostname="myhost", domainname="example.com", layer=OP),)


def test_d7_to_d11_search_domains() -> None:
    dns = (A("8.8.8.8"),)
    d7 = specs(lease(dns_servers=dns, domain_search=("corp.example.com", "example.com")))
    assert d7.resolvers[0].search_domains == ("corp.example.com", "example.com")
    d8 = specs(lease(dns_servers=dns, domain_search=("corp.example.com",), domain_name="example.com"))
    assert d8.resolvers[0].search_domains == ("corp.example.com", "example.com")
    d9 = specs(lease(dns_servers=dns, domain_search=("example.com", "corp.example.com"), domain_name="example.com"))
    assert d9.resolvers[0].search_domains == ("example.com", "corp.example.com")
    d10 = specs(lease(domain_name="example.com"))
    assert [(r.name_servers, r.search_domains) for r in d10.resolvers] == [((), ("example.com",))]
    d11 = specs(lease(dns_servers=dns, domain_name="\x00\x00"))
    assert d11.resolvers[0].search_domains == ()


def test_d12_hostname_ignored_unless_used() -> None:
    assert specs(lease(hostname="myhost")).hostnames == ()
    assert specs(lease(hostname="myhost.lab"), use_hostname=True).hostnames == (
        HostnameSpec(hostname="myhost", domainname="lab", layer=OP),
    )


def test_d13_d14_routes_skipped() -> None:
    d13 = specs(lease(routers=(A("10.0.0.1"),), dns_servers=(A("8.8.8.8"),)), use_routes=False)
    assert (d13.routes, len(d13.addresses), len(d13.resolvers)) == ((), 1, 1)
    d14 = specs(lease(classless_routes=classless(("0.0.0.0/0", "10.0.0.254"))), use_routes=False)
    assert (d14.routes, len(d14.addresses)) == ((), 1)


def test_mtu_below_576_is_ignored() -> None:
    assert specs(lease(mtu=575)).links == ()
    assert specs(lease(mtu=576)).links == (LinkSpec(name="eth0", mtu=576, up=True, layer=OP),)


def test_route_metric_is_the_address_priority_and_ids_follow_talos() -> None:
    out = lease_specs("eth1", lease(routers=(A("10.0.0.1"),), dns_servers=(A("10.0.0.53"),), mtu=9000,
                                    ntp_servers=(A("10.0.0.123"),)), route_metric=7)
    assert out.addresses[0].priority == 7 and out.routes[0].priority == 7
    assert [id for id, _ in out.items()] == [
        "eth1/10.0.0.5/24", "eth1", "inet4/10.0.0.1//7", "resolvers", "timeservers",
    ]
