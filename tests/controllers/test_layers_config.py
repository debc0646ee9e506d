"""Every configuration layer together with the merge controllers: KernelCmdline, links, a machine and a
platform configuration in; layered specs in network-config and merged specs in network out."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from networkd.controllers.layers import layer_controllers
from networkd.controllers.merge import merge_controllers
from networkd.daemon import Options
from networkd.resources.enums import ConfigLayer
from networkd.resources.link import LinkSpec
from networkd.resources.network import (
    NETWORK,
    AddressSpec,
    HostnameSpec,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from tests.controllers.layer_harness import Node, converge


def options(tmp_path: Path, config: str | None = None, platform: str | None = None) -> Options:
    paths = {}
    for name, text in (("config", config), ("platform", platform)):
        if text is not None:
            paths[name] = tmp_path / f"{name}.yaml"
            paths[name].write_text(text)
    return Options(socket=tmp_path / "sock", state_dir=tmp_path / "state", etc_dir=tmp_path / "etc",
                   config=paths.get("config"), platform_config=paths.get("platform"), cmdline="", listen=None,
                   pki=None, log_format="text", log_level="info")


def merged(n: Node, rt: object) -> dict[str, object]:
    return n.specs(rt, NETWORK)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_cmdline_only_node(tmp_path: Path) -> None:
    """B11 in the full system: the ip= link gets no default DHCP; the others do; lo is up with both addresses."""
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name)
    n.cmdline("ip=172.20.0.2:172.21.0.1:172.20.0.1:255.255.255.0:master1.example.com:eth1::10.0.0.1:10.0.0.2:10.0.0.1 "
              "ip=eth3:dhcp")
    async with n.running(*layer_controllers(options(tmp_path)), *merge_controllers()):
        await converge(lambda: set(merged(n, OperatorSpec.TYPE)), {"dhcp4/eth0", "dhcp4/eth2", "dhcp4/eth3"})
        await converge(lambda: set(merged(n, LinkSpec.TYPE)), {"lo", "eth0", "eth1", "eth2", "eth3"})
        assert set(merged(n, AddressSpec.TYPE)) == {"lo/127.0.0.1/8", "lo/::1/128", "eth1/172.20.0.2/24"}
        assert set(merged(n, RouteSpec.TYPE)) == {"inet4/172.20.0.1//1024"}
        assert merged(n, HostnameSpec.TYPE) == {"hostname": HostnameSpec(
            hostname="master1", domainname="example.com", layer=ConfigLayer.CMDLINE)}
        resolvers = merged(n, ResolverSpec.TYPE)["resolvers"]
        assert isinstance(resolvers, ResolverSpec)
        assert resolvers.dns_servers == (ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("10.0.0.2"))
        assert merged(n, TimeServerSpec.TYPE) == {"timeservers": TimeServerSpec(
            time_servers=("10.0.0.1",), layer=ConfigLayer.CMDLINE)}


CONFIG = """\
version: v1alpha1
machine:
  network:
    hostname: node-1
    nameservers: [9.9.9.9]
    interfaces:
      - interface: eth1
        mtu: 9000
        addresses: [192.168.1.10/24]
        routes:
          - network: 0.0.0.0/0
            gateway: 192.168.1.1
      - interface: eth2
        ignore: true
  time:
    servers: [time.example.com]
"""

PLATFORM = """\
links:
  - name: eth0
    up: true
    mtu: 1450
hostnames:
  - hostname: from-platform
operators:
  - operator: dhcp4
    linkName: eth0
    requireUp: true
    dhcp4:
      routeMetric: 100
"""


@pytest.mark.anyio
async def test_configuration_over_platform_over_cmdline_over_defaults(tmp_path: Path) -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2", "eth3"):
        n.link(name)
    n.cmdline("ip=10.0.0.5::10.0.0.1:255.255.255.0::eth1")
    async with n.running(*layer_controllers(options(tmp_path, CONFIG, PLATFORM)), *merge_controllers()):
        await converge(lambda: merged(n, HostnameSpec.TYPE).get("hostname"),
                       HostnameSpec(hostname="node-1", layer=ConfigLayer.CONFIGURATION))
        # eth0 is the platform's, eth1 the configuration's and the cmdline's, eth2 ignored: only eth3 defaults
        await converge(lambda: {i: getattr(s, "layer") for i, s in merged(n, OperatorSpec.TYPE).items()},  # noqa: B009
                       {"dhcp4/eth0": ConfigLayer.PLATFORM, "dhcp4/eth3": ConfigLayer.DEFAULT})
        links = merged(n, LinkSpec.TYPE)
        assert set(links) == {"lo", "eth0", "eth1", "eth3"}
        assert (getattr(links["eth0"], "mtu"), getattr(links["eth1"], "mtu")) == (1450, 9000)  # noqa: B009
        assert set(merged(n, AddressSpec.TYPE)) == {"lo/127.0.0.1/8", "lo/::1/128", "eth1/10.0.0.5/24",
                                                    "eth1/192.168.1.10/24"}
        assert set(merged(n, RouteSpec.TYPE)) == {"inet4/10.0.0.1//1024", "inet4/192.168.1.1//1024"}
        resolvers = merged(n, ResolverSpec.TYPE)["resolvers"]
        assert isinstance(resolvers, ResolverSpec) and resolvers.dns_servers == (ipaddress.ip_address("9.9.9.9"),)
        assert merged(n, TimeServerSpec.TYPE)["timeservers"] == TimeServerSpec(
            time_servers=("time.example.com",), layer=ConfigLayer.CONFIGURATION)
