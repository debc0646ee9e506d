"""Multi-document network configuration (`apiVersion: v1alpha1`, `kind: ...`), one dataclass per kind.

Field names are the schema's in snake_case; values are typed and Talos's defaults are applied
(`up` true, `clientIdentifier` mac, `vlanMode` 802.1q, ...). Optional settings whose absence means
"leave the system default" are None. Where a document's `name` is an address or a priority, the field
carries the parsed value and says so (`ip`, `priority`).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from networkd.config.enums import AutoHostname
from networkd.config.values import IPAddress, IPInterface, IPNetwork
from networkd.fastinit import fast_init
from networkd.resources.enums import (
    ADLACPActive,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    ClientIdentifier,
    DNSProtocol,
    FailOverMAC,
    LACPRate,
    PrimaryReselect,
    RoutingRuleAction,
    VLANProtocol,
    XmitHashPolicy,
)


@fast_init  # a config may hold thousands of addresses and routes
@dataclass(frozen=True, slots=True)
class AddressConfig:
    """A static address of a link; `route_priority` is the metric of the routes it creates."""

    address: IPInterface
    route_priority: int | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class RouteConfig:
    """A static route via a link. No destination: default route of the gateway's family."""

    destination: IPNetwork | None = None
    gateway: IPAddress | None = None
    source: IPAddress | None = None
    metric: int | None = None
    mtu: int | None = None
    #: Routing table number (`main` is 254); None means the main table.
    table: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommonLinkConfig:
    """Settings every link document shares (Talos `CommonLinkConfig`); `name` is the link."""

    name: str
    up: bool = True
    mtu: int | None = None
    addresses: tuple[AddressConfig, ...] = ()
    routes: tuple[RouteConfig, ...] = ()
    multicast: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkConfig(CommonLinkConfig):
    """Configuration of an existing (physical) link, by name, alias or altname."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyLinkConfig(CommonLinkConfig):
    """A dummy link to create."""

    hardware_addr: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VLANConfig(CommonLinkConfig):
    """A VLAN link to create on `parent`."""

    vlan_id: int
    parent: str
    vlan_mode: VLANProtocol = VLANProtocol.Q8021


@dataclass(frozen=True, slots=True, kw_only=True)
class BondConfig(CommonLinkConfig):
    """A bond to create over `links`; None leaves the kernel default."""

    links: tuple[str, ...]
    bond_mode: BondMode
    hardware_addr: str | None = None
    miimon: int | None = None
    updelay: int | None = None
    downdelay: int | None = None
    use_carrier: bool | None = None
    xmit_hash_policy: XmitHashPolicy | None = None
    arp_interval: int | None = None
    arp_ip_targets: tuple[IPv4Address, ...] = ()
    ns_ip6_targets: tuple[IPv6Address, ...] = ()
    arp_validate: ARPValidate | None = None
    arp_all_targets: ARPAllTargets | None = None
    lacp_rate: LACPRate | None = None
    fail_over_mac: FailOverMAC | None = None
    ad_select: ADSelect | None = None
    ad_actor_sys_prio: int | None = None
    ad_user_port_key: int | None = None
    ad_lacp_active: ADLACPActive | None = None
    primary: str | None = None
    primary_reselect: PrimaryReselect | None = None
    resend_igmp: int | None = None
    min_links: int | None = None
    lp_interval: int | None = None
    packets_per_slave: int | None = None
    num_peer_notif: int | None = None
    tlb_logical_lb: int | None = None
    all_slaves_active: int | None = None
    peer_notif_delay: int | None = None
    missed_max: int | None = None


@dataclass(frozen=True, slots=True)
class BridgeSTPConfig:
    """Spanning tree of a new-style bridge: off unless enabled (Talos ValueOrZero, unlike legacy)."""

    enabled: bool = False


@dataclass(frozen=True, slots=True)
class BridgeVLANConfig:
    """VLAN awareness of a bridge."""

    filtering: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeConfig(CommonLinkConfig):
    """A bridge to create with `links` as ports."""

    links: tuple[str, ...] = ()
    hardware_addr: str | None = None
    stp: BridgeSTPConfig = BridgeSTPConfig()
    vlan: BridgeVLANConfig = BridgeVLANConfig()


@dataclass(frozen=True, slots=True)
class WireguardEndpoint:
    """`address:port` of a WireGuard peer."""

    address: IPAddress
    port: int


@dataclass(frozen=True, slots=True)
class WireguardPeer:
    """A WireGuard peer; `persistent_keepalive_interval` is in seconds."""

    public_key: str
    preshared_key: str | None = None
    endpoint: WireguardEndpoint | None = None
    persistent_keepalive_interval: float | None = None
    allowed_ips: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WireguardConfig(CommonLinkConfig):
    """A WireGuard link to create."""

    private_key: str
    listen_port: int | None = None
    firewall_mark: int | None = None
    peers: tuple[WireguardPeer, ...] = ()


@dataclass(frozen=True, slots=True)
class HostnameConfig:
    """Static hostname and/or automatic hostname method (`auto` may accompany `hostname` only as off)."""

    auto: AutoHostname | None = None
    hostname: str | None = None


@dataclass(frozen=True, slots=True)
class NameserverConfig:
    """One DNS server and the protocol to reach it."""

    address: IPAddress
    protocol: DNSProtocol = DNSProtocol.DO53
    tls_server_name: str | None = None


@dataclass(frozen=True, slots=True)
class SearchDomainsConfig:
    """Search domains: None inherits (DHCP, platform), () clears them; `disable_default` drops the FQDN one."""

    domains: tuple[str, ...] | None = None
    disable_default: bool = False


@dataclass(frozen=True, slots=True)
class HostDNSConfig:
    """The host's caching DNS resolver (ResolverConfig `hostDNS`, legacy `.machine.features.hostDNS`)."""

    enabled: bool = False
    forward_kube_dns_to_host: bool = False
    resolve_member_names: bool = False


@dataclass(frozen=True, slots=True)
class ResolverConfig:
    """DNS resolution settings."""

    nameservers: tuple[NameserverConfig, ...] = ()
    search_domains: SearchDomainsConfig = SearchDomainsConfig()
    host_dns: HostDNSConfig | None = None


@dataclass(frozen=True, slots=True)
class NTPConfig:
    """NTP servers (names or addresses)."""

    servers: tuple[str, ...] = ()
    use_nts: bool = False


@dataclass(frozen=True, slots=True)
class PTPConfig:
    """PTP clock devices (paths under /dev)."""

    devices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeSyncConfig:
    """Time synchronisation; `boot_timeout` is in seconds, at most one of `ntp` and `ptp` is set."""

    enabled: bool = True
    boot_timeout: float | None = None
    ntp: NTPConfig | None = None
    ptp: PTPConfig | None = None


@dataclass(frozen=True, slots=True)
class StaticHostConfig:
    """An /etc/hosts entry; `ip` is the document's `name`."""

    ip: IPAddress
    hostnames: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoutingRuleConfig:
    """A policy routing rule; `priority` is the document's `name`, `table` a table number."""

    priority: int
    table: int | None = None
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    action: RoutingRuleAction = RoutingRuleAction.UNICAST
    iif_name: str | None = None
    oif_name: str | None = None
    fw_mark: int | None = None
    fw_mask: int | None = None


@dataclass(frozen=True, slots=True)
class DHCPv4Config:
    """Run a DHCPv4 client on link `name`."""

    name: str
    route_metric: int | None = None
    ignore_hostname: bool = False
    ignore_routes: bool = False
    client_identifier: ClientIdentifier = ClientIdentifier.MAC
    duid_raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class DHCPv6Config:
    """Run a DHCPv6 client on link `name`."""

    name: str
    route_metric: int | None = None
    ignore_hostname: bool = False
    client_identifier: ClientIdentifier = ClientIdentifier.MAC
    duid_raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class Layer2VIPConfig:
    """A shared address announced with gratuitous ARP / unsolicited NA; `ip` is the document's `name`."""

    ip: IPAddress
    link: str


LinkDocument = LinkConfig | DummyLinkConfig | VLANConfig | BondConfig | BridgeConfig | WireguardConfig
NetworkDocument = (
    LinkDocument
    | HostnameConfig
    | ResolverConfig
    | TimeSyncConfig
    | StaticHostConfig
    | RoutingRuleConfig
    | DHCPv4Config
    | DHCPv6Config
    | Layer2VIPConfig
)
