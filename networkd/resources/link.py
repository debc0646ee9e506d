"""Links: LinkSpec (desired), LinkStatus (observed), HardwareAddr (first physical MAC) and their parts."""

from __future__ import annotations

from dataclasses import dataclass

from networkd.resources.base import Spec, resource_type, yfield
from networkd.resources.enums import (
    ADLACPActive,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    ConfigLayer,
    Duplex,
    FailOverMAC,
    LACPRate,
    LinkFlags,
    LinkType,
    OperationalState,
    Port,
    PrimaryReselect,
    RoutingTable,
    VLANProtocol,
    XmitHashPolicy,
)
from networkd.resources.network import NETWORK
from networkd.resources.values import Duration, HardwareAddr, IPAddr, IPPrefix


@dataclass(frozen=True, slots=True, kw_only=True)
class BondSlave:
    """Membership of a bond (inlined into LinkSpec)."""

    master_name: str = yfield(omitempty=True, default="")
    slave_index: int = yfield(omitempty=True, default=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeSlave:
    """Membership of a bridge."""

    master_name: str = yfield(omitempty=True, default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class VRFSlave:
    """Membership of a VRF."""

    master_name: str = yfield(omitempty=True, default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class VLANSpec:
    """VLAN settings of a vlan link."""

    vid: int = yfield("vlanID")
    protocol: VLANProtocol = yfield("vlanProtocol", default=VLANProtocol.Q8021)


@dataclass(frozen=True, slots=True, kw_only=True)
class BondMasterSpec:
    """Bond settings (the kernel's bonding options)."""

    mode: BondMode = BondMode.BALANCE_RR
    hash_policy: XmitHashPolicy = yfield("xmitHashPolicy", default=XmitHashPolicy.LAYER2)
    lacp_rate: LACPRate = LACPRate.SLOW
    arp_validate: ARPValidate = ARPValidate.NONE
    arp_all_targets: ARPAllTargets = ARPAllTargets.ANY
    primary_index: int | None = yfield(omitnil=True, default=None)
    primary_reselect: PrimaryReselect = PrimaryReselect.ALWAYS
    fail_over_mac: FailOverMAC = FailOverMAC.NONE
    ad_select: ADSelect = yfield(omitempty=True, default=ADSelect.STABLE)
    mii_mon: int = yfield("miimon", omitempty=True, default=0)
    up_delay: int = yfield("updelay", omitempty=True, default=0)
    down_delay: int = yfield("downdelay", omitempty=True, default=0)
    arp_interval: int = yfield(omitempty=True, default=0)
    resend_igmp: int = yfield(omitempty=True, default=0)
    min_links: int = yfield(omitempty=True, default=0)
    lp_interval: int = yfield(omitempty=True, default=0)
    packets_per_slave: int = yfield(omitempty=True, default=0)
    num_peer_notif: int = yfield(omitempty=True, default=0)
    tlb_dynamic_lb: int = yfield("tlbLogicalLb", omitempty=True, default=0)
    all_slaves_active: int = yfield(omitempty=True, default=0)
    use_carrier: bool = yfield(omitempty=True, default=False)
    ad_actor_sys_prio: int = yfield(omitempty=True, default=0)
    ad_user_port_key: int = yfield(omitempty=True, default=0)
    peer_notify_delay: int = yfield(omitempty=True, default=0)
    arp_ip_targets: tuple[IPAddr, ...] = yfield(omitempty=True, default=())
    ns_ip6_targets: tuple[IPAddr, ...] = yfield(omitempty=True, default=())
    ad_lacp_active: ADLACPActive | None = yfield(omitnil=True, default=None)
    missed_max: int = yfield(omitempty=True, default=0)
    primary: str = yfield(omitempty=True, default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class STPSpec:
    """Bridge spanning tree settings."""

    enabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeVLANSpec:
    """Bridge VLAN settings."""

    filtering_enabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeMasterSpec:
    """Bridge settings."""

    stp: STPSpec = yfield(omitempty=True, default_factory=STPSpec)
    vlan: BridgeVLANSpec = yfield(omitempty=True, default_factory=BridgeVLANSpec)


@dataclass(frozen=True, slots=True, kw_only=True)
class VRFMasterSpec:
    """VRF settings."""

    table: RoutingTable = RoutingTable.UNSPEC


@dataclass(frozen=True, slots=True, kw_only=True)
class VethSpec:
    """Veth settings."""

    peer_name: str = yfield(omitempty=True, default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class WireguardPeer:
    """A WireGuard peer."""

    public_key: str
    preshared_key: str = ""
    endpoint: str = ""
    persistent_keepalive_interval: Duration = Duration()
    allowed_ips: tuple[IPPrefix, ...] = yfield("allowedIPs", default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class WireguardSpec:
    """WireGuard settings; the private key only in specs, the public key only in statuses."""

    private_key: str = yfield(omitempty=True, default="")
    public_key: str = yfield(omitempty=True, default="")
    listen_port: int = 0
    firewall_mark: int = 0
    peers: tuple[WireguardPeer, ...] = ()


@resource_type("LinkSpecs.net.talos.dev", "LinkSpec", NETWORK, sensitive=True)
@dataclass(frozen=True, slots=True, kw_only=True)
class LinkSpec(Spec):
    """A desired link; the kind-specific parts are None unless the link is of that kind."""

    name: str
    logical: bool = False
    up: bool = False
    mtu: int = 0
    kind: str = ""
    type: LinkType = LinkType.NETROM
    hardware_addr: HardwareAddr | None = yfield("hardwareAddr", omitempty=True, default=None)
    parent_name: str = yfield(omitempty=True, default="")
    bond_slave: BondSlave | None = yfield(inline=True, default=None)
    bridge_slave: BridgeSlave | None = yfield(omitempty=True, default=None)
    vrf_slave: VRFSlave | None = yfield(omitempty=True, default=None)
    vlan: VLANSpec | None = yfield(omitempty=True, default=None)
    bond_master: BondMasterSpec | None = yfield(omitempty=True, default=None)
    bridge_master: BridgeMasterSpec | None = yfield(omitempty=True, default=None)
    vrf_master: VRFMasterSpec | None = yfield(omitempty=True, default=None)
    wireguard: WireguardSpec | None = yfield(omitempty=True, default=None)
    veth: VethSpec | None = yfield(omitempty=True, default=None)
    layer: ConfigLayer = ConfigLayer.DEFAULT
    multicast: bool | None = yfield(omitnil=True, default=None)


@resource_type(
    "LinkStatuses.net.talos.dev",
    "LinkStatus",
    NETWORK,
    aliases=("link", "links"),
    columns=(
        ("Alias", "{.alias}"),
        ("Type", "{.type}"),
        ("Kind", "{.kind}"),
        ("Hw Addr", "{.hardwareAddr}"),
        ("Oper State", "{.operationalState}"),
        ("Link State", "{.linkState}"),
    ),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class LinkStatus(Spec):
    """An observed link: rtnetlink, ethtool and udev facts."""

    alias: str = yfield(omitempty=True, default="")
    alt_names: tuple[str, ...] = yfield(omitempty=True, default=())
    index: int = 0
    type: LinkType = LinkType.NETROM
    link_index: int = 0
    flags: LinkFlags = LinkFlags.NONE
    hardware_addr: HardwareAddr = HardwareAddr()
    permanent_addr: HardwareAddr = HardwareAddr()
    broadcast_addr: HardwareAddr = HardwareAddr()
    mtu: int = 0
    queue_disc: str = ""
    master_index: int = yfield(omitempty=True, default=0)
    operational_state: OperationalState = OperationalState.UNKNOWN
    kind: str = ""
    slave_kind: str = ""
    bus_path: str = yfield(omitempty=True, default="")
    pci_id: str = yfield("pciID", omitempty=True, default="")
    driver: str = yfield(omitempty=True, default="")
    driver_version: str = yfield(omitempty=True, default="")
    firmware_version: str = yfield(omitempty=True, default="")
    product_id: str = yfield("productID", omitempty=True, default="")
    vendor_id: str = yfield("vendorID", omitempty=True, default="")
    product: str = yfield(omitempty=True, default="")
    vendor: str = yfield(omitempty=True, default="")
    link_state: bool = False
    speed_mbit: int = yfield("speedMbit", omitempty=True, default=0)
    port: Port = Port.TWISTED_PAIR
    duplex: Duplex = Duplex.HALF
    vlan: VLANSpec | None = yfield(omitempty=True, default=None)
    bridge_master: BridgeMasterSpec | None = yfield(omitempty=True, default=None)
    bond_master: BondMasterSpec | None = yfield(omitempty=True, default=None)
    vrf_master: VRFMasterSpec | None = yfield(omitempty=True, default=None)
    wireguard: WireguardSpec | None = yfield(omitempty=True, default=None)
    veth: VethSpec | None = yfield(omitempty=True, default=None)

    def physical(self) -> bool:
        """An Ethernet link that is not a virtual kind (Talos's Physical())."""
        return self.type == LinkType.ETHER and not self.kind


@resource_type("HardwareAddresses.net.talos.dev", "HardwareAddress", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class HardwareAddrSpec(Spec):
    """The MAC address of the first physical link (id `first`)."""

    name: str
    hardware_addr: HardwareAddr = yfield("hardwareAddr")
