"""Neutral, frozen records of kernel network objects, and the kernel constants they use.

Nothing here imports pyroute2: these are the only kernel types the rest of networkd sees. Identity
keys copy the kernel's own (`key` properties); numeric fields keep the kernel's numbers
(include/uapi/linux/rtnetlink.h, if_addr.h, if_link.h, fib_rules.h).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network

from networkd.fastinit import fast_init

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface
IPNetwork = IPv4Network | IPv6Network

# Protocol tag of every route, address (IFA_PROTO) and rule networkd installs. 78 = 0x4e, "N".
# Unassigned: the kernel's RTPROT_* list (rtnetlink.h: 0-4, 8-18, 42, 99, 186-189, 192) and
# /etc/iproute2/rt_protos do not use it, nor do the daemons we know of (bird 12, zebra/FRR 11 and
# 186-198, keepalived 18, babel 42, Open/R 99). Values >= RTPROT_STATIC are not interpreted by the
# kernel. `ip route show proto 78` lists our routes.
RTPROT_NETWORKD = 78

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6

# Interface flags (net/if.h) and ARP hardware type (if_arp.h).
IFF_UP = 0x1
IFF_MULTICAST = 0x1000
ARPHRD_ETHER = 1

# Address flags (if_addr.h). IFA_F_PERMANENT, TENTATIVE, DADFAILED, DEPRECATED are kernel-owned.
IFA_F_NODAD = 0x02
IFA_F_HOMEADDRESS = 0x10
IFA_F_PERMANENT = 0x80
IFA_F_MANAGETEMPADDR = 0x100
IFA_F_NOPREFIXROUTE = 0x200
IFA_F_MCAUTOJOIN = 0x400
INFINITY_LIFETIME = 0xFFFFFFFF

# Routing tables, scopes, route types, route flags (rtnetlink.h).
RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RT_SCOPE_NOWHERE = 255
RTN_UNICAST = 1
RTN_LOCAL = 2
RTN_BLACKHOLE = 6
RTN_UNREACHABLE = 7
RTN_PROHIBIT = 8
RTN_THROW = 9
RTNH_F_ONLINK = 0x4
RTM_F_CLONED = 0x200

# Rule actions (fib_rules.h).
FR_ACT_TO_TBL = 1
FR_ACT_GOTO = 2
FR_ACT_NOP = 3
FR_ACT_BLACKHOLE = 6
FR_ACT_UNREACHABLE = 7
FR_ACT_PROHIBIT = 8

# VLAN protocols (if_ether.h) and macvlan modes (if_link.h).
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
MACVLAN_MODE_PRIVATE = 1
MACVLAN_MODE_VEPA = 2
MACVLAN_MODE_BRIDGE = 4
MACVLAN_MODE_PASSTHRU = 8
MACVLAN_MODE_SOURCE = 16

# Bond modes (if_bonding.h), the values of BondOptions.mode.
BOND_MODE_ROUNDROBIN = 0
BOND_MODE_ACTIVEBACKUP = 1
BOND_MODE_XOR = 2
BOND_MODE_BROADCAST = 3
BOND_MODE_8023AD = 4
BOND_MODE_TLB = 5
BOND_MODE_ALB = 6


@dataclass(frozen=True, slots=True)
class BridgeInfo:
    """Bridge master settings (IFLA_BR_*)."""

    stp: bool = False
    vlan_filtering: bool = False


@dataclass(frozen=True, slots=True)
class VlanInfo:
    """VLAN settings (IFLA_VLAN_*); the parent is KernelLink.link_index."""

    id: int
    protocol: int = ETH_P_8021Q


@dataclass(frozen=True, slots=True)
class BondOptions:
    """Bond master settings (IFLA_BOND_*), the set Talos' BondMasterSpec carries.

    None means "not set" (left to the kernel when creating, not reported when dumped). Values are the
    kernel's numbers: mode BOND_MODE_*, xmit_hash_policy 0 layer2 / 1 layer3+4 / 2 layer2+3 /
    3 encap2+3 / 4 encap3+4, lacp_rate 0 slow / 1 fast, arp_validate 0-6, arp_all_targets 0 any /
    1 all, primary_reselect 0 always / 1 better / 2 failure, fail_over_mac 0 none / 1 active /
    2 follow, ad_select 0 stable / 1 bandwidth / 2 count, ad_lacp_active 0 off / 1 on; times in ms
    (lp_interval in s). `primary` is an interface index.
    """

    mode: int | None = None
    xmit_hash_policy: int | None = None
    lacp_rate: int | None = None
    arp_validate: int | None = None
    arp_all_targets: int | None = None
    primary: int | None = None
    primary_reselect: int | None = None
    fail_over_mac: int | None = None
    ad_select: int | None = None
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
    peer_notif_delay: int | None = None
    arp_ip_targets: tuple[IPv4Address, ...] | None = None
    ns_ip6_targets: tuple[IPv6Address, ...] | None = None
    ad_lacp_active: int | None = None
    missed_max: int | None = None


@dataclass(frozen=True, slots=True)
class KernelLink:
    """A network interface as the kernel reports it (RTM_NEWLINK). Identity: `index`.

    `link_index` is IFLA_LINK: the parent of a vlan or macvlan, the peer of a veth (in the namespace
    `link_netnsid` when that is set). Hardware addresses are lower-case "aa:bb:..." strings, "" when
    the link has none. `kind` is "" for physical links; wireguard has no kind-specific fields.
    """

    index: int
    name: str
    kind: str = ""
    slave_kind: str = ""
    type: int = ARPHRD_ETHER
    flags: int = 0
    operstate: str = "UNKNOWN"
    mtu: int = 0
    alias: str = ""
    altnames: tuple[str, ...] = ()
    hw_addr: str = ""
    perm_addr: str = ""
    broadcast_addr: str = ""
    master_index: int = 0
    link_index: int = 0
    link_netnsid: int | None = None
    qdisc: str = ""
    carrier: bool = False
    bridge: BridgeInfo | None = None
    vlan: VlanInfo | None = None
    bond: BondOptions | None = None
    macvlan_mode: int | None = None

    @property
    def up(self) -> bool:
        """Administratively up (IFF_UP)."""
        return bool(self.flags & IFF_UP)

    @property
    def multicast(self) -> bool:
        """Multicast enabled (IFF_MULTICAST)."""
        return bool(self.flags & IFF_MULTICAST)

    @property
    def veth_peer_index(self) -> int | None:
        """Index of the other end of a veth pair, None for other kinds."""
        return self.link_index if self.kind == "veth" else None


@dataclass(frozen=True, slots=True)
class KernelAddress:
    """An IP address on a link (RTM_NEWADDR). Identity, as in the kernel: `index` + `prefix`.

    `prefix` is the local address with its prefix length (IFA_LOCAL, or IFA_ADDRESS when there is no
    IFA_LOCAL as for IPv6); `local` is IFA_LOCAL as reported. `priority` is IFA_RT_PRIORITY (the
    metric of the prefix route); `protocol` is IFA_PROTO (0 on kernels without it).
    """

    index: int
    prefix: IPInterface
    link_name: str = ""
    local: IPAddress | None = None
    broadcast: IPv4Address | None = None
    anycast: IPAddress | None = None
    multicast: IPAddress | None = None
    scope: int = RT_SCOPE_UNIVERSE
    flags: int = 0
    valid_lft: int = INFINITY_LIFETIME
    preferred_lft: int = INFINITY_LIFETIME
    priority: int = 0
    protocol: int = 0

    @property
    def family(self) -> int:
        """AF_INET or AF_INET6."""
        return AF_INET if self.prefix.version == 4 else AF_INET6

    @property
    def key(self) -> tuple[int, IPInterface]:
        """The kernel's identity of an address: link index and prefix."""
        return (self.index, self.prefix)


@dataclass(frozen=True, slots=True)
class NextHop:
    """One path of a multipath route (struct rtnexthop + RTA_GATEWAY/RTA_VIA)."""

    oif: int = 0
    gateway: IPAddress | None = None
    weight: int = 1
    flags: int = 0
    oif_name: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class KernelRoute:
    """A route (RTM_NEWROUTE). Identity, as in the kernel: family, table, dst, priority, tos.

    `dst` is 0.0.0.0/0 or ::/0 for a default route. `src` is the source prefix (RTA_SRC, IPv6
    subtrees), `pref_src` the preferred source address (RTA_PREFSRC, `ip route ... src`). A gateway
    of the other family is sent as RTA_VIA. `flags` holds RTNH_F_* / RTM_F_* bits (RTNH_F_ONLINK:
    the gateway is on the link even without a matching prefix). blackhole, unreachable, prohibit and
    throw routes have no gateway and no oif. `oif_name` is filled in by dumps and ignored when
    building requests. The defaults make a unicast route in the main table tagged RTPROT_NETWORKD.
    """

    dst: IPNetwork
    table: int = RT_TABLE_MAIN
    gateway: IPAddress | None = None
    oif: int = 0
    oif_name: str = ""
    priority: int = 0
    src: IPNetwork | None = None
    pref_src: IPAddress | None = None
    scope: int = RT_SCOPE_UNIVERSE
    type: int = RTN_UNICAST
    protocol: int = RTPROT_NETWORKD
    flags: int = 0
    tos: int = 0
    mtu: int = 0
    nexthops: tuple[NextHop, ...] = ()

    @property
    def family(self) -> int:
        """AF_INET or AF_INET6."""
        return AF_INET if self.dst.version == 4 else AF_INET6

    @property
    def onlink(self) -> bool:
        """The gateway is on-link (RTNH_F_ONLINK)."""
        return bool(self.flags & RTNH_F_ONLINK)

    @property
    def key(self) -> tuple[int, int, IPNetwork, int, int]:
        """The kernel's identity of a route: family, table, dst, priority, tos."""
        return (self.family, self.table, self.dst, self.priority, self.tos)


@dataclass(frozen=True, slots=True)
class KernelRule:
    """A policy routing rule (RTM_NEWRULE). Identity: family, priority and the selectors.

    `iif`/`oif` are interface names; `fwmask` 0 with a `fwmark` means all bits (the kernel reports
    0xffffffff). `table` and `action` (FR_ACT_*) say what a match does.
    """

    family: int
    priority: int
    table: int = RT_TABLE_MAIN
    action: int = FR_ACT_TO_TBL
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    iif: str = ""
    oif: str = ""
    fwmark: int = 0
    fwmask: int = 0
    protocol: int = RTPROT_NETWORKD

    @property
    def key(self) -> tuple[int, int, IPNetwork | None, IPNetwork | None, str, str, int, int]:
        """The kernel's identity of a rule: family, priority, src, dst, iif, oif, fwmark, fwmask."""
        fwmask = self.fwmask or (0xFFFFFFFF if self.fwmark else 0)
        return (self.family, self.priority, self.src, self.dst, self.iif, self.oif, self.fwmark, fwmask)
