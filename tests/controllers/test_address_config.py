"""AddressConfigController with the real runtime: loopback defaults, the cmdline vectors B1-B3 and §4.1."""

from __future__ import annotations

import ipaddress

import pytest

from networkd.controllers.address_config import AddressConfigController
from networkd.resources.enums import AddressFlags, ConfigLayer, Family, Scope
from networkd.resources.network import AddressSpec
from tests.controllers.layer_harness import Node, converge

LOOPBACK = {"default/lo/127.0.0.1/8", "default/lo/::1/128"}


def ids(n: Node) -> set[str]:
    return n.ids(AddressSpec.TYPE)


@pytest.mark.anyio
async def test_loopback_defaults() -> None:
    n = Node()
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK)
        specs = n.specs(AddressSpec.TYPE)
        assert specs["default/lo/127.0.0.1/8"] == AddressSpec(
            address=ipaddress.ip_interface("127.0.0.1/8"), link_name="lo", family=Family.INET4, scope=Scope.HOST,
            flags=AddressFlags.PERMANENT, layer=ConfigLayer.DEFAULT)
        assert specs["default/lo/::1/128"] == AddressSpec(
            address=ipaddress.ip_interface("::1/128"), link_name="lo", family=Family.INET6, scope=Scope.HOST,
            flags=AddressFlags.PERMANENT, layer=ConfigLayer.DEFAULT)
        owner = n.st.get("network-config", AddressSpec.TYPE.type, "default/lo/::1/128").metadata.owner
        assert owner == "network.AddressConfigController"


@pytest.mark.anyio
async def test_cmdline_b1() -> None:
    n = Node()
    for name in ("eth1", "eth3", "eth4"):
        n.link(name)
    n.cmdline("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1::::: ip=eth3:dhcp "
              "ip=10.3.5.7::10.3.5.1:255.255.255.0::eth4")
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK | {"cmdline/eth1/172.20.0.2/24", "cmdline/eth4/10.3.5.7/24"})
        assert n.specs(AddressSpec.TYPE)["cmdline/eth4/10.3.5.7/24"] == AddressSpec(
            address=ipaddress.ip_interface("10.3.5.7/24"), link_name="eth4", family=Family.INET4,
            flags=AddressFlags.PERMANENT, layer=ConfigLayer.CMDLINE)


@pytest.mark.anyio
async def test_cmdline_no_netmask_b2_uses_the_first_physical_link() -> None:
    n = Node()
    n.link("eth1")
    n.link("eth0")
    n.cmdline("ip=172.20.0.2::172.20.0.1")
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK | {"cmdline/eth0/172.20.0.2/32"})


LEGACY = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth3
        cidr: 192.168.0.24/28
      - interface: eth4
        ignore: true
        cidr: 192.168.0.24/28
      - interface: eth2
        cidr: 2001:470:6d:30e:8ed2:b60c:9d2f:803a/64
      - interface: eth5
        cidr: 10.5.0.7
      - interface: eth6
        addresses: [10.5.0.8, 2001:470:6d:30e:8ed2:b60c:9d2f:803b/64]
      - interface: eth0
        vlans:
          - vlanId: 24
            cidr: 10.0.0.1/8
          - vlanId: 25
            addresses: [11.0.0.1/8]
"""


@pytest.mark.anyio
async def test_legacy_devices_4_1() -> None:
    n = Node()
    n.config(LEGACY)
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK | {
            "configuration/eth2/2001:470:6d:30e:8ed2:b60c:9d2f:803a/64",
            "configuration/eth3/192.168.0.24/28",
            "configuration/eth5/10.5.0.7/32",
            "configuration/eth6/10.5.0.8/32",
            "configuration/eth6/2001:470:6d:30e:8ed2:b60c:9d2f:803b/64",
            "configuration/eth0.24/10.0.0.1/8",
            "configuration/eth0.25/11.0.0.1/8",
        })
        spec = n.specs(AddressSpec.TYPE)["configuration/eth6/2001:470:6d:30e:8ed2:b60c:9d2f:803b/64"]
        assert (spec.link_name, spec.family, spec.scope, spec.flags, spec.layer) == (
            "eth6", Family.INET6, Scope.GLOBAL, AddressFlags.PERMANENT, ConfigLayer.CONFIGURATION)

        n.config(None)  # the configuration goes, its addresses with it
        await converge(lambda: ids(n), LOOPBACK)


NEW_STYLE = """\
apiVersion: v1alpha1
kind: LinkConfig
name: enp0s2
addresses:
  - address: 10.12.3.4/24
---
apiVersion: v1alpha1
kind: LinkConfig
name: enp0s3
addresses:
  - address: 172.20.0.1/20
    routePriority: 100
"""


@pytest.mark.anyio
async def test_link_documents_4_1() -> None:
    n = Node()
    n.config(NEW_STYLE)
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK | {"configuration/enp0s2/10.12.3.4/24",
                                                   "configuration/enp0s3/172.20.0.1/20"})
        specs = n.specs(AddressSpec.TYPE)
        assert specs["configuration/enp0s3/172.20.0.1/20"].priority == 100
        assert specs["configuration/enp0s2/10.12.3.4/24"].priority == 0


@pytest.mark.anyio
async def test_altname_resolves_to_the_link_and_ignored_devices_drop_cmdline_addresses() -> None:
    n = Node()
    n.link("eth0", alt_names=("enp0s2",))
    n.link("eth1")
    n.cmdline("ip=10.0.0.2::10.0.0.1:255.255.255.0::eth1 ip=10.0.1.2:::24::eth0")
    n.config("version: v1alpha1\nmachine:\n  network:\n    interfaces:\n"
             "      - interface: enp0s2\n        addresses: [192.168.1.1/24]\n"
             "      - interface: eth1\n        ignore: true\n")
    async with n.running(AddressConfigController()):
        await converge(lambda: ids(n), LOOPBACK | {"cmdline/eth0/10.0.1.2/24", "configuration/eth0/192.168.1.1/24"})
