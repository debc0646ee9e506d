"""pyroute2 at the edge: neutral Requests into pyroute2 messages, decoded messages into kernel records.

Links, addresses and routes are dumped with the hand-written decoders (`dumps`, `batch.decode_route`);
`link_from_msg`, `address_from_msg` and `route_from_msg` stay as their reference: tests/kernel/test_dumps.py
checks that both read the same dumps into the same records.

pyroute2 0.9.7 knows only the first 27 IFLA_BOND_* attributes; the full table (up to
IFLA_BOND_COUPLED_CONTROL) is registered here for the "bond" kind, so options such as
missed_max or ns_ip6_targets encode and decode. pyroute2 silently drops attributes it has no name
for: tests/kernel/test_messages.py round-trips every builder through encode and decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_interface, ip_network
from typing import Any

from pyroute2.netlink import nla  # type: ignore[import-untyped]
from pyroute2.netlink.rtnl.fibmsg import fibmsg  # type: ignore[import-untyped]
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg  # type: ignore[import-untyped]
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg  # type: ignore[import-untyped]
from pyroute2.netlink.rtnl.rtmsg import rtmsg  # type: ignore[import-untyped]

from networkd.kernel.messages import (
    BOND_ATTRS,
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELROUTE,
    RTM_DELRULE,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETROUTE,
    RTM_GETRULE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWROUTE,
    RTM_NEWRULE,
    AttrValue,
    Nest,
    Request,
)
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    INFINITY_LIFETIME,
    BondOptions,
    BridgeInfo,
    KernelAddress,
    KernelLink,
    KernelRoute,
    KernelRule,
    NextHop,
    VlanInfo,
)

Message = Any  # a decoded pyroute2 message (dict-like, with get_attr)

# pyroute2 decodes IFLA_MACVLAN_MODE to a name; back to the kernel's number (MACVLAN_MODE_*).
_MACVLAN_MODES = {"none": 0, "private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}


class _BondData(nla):  # type: ignore[misc]
    """IFLA_INFO_DATA of kind "bond", every attribute of linux/if_link.h up to kernel 6.18."""

    prefix = "IFLA_"
    nla_map = (
        (0, "IFLA_BOND_UNSPEC", "none"),
        (1, "IFLA_BOND_MODE", "uint8"),
        (2, "IFLA_BOND_ACTIVE_SLAVE", "uint32"),
        (3, "IFLA_BOND_MIIMON", "uint32"),
        (4, "IFLA_BOND_UPDELAY", "uint32"),
        (5, "IFLA_BOND_DOWNDELAY", "uint32"),
        (6, "IFLA_BOND_USE_CARRIER", "uint8"),
        (7, "IFLA_BOND_ARP_INTERVAL", "uint32"),
        (8, "IFLA_BOND_ARP_IP_TARGET", "*ipaddr"),
        (9, "IFLA_BOND_ARP_VALIDATE", "uint32"),
        (10, "IFLA_BOND_ARP_ALL_TARGETS", "uint32"),
        (11, "IFLA_BOND_PRIMARY", "uint32"),
        (12, "IFLA_BOND_PRIMARY_RESELECT", "uint8"),
        (13, "IFLA_BOND_FAIL_OVER_MAC", "uint8"),
        (14, "IFLA_BOND_XMIT_HASH_POLICY", "uint8"),
        (15, "IFLA_BOND_RESEND_IGMP", "uint32"),
        (16, "IFLA_BOND_NUM_PEER_NOTIF", "uint8"),
        (17, "IFLA_BOND_ALL_SLAVES_ACTIVE", "uint8"),
        (18, "IFLA_BOND_MIN_LINKS", "uint32"),
        (19, "IFLA_BOND_LP_INTERVAL", "uint32"),
        (20, "IFLA_BOND_PACKETS_PER_SLAVE", "uint32"),
        (21, "IFLA_BOND_AD_LACP_RATE", "uint8"),
        (22, "IFLA_BOND_AD_SELECT", "uint8"),
        (23, "IFLA_BOND_AD_INFO", "hex"),
        (24, "IFLA_BOND_AD_ACTOR_SYS_PRIO", "uint16"),
        (25, "IFLA_BOND_AD_USER_PORT_KEY", "uint16"),
        (26, "IFLA_BOND_AD_ACTOR_SYSTEM", "hex"),
        (27, "IFLA_BOND_TLB_DYNAMIC_LB", "uint8"),
        (28, "IFLA_BOND_PEER_NOTIF_DELAY", "uint32"),
        (29, "IFLA_BOND_AD_LACP_ACTIVE", "uint8"),
        (30, "IFLA_BOND_MISSED_MAX", "uint8"),
        (31, "IFLA_BOND_NS_IP6_TARGET", "*ipaddr"),
        (32, "IFLA_BOND_COUPLED_CONTROL", "uint8"),
    )


ifinfmsg.ifinfo.data_map["bond"] = _BondData

_MESSAGE_CLASSES: Mapping[int, type[Any]] = {
    RTM_NEWLINK: ifinfmsg,
    RTM_DELLINK: ifinfmsg,
    RTM_GETLINK: ifinfmsg,
    RTM_NEWADDR: ifaddrmsg,
    RTM_DELADDR: ifaddrmsg,
    RTM_GETADDR: ifaddrmsg,
    RTM_NEWROUTE: rtmsg,
    RTM_DELROUTE: rtmsg,
    RTM_GETROUTE: rtmsg,
    RTM_NEWRULE: fibmsg,
    RTM_DELRULE: fibmsg,
    RTM_GETRULE: fibmsg,
}


def _pyroute2_value(value: AttrValue) -> Any:
    if isinstance(value, Nest):
        return {**dict(value.fields), "attrs": [[name, _pyroute2_value(v)] for name, v in value.attrs]}
    if isinstance(value, tuple):
        return [_pyroute2_value(v) for v in value]
    return value


def to_nlmsg(request: Request) -> Any:
    """A pyroute2 message (not yet encoded) carrying `request`'s fields and attributes."""
    msg = _MESSAGE_CLASSES[request.type]()
    for name, _ in msg.fields:  # pyroute2 fills some unset fields itself (rtmsg family: AF_INET)
        if not name.startswith("__"):
            msg[name] = 0
    for name, value in request.body.fields:
        msg[name] = value
    msg["attrs"] = [[name, _pyroute2_value(v)] for name, v in request.body.attrs]
    return msg


def _ip(value: str | None) -> IPv4Address | IPv6Address | None:
    return ip_address(value) if value else None


def _bond(data: Message) -> BondOptions:
    values: dict[str, Any] = {}
    for name, attr in BOND_ATTRS:
        value = data.get_attr(attr)
        if value is None:
            continue
        if name == "arp_ip_targets":
            value = tuple(IPv4Address(v) for v in value)
        elif name == "ns_ip6_targets":
            value = tuple(IPv6Address(v) for v in value)
        elif name == "use_carrier":
            value = bool(value)
        values[name] = value
    return BondOptions(**values)


def link_from_msg(msg: Message) -> KernelLink:
    """A KernelLink from a decoded RTM_NEWLINK."""
    info = msg.get_attr("IFLA_LINKINFO")
    kind = slave_kind = ""
    data = None
    if info is not None:
        kind = info.get_attr("IFLA_INFO_KIND") or ""
        slave_kind = info.get_attr("IFLA_INFO_SLAVE_KIND") or ""
        data = info.get_attr("IFLA_INFO_DATA")
    if not hasattr(data, "get_attr"):  # no data, or data pyroute2 could only keep as hex
        data = None
    bridge = vlan = bond = macvlan_mode = None
    if data is not None and kind == "bridge":
        bridge = BridgeInfo(
            stp=bool(data.get_attr("IFLA_BR_STP_STATE")),
            vlan_filtering=bool(data.get_attr("IFLA_BR_VLAN_FILTERING")),
        )
    elif data is not None and kind == "vlan":
        vlan = VlanInfo(data.get_attr("IFLA_VLAN_ID") or 0, data.get_attr("IFLA_VLAN_PROTOCOL") or 0)
    elif data is not None and kind == "bond":
        bond = _bond(data)
    elif data is not None and kind == "macvlan":
        mode = data.get_attr("IFLA_MACVLAN_MODE")
        macvlan_mode = _MACVLAN_MODES[mode] if isinstance(mode, str) else mode
    props = msg.get_attr("IFLA_PROP_LIST")
    perm = msg.get_attr("IFLA_PERM_ADDRESS")
    return KernelLink(
        index=msg["index"],
        name=msg.get_attr("IFLA_IFNAME") or "",
        kind=kind,
        slave_kind=slave_kind,
        type=msg["ifi_type"],
        flags=msg["flags"],
        operstate=msg.get_attr("IFLA_OPERSTATE") or "UNKNOWN",
        mtu=msg.get_attr("IFLA_MTU") or 0,
        alias=msg.get_attr("IFLA_IFALIAS") or "",
        altnames=tuple(props.altnames()) if props is not None else (),
        hw_addr=msg.get_attr("IFLA_ADDRESS") or "",
        perm_addr=perm.lower() if perm else "",
        broadcast_addr=msg.get_attr("IFLA_BROADCAST") or "",
        master_index=msg.get_attr("IFLA_MASTER") or 0,
        link_index=msg.get_attr("IFLA_LINK") or 0,
        link_netnsid=msg.get_attr("IFLA_LINK_NETNSID"),
        qdisc=msg.get_attr("IFLA_QDISC") or "",
        carrier=bool(msg.get_attr("IFLA_CARRIER")),
        bridge=bridge,
        vlan=vlan,
        bond=bond,
        macvlan_mode=macvlan_mode,
    )


def address_from_msg(msg: Message, names: Mapping[int, str]) -> KernelAddress | None:
    """A KernelAddress from a decoded RTM_NEWADDR (None for families other than IPv4/IPv6)."""
    if msg["family"] not in (AF_INET, AF_INET6):
        return None
    local = msg.get_attr("IFA_LOCAL")
    address = local or msg.get_attr("IFA_ADDRESS")
    cache = msg.get_attr("IFA_CACHEINFO")
    brd = msg.get_attr("IFA_BROADCAST")
    return KernelAddress(
        index=msg["index"],
        prefix=ip_interface(f"{address}/{msg['prefixlen']}"),
        link_name=names.get(msg["index"], ""),
        local=_ip(local),
        broadcast=IPv4Address(brd) if brd else None,
        anycast=_ip(msg.get_attr("IFA_ANYCAST")),
        multicast=_ip(msg.get_attr("IFA_MULTICAST")),
        scope=msg["scope"],
        flags=msg.get_attr("IFA_FLAGS") or msg["flags"],
        valid_lft=cache["ifa_valid"] if cache else INFINITY_LIFETIME,
        preferred_lft=cache["ifa_preferred"] if cache else INFINITY_LIFETIME,
        priority=msg.get_attr("IFA_RT_PRIORITY") or 0,
        protocol=msg.get_attr("IFA_PROTO") or 0,
    )


def _gateway(msg: Message) -> IPv4Address | IPv6Address | None:
    gateway = msg.get_attr("RTA_GATEWAY")
    if gateway:
        return ip_address(gateway)
    via = msg.get_attr("RTA_VIA")
    return ip_address(via["addr"]) if via and via.get("addr") else None


def route_from_msg(msg: Message, names: Mapping[int, str]) -> KernelRoute | None:
    """A KernelRoute from a decoded RTM_NEWROUTE (None for other families)."""
    family = msg["family"]
    if family not in (AF_INET, AF_INET6):
        return None
    any_addr = "0.0.0.0" if family == AF_INET else "::"
    dst = ip_network(f"{msg.get_attr('RTA_DST') or any_addr}/{msg['dst_len']}", strict=False)
    src = msg.get_attr("RTA_SRC")
    metrics = msg.get_attr("RTA_METRICS")
    oif = msg.get_attr("RTA_OIF") or 0
    nexthops = tuple(
        NextHop(
            oif=hop["oif"],
            gateway=_gateway(hop),
            weight=hop["hops"] + 1,
            flags=hop["flags"],
            oif_name=names.get(hop["oif"], ""),
        )
        for hop in msg.get_attr("RTA_MULTIPATH") or ()
    )
    return KernelRoute(
        dst=dst,
        table=msg.get_attr("RTA_TABLE") or msg["table"],
        gateway=_gateway(msg),
        oif=oif,
        oif_name=names.get(oif, ""),
        priority=msg.get_attr("RTA_PRIORITY") or 0,
        src=ip_network(f"{src}/{msg['src_len']}", strict=False) if src else None,
        pref_src=_ip(msg.get_attr("RTA_PREFSRC")),
        scope=msg["scope"],
        type=msg["type"],
        protocol=msg["proto"],
        flags=msg["flags"],
        tos=msg["tos"],
        mtu=(metrics.get_attr("RTAX_MTU") or 0) if metrics else 0,
        nexthops=nexthops,
    )


def rule_from_msg(msg: Message) -> KernelRule | None:
    """A KernelRule from a decoded RTM_NEWRULE (None for families other than IPv4/IPv6)."""
    family = msg["family"]
    if family not in (AF_INET, AF_INET6):
        return None
    src = msg.get_attr("FRA_SRC")
    dst = msg.get_attr("FRA_DST")
    return KernelRule(
        family=family,
        priority=msg.get_attr("FRA_PRIORITY") or 0,
        table=msg.get_attr("FRA_TABLE") or msg["table"],
        action=msg["action"],
        src=ip_network(f"{src}/{msg['src_len']}", strict=False) if src else None,
        dst=ip_network(f"{dst}/{msg['dst_len']}", strict=False) if dst else None,
        iif=msg.get_attr("FRA_IIFNAME") or "",
        oif=msg.get_attr("FRA_OIFNAME") or "",
        fwmark=msg.get_attr("FRA_FWMARK") or 0,
        fwmask=msg.get_attr("FRA_FWMASK") or 0,
        protocol=msg.get_attr("FRA_PROTOCOL") or 0,
    )
