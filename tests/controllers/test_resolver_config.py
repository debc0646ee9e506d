"""ResolverConfigController with the real runtime: the §4.4 vectors (seed defaults) and the cmdline vector B7."""

from __future__ import annotations

import ipaddress

import pytest

from networkd.controllers.resolver_config import ResolverConfigController
from networkd.resources.enums import ConfigLayer, DNSProtocol
from networkd.resources.network import NameServerSpec, ResolverSpec
from tests.controllers.layer_harness import Node, converge

CONF = ConfigLayer.CONFIGURATION


def ns(*addrs: str) -> tuple[NameServerSpec, ...]:
    return tuple(NameServerSpec(addr=ipaddress.ip_address(a)) for a in addrs)


def default(*search: str) -> ResolverSpec:
    """The seed's default resolvers, in the seed's order."""
    return ResolverSpec(name_servers=ns("8.8.8.8", "1.1.1.1"), search_domains=search, layer=ConfigLayer.DEFAULT)


def specs(n: Node) -> dict[str, ResolverSpec]:
    return n.specs(ResolverSpec.TYPE)


@pytest.mark.anyio
async def test_defaults_without_configuration() -> None:
    n = Node()
    n.hostname_status("foo", "example.org")
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n), {"default/resolvers": default()})


@pytest.mark.anyio
@pytest.mark.parametrize(("config", "domain", "search"), [
    ("version: v1alpha1\nmachine:\n  network: {}\n", "example.org", ("example.org",)),
    ("version: v1alpha1\nmachine:\n  network: {}\n", "", ()),
    ("version: v1alpha1\nmachine:\n  network:\n    disableSearchDomain: true\n", "example.org", ()),
    ("apiVersion: v1alpha1\nkind: ResolverConfig\nsearchDomains:\n  disableDefault: true\n", "example.org", ()),
    ("apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 9.9.9.9\n", "example.org",
     ("example.org",)),
])
async def test_default_search_domain_is_the_node_domain(config: str, domain: str, search: tuple[str, ...]) -> None:
    n = Node()
    n.hostname_status("irrelevant", domain)
    n.config(config)
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n).get("default/resolvers"), default(*search))


@pytest.mark.anyio
async def test_legacy_nameservers_and_search_domains() -> None:
    n = Node()
    n.config("version: v1alpha1\nmachine:\n  network:\n    nameservers: [2.2.2.2, 3.3.3.3]\n"
             "    searchDomains: [example.com, example.org]\n")
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n), {"default/resolvers": default(), "configuration/resolvers": ResolverSpec(
            name_servers=ns("2.2.2.2", "3.3.3.3"), search_domains=("example.com", "example.org"),
            search_domains_overridden=True, layer=CONF)})
        n.config("version: v1alpha1\nmachine:\n  network: {}\n")
        await converge(lambda: specs(n), {"default/resolvers": default()})


@pytest.mark.anyio
async def test_resolver_config_document() -> None:
    n = Node()
    n.config("apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 2.2.2.2\n  - address: 3.3.3.3\n"
             "searchDomains:\n  domains: [example.com, example.org]\n")
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n).get("configuration/resolvers"), ResolverSpec(
            name_servers=ns("2.2.2.2", "3.3.3.3"), search_domains=("example.com", "example.org"),
            search_domains_overridden=True, layer=CONF))
        n.config("apiVersion: v1alpha1\nkind: ResolverConfig\nsearchDomains:\n  domains: []\n")
        await converge(lambda: specs(n).get("configuration/resolvers"),
                       ResolverSpec(search_domains_overridden=True, layer=CONF))
        n.config(None)
        await converge(lambda: set(specs(n)), {"default/resolvers"})


@pytest.mark.anyio
async def test_dns_over_tls_nameservers_are_kept() -> None:
    n = Node()
    n.config("apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n"
             "  - address: 9.9.9.9\n    protocol: DoT\n    tlsServerName: dns.quad9.net\n  - address: 8.8.8.8\n")
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n).get("configuration/resolvers"), ResolverSpec(name_servers=(
            NameServerSpec(addr=ipaddress.ip_address("9.9.9.9"), protocol=DNSProtocol.DOT,
                           tls_server_name="dns.quad9.net"),
            NameServerSpec(addr=ipaddress.ip_address("8.8.8.8"))), layer=CONF))


@pytest.mark.anyio
async def test_cmdline_b7() -> None:
    n = Node()
    n.link("eth1")
    n.cmdline("ip=172.20.0.2:172.21.0.1:172.20.0.1:255.255.255.0:master1:eth1::10.0.0.1:10.0.0.2:10.0.0.1")
    async with n.running(ResolverConfigController()):
        await converge(lambda: specs(n), {"default/resolvers": default(), "cmdline/resolvers": ResolverSpec(
            name_servers=ns("10.0.0.1", "10.0.0.2"), layer=ConfigLayer.CMDLINE)})
