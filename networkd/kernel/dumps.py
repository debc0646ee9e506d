"""Hand-written decoders for the dumps the observers repeat: links, addresses, routes.

pyroute2 decodes a message into nested dict-like objects (about 70 µs of Python each), and an observer pass
over 10,000 routes spent ~90% of its time there, leaving tens of MB of short-lived objects behind. These
read the kernel's structs and attributes with `struct` straight into the records of `networkd.kernel.types`,
the same ones `codec.link_from_msg` / `address_from_msg` / `route_from_msg` build from pyroute2's decoding
(tests/kernel/test_dumps.py compares both on real dumps and with `ip -j`). Routes use `batch.decode_route`.
One deliberate difference: a hardware address of other than 6 bytes (a tunnel's) is read as it is, where
pyroute2 always reads 6 bytes (past the attribute).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

from networkd.kernel.batch import _HDR, _attrs
from networkd.kernel.messages import BOND_ATTRS
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    INFINITY_LIFETIME,
    BondOptions,
    BridgeInfo,
    IPAddress,
    IPInterface,
    KernelAddress,
    KernelLink,
    VlanInfo,
)

_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_CACHEINFO = struct.Struct("=II")  # ifa_prefered, ifa_valid (then cstamp, tstamp)
_U32 = struct.Struct("=I")

IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_QDISC, IFLA_MASTER = 1, 2, 3, 4, 5, 6, 10
IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_IFALIAS, IFLA_CARRIER, IFLA_LINK_NETNSID = 16, 18, 20, 33, 37
IFLA_PROP_LIST, IFLA_ALT_IFNAME, IFLA_PERM_ADDRESS = 52, 53, 54
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND = 1, 2, 4
IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING = 5, 7
IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL = 1, 5
IFLA_MACVLAN_MODE = 1
OPER_STATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")  # IF_OPER_*, as named

# IFLA_BOND_* number -> (BondOptions field, struct format or "v4"/"v6" for the nested target arrays)
_BOND_CODES = {
    "IFLA_BOND_MODE": (1, "B"), "IFLA_BOND_MIIMON": (3, "I"), "IFLA_BOND_UPDELAY": (4, "I"),
    "IFLA_BOND_DOWNDELAY": (5, "I"), "IFLA_BOND_USE_CARRIER": (6, "B"), "IFLA_BOND_ARP_INTERVAL": (7, "I"),
    "IFLA_BOND_ARP_IP_TARGET": (8, "v4"), "IFLA_BOND_ARP_VALIDATE": (9, "I"), "IFLA_BOND_ARP_ALL_TARGETS": (10, "I"),
    "IFLA_BOND_PRIMARY": (11, "I"), "IFLA_BOND_PRIMARY_RESELECT": (12, "B"), "IFLA_BOND_FAIL_OVER_MAC": (13, "B"),
    "IFLA_BOND_XMIT_HASH_POLICY": (14, "B"), "IFLA_BOND_RESEND_IGMP": (15, "I"),
    "IFLA_BOND_NUM_PEER_NOTIF": (16, "B"), "IFLA_BOND_ALL_SLAVES_ACTIVE": (17, "B"),
    "IFLA_BOND_MIN_LINKS": (18, "I"), "IFLA_BOND_LP_INTERVAL": (19, "I"), "IFLA_BOND_PACKETS_PER_SLAVE": (20, "I"),
    "IFLA_BOND_AD_LACP_RATE": (21, "B"), "IFLA_BOND_AD_SELECT": (22, "B"), "IFLA_BOND_AD_ACTOR_SYS_PRIO": (24, "H"),
    "IFLA_BOND_AD_USER_PORT_KEY": (25, "H"), "IFLA_BOND_TLB_DYNAMIC_LB": (27, "B"),
    "IFLA_BOND_PEER_NOTIF_DELAY": (28, "I"), "IFLA_BOND_AD_LACP_ACTIVE": (29, "B"), "IFLA_BOND_MISSED_MAX": (30, "B"),
    "IFLA_BOND_NS_IP6_TARGET": (31, "v6"),
}
_BOND = {_BOND_CODES[attr][0]: (name, _BOND_CODES[attr][1]) for name, attr in BOND_ATTRS}
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_ANYCAST, IFA_CACHEINFO, IFA_MULTICAST = 1, 2, 4, 5, 6, 7
IFA_FLAGS, IFA_RT_PRIORITY, IFA_PROTO = 8, 9, 11

LINK_REQUEST = _IFINFOMSG.pack(0, 0, 0, 0, 0)  # every family, no filter
ADDRESS_REQUEST = _IFADDRMSG.pack(0, 0, 0, 0, 0)


def decode_link_name(data: memoryview) -> tuple[int, str] | None:
    """(index, IFLA_IFNAME) of one RTM_NEWLINK message (header included); None without a name."""
    _, _, index, _, _ = _IFINFOMSG.unpack_from(data, _HDR.size)
    for code, value in _attrs(data, _HDR.size + _IFINFOMSG.size, len(data)):
        if code == IFLA_IFNAME:
            return index, bytes(value).split(b"\0", 1)[0].decode(errors="replace")
    return None


def _string(raw: memoryview) -> str:
    return bytes(raw).split(b"\0", 1)[0].decode(errors="replace")


def _u32(raw: memoryview) -> int:
    return int(_U32.unpack_from(raw)[0])


def _hw(raw: memoryview) -> str:
    return bytes(raw).hex(":")


def _bond(data: memoryview) -> BondOptions:
    values: dict[str, object] = {}
    for code, value in _attrs(data, 0, len(data)):
        known = _BOND.get(code)
        if known is None:
            continue
        name, form = known
        if form == "v4":
            values[name] = tuple(IPv4Address(bytes(v[:4])) for _, v in _attrs(value, 0, len(value)))
        elif form == "v6":
            values[name] = tuple(IPv6Address(bytes(v[:16])) for _, v in _attrs(value, 0, len(value)))
        else:
            (number,) = struct.unpack_from("=" + form, value)
            values[name] = bool(number) if name == "use_carrier" else number
    return BondOptions(**values)  # type: ignore[arg-type]


def _link_info(raw: memoryview) -> tuple[str, str, dict[str, object]]:
    """(kind, slave kind, KernelLink fields of the kind's data) of an IFLA_LINKINFO."""
    kind = slave_kind = ""
    data = None
    for code, value in _attrs(raw, 0, len(raw)):
        if code == IFLA_INFO_KIND:
            kind = _string(value)
        elif code == IFLA_INFO_SLAVE_KIND:
            slave_kind = _string(value)
        elif code == IFLA_INFO_DATA:
            data = value
    if data is None:
        return kind, slave_kind, {}
    attrs = dict(_attrs(data, 0, len(data)))
    if kind == "bridge":
        stp = IFLA_BR_STP_STATE in attrs and bool(_u32(attrs[IFLA_BR_STP_STATE]))
        vlan_filtering = IFLA_BR_VLAN_FILTERING in attrs and bool(attrs[IFLA_BR_VLAN_FILTERING][0])
        return kind, slave_kind, {"bridge": BridgeInfo(stp=stp, vlan_filtering=vlan_filtering)}
    if kind == "vlan":
        vlan_id = struct.unpack_from("=H", attrs[IFLA_VLAN_ID])[0] if IFLA_VLAN_ID in attrs else 0
        protocol = struct.unpack_from("!H", attrs[IFLA_VLAN_PROTOCOL])[0] if IFLA_VLAN_PROTOCOL in attrs else 0
        return kind, slave_kind, {"vlan": VlanInfo(vlan_id, protocol)}
    if kind == "bond":
        return kind, slave_kind, {"bond": _bond(data)}
    if kind == "macvlan":
        mode = _u32(attrs[IFLA_MACVLAN_MODE]) if IFLA_MACVLAN_MODE in attrs else None
        return kind, slave_kind, {"macvlan_mode": mode}
    return kind, slave_kind, {}


def decode_link(data: memoryview) -> KernelLink:
    """A KernelLink from one RTM_NEWLINK message (header included), as `codec.link_from_msg` reads pyroute2's."""
    _, ifi_type, index, flags, _ = _IFINFOMSG.unpack_from(data, _HDR.size)
    fields: dict[str, object] = {"name": ""}
    for code, value in _attrs(data, _HDR.size + _IFINFOMSG.size, len(data)):
        if code == IFLA_IFNAME:
            fields["name"] = _string(value)
        elif code == IFLA_MTU:
            fields["mtu"] = _u32(value)
        elif code == IFLA_ADDRESS:
            fields["hw_addr"] = _hw(value)
        elif code == IFLA_BROADCAST:
            fields["broadcast_addr"] = _hw(value)
        elif code == IFLA_PERM_ADDRESS:
            fields["perm_addr"] = _hw(value)
        elif code == IFLA_OPERSTATE:
            fields["operstate"] = OPER_STATES[value[0]] if value[0] < len(OPER_STATES) else "UNKNOWN"
        elif code == IFLA_CARRIER:
            fields["carrier"] = bool(value[0])
        elif code == IFLA_QDISC:
            fields["qdisc"] = _string(value)
        elif code == IFLA_MASTER:
            fields["master_index"] = _u32(value)
        elif code == IFLA_LINK:
            fields["link_index"] = _u32(value)
        elif code == IFLA_LINK_NETNSID:
            fields["link_netnsid"] = struct.unpack_from("=i", value)[0]
        elif code == IFLA_IFALIAS:
            fields["alias"] = _string(value)
        elif code == IFLA_PROP_LIST:
            fields["altnames"] = tuple(_string(v) for c, v in _attrs(value, 0, len(value)) if c == IFLA_ALT_IFNAME)
        elif code == IFLA_LINKINFO:
            fields["kind"], fields["slave_kind"], info = _link_info(value)
            fields.update(info)
    return KernelLink(index=index, type=ifi_type, flags=flags, **fields)  # type: ignore[arg-type]


def _address(family: int, raw: memoryview) -> IPAddress:
    return IPv4Address(bytes(raw)) if family == AF_INET else IPv6Address(bytes(raw))


def decode_address(data: memoryview, names: Mapping[int, str]) -> KernelAddress | None:
    """A KernelAddress from one RTM_NEWADDR message (header included); None for families other than IPv4/IPv6.

    As `codec.address_from_msg`: the prefix is IFA_LOCAL (else IFA_ADDRESS) with the prefix length, flags
    IFA_FLAGS (else the header's 8 bits), lifetimes from IFA_CACHEINFO, the link name from `names`.
    """
    family, prefixlen, header_flags, scope, index = _IFADDRMSG.unpack_from(data, _HDR.size)
    if family != AF_INET and family != AF_INET6:
        return None
    address = local = broadcast = anycast = multicast = None
    flags = priority = protocol = 0
    valid = preferred = INFINITY_LIFETIME
    for code, value in _attrs(data, _HDR.size + _IFADDRMSG.size, len(data)):
        if code == IFA_ADDRESS:
            address = value
        elif code == IFA_LOCAL:
            local = value
        elif code == IFA_FLAGS:
            (flags,) = _U32.unpack_from(value)
        elif code == IFA_CACHEINFO:
            preferred, valid = _CACHEINFO.unpack_from(value)
        elif code == IFA_BROADCAST:
            broadcast = IPv4Address(bytes(value))
        elif code == IFA_RT_PRIORITY:
            (priority,) = _U32.unpack_from(value)
        elif code == IFA_PROTO:
            protocol = value[0]
        elif code == IFA_ANYCAST:
            anycast = _address(family, value)
        elif code == IFA_MULTICAST:
            multicast = _address(family, value)
    raw = local if local is not None else address
    if raw is None:
        return None  # the kernel always sends one of them
    prefix: IPInterface = (
        IPv4Interface((bytes(raw), prefixlen)) if family == AF_INET else IPv6Interface((bytes(raw), prefixlen))
    )
    return KernelAddress(
        index=index,
        prefix=prefix,
        link_name=names.get(index, ""),
        local=_address(family, local) if local is not None else None,
        broadcast=broadcast,
        anycast=anycast,
        multicast=multicast,
        scope=scope,
        flags=flags or header_flags,
        valid_lft=valid,
        preferred_lft=preferred,
        priority=priority,
        protocol=protocol,
    )
