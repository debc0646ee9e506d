"""Resolver merge (talos_other_cases.md §1.4)."""

import ipaddress

from merge import merge_resolvers
from networkd.resources.enums import ConfigLayer, DNSProtocol
from networkd.resources.network import NameServerSpec, ResolverSpec

ip = ipaddress.ip_address


def ns(*addrs: str) -> tuple[NameServerSpec, ...]:
    return tuple(NameServerSpec(addr=ip(a)) for a in addrs)


def resolver(layer: ConfigLayer, *addrs: str, search: tuple[str, ...] = (), overridden: bool = False) -> ResolverSpec:
    return ResolverSpec(name_servers=ns(*addrs), layer=layer, search_domains=search,
                        search_domains_overridden=overridden)


DEFAULT = resolver(ConfigLayer.DEFAULT, "1.1.1.1", "8.8.8.8")


def merged(*inputs: tuple[str, ResolverSpec]) -> ResolverSpec:
    out = merge_resolvers(inputs)
    assert list(out) == ["resolvers"]
    return out["resolvers"]


def test_merge() -> None:
    inputs = [
        ("default/resolvers", DEFAULT),
        ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "1.1.2.0")),
        ("dhcp/eth1", resolver(ConfigLayer.OPERATOR, "1.1.2.1")),
        ("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION, "2.2.2.2",
                                             search=("example.com", "example.org", "example.net"))),
    ]
    out = merged(*inputs)
    assert out.name_servers == ns("2.2.2.2")
    assert out.dns_servers == (ip("2.2.2.2"),)
    assert out.layer is ConfigLayer.CONFIGURATION
    assert out.search_domains == ("example.com", "example.org", "example.net")
    out = merged(*inputs[:3])
    assert out.name_servers == ns("1.1.2.0", "1.1.2.1")
    assert out.dns_servers == (ip("1.1.2.0"), ip("1.1.2.1"))


def test_merge_ipv46() -> None:
    out = merged(("default/resolvers", DEFAULT), ("platform/resolvers", resolver(ConfigLayer.PLATFORM, "1.1.2.0",
                                                                                "fe80::1")),
                 ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "1.1.2.1")))
    assert out.layer is ConfigLayer.OPERATOR
    assert out.name_servers == ns("1.1.2.1", "fe80::1")


def test_merge_search_domains_only_config() -> None:
    out = merged(
        ("default/resolvers", DEFAULT),
        ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "192.168.131.1", search=("somewhere.com", "home.lab"))),
        ("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION, search=("home.lab", "another.lab"))),
    )
    assert out.name_servers == ns("192.168.131.1")
    assert out.layer is ConfigLayer.CONFIGURATION
    assert out.search_domains == ("another.lab", "somewhere.com", "home.lab")


def test_merge_override_search_domains() -> None:
    out = merged(
        ("default/resolvers", resolver(ConfigLayer.DEFAULT, "1.1.1.1", "8.8.8.8", search=("fqdn.example",))),
        ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "192.168.131.1", search=("somewhere.com", "home.lab"))),
        ("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION, search=("another.lab",), overridden=True)),
    )
    assert out.name_servers == ns("192.168.131.1")
    assert out.layer is ConfigLayer.CONFIGURATION
    assert out.search_domains == ("another.lab",)
    assert out.search_domains_overridden is False


def test_merge_clear_search_domains() -> None:
    out = merged(
        ("default/resolvers", resolver(ConfigLayer.DEFAULT, "1.1.1.1", search=("fqdn.example",))),
        ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "192.168.131.1", search=("somewhere.com", "home.lab"))),
        ("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION, overridden=True)),
    )
    assert out.name_servers == ns("192.168.131.1")
    assert out.search_domains == ()


def test_merge_ipv6_only_config() -> None:
    out = merged(("default/resolvers", DEFAULT), ("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION,
                                                                                      "fe80::1")))
    assert out.layer is ConfigLayer.CONFIGURATION
    assert out.name_servers == ns("fe80::1")


def test_merge_dns_over_tls() -> None:
    servers = (NameServerSpec(addr=ip("9.9.9.9"), protocol=DNSProtocol.DOT, tls_server_name="dns.quad9.net"),
               NameServerSpec(addr=ip("8.8.8.8")))
    out = merged(("default/resolvers", DEFAULT),
                 ("configuration/resolvers", ResolverSpec(name_servers=servers, layer=ConfigLayer.CONFIGURATION)))
    assert out.name_servers == servers
    assert out.dns_servers == (ip("9.9.9.9"), ip("8.8.8.8"))


def test_same_layer_search_domains_prepended_in_order() -> None:
    out = merged(
        ("dhcp/eth0", resolver(ConfigLayer.OPERATOR, "10.0.0.1", search=("a.lab", "b.lab"))),
        ("dhcp/eth1", resolver(ConfigLayer.OPERATOR, "10.0.1.1", search=("c.lab", "b.lab", "d.lab"))),
    )
    assert out.search_domains == ("c.lab", "d.lab", "a.lab", "b.lab")
    assert out.name_servers == ns("10.0.0.1", "10.0.1.1")


def test_nothing_without_name_servers() -> None:
    assert merge_resolvers([]) == {}
    assert merge_resolvers([("configuration/resolvers", resolver(ConfigLayer.CONFIGURATION, search=("x",)))]) == {}
