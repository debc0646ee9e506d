"""Typed inputs and outputs of the kernel command-line parser.

Names follow Talos (`CmdlineNetworking`, `LinkSpecSpec`, `BondMasterSpec`) in snake_case; enum values are
Talos's YAML names (`balance-rr`, `layer2+3`, ...). Every link spec produced here belongs to the cmdline layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """A kernel link as the caller sees it, used to resolve names and to pick the default link.

    `hardware_addr` is `aa:bb:cc:dd:ee:ff`; `physical` is false for loopback and virtual links.
    """

    name: str
    hardware_addr: str = ""
    alias: str = ""
    alt_names: tuple[str, ...] = ()
    physical: bool = True


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """Addressing of one link from one `ip=` argument (Talos `CmdlineLinkConfig`)."""

    link_name: str
    address: IPInterface | None = None
    gateway: IPAddress | None = None
    dhcp4: bool = False
    dhcp6: bool = False
    mtu: int | None = None
    mac: str | None = None


class BondMode(StrEnum):
    """Bonding policy; the first member is the kernel (and Talos) default."""

    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    IEEE_802_3AD = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"


class BondXmitHashPolicy(StrEnum):
    """Transmit hash policy."""

    LAYER2 = "layer2"
    LAYER3_4 = "layer3+4"
    LAYER2_3 = "layer2+3"
    ENCAP2_3 = "encap2+3"
    ENCAP3_4 = "encap3+4"


class LACPRate(StrEnum):
    """Rate of LACPDU frames in 802.3ad mode."""

    SLOW = "slow"
    FAST = "fast"


class ARPValidate(StrEnum):
    """Validation of ARP probes and replies."""

    NONE = "none"
    ACTIVE = "active"
    BACKUP = "backup"
    ALL = "all"
    FILTER = "filter"
    FILTER_ACTIVE = "filter-active"
    FILTER_BACKUP = "filter-backup"


class ARPAllTargets(StrEnum):
    """Whether any or all ARP targets must answer."""

    ANY = "any"
    ALL = "all"


class PrimaryReselect(StrEnum):
    """When the primary slave is reselected."""

    ALWAYS = "always"
    BETTER = "better"
    FAILURE = "failure"


class FailOverMAC(StrEnum):
    """MAC address handling of active-backup slaves."""

    NONE = "none"
    ACTIVE = "active"
    FOLLOW = "follow"


class ADSelect(StrEnum):
    """802.3ad aggregate selection policy."""

    STABLE = "stable"
    BANDWIDTH = "bandwidth"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class BondMaster:
    """Bond settings (the part of Talos `BondMasterSpec` the command line can reach).

    Defaults are the zero values; `cmdline.bond.fill_bond_defaults` applies Talos's `FillDefaults`.
    """

    mode: BondMode = BondMode.BALANCE_RR
    hash_policy: BondXmitHashPolicy = BondXmitHashPolicy.LAYER2
    lacp_rate: LACPRate = LACPRate.SLOW
    arp_validate: ARPValidate = ARPValidate.NONE
    arp_all_targets: ARPAllTargets = ARPAllTargets.ANY
    primary: str = ""
    primary_reselect: PrimaryReselect = PrimaryReselect.ALWAYS
    fail_over_mac: FailOverMAC = FailOverMAC.NONE
    ad_select: ADSelect = ADSelect.STABLE
    miimon: int = 0
    up_delay: int = 0
    down_delay: int = 0
    arp_interval: int = 0
    resend_igmp: int = 0
    min_links: int = 0
    lp_interval: int = 0
    packets_per_slave: int = 0
    num_peer_notif: int = 0
    tlb_dynamic_lb: int = 0
    all_slaves_active: int = 0
    use_carrier: bool = False
    ad_actor_sys_prio: int = 0
    missed_max: int = 0
    arp_ip_targets: tuple[IPv4Address, ...] = ()


@dataclass(frozen=True, slots=True)
class BondSlave:
    """Membership of a link in a bond."""

    master_name: str
    slave_index: int


@dataclass(frozen=True, slots=True)
class VLANSpec:
    """802.1Q tagging of a VLAN link."""

    vid: int
    protocol: str = "802.1q"


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """A link the command line asks for (Talos `LinkSpecSpec`, cmdline layer).

    Names may repeat (say `ip=eth0:dhcp` and a bond slave eth0): as in Talos, the last one wins downstream.
    """

    name: str
    up: bool = True
    logical: bool = False
    kind: str = ""
    type: str = ""
    mtu: int | None = None
    parent_name: str = ""
    bond_master: BondMaster | None = None
    bond_slave: BondSlave | None = None
    vlan: VLANSpec | None = None


@dataclass(frozen=True, slots=True)
class CmdlineError:
    """One rejected argument: `argument` as the kernel split it, `field` inside it, `reason` for humans."""

    argument: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class CmdlineResult:
    """Everything the command line configures, plus the arguments that were rejected."""

    link_configs: tuple[LinkConfig, ...] = ()
    hostname: str | None = None
    dns_servers: tuple[IPAddress, ...] = ()
    ntp_servers: tuple[IPAddress, ...] = ()
    ignore_interfaces: tuple[str, ...] = ()
    link_specs: tuple[LinkSpec, ...] = ()
    errors: tuple[CmdlineError, ...] = ()
