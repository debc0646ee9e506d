"""The legacy `v1alpha1` machine document, reduced to what networking reads.

`.machine.network`, `.machine.time` and three `.machine.features` keys (stableHostname,
nodeAddressSortAlgorithm, hostDNS); the rest of the document is accepted and not kept. Names are the
schema's in snake_case. Defaults are Talos's: `dhcpOptions.ipv4` true and `ipv6` false, bridge STP
enabled, a bare address in `addresses` is /32 or /128, and the deprecated `cidr` is folded into
`addresses`.
"""

from __future__ import annotations

from dataclasses import dataclass

from networkd.config.documents import HostDNSConfig
from networkd.config.values import IPAddress, IPInterface, IPNetwork
from networkd.resources.enums import (
    AddressSortAlgorithm,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    FailOverMAC,
    LACPRate,
    PrimaryReselect,
    XmitHashPolicy,
)


@dataclass(frozen=True, slots=True)
class DeviceSelector:
    """Picks links by properties; strings may hold `*` wildcards."""

    bus_path: str | None = None
    hardware_addr: str | None = None
    permanent_addr: str | None = None
    pci_id: str | None = None
    driver: str | None = None
    physical: bool | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A legacy route; `network` None with a gateway is a default route, metric 0 means 1024."""

    network: IPNetwork | None = None
    gateway: IPAddress | None = None
    source: IPAddress | None = None
    metric: int = 0
    mtu: int | None = None


@dataclass(frozen=True, slots=True)
class DHCPOptions:
    """DHCP client options of a device or VLAN (`duidv6` as bytes)."""

    route_metric: int = 0
    ipv4: bool = True
    ipv6: bool = False
    duidv6: bytes | None = None


@dataclass(frozen=True, slots=True)
class VIPEquinixMetalConfig:
    """Equinix Metal API access for a VIP."""

    api_token: str


@dataclass(frozen=True, slots=True)
class VIPHCloudConfig:
    """Hetzner Cloud API access for a VIP."""

    api_token: str


@dataclass(frozen=True, slots=True)
class DeviceVIPConfig:
    """A shared (virtual) IP on a device or VLAN."""

    ip: IPAddress
    equinix_metal: VIPEquinixMetalConfig | None = None
    hcloud: VIPHCloudConfig | None = None


@dataclass(frozen=True, slots=True)
class Bond:
    """Legacy bond options; None leaves the Talos/kernel default."""

    interfaces: tuple[str, ...] = ()
    device_selectors: tuple[DeviceSelector, ...] = ()
    mode: BondMode | None = None
    xmit_hash_policy: XmitHashPolicy | None = None
    lacp_rate: LACPRate | None = None
    arp_validate: ARPValidate | None = None
    arp_all_targets: ARPAllTargets | None = None
    primary: str | None = None
    primary_reselect: PrimaryReselect | None = None
    fail_over_mac: FailOverMAC | None = None
    ad_select: ADSelect | None = None
    miimon: int | None = None
    updelay: int | None = None
    downdelay: int | None = None
    arp_interval: int | None = None
    resend_igmp: int | None = None
    min_links: int | None = None
    lp_interval: int | None = None
    packets_per_slave: int | None = None
    num_peer_notif: int | None = None
    tlb_dynamic_lb: int | None = None
    all_slaves_active: int | None = None
    use_carrier: bool | None = None
    ad_actor_sys_prio: int | None = None
    ad_user_port_key: int | None = None
    peer_notify_delay: int | None = None


@dataclass(frozen=True, slots=True)
class STP:
    """Spanning tree of a legacy bridge: enabled unless disabled (Talos legacy default)."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class BridgeVLAN:
    """VLAN awareness of a legacy bridge."""

    vlan_filtering: bool = False


@dataclass(frozen=True, slots=True)
class Bridge:
    """Legacy bridge options."""

    interfaces: tuple[str, ...] = ()
    stp: STP = STP()
    vlan: BridgeVLAN = BridgeVLAN()


@dataclass(frozen=True, slots=True)
class BridgePort:
    """Makes the device a port of bridge `master`."""

    master: str


@dataclass(frozen=True, slots=True)
class Vlan:
    """A VLAN on a device (link name `<device>.<vlan_id>`); addresses need a prefix length."""

    vlan_id: int
    addresses: tuple[IPInterface, ...] = ()
    routes: tuple[Route, ...] = ()
    dhcp: bool = False
    mtu: int | None = None
    vip: DeviceVIPConfig | None = None
    dhcp_options: DHCPOptions = DHCPOptions()


@dataclass(frozen=True, slots=True)
class DeviceWireguardPeer:
    """A legacy WireGuard peer; `endpoint` is `host:port`, the keepalive in seconds."""

    public_key: str
    endpoint: str | None = None
    persistent_keepalive_interval: float | None = None
    allowed_ips: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceWireguardConfig:
    """Legacy WireGuard settings of a device."""

    private_key: str
    listen_port: int | None = None
    firewall_mark: int | None = None
    peers: tuple[DeviceWireguardPeer, ...] = ()


@dataclass(frozen=True, slots=True)
class Device:
    """One entry of `.machine.network.interfaces`: exactly one of `interface` and `device_selector`."""

    interface: str | None = None
    device_selector: DeviceSelector | None = None
    addresses: tuple[IPInterface, ...] = ()
    routes: tuple[Route, ...] = ()
    bond: Bond | None = None
    bridge: Bridge | None = None
    bridge_port: BridgePort | None = None
    vlans: tuple[Vlan, ...] = ()
    mtu: int | None = None
    dhcp: bool = False
    ignore: bool = False
    dummy: bool = False
    dhcp_options: DHCPOptions = DHCPOptions()
    wireguard: DeviceWireguardConfig | None = None
    vip: DeviceVIPConfig | None = None


@dataclass(frozen=True, slots=True)
class ExtraHost:
    """An extra /etc/hosts entry."""

    ip: IPAddress
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KubeSpanFilters:
    """Which addresses KubeSpan advertises; `endpoints` entries are prefixes or addresses, `!` negates."""

    endpoints: tuple[str, ...] = ()
    exclude_advertised_networks: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkKubeSpan:
    """Legacy KubeSpan settings."""

    enabled: bool = False
    advertise_kubernetes_networks: bool = False
    allow_down_peer_bypass: bool = False
    harvest_extra_endpoints: bool = False
    mtu: int | None = None
    filters: KubeSpanFilters = KubeSpanFilters()


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """`.machine.network`."""

    hostname: str | None = None
    interfaces: tuple[Device, ...] = ()
    nameservers: tuple[IPAddress, ...] = ()
    search_domains: tuple[str, ...] = ()
    extra_host_entries: tuple[ExtraHost, ...] = ()
    kubespan: NetworkKubeSpan | None = None
    disable_search_domain: bool = False


@dataclass(frozen=True, slots=True)
class TimeConfig:
    """`.machine.time`; `boot_timeout` in seconds."""

    disabled: bool = False
    servers: tuple[str, ...] = ()
    boot_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class FeaturesConfig:
    """The networking part of `.machine.features`."""

    stable_hostname: bool = False
    node_address_sort_algorithm: AddressSortAlgorithm | None = None
    host_dns: HostDNSConfig | None = None


@dataclass(frozen=True, slots=True)
class V1Alpha1Config:
    """The networking part of the `version: v1alpha1` document; a missing section is None."""

    network: NetworkConfig | None = None
    time: TimeConfig | None = None
    features: FeaturesConfig = FeaturesConfig()
