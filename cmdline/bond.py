"""The dracut `bond=<name>[:<slaves>[:<options>[:<mtu>]]]` argument, with Talos's option set and defaults.

Options are comma-separated `key=value` pairs named as the bonding module names them (`mode`,
`xmit_hash_policy`, `miimon`, ...); `arp_ip_target` takes `;`-separated IPv4 addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from ipaddress import IPv4Address
from typing import Any

from cmdline._common import FieldError, parse_ip, parse_uint
from cmdline.links import LinkTable
from cmdline.model import BondSlave, LinkSpec
from networkd.resources.enums import (
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    FailOverMAC,
    LACPRate,
    PrimaryReselect,
    TalosEnum,
    XmitHashPolicy,
)


@dataclass(frozen=True, slots=True)
class BondMaster:
    """Bond settings (the part of Talos `BondMasterSpec` the command line can reach).

    Defaults are the zero values; `fill_bond_defaults` applies Talos's `FillDefaults`.
    """

    mode: BondMode = BondMode.BALANCE_RR
    hash_policy: XmitHashPolicy = XmitHashPolicy.LAYER2
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


DEFAULT_BOND_SLAVES = ("eth0", "eth1")
"""Slaves of a `bond=` that names none (dracut's default, kept by Talos)."""

# option -> (BondMaster field, enum, Talos's error text)
_ENUM_OPTIONS: dict[str, tuple[str, type[TalosEnum], str]] = {
    "mode": ("mode", BondMode, "invalid bond type"),
    "xmit_hash_policy": ("hash_policy", XmitHashPolicy, "invalid xmit hash policy"),
    "lacp_rate": ("lacp_rate", LACPRate, "invalid lacp rate"),
    "arp_validate": ("arp_validate", ARPValidate, "invalid arp_validate mode"),
    "arp_all_targets": ("arp_all_targets", ARPAllTargets, "invalid arp_all_targets mode"),
    "primary_reselect": ("primary_reselect", PrimaryReselect, "invalid primary_reselect mode"),
    "fail_over_mac": ("fail_over_mac", FailOverMAC, "invalid fail_over_mac value"),
    "ad_select": ("ad_select", ADSelect, "invalid ad_select mode"),
}

# option -> (BondMaster field, width in bits of Talos's field)
_INT_OPTIONS: dict[str, tuple[str, int]] = {
    "miimon": ("miimon", 32),
    "updelay": ("up_delay", 32),
    "downdelay": ("down_delay", 32),
    "arp_interval": ("arp_interval", 32),
    "resend_igmp": ("resend_igmp", 32),
    "min_links": ("min_links", 32),
    "lp_interval": ("lp_interval", 32),
    "packets_per_slave": ("packets_per_slave", 32),
    "num_grat_arp": ("num_peer_notif", 8),
    "num_unsol_na": ("num_peer_notif", 8),
    "all_slaves_active": ("all_slaves_active", 8),
}

_OTHER_OPTIONS = frozenset({"primary", "arp_ip_target", "use_carrier"})
_MAX_ARP_TARGETS = 16


def fill_bond_defaults(bond: BondMaster) -> BondMaster:
    """Talos's `FillDefaults`: kernel defaults for zero fields; `use_carrier` is always on (Linux 6.18)."""
    tlb_alb = bond.mode in (BondMode.BALANCE_TLB, BondMode.BALANCE_ALB)
    lacp = bond.mode == BondMode.IEEE8023AD
    return replace(
        bond,
        use_carrier=True,
        resend_igmp=bond.resend_igmp or 1,
        lp_interval=bond.lp_interval or 1,
        packets_per_slave=bond.packets_per_slave or 1,
        num_peer_notif=bond.num_peer_notif or 1,
        tlb_dynamic_lb=bond.tlb_dynamic_lb if tlb_alb else 1,
        ad_actor_sys_prio=(bond.ad_actor_sys_prio or 65535) if lacp else bond.ad_actor_sys_prio,
        missed_max=bond.missed_max if lacp or tlb_alb else bond.missed_max or 2,
    )


def parse_bond(value: str, links: LinkTable) -> tuple[LinkSpec, ...]:
    """The bond master spec followed by one spec per slave; FieldError when the value is invalid."""
    name, slaves_s, options_s, mtu_s, *_ignored = value.split(":") + [""] * 3
    if not name:
        raise FieldError("bondname", "empty bond name")
    slaves = tuple(slaves_s.split(",")) if slaves_s else DEFAULT_BOND_SLAVES
    if "" in slaves:
        raise FieldError("bondslaves", f"empty slave name in {slaves_s!r}")
    bond = _parse_options(options_s, links) if options_s else BondMaster()
    mtu = parse_uint(mtu_s, 32, "mtu", "error parsing bond MTU") if mtu_s else 0
    master = LinkSpec(
        name, logical=True, kind="bond", type="ether", mtu=mtu or None, bond_master=fill_bond_defaults(bond)
    )
    members = (LinkSpec(links.resolve(slave), bond_slave=BondSlave(name, i)) for i, slave in enumerate(slaves))
    return (master, *members)


def _parse_options(text: str, links: LinkTable) -> BondMaster:
    changes: dict[str, Any] = {}
    for option in text.split(","):
        key, has_value, value = option.partition("=")
        if key not in _ENUM_OPTIONS and key not in _INT_OPTIONS and key not in _OTHER_OPTIONS:
            raise FieldError("options", f"unknown bond option: {key}")
        if not has_value:
            raise FieldError(key, f"bond option {key} needs a value")
        if key in _ENUM_OPTIONS:
            field, enum, message = _ENUM_OPTIONS[key]
            changes[field] = _enum_by_name(enum, value, key, message)
        elif key in _INT_OPTIONS:
            field, bits = _INT_OPTIONS[key]
            changes[field] = parse_uint(value, bits, key, f"error parsing bond option {key}")
        elif key == "primary":
            changes["primary"] = links.resolve(value) if value else ""
        elif key == "arp_ip_target":
            changes["arp_ip_targets"] = _arp_targets(value)
        else:  # use_carrier: validated only, Talos forces it on
            parse_uint(value, 32, key, f"error parsing bond option {key}")
    return replace(BondMaster(), **changes)


def _enum_by_name(enum: type[TalosEnum], value: str, key: str, message: str) -> TalosEnum:
    """Talos's `*ByName`: a member's exact name; empty means the first (default, zero) member."""
    if not value:
        return next(iter(enum))
    for member in enum:
        if member.value == value:
            return member
    raise FieldError(key, f"error setting bond master: {message} {value}")


def _arp_targets(text: str) -> tuple[IPv4Address, ...]:
    targets: list[IPv4Address] = []
    for target in text.split(";"):
        address = parse_ip(target, "arp_ip_target", "invalid ARP target")
        if not isinstance(address, IPv4Address):
            raise FieldError("arp_ip_target", f"ARP targets are IPv4 addresses, got {target!r}")
        targets.append(address)
    if len(targets) > _MAX_ARP_TARGETS:
        raise FieldError("arp_ip_target", f"at most {_MAX_ARP_TARGETS} ARP targets, got {len(targets)}")
    return tuple(targets)
