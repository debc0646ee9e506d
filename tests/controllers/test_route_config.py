"""RouteConfigController with the real runtime: the cmdline vectors B4/B5 and the §4.2 vectors."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from networkd.controllers import route_config
from networkd.controllers.route_config import RouteConfigController
from networkd.resources.enums import ConfigLayer, Family, RouteProtocol, RouteType, RoutingTable, Scope
from networkd.resources.network import RouteSpec
from tests.controllers.layer_harness import Node, converge


def ids(n: Node) -> set[str]:
    return n.ids(RouteSpec.TYPE)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


@pytest.mark.anyio
async def test_cmdline_b4_metric_is_1024_plus_the_argument_index() -> None:
    n = Node()
    for name in ("eth1", "eth3", "eth4"):
        n.link(name)
    n.cmdline("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1::::: ip=eth3:dhcp "
              "ip=10.3.5.7::10.3.5.1:255.255.255.0::eth4")
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {"cmdline/inet4/172.20.0.1//1024", "cmdline/inet4/10.3.5.1//1026"})
        assert n.specs(RouteSpec.TYPE)["cmdline/inet4/10.3.5.1//1026"] == RouteSpec(
            family=Family.INET4, gateway=ip("10.3.5.1"), out_link_name="eth4", table=RoutingTable.MAIN,
            priority=1026, scope=Scope.GLOBAL, type=RouteType.UNICAST, protocol=RouteProtocol.BOOT,
            layer=ConfigLayer.CMDLINE)


@pytest.mark.anyio
async def test_cmdline_b5_gateway_outside_the_prefix_gets_an_on_link_route() -> None:
    n = Node()
    n.link("eth1")
    n.cmdline("ip=172.20.0.2::172.20.0.1:255.255.255.255::eth1:::::")
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {"cmdline/inet4/172.20.0.1//1024", "cmdline/inet4//172.20.0.1/32/1024"})
        assert n.specs(RouteSpec.TYPE)["cmdline/inet4//172.20.0.1/32/1024"] == RouteSpec(
            family=Family.INET4, destination=net("172.20.0.1/32"), source=ip("172.20.0.2"), out_link_name="eth1",
            table=RoutingTable.MAIN, priority=1024, scope=Scope.LINK, type=RouteType.UNICAST,
            protocol=RouteProtocol.BOOT, layer=ConfigLayer.CMDLINE)


@pytest.mark.anyio
async def test_cmdline_ipv6_gateway_needs_no_on_link_route() -> None:
    n = Node()
    n.link("eth1")
    n.cmdline("ip=[2001:db8::a]:[2001:db8::b]:[fe80::1]::master1:eth1")
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {"cmdline/eth1/inet6/fe80::1//1024"})


LEGACY = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth3
        addresses: [192.168.0.24/28]
        routes:
          - network: 192.168.0.0/18
            gateway: 192.168.0.25
            metric: 25
          - network: 169.254.254.254/32
      - interface: eth4
        ignore: true
        routes:
          - network: 192.168.0.0/18
            gateway: 192.168.0.26
      - interface: eth2
        routes:
          - gateway: 2001:470:6d:30e:8ed2:b60c:9d2f:803b
      - interface: eth0
        vlans:
          - vlanId: 24
            addresses: [10.0.3.5/24]
            routes:
              - network: 10.0.3.0/24
                gateway: 10.0.3.1
      - interface: eth1
        routes:
          - network: 192.244.0.0/24
            gateway: 192.244.0.1
            source: 192.244.0.10
"""


@pytest.mark.anyio
async def test_legacy_devices_4_2() -> None:
    n = Node()
    n.config(LEGACY)
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {
            "configuration/eth2/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//1024",
            "configuration/inet4/10.0.3.1/10.0.3.0/24/1024",
            "configuration/inet4/192.168.0.25/192.168.0.0/18/25",
            "configuration/inet4/192.244.0.1/192.244.0.0/24/1024",
            "configuration/inet4//169.254.254.254/32/1024",
        })
        specs = n.specs(RouteSpec.TYPE)
        common: dict[str, Any] = {"table": RoutingTable.MAIN, "type": RouteType.UNICAST,
                                  "protocol": RouteProtocol.STATIC, "layer": ConfigLayer.CONFIGURATION}
        assert specs["configuration/eth2/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//1024"] == RouteSpec(
            family=Family.INET6, gateway=ip("2001:470:6d:30e:8ed2:b60c:9d2f:803b"), out_link_name="eth2",
            priority=1024, **common)
        assert specs["configuration/inet4/10.0.3.1/10.0.3.0/24/1024"].out_link_name == "eth0.24"
        assert specs["configuration/inet4/192.168.0.25/192.168.0.0/18/25"].out_link_name == "eth3"
        assert specs["configuration/inet4/192.244.0.1/192.244.0.0/24/1024"] == RouteSpec(
            family=Family.INET4, destination=net("192.244.0.0/24"), gateway=ip("192.244.0.1"),
            source=ip("192.244.0.10"), out_link_name="eth1", priority=1024, **common)
        assert specs["configuration/inet4//169.254.254.254/32/1024"] == RouteSpec(
            family=Family.INET4, destination=net("169.254.254.254/32"), out_link_name="eth3", priority=1024,
            scope=Scope.LINK, **common)


NEW_STYLE = """\
apiVersion: v1alpha1
kind: LinkConfig
name: enp0s2
routes:
  - destination: 10.12.3.0/24
    gateway: 10.12.3.1
---
apiVersion: v1alpha1
kind: LinkConfig
name: enp0s3
routes:
  - gateway: 2001:470:6d:30e:8ed2:b60c:9d2f:803b
    metric: 200
    table: 101
  - destination: 224.0.0.0/4
    metric: 0
    mtu: 1400
"""


@pytest.mark.anyio
async def test_link_documents_4_2() -> None:
    n = Node()
    n.config(NEW_STYLE)
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {
            "configuration/101/enp0s3/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//200",
            "configuration/inet4/10.12.3.1/10.12.3.0/24/1024",
            "configuration/inet4//224.0.0.0/4/0",
        })
        specs = n.specs(RouteSpec.TYPE)
        assert specs["configuration/101/enp0s3/inet6/2001:470:6d:30e:8ed2:b60c:9d2f:803b//200"].table == 101
        multicast = specs["configuration/inet4//224.0.0.0/4/0"]  # an explicit metric 0 stays 0, as in Talos
        assert (multicast.type, multicast.mtu, multicast.scope) == (RouteType.MULTICAST, 1400, Scope.LINK)


@pytest.mark.anyio
async def test_cmdline_routes_via_an_ignored_device_are_dropped() -> None:
    n = Node()
    n.link("eth1")
    n.link("eth2")
    n.cmdline("ip=10.0.0.2::10.0.0.1:255.255.255.0::eth1 ip=10.0.1.2::10.0.1.1:255.255.255.0::eth2")
    n.config("version: v1alpha1\nmachine:\n  network:\n    interfaces:\n"
             "      - interface: eth1\n        ignore: true\n")
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {"cmdline/inet4/10.0.1.1//1025"})
        n.config(None)
        await converge(lambda: ids(n), {"cmdline/inet4/10.0.0.1//1024", "cmdline/inet4/10.0.1.1//1025"})


@pytest.mark.anyio
async def test_document_routes_follow_the_link_their_name_resolves_to_and_the_config() -> None:
    n = Node()
    n.link("eth1", alt_names=("uplink",))
    n.link("eth2")
    doc = "apiVersion: v1alpha1\nkind: LinkConfig\nname: uplink\nroutes:\n  - destination: 10.9.0.0/16\n" \
          "    gateway: 10.0.0.1\n  - destination: fd09::/64\n    gateway: fd00::1\n"
    n.config(doc)
    async with n.running(RouteConfigController()):
        await converge(lambda: ids(n), {"configuration/inet4/10.0.0.1/10.9.0.0/16/1024",
                                        "configuration/eth1/inet6/fd00::1/fd09::/64/1024"})
        assert n.specs(RouteSpec.TYPE)["configuration/inet4/10.0.0.1/10.9.0.0/16/1024"].out_link_name == "eth1"
        n.link("eth1")  # the altname moves to eth2: the same document now names eth2
        n.link("eth2", alt_names=("uplink",))
        await converge(lambda: ids(n), {"configuration/inet4/10.0.0.1/10.9.0.0/16/1024",
                                        "configuration/eth2/inet6/fd00::1/fd09::/64/1024"})
        await converge(lambda: n.specs(RouteSpec.TYPE)["configuration/inet4/10.0.0.1/10.9.0.0/16/1024"]
                       .out_link_name, "eth2")
        n.config(doc.replace("10.9.0.0/16", "10.8.0.0/16"))
        await converge(lambda: ids(n), {"configuration/inet4/10.0.0.1/10.8.0.0/16/1024",
                                        "configuration/eth2/inet6/fd00::1/fd09::/64/1024"})


@pytest.mark.parametrize(
    ("network", "gateway", "family", "destination"),
    [
        ("0.0.0.0/0", "10.0.0.1", Family.INET4, None),
        ("::/0", "fe80::1", Family.INET6, None),
        ("::/0", None, Family.INET6, None),
        ("::/64", None, Family.INET6, "::/64"),
        ("0.0.0.0/0", "::", Family.INET6, None),
        ("10.0.0.0/8", None, Family.INET4, "10.0.0.0/8"),
        ("fd00::/64", "fd00::1", Family.INET6, "fd00::/64"),
    ],
)
def test_a_configured_routes_family_comes_from_what_normalizing_keeps(
        network: str, gateway: str | None, family: Family, destination: str | None) -> None:
    spec = route_config._static("eth0", net(network), gateway and ip(gateway), None, 1024, None, None)
    assert (spec.family, spec.destination) == (family, destination and net(destination))
    assert spec.gateway is None or int(spec.gateway) != 0
