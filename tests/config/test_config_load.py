"""Loading valid configurations: a full Talos machine config, every network kind, Talos's defaults."""

from __future__ import annotations

from ipaddress import ip_address, ip_interface, ip_network
from pathlib import Path

import pytest

from networkd.config import (
    AddressConfig,
    BondConfig,
    BridgeConfig,
    BridgeSTPConfig,
    BridgeVLANConfig,
    DHCPv4Config,
    DHCPv6Config,
    DummyLinkConfig,
    HostDNSConfig,
    HostnameConfig,
    Layer2VIPConfig,
    LinkConfig,
    MachineConfig,
    NameserverConfig,
    NTPConfig,
    ResolverConfig,
    RouteConfig,
    RoutingRuleConfig,
    SearchDomainsConfig,
    StaticHostConfig,
    TimeSyncConfig,
    V1Alpha1Config,
    VLANConfig,
    WireguardConfig,
    WireguardEndpoint,
    WireguardPeer,
    load,
)
from networkd.config.enums import AutoHostname
from networkd.config.v1alpha1 import (
    STP,
    Bridge,
    BridgePort,
    BridgeVLAN,
    DeviceSelector,
    DeviceVIPConfig,
    DHCPOptions,
    ExtraHost,
    Route,
)
from networkd.resources.enums import (
    AddressSortAlgorithm,
    BondMode,
    ClientIdentifier,
    DNSProtocol,
    LACPRate,
    PrimaryReselect,
    RoutingRuleAction,
    VLANProtocol,
    XmitHashPolicy,
)

DATA = Path(__file__).parent / "data"


def _load(name: str) -> MachineConfig:
    return load((DATA / name).read_text(), source=name)


def _legacy(name: str) -> V1Alpha1Config:
    legacy = _load(name).v1alpha1
    assert legacy is not None
    return legacy


def test_full_talos_machine_config_loads_and_keeps_raw_text() -> None:
    text = (DATA / "controlplane.yaml").read_text()
    config = load(text, source="controlplane.yaml")
    assert config.raw == text
    assert config.source == "controlplane.yaml"
    assert config.documents == ()
    assert config.ignored_kinds == ("VolumeConfig", "SideroLinkConfig", "KubePrismConfig")
    assert config.run_default_dhcp_operators()


def test_full_talos_machine_config_network_section() -> None:
    network = _legacy("controlplane.yaml").network
    assert network is not None
    assert network.hostname == "cp1.example.org"
    assert network.nameservers == (ip_address("10.5.0.1"), ip_address("2606:4700:4700::1111"))
    assert network.search_domains == ("example.org", "corp.example.org")
    assert network.extra_host_entries == (ExtraHost(ip_address("10.5.0.3"), ("cp2", "cp2.example.org")),)
    assert network.kubespan is not None and not network.kubespan.enabled
    assert [device.interface for device in network.interfaces] == [
        "eth0", None, "bond0", "br0", "eth5", "br1", "dummy0", "wg0", "eth9",
    ]  # fmt: skip

    eth0 = network.interfaces[0]
    assert eth0.addresses == (ip_interface("10.5.0.2/24"), ip_interface("fd00:5::2/64"))
    assert eth0.routes == (
        Route(network=ip_network("0.0.0.0/0"), gateway=ip_address("10.5.0.1"), metric=1024),
        Route(ip_network("192.168.0.0/18"), ip_address("10.5.0.25"), ip_address("10.5.0.2")),
    )
    assert eth0.mtu == 9000
    assert eth0.vip == DeviceVIPConfig(ip_address("10.5.0.10"))
    assert not eth0.dhcp
    (vlan,) = eth0.vlans
    assert (vlan.vlan_id, vlan.addresses, vlan.mtu, vlan.dhcp) == (100, (ip_interface("172.16.100.2/24"),), 1500, True)
    assert vlan.dhcp_options == DHCPOptions(route_metric=2048, ipv4=True, ipv6=False)

    selected = network.interfaces[1]
    assert selected.device_selector == DeviceSelector(hardware_addr="00:50:56:*", driver="vmxnet3")
    assert selected.dhcp_options == DHCPOptions(
        ipv4=True, ipv6=True, duidv6=bytes.fromhex("000100012c4f8b5e525400000001")
    )

    bond0 = network.interfaces[2]
    assert bond0.bond is not None
    assert (bond0.bond.mode, bond0.bond.interfaces, bond0.bond.primary) == (
        BondMode.ACTIVE_BACKUP,
        ("eth1", "eth2"),
        "eth1",
    )
    assert (bond0.bond.miimon, bond0.bond.updelay, bond0.bond.downdelay) == (100, 200, 200)
    assert bond0.addresses == (ip_interface("10.6.0.2/24"),)  # deprecated `cidr` joins `addresses`

    assert network.interfaces[3].bridge == Bridge(("eth3", "eth4"), STP(enabled=True), BridgeVLAN(vlan_filtering=True))
    assert network.interfaces[4].bridge_port == BridgePort("br1")
    assert network.interfaces[5].bridge == Bridge((), STP(enabled=False))
    assert network.interfaces[6].dummy
    wireguard = network.interfaces[7].wireguard
    assert wireguard is not None
    assert wireguard.listen_port == 51820
    (peer,) = wireguard.peers
    assert peer.endpoint == "192.168.1.3:51820"
    assert peer.persistent_keepalive_interval == 25.0
    assert peer.allowed_ips == (ip_network("10.10.0.0/24"), ip_network("192.168.2.0/24"))
    assert network.interfaces[8].ignore


def test_full_talos_machine_config_time_and_features() -> None:
    legacy = _legacy("controlplane.yaml")
    assert legacy.time is not None
    assert legacy.time.servers == ("time.cloudflare.com", "10.5.0.1", "[fd00:5::1]:123")
    assert legacy.time.boot_timeout == 150.0
    assert not legacy.time.disabled
    assert not legacy.features.stable_hostname
    assert legacy.features.node_address_sort_algorithm is AddressSortAlgorithm.V2
    assert legacy.features.host_dns == HostDNSConfig(enabled=True, forward_kube_dns_to_host=True)


def test_every_network_kind_loads() -> None:
    config = _load("network-documents.yaml")
    assert config.v1alpha1 is None
    assert [type(document).__name__ for document in config.documents] == [
        "LinkConfig", "DummyLinkConfig", "VLANConfig", "BondConfig", "BridgeConfig", "WireguardConfig",
        "HostnameConfig", "ResolverConfig", "TimeSyncConfig", "StaticHostConfig", "RoutingRuleConfig",
        "DHCPv4Config", "DHCPv6Config", "Layer2VIPConfig",
    ]  # fmt: skip
    assert not config.run_default_dhcp_operators()

    assert config.link("enp0s2") == LinkConfig(
        name="enp0s2",
        mtu=9000,
        addresses=(AddressConfig(ip_interface("192.168.1.100/24")), AddressConfig(ip_interface("fd00::1/64"), 100)),
        routes=(
            RouteConfig(destination=ip_network("10.0.0.0/8"), gateway=ip_address("192.168.1.1")),
            RouteConfig(gateway=ip_address("fe80::1"), metric=200, table=101),
        ),
        multicast=False,
    )
    assert config.link("dummy1") == DummyLinkConfig(name="dummy1", up=False, hardware_addr="02:42:ac:11:00:02")
    assert config.link("dummy1.100") == VLANConfig(
        name="dummy1.100", mtu=1400, vlan_id=100, parent="dummy1", vlan_mode=VLANProtocol.AD8021
    )
    bond = config.link("bond357")
    assert isinstance(bond, BondConfig)
    assert (bond.links, bond.bond_mode, bond.xmit_hash_policy, bond.lacp_rate) == (
        ("dummy2", "dummy3"),
        BondMode.IEEE8023AD,
        XmitHashPolicy.LAYER34,
        LACPRate.FAST,
    )
    assert (bond.miimon, bond.updelay, bond.downdelay, bond.ad_actor_sys_prio) == (100, 200, 200, 65535)
    assert bond.arp_ip_targets == (ip_address("10.15.0.1"),)
    assert bond.primary_reselect is PrimaryReselect.ALWAYS
    assert bond.primary is None and bond.use_carrier is None and bond.up
    assert config.link("br0") == BridgeConfig(
        name="br0", links=("enp0s3", "eth1"), stp=BridgeSTPConfig(True), vlan=BridgeVLANConfig(True)
    )
    assert config.link("wg1") == WireguardConfig(
        name="wg1",
        mtu=1420,
        addresses=(AddressConfig(ip_interface("192.168.1.100/24")),),
        private_key="OJ34O6J1z4ZZB+t16c+vYrzIrKddxyU3Z2eLhwYzqE8=",
        listen_port=51820,
        peers=(
            WireguardPeer(
                public_key="fP+xJZvUA5n1Pi/f5wcPiV6tZ6fHwqcGaXe98NfEgkE=",
                endpoint=WireguardEndpoint(ip_address("10.0.0.1"), 5180),
                persistent_keepalive_interval=90.0,
                allowed_ips=(ip_network("192.168.2.0/24"),),
            ),
            WireguardPeer(
                public_key="TDd25Cwq6tMZANIKUaqred+Zt+09HtCqwFeOLtKQ9Cs=",
                preshared_key="UpH8htYK7yJBPg5+q4M/Tx0o5ipHbeSZtI/h/mHxOeU=",
                endpoint=WireguardEndpoint(ip_address("fd00::2"), 51820),
            ),
        ),
    )
    assert config.hostname_config() == HostnameConfig(AutoHostname.OFF, "worker-33.example.org")
    assert config.resolver_config() == ResolverConfig(
        nameservers=(
            NameserverConfig(ip_address("9.9.9.9"), DNSProtocol.DOT, "dns.quad9.net"),
            NameserverConfig(ip_address("8.8.8.8")),
        ),
        search_domains=SearchDomainsConfig(("example.com", "example.org"), disable_default=True),
        host_dns=HostDNSConfig(enabled=True, resolve_member_names=True),
    )
    assert config.time_sync_config() == TimeSyncConfig(
        boot_timeout=30.0, ntp=NTPConfig(("pool.ntp.org", "10.0.0.1"), use_nts=True)
    )
    assert config.static_hosts() == (StaticHostConfig(ip_address("10.5.0.2"), ("my-server", "my-server.example.org")),)
    assert config.routing_rules() == (
        RoutingRuleConfig(priority=1000, table=100, src=ip_network("10.0.0.0/8"), action=RoutingRuleAction.UNICAST),
    )
    assert config.dhcpv4_configs() == (DHCPv4Config("enp0s2", 256, ignore_hostname=True, ignore_routes=True),)
    assert config.dhcpv6_configs() == (
        DHCPv6Config(
            "enp0s2", 512, client_identifier=ClientIdentifier.DUID, duid_raw=bytes.fromhex("0001000123456789abcdef01")
        ),
    )
    assert config.layer2_vips() == (Layer2VIPConfig(ip_address("192.168.1.50"), "enp0s2"),)


def test_legacy_and_network_documents_together() -> None:
    text = (DATA / "controlplane.yaml").read_text() + "\n---\n" + "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth7\n"
    config = load(text)
    assert config.v1alpha1 is not None and config.v1alpha1.network is not None
    assert config.links() == (LinkConfig(name="eth7"),)
    assert not config.run_default_dhcp_operators()


def test_talos_address_vectors() -> None:
    """talos_other_cases.md §4.1: bare IP -> /32 (/128), `cidr` accepted, ignored device still parsed."""
    config = load(
        """
version: v1alpha1
machine:
  network:
    interfaces:
      - {interface: eth3, cidr: 192.168.0.24/28}
      - {interface: eth4, ignore: true, cidr: 192.168.0.24/28}
      - {interface: eth2, cidr: 2001:470:6d:30e:8ed2:b60c:9d2f:803a/64}
      - {interface: eth5, cidr: 10.5.0.7}
      - {interface: eth6, addresses: [10.5.0.8, 2001:470:6d:30e:8ed2:b60c:9d2f:803b]}
      - interface: eth0
        vlans:
          - {vlanId: 24, cidr: 10.0.0.1/8}
          - {vlanId: 25, addresses: [11.0.0.1/8]}
"""
    )
    assert config.v1alpha1 is not None and config.v1alpha1.network is not None
    devices = {device.interface: device for device in config.v1alpha1.network.interfaces}
    assert devices["eth3"].addresses == (ip_interface("192.168.0.24/28"),)
    assert devices["eth4"].ignore
    assert devices["eth5"].addresses == (ip_interface("10.5.0.7/32"),)
    assert devices["eth6"].addresses == (
        ip_interface("10.5.0.8/32"),
        ip_interface("2001:470:6d:30e:8ed2:b60c:9d2f:803b/128"),
    )
    assert [vlan.addresses for vlan in devices["eth0"].vlans] == [
        (ip_interface("10.0.0.1/8"),),
        (ip_interface("11.0.0.1/8"),),
    ]


def test_defaults() -> None:
    """Talos defaults: dhcpOptions ipv4 on / ipv6 off, legacy STP on, new STP off, up true, client id mac."""
    config = load(
        """
version: v1alpha1
machine:
  network:
    interfaces:
      - {interface: eth1, dhcp: true}
      - {interface: br1, bridge: {interfaces: [eth2]}}
---
apiVersion: v1alpha1
kind: BridgeConfig
name: br2
---
apiVersion: v1alpha1
kind: DHCPv4Config
name: eth1
---
apiVersion: v1alpha1
kind: TimeSyncConfig
"""
    )
    assert config.v1alpha1 is not None and config.v1alpha1.network is not None
    eth1, br1 = config.v1alpha1.network.interfaces
    assert eth1.dhcp_options == DHCPOptions(route_metric=0, ipv4=True, ipv6=False)
    assert br1.bridge is not None and br1.bridge.stp.enabled
    assert config.link("br2") == BridgeConfig(name="br2", up=True, stp=BridgeSTPConfig(enabled=False))
    assert config.dhcpv4_configs()[0].client_identifier is ClientIdentifier.MAC
    assert config.time_sync_config() == TimeSyncConfig(enabled=True)


def test_zero_valued_choices_are_kept() -> None:
    """An enum member whose number is 0 (falsy) is a choice made, not a missing value."""
    config = load(
        """apiVersion: v1alpha1
kind: DHCPv4Config
name: eth0
clientIdentifier: none
---
apiVersion: v1alpha1
kind: BondConfig
name: bond0
links: [eth1]
bondMode: balance-rr
xmitHashPolicy: layer2
"""
    )
    assert config.dhcpv4_configs()[0].client_identifier is ClientIdentifier.NONE
    bond = config.link("bond0")
    assert isinstance(bond, BondConfig)
    assert bond.bond_mode is BondMode.BALANCE_RR and bond.xmit_hash_policy is XmitHashPolicy.LAYER2


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        ("", True),
        ("version: v1alpha1\nmachine: {network: {interfaces: [{interface: eth0, dhcp: true}]}}\n", True),
        ("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: a\n", True),
        ("apiVersion: v1alpha1\nkind: LinkConfig\nname: enp0s2\nmtu: 9001\n", False),
        ("apiVersion: v1alpha1\nkind: DummyLinkConfig\nname: dummy0\n", False),
        ("apiVersion: v1alpha1\nkind: DHCPv6Config\nname: eth0\n", False),
    ],
)
def test_run_default_dhcp_operators(documents: str, expected: bool) -> None:
    assert load(documents).run_default_dhcp_operators() is expected


def test_yaml_1_2_scalars_and_nulls() -> None:
    """`auto: off` stays a string, MAC-like values stay strings, null means absent, comments and anchors work."""
    config = load(
        """
apiVersion: v1alpha1
kind: HostnameConfig
auto: off   # YAML 1.1 would read a boolean here
---
apiVersion: v1alpha1
kind: DummyLinkConfig
name: dummy9
hardwareAddr: 10:00:00:00:00:01   # YAML 1.1 would read a sexagesimal integer here
mtu: ~
addresses:
  - &first {address: 10.9.0.1/24}
  - <<: *first
    routePriority: 5
"""
    )
    assert config.hostname_config() == HostnameConfig(auto=AutoHostname.OFF)
    assert config.link("dummy9") == DummyLinkConfig(
        name="dummy9",
        hardware_addr="10:00:00:00:00:01",
        addresses=(AddressConfig(ip_interface("10.9.0.1/24")), AddressConfig(ip_interface("10.9.0.1/24"), 5)),
    )


def test_integer_name_and_table_names() -> None:
    config = load(
        """
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: 200
table: main
---
apiVersion: v1alpha1
kind: RoutingRuleConfig
name: "300"
action: blackhole
dst: fd00::/8
"""
    )
    assert config.routing_rules() == (
        RoutingRuleConfig(priority=200, table=254),
        RoutingRuleConfig(priority=300, dst=ip_network("fd00::/8"), action=RoutingRuleAction.BLACKHOLE),
    )


def test_routes_through_one_gateway_share_its_address() -> None:
    text = "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\nroutes:\n" + "".join(
        f"  - destination: 10.{i}.0.0/16\n    gateway: 192.168.1.1\n" for i in range(3))
    routes = load(text).links()[0].routes
    assert [r.gateway for r in routes] == [ip_address("192.168.1.1")] * 3
    assert routes[0].gateway is routes[1].gateway is routes[2].gateway
