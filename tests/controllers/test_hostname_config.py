"""HostnameConfigController with the real runtime: the §4.3 vectors and the cmdline vector B6."""

from __future__ import annotations

import pytest

from networkd.controllers.hostname_config import HostnameConfigController, parse_fqdn
from networkd.resources.enums import ConfigLayer
from networkd.resources.network import HostnameSpec
from tests.controllers.layer_harness import Node, converge, settle

DEFAULT = ConfigLayer.DEFAULT
CONF = ConfigLayer.CONFIGURATION


def specs(n: Node) -> dict[str, HostnameSpec]:
    return n.specs(HostnameSpec.TYPE)


@pytest.mark.anyio
async def test_no_configuration_no_default_hostname() -> None:
    n = Node()
    n.node_address("33.11.22.44/32")
    async with n.running(HostnameConfigController()):
        await settle(n)
        assert specs(n) == {}


@pytest.mark.anyio
@pytest.mark.parametrize(("address", "hostname"), [
    ("33.11.22.44/32", "talos-33-11-22-44"), ("2001:db8::1/64", "talos-2001db81")])
async def test_empty_v1alpha1_config_gives_the_address_hostname(address: str, hostname: str) -> None:
    n = Node()
    n.config("version: v1alpha1\n")
    async with n.running(HostnameConfigController()):
        await settle(n)
        assert specs(n) == {}  # no default address yet
        n.node_address(address)
        await converge(lambda: specs(n), {"default/hostname": HostnameSpec(hostname=hostname, layer=DEFAULT)})
        n.node_address("10.0.0.1/8", "10.0.0.2/8")  # only one default address makes a name
        await converge(lambda: specs(n), {})


@pytest.mark.anyio
async def test_stable_hostname_needs_an_identity_networkd_does_not_have() -> None:
    n = Node()
    n.node_address("33.11.22.44/32")
    n.config("version: v1alpha1\nmachine:\n  features:\n    stableHostname: true\n")
    async with n.running(HostnameConfigController()):
        await settle(n)
        assert specs(n) == {}


@pytest.mark.anyio
async def test_legacy_hostname() -> None:
    n = Node()
    n.node_address("33.11.22.44/32")
    n.config("version: v1alpha1\nmachine:\n  network:\n    hostname: foo.example.com\n")
    async with n.running(HostnameConfigController()):
        await converge(lambda: specs(n), {
            "configuration/hostname": HostnameSpec(hostname="foo", domainname="example.com", layer=CONF),
            "default/hostname": HostnameSpec(hostname="talos-33-11-22-44", layer=DEFAULT)})
        n.config(None)
        await converge(lambda: specs(n), {})


@pytest.mark.anyio
@pytest.mark.parametrize(("document", "expected"), [
    ("auto: off\nhostname: my-hostname\n",
     {"configuration/hostname": HostnameSpec(hostname="my-hostname", layer=CONF)}),
    ("auto: off\n", {}),
    ("auto: stable\n", {}),
])
async def test_hostname_config_document(document: str, expected: dict[str, HostnameSpec]) -> None:
    n = Node()
    n.node_address("33.11.22.44/32")
    n.config("version: v1alpha1\n---\napiVersion: v1alpha1\nkind: HostnameConfig\n" + document)
    async with n.running(HostnameConfigController()):
        await converge(lambda: specs(n), expected)
        await settle(n)
        assert specs(n) == expected


@pytest.mark.anyio
async def test_cmdline_b6_splits_the_fqdn() -> None:
    n = Node()
    n.link("eth1")
    n.cmdline("ip=172.20.0.2:172.21.0.1:172.20.0.1:255.255.255.0:master1.domain.tld:eth1::10.0.0.1:10.0.0.2:10.0.0.1")
    async with n.running(HostnameConfigController()):
        await converge(lambda: specs(n), {"cmdline/hostname": HostnameSpec(
            hostname="master1", domainname="domain.tld", layer=ConfigLayer.CMDLINE)})


@pytest.mark.anyio
async def test_cmdline_talos_hostname_wins_and_an_invalid_one_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    n = Node()
    n.cmdline("ip=::::master1:eth1 talos.hostname=master2")
    async with n.running(HostnameConfigController()):
        await converge(lambda: specs(n), {"cmdline/hostname": HostnameSpec(hostname="master2",
                                                                           layer=ConfigLayer.CMDLINE)})
        n.cmdline("talos.hostname=" + "x" * 64)
        await converge(lambda: specs(n), {})
        assert "ignoring cmdline hostname" in caplog.text


def test_parse_fqdn_limits() -> None:
    assert parse_fqdn("a" * 63 + "." + "b" * 189, DEFAULT) is not None
    assert parse_fqdn("a" * 63 + "." + "b" * 190, DEFAULT) is None  # FQDN of 254
    assert parse_fqdn("a" * 64, DEFAULT) is None
    assert parse_fqdn(".example.com", DEFAULT) is None
