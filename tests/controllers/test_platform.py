"""The platform configuration: the loader (typed specs, located errors) and PlatformConfigApplyController."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest
import yaml

from networkd.controllers.platform_config import PlatformConfigApplyController, platform_specs
from networkd.platform import FieldError, PlatformConfig, PlatformConfigError, load
from networkd.resources.base import to_plain
from networkd.resources.enums import (
    AddressFlags,
    ADLACPActive,
    BondMode,
    ConfigLayer,
    Family,
    LinkType,
    Operator,
    RouteProtocol,
    RouteType,
    RoutingTable,
    Scope,
    XmitHashPolicy,
)
from networkd.resources.link import BondMasterSpec, BondSlave, LinkSpec
from networkd.resources.network import (
    NETWORK,
    AddressSpec,
    AddressStatus,
    DHCP4OperatorSpec,
    HostnameSpec,
    NameServerSpec,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from networkd.resources.values import HardwareAddr
from tests.controllers.layer_harness import Node, converge

# Written the way Talos marshals a PlatformConfigSpec (bond over two ports, VLAN, routes, DNS, DHCP).
PLATFORM = """\
addresses:
    - address: 147.75.78.41/31
      linkName: bond0
      family: inet4
      scope: global
      flags: permanent
      layer: platform
    - address: 2604:1380:45d1:fd00::11/127
      linkName: bond0
      family: inet6
      scope: global
      flags: permanent
links:
    - name: eth1
      logical: false
      up: true
      mtu: 0
      kind: ""
      type: netrom
      masterName: bond0
    - name: eth2
      up: true
      masterName: bond0
      slaveIndex: 1
    - name: bond0
      logical: true
      up: true
      kind: bond
      type: ether
      hardwareAddr: 4c:d9:8f:b3:34:f7
      bondMaster:
        mode: 802.3ad
        xmitHashPolicy: layer3+4
        miimon: 100
        adLacpActive: on
    - name: bond0.100
      logical: true
      up: true
      mtu: 1400
      kind: vlan
      type: ether
      parentName: bond0
      vlan:
        vlanID: 100
        vlanProtocol: 802.1q
routes:
    - family: inet4
      dst: ""
      src: ""
      gateway: 147.75.78.40
      outLinkName: bond0
      table: main
      priority: 1024
      scope: global
      type: unicast
      flags: ""
      protocol: static
    - family: inet6
      gateway: 2604:1380:45d1:fd00::10
      outLinkName: bond0
      table: main
      priority: 2048
      protocol: static
hostnames:
    - hostname: infra-green-ci
      domainname: example.com
resolvers:
    - dnsServers:
        - 169.254.169.254
timeServers:
    - timeServers:
        - metadata.google.internal
operators:
    - operator: dhcp4
      linkName: eth0
      requireUp: true
      dhcp4:
        routeMetric: 1024
    - operator: dhcp6
      linkName: eth0
externalIPs:
    - 147.75.78.41
    - 2604:1380:45d1:fd00::11
metadata:
    platform: equinixMetal
    hostname: infra-green-ci
"""


def test_loader_reads_talos_platform_yaml() -> None:
    cfg = load(PLATFORM)
    assert cfg.addresses[0] == AddressSpec(address=ipaddress.ip_interface("147.75.78.41/31"), link_name="bond0",
                                           family=Family.INET4, flags=AddressFlags.PERMANENT,
                                           layer=ConfigLayer.PLATFORM)
    assert cfg.addresses[1].layer == ConfigLayer.DEFAULT  # the controller moves everything to the platform layer
    assert cfg.links[0] == LinkSpec(name="eth1", up=True, bond_slave=BondSlave(master_name="bond0"))
    bond = cfg.links[2]
    assert (bond.kind, bond.type, bond.hardware_addr) == ("bond", LinkType.ETHER,
                                                          HardwareAddr.parse("4c:d9:8f:b3:34:f7"))
    assert bond.bond_master == BondMasterSpec(mode=BondMode.IEEE8023AD, hash_policy=XmitHashPolicy.LAYER34,
                                              mii_mon=100, ad_lacp_active=ADLACPActive.ON)
    assert cfg.links[3].vlan is not None and cfg.links[3].vlan.vid == 100
    assert cfg.routes[0] == RouteSpec(family=Family.INET4, gateway=ipaddress.ip_address("147.75.78.40"),
                                      out_link_name="bond0", table=RoutingTable.MAIN, priority=1024,
                                      type=RouteType.UNICAST, protocol=RouteProtocol.STATIC)
    assert cfg.hostnames == (HostnameSpec(hostname="infra-green-ci", domainname="example.com"),)
    # resolvers get both forms of their servers, as Talos's Convert()
    assert cfg.resolvers[0].name_servers == (NameServerSpec(addr=ipaddress.ip_address("169.254.169.254")),)
    assert cfg.time_servers == (TimeServerSpec(time_servers=("metadata.google.internal",)),)
    assert cfg.operators[0].dhcp4 == DHCP4OperatorSpec(route_metric=1024)
    assert cfg.operators[1].dhcp6 is not None  # settings default when left out
    assert [str(ip) for ip in cfg.external_ips] == ["147.75.78.41", "2604:1380:45d1:fd00::11"]


def test_loader_round_trips_through_the_yaml_rendering() -> None:
    """What networkd renders for a spec (as `talosctl get -o yaml` shows it) loads back into the same spec."""
    cfg = load(PLATFORM)
    keys = {"addresses": cfg.addresses, "links": cfg.links, "routes": cfg.routes, "hostnames": cfg.hostnames,
            "resolvers": cfg.resolvers, "timeServers": cfg.time_servers, "operators": cfg.operators}
    again = load(yaml.safe_dump({k: [to_plain(s) for s in v] for k, v in keys.items()}))
    assert dataclasses.replace(again, external_ips=cfg.external_ips) == cfg


@pytest.mark.parametrize("text", ["", "---\n", "addresses: []\nlinks: null\n"])
def test_loader_empty(text: str) -> None:
    assert load(text) == PlatformConfig()


@pytest.mark.parametrize(("text", "errors"), [
    ("addresses:\n  - address: 10.0.0.1/8\n    family: inet6\n    linkName: eth0\n",
     [FieldError("addresses[0].family", "inet6 does not match address 10.0.0.1/8")]),
    ("addresses:\n  - address: 10.0.0.1\n    family: inet4\n",
     [FieldError("addresses[0].address", "'10.0.0.1' is not an address with a prefix length: "
                 "the prefix length is missing"),
      FieldError("addresses[0].linkName", "is required")]),
    ("links:\n  - name: eth0\n    mtu: -1\n    bondMaster:\n      mode: 802.3xx\n    vlan:\n      vlanID: 0\n"
     "    linkname: x\n",
     [FieldError("links[0].mtu", "must be between 0 and 4294967295, got -1"),
      FieldError("links[0].bondMaster.mode", "'802.3xx' is not one of balance-rr, active-backup, balance-xor, "
                 "broadcast, 802.3ad, balance-tlb, balance-alb"),
      FieldError("links[0].linkname", "unknown field")]),
    ("links:\n  - name: ''\n    vlan:\n      vlanID: 0\n",
     [FieldError("links[0].name", "must not be empty"),
      FieldError("links[0].vlan.vlanID", "must be between 1 and 4095, got 0")]),
    ("routes:\n  - family: inet4\n    dst: 10.0.0.1/8\n    gateway: fe80::1\n",
     [FieldError("routes[0].dst", "'10.0.0.1/8' is not a network prefix: 10.0.0.1/8 has host bits set")]),
    ("routes:\n  - family: inet4\n    gateway: fe80::1\n  - up: yes\n",
     [FieldError("routes[0].gateway", "fe80::1 is not an inet4 address"),
      FieldError("routes[1].family", "is required"), FieldError("routes[1].up", "unknown field")]),
    ("hostnames:\n  - hostname: ''\n", [FieldError("hostnames[0].hostname", "'' must be 1 to 63 characters long")]),
    ("operators:\n  - operator: vip\n    linkName: eth0\n  - operator: dhcp5\n",
     [FieldError("operators[0].vip", "is required for operator vip"),
      FieldError("operators[1].operator", "'dhcp5' is not one of dhcp4, dhcp6, vip"),
      FieldError("operators[1].linkName", "is required")]),
    ("externalIPs: [1.2.3.4, nope]\nprobe: []\n",
     [FieldError("externalIPs[1]", "'nope' is not an IP address: 'nope' does not appear to be an IPv4 or IPv6 address"),
      FieldError("probe", "unknown field; expected one of addresses, links, routes, hostnames, resolvers, "
                 "timeServers, operators, externalIPs, probes, metadata")]),
    ("links: {name: eth0}\n", [FieldError("links", "must be a list, got a mapping")]),
    ("- a\n", [FieldError("", "must be a mapping, got a list")]),
    ("links: [\n",
     [FieldError("", "invalid YAML at line 2, column 1: expected the node content, but found '<stream end>'")]),
    ("a: 1\na: 2\n", [FieldError("", "invalid YAML at line 2, column 1: found duplicate key 'a'")]),
])
def test_loader_errors_have_field_paths(text: str, errors: list[FieldError]) -> None:
    with pytest.raises(PlatformConfigError) as info:
        load(text, source="p.yaml")
    assert list(info.value.errors) == errors
    assert str(info.value).startswith(f"p.yaml: invalid platform configuration ({len(errors)} error")


def test_platform_specs_are_moved_to_the_platform_layer_and_bonds_filled() -> None:
    specs = platform_specs(load(PLATFORM))
    assert set(specs) == {
        "platform/bond0/147.75.78.41/31", "platform/bond0/2604:1380:45d1:fd00::11/127",
        "platform/eth1", "platform/eth2", "platform/bond0", "platform/bond0.100",
        "platform/inet4/147.75.78.40//1024", "platform/bond0/inet6/2604:1380:45d1:fd00::10//2048",
        "platform/hostname", "platform/resolvers", "platform/timeservers", "platform/dhcp4/eth0", "platform/dhcp6/eth0",
    }
    assert {getattr(s, "layer") for s in specs.values()} == {ConfigLayer.PLATFORM}  # noqa: B009
    bond = specs["platform/bond0"]
    assert isinstance(bond, LinkSpec) and bond.bond_master is not None
    master = bond.bond_master
    assert (master.use_carrier, master.ad_actor_sys_prio, master.resend_igmp, master.missed_max) == (True, 65535, 1, 0)
    resolver = specs["platform/resolvers"]
    assert isinstance(resolver, ResolverSpec) and resolver.dns_servers == (ipaddress.ip_address("169.254.169.254"),)


@pytest.mark.anyio
async def test_controller_publishes_specs_and_external_ips(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(PLATFORM)
    n = Node()
    async with n.running(PlatformConfigApplyController(path)):
        await converge(lambda: n.ids(AddressStatus.TYPE, NETWORK),
                       {"external/147.75.78.41/32", "external/2604:1380:45d1:fd00::11/128"})
        assert n.specs(AddressStatus.TYPE, NETWORK)["external/147.75.78.41/32"] == AddressStatus(
            address=ipaddress.ip_interface("147.75.78.41/32"), link_name="external", family=Family.INET4,
            scope=Scope.GLOBAL)
        await converge(lambda: n.ids(OperatorSpec.TYPE), {"platform/dhcp4/eth0", "platform/dhcp6/eth0"})
        op = n.specs(OperatorSpec.TYPE)["platform/dhcp4/eth0"]
        assert (op.operator, op.layer, op.require_up) == (Operator.DHCP4, ConfigLayer.PLATFORM, True)
        assert n.ids(LinkSpec.TYPE) == {"platform/eth1", "platform/eth2", "platform/bond0", "platform/bond0.100"}
        owner = n.st.get("network-config", LinkSpec.TYPE.type, "platform/bond0").metadata.owner
        assert owner == "network.PlatformConfigApplyController"


@pytest.mark.anyio
async def test_controller_with_an_invalid_file_publishes_nothing(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("links:\n  - name: eth0\n    mtu: big\n")
    n = Node()
    async with n.running(PlatformConfigApplyController(path)):
        await converge(lambda: "links[0].mtu: must be an integer" in caplog.text, True)
        assert n.ids(LinkSpec.TYPE) == set()
