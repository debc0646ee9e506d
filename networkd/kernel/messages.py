"""Pure builders of rtnetlink requests: neutral values in, a `Request` (type, flags, fields, attributes) out.

No I/O and no pyroute2 here: `codec.to_nlmsg` turns a Request into a pyroute2 message, and unit tests
check the attributes built for every link kind (also the kinds a kernel may lack) and rule. Addresses and
routes are encoded by `batch` instead (tests/kernel/reference_messages.py describes them as Requests, for
the tests). Attribute names are the kernel's (IFLA_*, IFA_*, RTA_*, FRA_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from networkd.kernel.types import (
    AF_INET,
    BOND_MODE_8023AD,
    BOND_MODE_ACTIVEBACKUP,
    BOND_MODE_ALB,
    BOND_MODE_ROUNDROBIN,
    BOND_MODE_TLB,
    ETH_P_8021Q,
    FR_ACT_TO_TBL,
    IFF_MULTICAST,
    IFF_UP,
    RTN_BLACKHOLE,
    RTN_PROHIBIT,
    RTN_THROW,
    RTN_UNREACHABLE,
    BondOptions,
    KernelRule,
)

# Message types (rtnetlink.h) and header flags (netlink.h).
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE = 32, 33, 34
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

REQ = NLM_F_REQUEST | NLM_F_ACK
CREATE = REQ | NLM_F_CREATE | NLM_F_EXCL  # add: EEXIST when it is already there
REPLACE = REQ | NLM_F_CREATE | NLM_F_REPLACE  # add or overwrite

LINK_KINDS = ("bridge", "veth", "vlan", "bond", "dummy", "wireguard", "macvlan")
IFNAMSIZ = 15
RT_TABLE_COMPAT = 252  # rtm_table value meaning "see RTA_TABLE" for tables above 255
ROUTE_TYPES_WITHOUT_NEXTHOP = frozenset({RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT, RTN_THROW})

AttrValue = Union[int, str, bytes, "Nest", tuple["AttrValue", ...]]
Attr = tuple[str, AttrValue]


@dataclass(frozen=True, slots=True)
class Nest:
    """A nested attribute, or a message body: fixed header fields, then attributes in order."""

    attrs: tuple[Attr, ...] = ()
    fields: tuple[tuple[str, int | str], ...] = ()

    def get(self, *path: str) -> AttrValue | None:
        """The value at `path` (attribute names, descending into nests), None when absent."""
        value: AttrValue | None = self
        for name in path:
            if not isinstance(value, Nest):
                return None
            value = next((v for k, v in value.attrs if k == name), None)
        return value

    def names(self) -> tuple[str, ...]:
        """Names of the attributes at this level, in order."""
        return tuple(name for name, _ in self.attrs)

    def field(self, name: str) -> int | str:
        """A header field; fields not set are 0."""
        return dict(self.fields).get(name, 0)


@dataclass(frozen=True, slots=True)
class Request:
    """One rtnetlink request: message type, header flags, body; `op` and `obj` name it in errors."""

    type: int
    flags: int
    body: Nest
    op: str
    obj: str

    def attr(self, *path: str) -> AttrValue | None:
        """Shortcut for `body.get(*path)`."""
        return self.body.get(*path)


# Bond options: BondOptions field -> IFLA_BOND_* attribute, in the kernel's attribute order.
BOND_ATTRS: tuple[tuple[str, str], ...] = (
    ("mode", "IFLA_BOND_MODE"),
    ("miimon", "IFLA_BOND_MIIMON"),
    ("updelay", "IFLA_BOND_UPDELAY"),
    ("downdelay", "IFLA_BOND_DOWNDELAY"),
    ("use_carrier", "IFLA_BOND_USE_CARRIER"),
    ("arp_interval", "IFLA_BOND_ARP_INTERVAL"),
    ("arp_ip_targets", "IFLA_BOND_ARP_IP_TARGET"),
    ("arp_validate", "IFLA_BOND_ARP_VALIDATE"),
    ("arp_all_targets", "IFLA_BOND_ARP_ALL_TARGETS"),
    ("primary", "IFLA_BOND_PRIMARY"),
    ("primary_reselect", "IFLA_BOND_PRIMARY_RESELECT"),
    ("fail_over_mac", "IFLA_BOND_FAIL_OVER_MAC"),
    ("xmit_hash_policy", "IFLA_BOND_XMIT_HASH_POLICY"),
    ("resend_igmp", "IFLA_BOND_RESEND_IGMP"),
    ("num_peer_notif", "IFLA_BOND_NUM_PEER_NOTIF"),
    ("all_slaves_active", "IFLA_BOND_ALL_SLAVES_ACTIVE"),
    ("min_links", "IFLA_BOND_MIN_LINKS"),
    ("lp_interval", "IFLA_BOND_LP_INTERVAL"),
    ("packets_per_slave", "IFLA_BOND_PACKETS_PER_SLAVE"),
    ("lacp_rate", "IFLA_BOND_AD_LACP_RATE"),
    ("ad_select", "IFLA_BOND_AD_SELECT"),
    ("ad_actor_sys_prio", "IFLA_BOND_AD_ACTOR_SYS_PRIO"),
    ("ad_user_port_key", "IFLA_BOND_AD_USER_PORT_KEY"),
    ("tlb_dynamic_lb", "IFLA_BOND_TLB_DYNAMIC_LB"),
    ("peer_notif_delay", "IFLA_BOND_PEER_NOTIF_DELAY"),
    ("ad_lacp_active", "IFLA_BOND_AD_LACP_ACTIVE"),
    ("missed_max", "IFLA_BOND_MISSED_MAX"),
    ("ns_ip6_targets", "IFLA_BOND_NS_IP6_TARGET"),
)

# Options the kernel refuses (EACCES) outside some modes (drivers/net/bonding/bond_options.c,
# `unsuppmodes`): the builder leaves them out for other modes, as Talos does.
_AB_TLB_ALB = frozenset({BOND_MODE_ACTIVEBACKUP, BOND_MODE_TLB, BOND_MODE_ALB})
_NOT_8023AD_TLB_ALB = frozenset(range(7)) - {BOND_MODE_8023AD, BOND_MODE_TLB, BOND_MODE_ALB}
BOND_OPTION_MODES: dict[str, frozenset[int]] = {
    "packets_per_slave": frozenset({BOND_MODE_ROUNDROBIN}),
    "arp_validate": _NOT_8023AD_TLB_ALB,
    "arp_interval": _NOT_8023AD_TLB_ALB,
    "missed_max": _NOT_8023AD_TLB_ALB,
    "primary": _AB_TLB_ALB,
    "tlb_dynamic_lb": frozenset({BOND_MODE_TLB, BOND_MODE_ALB}),
    "lacp_rate": frozenset({BOND_MODE_8023AD}),
    "ad_actor_sys_prio": frozenset({BOND_MODE_8023AD}),
    "ad_user_port_key": frozenset({BOND_MODE_8023AD}),
    "ad_lacp_active": frozenset({BOND_MODE_8023AD}),
}

# Options the kernel changes only on a bond without ports (ENOTEMPTY otherwise) or one that is down
# (EBUSY otherwise): BOND_OPTFLAG_NOSLAVES and BOND_OPTFLAG_IFDOWN in bond_options.c. The others
# change on a live bond.
BOND_OPTIONS_NO_PORTS = frozenset({"mode", "fail_over_mac"})
BOND_OPTIONS_DOWN = frozenset({"mode", "lacp_rate", "ad_select", "tlb_dynamic_lb", "ad_user_port_key",
                               "ad_lacp_active"})


def build_dump(msg_type: int) -> Request:
    """A dump of every object of an RTM_GET* type, all families (and for routes and rules all tables)."""
    what = {RTM_GETLINK: "links", RTM_GETADDR: "addresses", RTM_GETROUTE: "routes", RTM_GETRULE: "rules"}
    return Request(msg_type, NLM_F_REQUEST | NLM_F_DUMP, Nest(), "dump", what[msg_type])


def _check_ifname(name: str) -> None:
    if not 0 < len(name) <= IFNAMSIZ or "/" in name or any(c.isspace() for c in name):
        raise ValueError(f"invalid interface name {name!r} (1-{IFNAMSIZ} chars, no '/' or spaces)")


def bond_info_data(options: BondOptions, *, mode: int | None = None) -> tuple[Attr, ...]:
    """IFLA_INFO_DATA of a bond: the options that are set and that the kernel accepts in its mode.

    The mode judged is `mode` (the bond's, when `options` changes only some options), else
    `options.mode`, else the kernel's default mode (balance-rr).
    """
    if mode is None:
        mode = BOND_MODE_ROUNDROBIN if options.mode is None else options.mode
    attrs: list[Attr] = []
    for name, attr in BOND_ATTRS:
        value = getattr(options, name)
        allowed = BOND_OPTION_MODES.get(name)
        if value is None or (allowed is not None and mode not in allowed):
            continue
        if isinstance(value, tuple):
            attrs.append((attr, tuple(str(addr) for addr in value)))
        else:
            attrs.append((attr, int(value)))
    return tuple(attrs)


def build_link_add(
    name: str,
    kind: str,
    *,
    peer: str | None = None,
    parent: int | None = None,
    vlan_id: int | None = None,
    vlan_protocol: int = ETH_P_8021Q,
    stp: bool | None = None,
    vlan_filtering: bool | None = None,
    bond: BondOptions | None = None,
    macvlan_mode: int | None = None,
) -> Request:
    """RTM_NEWLINK creating link `name` of `kind` (one of LINK_KINDS).

    Kind arguments: bridge `stp`, `vlan_filtering`; veth `peer` (name of the other end, required);
    vlan `parent` (index, required), `vlan_id` (required), `vlan_protocol`; bond `bond` options;
    macvlan `parent` (required), `macvlan_mode` (MACVLAN_MODE_*). dummy and wireguard take none.
    Arguments of another kind raise ValueError.
    """
    _check_ifname(name)
    if kind not in LINK_KINDS:
        raise ValueError(f"unsupported link kind {kind!r} (supported: {', '.join(LINK_KINDS)})")
    given = {
        "peer": peer is not None,
        "parent": parent is not None,
        "vlan_id": vlan_id is not None,
        "vlan_protocol": vlan_protocol != ETH_P_8021Q,
        "stp": stp is not None,
        "vlan_filtering": vlan_filtering is not None,
        "bond": bond is not None,
        "macvlan_mode": macvlan_mode is not None,
    }
    allowed = {
        "bridge": {"stp", "vlan_filtering"},
        "veth": {"peer"},
        "vlan": {"parent", "vlan_id", "vlan_protocol"},
        "bond": {"bond"},
        "macvlan": {"parent", "macvlan_mode"},
    }.get(kind, set())
    stray = sorted(arg for arg, is_set in given.items() if is_set and arg not in allowed)
    if stray:
        raise ValueError(f"{kind} link {name}: unexpected arguments {', '.join(stray)}")

    attrs: list[Attr] = [("IFLA_IFNAME", name)]
    data: tuple[Attr, ...] = ()
    if kind == "bridge":
        data = _bridge_info_data(stp, vlan_filtering)
    elif kind == "veth":
        if peer is None:
            raise ValueError(f"veth link {name}: the peer name is required")
        _check_ifname(peer)
        data = (("VETH_INFO_PEER", Nest((("IFLA_IFNAME", peer),))),)
    elif kind == "vlan":
        if parent is None or vlan_id is None:
            raise ValueError(f"vlan link {name}: parent and vlan_id are required")
        if not 1 <= vlan_id <= 4094:
            raise ValueError(f"vlan link {name}: vlan_id {vlan_id} not in 1-4094")
        attrs.append(("IFLA_LINK", parent))
        data = (("IFLA_VLAN_ID", vlan_id), ("IFLA_VLAN_PROTOCOL", vlan_protocol))
    elif kind == "bond":
        data = bond_info_data(bond or BondOptions())
    elif kind == "macvlan":
        if parent is None:
            raise ValueError(f"macvlan link {name}: parent is required")
        attrs.append(("IFLA_LINK", parent))
        if macvlan_mode is not None:
            data = (("IFLA_MACVLAN_MODE", macvlan_mode),)
    info: list[Attr] = [("IFLA_INFO_KIND", kind)]
    if data:
        info.append(("IFLA_INFO_DATA", Nest(data)))
    attrs.append(("IFLA_LINKINFO", Nest(tuple(info))))
    return Request(RTM_NEWLINK, CREATE, Nest(tuple(attrs)), "link add", f"{name} ({kind})")


def _bridge_info_data(stp: bool | None, vlan_filtering: bool | None) -> tuple[Attr, ...]:
    return tuple(
        (attr, int(value))
        for attr, value in (("IFLA_BR_STP_STATE", stp), ("IFLA_BR_VLAN_FILTERING", vlan_filtering))
        if value is not None
    )


def build_link_change(
    index: int,
    kind: str,
    *,
    stp: bool | None = None,
    vlan_filtering: bool | None = None,
    bond: BondOptions | None = None,
    bond_mode: int | None = None,
) -> Request:
    """RTM_NEWLINK changing the settings of master `index` in place (no create): IFLA_INFO_DATA only.

    bridge: `stp`, `vlan_filtering` when not None. bond: the options set in `bond`, judged in
    `bond_mode` (the bond's mode, when `bond` changes only some options; see `bond_info_data`). The
    kernel refuses some bond options on a bond that is up or has ports (BOND_OPTIONS_DOWN,
    BOND_OPTIONS_NO_PORTS). ValueError for another kind, arguments of the other kind, or no change.
    """
    if kind == "bridge" and bond is None and bond_mode is None:
        data = _bridge_info_data(stp, vlan_filtering)
    elif kind == "bond" and stp is None and vlan_filtering is None:
        data = bond_info_data(bond or BondOptions(), mode=bond_mode)
    else:
        raise ValueError(f"link index {index}: cannot change settings of kind {kind!r} with these arguments")
    if not data:
        raise ValueError(f"{kind} link index {index}: no settings to change")
    info = Nest((("IFLA_INFO_KIND", kind), ("IFLA_INFO_DATA", Nest(data))))
    return Request(RTM_NEWLINK, REQ, Nest((("IFLA_LINKINFO", info),), (("index", index),)), "link change",
                   f"index {index} ({kind})")


def build_link_set(
    index: int,
    *,
    up: bool | None = None,
    multicast: bool | None = None,
    mtu: int | None = None,
    address: str | None = None,
    master: int | None = None,
    alias: str | None = None,
) -> Request:
    """RTM_NEWLINK changing link `index`: what is not None changes, the rest is left alone.

    `up` and `multicast` set or clear IFF_UP and IFF_MULTICAST (only the flags given change);
    `master` 0 detaches the link from its master (nomaster); `alias` "" clears the alias;
    `address` is a MAC address "aa:bb:cc:dd:ee:ff".
    """
    head = [("index", index)]
    flags = change = 0
    for flag, value in ((IFF_UP, up), (IFF_MULTICAST, multicast)):
        if value is not None:
            change |= flag
            flags |= flag if value else 0
    if change:
        head += [("flags", flags), ("change", change)]
    attrs: list[Attr] = []
    if mtu is not None:
        attrs.append(("IFLA_MTU", mtu))
    if address is not None:
        attrs.append(("IFLA_ADDRESS", address.lower()))
    if master is not None:
        attrs.append(("IFLA_MASTER", master))
    if alias is not None:
        attrs.append(("IFLA_IFALIAS", alias))
    return Request(RTM_NEWLINK, REQ, Nest(tuple(attrs), tuple(head)), "link set", f"index {index}")


def build_link_del(index: int) -> Request:
    """RTM_DELLINK removing link `index`."""
    return Request(RTM_DELLINK, REQ, Nest((), (("index", index),)), "link del", f"index {index}")


def _rule_obj(rule: KernelRule) -> str:
    selectors = [
        f"{name} {value}"
        for name, value in (
            ("from", rule.src),
            ("to", rule.dst),
            ("iif", rule.iif),
            ("oif", rule.oif),
            ("fwmark", hex(rule.fwmark) if rule.fwmark else ""),
        )
        if value
    ]
    return " ".join([f"priority {rule.priority}", *selectors, f"table {rule.table}"])


def _rule_body(rule: KernelRule) -> Nest:
    table = rule.table if rule.action == FR_ACT_TO_TBL else 0
    head = (
        ("family", rule.family),
        ("dst_len", rule.dst.prefixlen if rule.dst else 0),
        ("src_len", rule.src.prefixlen if rule.src else 0),
        ("tos", 0),
        ("table", table if table < 256 else RT_TABLE_COMPAT),
        ("action", rule.action),
    )
    attrs: list[Attr] = [("FRA_PRIORITY", rule.priority)]
    if table:
        attrs.append(("FRA_TABLE", table))
    if rule.src is not None:
        attrs.append(("FRA_SRC", str(rule.src.network_address)))
    if rule.dst is not None:
        attrs.append(("FRA_DST", str(rule.dst.network_address)))
    if rule.iif:
        attrs.append(("FRA_IIFNAME", rule.iif))
    if rule.oif:
        attrs.append(("FRA_OIFNAME", rule.oif))
    if rule.fwmark or rule.fwmask:
        attrs += [("FRA_FWMARK", rule.fwmark), ("FRA_FWMASK", rule.fwmask or 0xFFFFFFFF)]
    if rule.protocol:
        attrs.append(("FRA_PROTOCOL", rule.protocol))
    return Nest(tuple(attrs), head)


def build_rule_add(rule: KernelRule) -> Request:
    """RTM_NEWRULE adding `rule` (EEXIST when an identical rule exists)."""
    for prefix in (rule.src, rule.dst):
        if prefix is not None and prefix.version != (4 if rule.family == AF_INET else 6):
            raise ValueError(f"rule {_rule_obj(rule)}: {prefix} is not of the rule's family")
    return Request(RTM_NEWRULE, CREATE, _rule_body(rule), "rule add", _rule_obj(rule))


def build_rule_del(rule: KernelRule) -> Request:
    """RTM_DELRULE removing the rule matching all of `rule`'s fields."""
    return Request(RTM_DELRULE, REQ, _rule_body(rule), "rule del", _rule_obj(rule))
