"""OperatorConfigController with the real runtime: default DHCP (B10-B11, §4.6), cmdline, legacy and
document DHCP (§4.6, B13), VIPs (§4.7)."""

from __future__ import annotations

import ipaddress

import pytest

from networkd.controllers.link_config import LinkConfigController
from networkd.controllers.operator_config import OperatorConfigController
from networkd.resources.enums import ClientIdentifier, ConfigLayer, Operator
from networkd.resources.link import LinkSpec, LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    ClientIdentifierSpec,
    DHCP4OperatorSpec,
    DHCP6OperatorSpec,
    OperatorSpec,
    VIPEquinixMetalSpec,
    VIPOperatorSpec,
)
from tests.controllers.layer_harness import Node, converge

CONF = ConfigLayer.CONFIGURATION
MAC = ClientIdentifierSpec(client_identifier=ClientIdentifier.MAC)


def ids(n: Node) -> set[str]:
    return n.ids(OperatorSpec.TYPE)


def specs(n: Node) -> dict[str, OperatorSpec]:
    return n.specs(OperatorSpec.TYPE)


def dhcp4(link: str, layer: ConfigLayer, metric: int = 1024, **more: object) -> OperatorSpec:
    return OperatorSpec(operator=Operator.DHCP4, link_name=link, require_up=True, layer=layer,
                        dhcp4=DHCP4OperatorSpec(route_metric=metric, **more))  # type: ignore[arg-type]


def default4(link: str) -> OperatorSpec:
    return dhcp4(link, ConfigLayer.DEFAULT, client_identifier=MAC)


def dhcp6(link: str, layer: ConfigLayer, metric: int = 1024, **more: object) -> OperatorSpec:
    return OperatorSpec(operator=Operator.DHCP6, link_name=link, require_up=True, layer=layer,
                        dhcp6=DHCP6OperatorSpec(route_metric=metric, **more))  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_default_dhcp_b10_skips_ignored_links() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name, link_state=True)
    n.link("bond0", kind="bond")
    n.cmdline("talos.network.interface.ignore=eth2")
    async with n.running(OperatorConfigController()):
        await converge(lambda: specs(n), {f"default/dhcp4/{x}": default4(x) for x in ("eth0", "eth1")})


@pytest.mark.anyio
async def test_default_dhcp_cmdline_b11() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name)
    n.cmdline("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1::::: ip=eth3:dhcp")
    async with n.running(OperatorConfigController()):
        # alone (as in Talos's test) eth1 still gets default DHCP: nothing wrote its cmdline LinkSpec
        await converge(lambda: ids(n), {"default/dhcp4/eth0", "default/dhcp4/eth1", "default/dhcp4/eth2",
                                        "cmdline/dhcp4/eth3"})
        assert specs(n)["cmdline/dhcp4/eth3"] == dhcp4("eth3", ConfigLayer.CMDLINE)
        n.drop(NETWORK, LinkStatus.TYPE, "eth2")
        await converge(lambda: ids(n), {"default/dhcp4/eth0", "default/dhcp4/eth1", "cmdline/dhcp4/eth3"})


@pytest.mark.anyio
async def test_default_dhcp_with_the_link_layer_leaves_cmdline_links_alone() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name)
    n.cmdline("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1::::: ip=eth2:dhcp6")
    async with n.running(OperatorConfigController(), LinkConfigController()):
        await converge(lambda: ids(n), {"default/dhcp4/eth0", "cmdline/dhcp6/eth2"})
        assert specs(n)["cmdline/dhcp6/eth2"] == dhcp6("eth2", ConfigLayer.CMDLINE)


@pytest.mark.anyio
async def test_platform_links_get_no_default_dhcp() -> None:
    n = Node()
    n.link("eth0")
    n.link("eth1")
    n.put(NETWORK_CONFIG, "platform/eth1", LinkSpec(name="eth1", up=True, layer=ConfigLayer.PLATFORM))
    n.put(NETWORK_CONFIG, "default/eth0", LinkSpec(name="eth0", up=True, layer=ConfigLayer.DEFAULT))
    async with n.running(OperatorConfigController()):
        await converge(lambda: ids(n), {"default/dhcp4/eth0"})


@pytest.mark.anyio
async def test_a_link_document_stops_default_dhcp_4_6() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name)
    async with n.running(OperatorConfigController()):
        await converge(lambda: ids(n), {"default/dhcp4/eth0", "default/dhcp4/eth1", "default/dhcp4/eth2"})
        n.config("apiVersion: v1alpha1\nkind: LinkConfig\nname: enp0s2\nmtu: 9001\n")
        await converge(lambda: ids(n), set())


LEGACY_DHCP = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
      - interface: eth1
        dhcp: true
      - interface: eth2
        ignore: true
        dhcp: true
      - interface: eth3
        dhcp: true
        dhcpOptions:
          ipv4: true
          routeMetric: 256
      - interface: eth4
        vlans:
          - vlanId: 25
            dhcp: true
          - vlanId: 26
          - vlanId: 27
            dhcpOptions:
              routeMetric: 256
      - interface: eth5
        dhcp: true
"""


@pytest.mark.anyio
async def test_legacy_dhcp_4_6_b13() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth6"):
        n.link(name)
    n.cmdline("talos.network.interface.ignore=eth5")
    n.config(LEGACY_DHCP)
    async with n.running(OperatorConfigController(), LinkConfigController()):
        await converge(lambda: specs(n), {
            "configuration/dhcp4/eth1": dhcp4("eth1", CONF),
            "configuration/dhcp4/eth3": dhcp4("eth3", CONF, 256),
            "configuration/dhcp4/eth4.25": dhcp4("eth4.25", CONF),
            "default/dhcp4/eth6": default4("eth6"),
        })


LEGACY_DHCP6 = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth1
        dhcp: true
        dhcpOptions:
          ipv4: true
      - interface: eth2
        dhcp: true
        dhcpOptions:
          ipv4: false
          ipv6: true
      - interface: eth3
        dhcp: true
        dhcpOptions:
          ipv6: true
          routeMetric: 512
          duidv6: 00:01:00:01:23:45:67:89:ab:cd:ef:01:02:03
"""


@pytest.mark.anyio
async def test_legacy_dhcp6_4_6() -> None:
    n = Node()
    n.config(LEGACY_DHCP6)
    duid = ClientIdentifierSpec(client_identifier=ClientIdentifier.DUID, duid_raw_hex="0001000123456789abcdef010203")
    async with n.running(OperatorConfigController()):
        await converge(lambda: specs(n), {
            "configuration/dhcp4/eth1": dhcp4("eth1", CONF),
            "configuration/dhcp6/eth2": dhcp6("eth2", CONF),
            "configuration/dhcp4/eth3": dhcp4("eth3", CONF, 512),
            "configuration/dhcp6/eth3": dhcp6("eth3", CONF, 512, client_identifier=duid),
        })


DOCUMENTS = """\
apiVersion: v1alpha1
kind: DHCPv4Config
name: eth0
routeMetric: 256
ignoreHostname: true
ignoreRoutes: true
---
apiVersion: v1alpha1
kind: DHCPv6Config
name: eth0
routeMetric: 512
clientIdentifier: duid
duidRaw: 00:01:00:01:23:45:67:89:AB:CD:EF:01
---
apiVersion: v1alpha1
kind: DHCPv4Config
name: eth23
---
apiVersion: v1alpha1
kind: DHCPv4Config
name: enxb
"""


@pytest.mark.anyio
async def test_dhcp_documents_4_6() -> None:
    n = Node()
    n.link("eth4", alt_names=("enxb",))
    n.link("eth5")
    n.config(DOCUMENTS)
    async with n.running(OperatorConfigController()):
        await converge(lambda: specs(n), {
            "configuration/dhcp4/eth0": dhcp4("eth0", CONF, 256, skip_hostname_request=True, skip_routes=True,
                                              client_identifier=MAC),
            "configuration/dhcp6/eth0": dhcp6("eth0", CONF, 512, client_identifier=ClientIdentifierSpec(
                client_identifier=ClientIdentifier.DUID, duid_raw_hex="0001000123456789abcdef01")),
            "configuration/dhcp4/eth23": dhcp4("eth23", CONF, client_identifier=MAC),
            "configuration/dhcp4/eth4": dhcp4("eth4", CONF, client_identifier=MAC),
        })


ALTNAMES = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: enx0123
        dhcp: true
      - interface: enxc
        vlans:
          - vlanId: 25
            dhcp: true
      - interface: enxa
        ignore: true
        dhcp: true
"""


@pytest.mark.anyio
async def test_altnames_resolve_to_kernel_names_and_vlans_keep_the_written_name_4_6() -> None:
    n = Node()
    for i, alt in enumerate(("enx0123", "enx0456", "enxa", "enxb", "enxc")):
        n.link(f"eth{i}", alt_names=(alt,))
    n.config(ALTNAMES)
    async with n.running(OperatorConfigController(), LinkConfigController()):
        await converge(lambda: ids(n), {"configuration/dhcp4/eth0", "configuration/dhcp4/enxc.25",
                                        "default/dhcp4/eth1", "default/dhcp4/eth3"})


VIPS = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth1
        vip:
          ip: 2.3.4.5
      - interface: eth2
        vip:
          ip: fd7a:115c:a1e0:ab12:4843:cd96:6277:2302
      - interface: eth3
        vlans:
          - vlanId: 26
            vip:
              ip: 5.5.4.4
      - interface: eth5
        vip:
          ip: 2.3.4.5
          equinixMetal:
            apiToken: secret
      - interface: eth6
        ignore: true
        vip:
          ip: 2.3.4.6
---
apiVersion: v1alpha1
kind: Layer2VIPConfig
name: 2.3.4.5
link: eth33
---
apiVersion: v1alpha1
kind: Layer2VIPConfig
name: fd7a:115c:a1e0:ab12:4843:cd96:6277:2302
link: eth5
"""


def vip(link: str, ip: str, *, arp: bool = True, **more: object) -> OperatorSpec:
    return OperatorSpec(operator=Operator.VIP, link_name=link, require_up=True, layer=CONF,
                        vip=VIPOperatorSpec(ip=ipaddress.ip_address(ip), gratuitous_arp=arp, **more))  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_vips_4_7() -> None:
    n = Node()
    n.config(VIPS)
    v6 = "fd7a:115c:a1e0:ab12:4843:cd96:6277:2302"
    async with n.running(OperatorConfigController()):
        await converge(lambda: specs(n), {
            "configuration/vip/eth1/2.3.4.5": vip("eth1", "2.3.4.5"),
            f"configuration/vip/eth2/{v6}": vip("eth2", v6),
            "configuration/vip/eth3.26/5.5.4.4": vip("eth3.26", "5.5.4.4"),
            "configuration/vip/eth5/2.3.4.5": vip("eth5", "2.3.4.5", arp=False,
                                                  equinix_metal=VIPEquinixMetalSpec(api_token="secret")),
            "configuration/vip/eth33/2.3.4.5": vip("eth33", "2.3.4.5"),
            f"configuration/vip/eth5/{v6}": vip("eth5", v6),
        })
