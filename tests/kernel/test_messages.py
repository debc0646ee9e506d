"""The netlink requests networkd builds, checked without a kernel.

Every link kind is covered, also those this machine's kernel lacks (vlan, bond, dummy, wireguard).
Each request is also encoded and decoded again through the codec, because pyroute2 silently drops
attributes it has no name for. Addresses and routes: the reference messages test_batch.py checks the
encoders of `batch` against (reference_messages.py), pinned here attribute by attribute.
"""

from __future__ import annotations

import errno
import struct
from collections.abc import Iterator
from dataclasses import fields
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_interface, ip_network
from typing import Any

import pytest

from networkd.kernel.codec import address_from_msg, link_from_msg, route_from_msg, rule_from_msg, to_nlmsg
from networkd.kernel.errors import KernelError
from networkd.kernel.messages import (
    BOND_ATTRS,
    CREATE,
    REPLACE,
    REQ,
    RT_TABLE_COMPAT,
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELROUTE,
    RTM_DELRULE,
    RTM_GETROUTE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWROUTE,
    RTM_NEWRULE,
    AttrValue,
    Nest,
    Request,
    build_dump,
    build_link_add,
    build_link_change,
    build_link_del,
    build_link_set,
    build_rule_add,
    build_rule_del,
)
from networkd.kernel.monitor import ALL, kinds_of
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    BOND_MODE_8023AD,
    BOND_MODE_ACTIVEBACKUP,
    BOND_MODE_ROUNDROBIN,
    ETH_P_8021AD,
    FR_ACT_BLACKHOLE,
    IFA_F_MANAGETEMPADDR,
    IFA_F_NODAD,
    IFA_F_NOPREFIXROUTE,
    IFF_MULTICAST,
    IFF_UP,
    MACVLAN_MODE_BRIDGE,
    RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE,
    RTN_BLACKHOLE,
    RTN_PROHIBIT,
    RTN_THROW,
    RTN_UNREACHABLE,
    RTNH_F_ONLINK,
    RTPROT_NETWORKD,
    BondOptions,
    KernelAddress,
    KernelLink,
    KernelRoute,
    KernelRule,
    NextHop,
)
from tests.kernel.reference_messages import (
    build_address_add,
    build_address_del,
    build_route_add,
    build_route_del,
    ipv4_broadcast,
)


def roundtrip(request: Request) -> Any:
    """Encode `request` as the kernel would receive it and decode it again (a pyroute2 message)."""
    msg = to_nlmsg(request)
    msg["header"]["type"] = request.type
    msg["header"]["flags"] = request.flags
    msg.encode()
    decoded = type(msg)(bytes(msg.data))
    decoded.decode()
    return decoded


def raw(request: Request) -> bytes:
    """The encoded request."""
    msg = to_nlmsg(request)
    msg.encode()
    return bytes(msg.data)


def leaves(nest: Nest, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], AttrValue]]:
    for name, value in nest.attrs:
        if isinstance(value, Nest):
            yield from leaves(value, (*path, name))
        else:
            yield (*path, name), value


def assert_survives_encoding(request: Request) -> Any:
    """Every header field and attribute of `request` comes back from encode + decode unchanged."""
    decoded = roundtrip(request)
    assert decoded["header"]["type"] == request.type
    for name, field in request.body.fields:
        assert decoded[name] == field, name
    for path, value in leaves(request.body):
        if isinstance(value, tuple) and all(isinstance(v, Nest) for v in value):
            assert len(decoded.get_nested(*path)) == len(value), path
            continue
        expected = list(value) if isinstance(value, tuple) else value
        assert decoded.get_nested(*path) == expected, path
    return decoded


def info_data(request: Request) -> Nest:
    data = request.attr("IFLA_LINKINFO", "IFLA_INFO_DATA")
    assert isinstance(data, Nest)
    return data


# links


def test_bridge_with_stp_and_vlan_filtering() -> None:
    req = build_link_add("br0", "bridge", stp=True, vlan_filtering=False)
    assert (req.type, req.flags) == (RTM_NEWLINK, CREATE)
    assert req.attr("IFLA_IFNAME") == "br0"
    assert req.attr("IFLA_LINKINFO", "IFLA_INFO_KIND") == "bridge"
    assert info_data(req).attrs == (("IFLA_BR_STP_STATE", 1), ("IFLA_BR_VLAN_FILTERING", 0))
    assert_survives_encoding(req)


def test_bridge_without_settings_has_no_info_data() -> None:
    req = build_link_add("br0", "bridge")
    assert req.attr("IFLA_LINKINFO").names() == ("IFLA_INFO_KIND",)  # type: ignore[union-attr]
    assert_survives_encoding(req)


def test_veth_carries_the_peer_name() -> None:
    req = build_link_add("veth0", "veth", peer="veth1")
    assert req.attr("IFLA_LINKINFO", "IFLA_INFO_DATA", "VETH_INFO_PEER", "IFLA_IFNAME") == "veth1"
    decoded = assert_survives_encoding(req)
    assert decoded.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA", "VETH_INFO_PEER", "IFLA_IFNAME") == "veth1"


def test_vlan_parent_id_and_protocol() -> None:
    req = build_link_add("eth0.100", "vlan", parent=7, vlan_id=100, vlan_protocol=ETH_P_8021AD)
    assert req.attr("IFLA_LINK") == 7
    assert info_data(req).attrs == (("IFLA_VLAN_ID", 100), ("IFLA_VLAN_PROTOCOL", ETH_P_8021AD))
    assert_survives_encoding(req)
    # IFLA_VLAN_PROTOCOL is big-endian on the wire (len 6, type 5, 0x88a8)
    assert struct.pack("=HH", 6, 5) + b"\x88\xa8" in raw(req)


def test_vlan_defaults_to_8021q() -> None:
    req = build_link_add("v100", "vlan", parent=2, vlan_id=100)
    assert info_data(req).get("IFLA_VLAN_PROTOCOL") == 0x8100


@pytest.mark.parametrize("vlan_id", [0, 4095])
def test_vlan_id_out_of_range(vlan_id: int) -> None:
    with pytest.raises(ValueError, match="not in 1-4094"):
        build_link_add("v", "vlan", parent=2, vlan_id=vlan_id)


@pytest.mark.parametrize("kind", ["dummy", "wireguard"])
def test_kinds_without_settings(kind: str) -> None:
    req = build_link_add("x0", kind)
    assert req.body.attrs == (("IFLA_IFNAME", "x0"), ("IFLA_LINKINFO", Nest((("IFLA_INFO_KIND", kind),))))
    assert_survives_encoding(req)


def test_macvlan_parent_and_mode() -> None:
    req = build_link_add("mv0", "macvlan", parent=3, macvlan_mode=MACVLAN_MODE_BRIDGE)
    assert req.attr("IFLA_LINK") == 3
    assert info_data(req).attrs == (("IFLA_MACVLAN_MODE", MACVLAN_MODE_BRIDGE),)
    assert struct.pack("=HHI", 8, 1, MACVLAN_MODE_BRIDGE) in raw(req)
    link = link_from_msg(roundtrip(req))
    assert (link.kind, link.link_index, link.macvlan_mode) == ("macvlan", 3, MACVLAN_MODE_BRIDGE)


def test_bond_8023ad_carries_every_option_of_its_mode() -> None:
    options = BondOptions(
        mode=BOND_MODE_8023AD,
        xmit_hash_policy=1,
        lacp_rate=1,
        ad_select=2,
        miimon=100,
        updelay=200,
        downdelay=300,
        min_links=1,
        use_carrier=True,
        ad_actor_sys_prio=65535,
        ad_user_port_key=7,
        ad_lacp_active=1,
        num_peer_notif=2,
        peer_notif_delay=50,
        resend_igmp=1,
        lp_interval=1,
        all_slaves_active=0,
        fail_over_mac=0,
        primary_reselect=0,
        arp_all_targets=0,
    )
    data = info_data(build_link_add("bond0", "bond", bond=options))
    assert data.attrs[0] == ("IFLA_BOND_MODE", BOND_MODE_8023AD)
    assert dict(data.attrs) == {
        "IFLA_BOND_MODE": 4,
        "IFLA_BOND_XMIT_HASH_POLICY": 1,
        "IFLA_BOND_AD_LACP_RATE": 1,
        "IFLA_BOND_AD_SELECT": 2,
        "IFLA_BOND_MIIMON": 100,
        "IFLA_BOND_UPDELAY": 200,
        "IFLA_BOND_DOWNDELAY": 300,
        "IFLA_BOND_MIN_LINKS": 1,
        "IFLA_BOND_USE_CARRIER": 1,
        "IFLA_BOND_AD_ACTOR_SYS_PRIO": 65535,
        "IFLA_BOND_AD_USER_PORT_KEY": 7,
        "IFLA_BOND_AD_LACP_ACTIVE": 1,
        "IFLA_BOND_NUM_PEER_NOTIF": 2,
        "IFLA_BOND_PEER_NOTIF_DELAY": 50,
        "IFLA_BOND_RESEND_IGMP": 1,
        "IFLA_BOND_LP_INTERVAL": 1,
        "IFLA_BOND_ALL_SLAVES_ACTIVE": 0,
        "IFLA_BOND_FAIL_OVER_MAC": 0,
        "IFLA_BOND_PRIMARY_RESELECT": 0,
        "IFLA_BOND_ARP_ALL_TARGETS": 0,
    }
    assert_survives_encoding(build_link_add("bond0", "bond", bond=options))


def test_bond_leaves_out_options_the_kernel_refuses_in_the_mode() -> None:
    options = BondOptions(
        mode=BOND_MODE_ACTIVEBACKUP,
        primary=5,
        arp_interval=1000,
        arp_validate=3,
        missed_max=3,
        arp_ip_targets=(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")),
        ns_ip6_targets=(IPv6Address("fd00::1"),),
        lacp_rate=1,  # 802.3ad only
        ad_actor_sys_prio=10,  # 802.3ad only
        packets_per_slave=3,  # balance-rr only
        tlb_dynamic_lb=1,  # balance-tlb/alb only
    )
    req = build_link_add("bond0", "bond", bond=options)
    assert info_data(req).names() == (
        "IFLA_BOND_MODE",
        "IFLA_BOND_ARP_INTERVAL",
        "IFLA_BOND_ARP_IP_TARGET",
        "IFLA_BOND_ARP_VALIDATE",
        "IFLA_BOND_PRIMARY",
        "IFLA_BOND_MISSED_MAX",
        "IFLA_BOND_NS_IP6_TARGET",
    )
    assert info_data(req).get("IFLA_BOND_ARP_IP_TARGET") == ("10.0.0.1", "10.0.0.2")
    assert_survives_encoding(req)
    # ARP targets are a nested array of 4-byte addresses (len 20 = 4 + 2 * 8)
    assert struct.pack("=HH", 20, 8) + struct.pack("=HH", 8, 1) + bytes([10, 0, 0, 1]) in raw(req)


def test_bond_without_mode_is_judged_as_balance_rr() -> None:
    data = info_data(build_link_add("bond0", "bond", bond=BondOptions(packets_per_slave=2, lacp_rate=1)))
    assert data.attrs == (("IFLA_BOND_PACKETS_PER_SLAVE", 2),)
    rr = info_data(build_link_add("bond0", "bond", bond=BondOptions(mode=BOND_MODE_ROUNDROBIN, primary=3)))
    assert rr.attrs == (("IFLA_BOND_MODE", 0),)


def test_bond_attribute_table_covers_every_option() -> None:
    assert sorted(name for name, _ in BOND_ATTRS) == sorted(f.name for f in fields(BondOptions))


def test_bond_options_decode_back_from_a_link_message() -> None:
    options = BondOptions(
        mode=BOND_MODE_ACTIVEBACKUP,
        miimon=100,
        use_carrier=True,
        primary=4,
        missed_max=2,
        arp_ip_targets=(IPv4Address("192.0.2.1"),),
        ns_ip6_targets=(IPv6Address("2001:db8::1"), IPv6Address("2001:db8::2")),
    )
    msg = roundtrip(build_link_add("bond0", "bond", bond=options))
    msg["index"] = 9
    link = link_from_msg(msg)
    assert (link.name, link.kind, link.index) == ("bond0", "bond", 9)
    assert link.bond == options


def test_physical_link_decodes_with_every_common_field() -> None:
    body = Nest(
        (
            ("IFLA_IFNAME", "eth0"),
            ("IFLA_MTU", 9000),
            ("IFLA_ADDRESS", "aa:bb:cc:dd:ee:02"),
            ("IFLA_BROADCAST", "ff:ff:ff:ff:ff:ff"),
            ("IFLA_PERM_ADDRESS", bytes.fromhex("aabbccddee01")),
            ("IFLA_OPERSTATE", "UP"),
            ("IFLA_CARRIER", 1),
            ("IFLA_QDISC", "fq_codel"),
            ("IFLA_MASTER", 5),
            ("IFLA_IFALIAS", "uplink"),
            ("IFLA_PROP_LIST", Nest((("IFLA_ALT_IFNAME", "enp0s1"), ("IFLA_ALT_IFNAME", "enxaabbccddee01")))),
            ("IFLA_LINKINFO", Nest((("IFLA_INFO_SLAVE_KIND", "bond"),))),
        ),
        (("index", 2), ("ifi_type", 1), ("flags", 0x11043)),
    )
    link = link_from_msg(roundtrip(Request(RTM_NEWLINK, 0, body, "", "")))
    assert link == KernelLink(
        index=2,
        name="eth0",
        slave_kind="bond",
        flags=0x11043,
        operstate="UP",
        mtu=9000,
        alias="uplink",
        altnames=("enp0s1", "enxaabbccddee01"),
        hw_addr="aa:bb:cc:dd:ee:02",
        perm_addr="aa:bb:cc:dd:ee:01",
        broadcast_addr="ff:ff:ff:ff:ff:ff",
        master_index=5,
        qdisc="fq_codel",
        carrier=True,
    )
    assert link.up
    assert link.veth_peer_index is None


@pytest.mark.parametrize(
    ("kind", "args", "message"),
    [
        ("team", {}, "unsupported link kind"),
        ("bridge", {"peer": "x"}, "unexpected arguments peer"),
        ("dummy", {"parent": 2, "stp": True}, "unexpected arguments parent, stp"),
        ("veth", {}, "peer name is required"),
        ("vlan", {"parent": 2}, "parent and vlan_id are required"),
        ("macvlan", {}, "parent is required"),
        ("bond", {"vlan_protocol": ETH_P_8021AD}, "unexpected arguments vlan_protocol"),
    ],
)
def test_link_add_refuses_bad_arguments(kind: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_link_add("x0", kind, **args)


@pytest.mark.parametrize("name", ["", "a" * 16, "a/b", "a b"])
def test_link_add_refuses_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid interface name"):
        build_link_add(name, "dummy")


def test_link_set_up_and_down_touch_only_iff_up() -> None:
    up = build_link_set(4, up=True)
    assert (up.type, up.flags) == (RTM_NEWLINK, REQ)
    assert (up.body.field("index"), up.body.field("flags"), up.body.field("change")) == (4, IFF_UP, IFF_UP)
    down = build_link_set(4, up=False)
    assert (down.body.field("flags"), down.body.field("change")) == (0, IFF_UP)
    assert build_link_set(4, mtu=1400).body.field("change") == 0
    assert_survives_encoding(up)


def test_link_set_attributes() -> None:
    req = build_link_set(4, mtu=9000, address="02:AA:BB:CC:DD:EE", master=7, alias="uplink")
    assert req.body.attrs == (
        ("IFLA_MTU", 9000),
        ("IFLA_ADDRESS", "02:aa:bb:cc:dd:ee"),
        ("IFLA_MASTER", 7),
        ("IFLA_IFALIAS", "uplink"),
    )
    assert_survives_encoding(req)
    assert build_link_set(4, master=0, alias="").body.attrs == (("IFLA_MASTER", 0), ("IFLA_IFALIAS", ""))


def test_link_set_multicast_touches_only_iff_multicast_and_combines_with_up() -> None:
    off = build_link_set(4, multicast=False)
    assert (off.body.field("flags"), off.body.field("change"), off.body.attrs) == (0, IFF_MULTICAST, ())
    on = build_link_set(4, up=False, multicast=True)
    assert (on.body.field("flags"), on.body.field("change")) == (IFF_MULTICAST, IFF_UP | IFF_MULTICAST)
    assert link_from_msg(roundtrip(build_link_set(4, up=True, multicast=True))).multicast
    assert_survives_encoding(on)


def test_link_change_bridge_sends_only_the_settings_given_on_the_existing_link() -> None:
    req = build_link_change(7, "bridge", stp=True)
    assert (req.type, req.flags, req.body.field("index")) == (RTM_NEWLINK, REQ, 7)  # no NLM_F_CREATE
    assert req.body.names() == ("IFLA_LINKINFO",)  # no IFLA_IFNAME: the index names the link
    assert req.attr("IFLA_LINKINFO", "IFLA_INFO_KIND") == "bridge"
    assert info_data(req).attrs == (("IFLA_BR_STP_STATE", 1),)  # no IFLA_BR_VLAN_FILTERING
    assert (req.op, req.obj) == ("link change", "index 7 (bridge)")
    assert_survives_encoding(req)
    both = build_link_change(7, "bridge", stp=False, vlan_filtering=True)
    assert info_data(both).attrs == (("IFLA_BR_STP_STATE", 0), ("IFLA_BR_VLAN_FILTERING", 1))


def test_link_change_bond_options_are_judged_in_the_bonds_mode() -> None:
    # active-backup bond: primary applies, lacp_rate (802.3ad only) is left out; the mode is not sent
    only = BondOptions(primary=3, miimon=200, lacp_rate=1)
    req = build_link_change(7, "bond", bond=only, bond_mode=BOND_MODE_ACTIVEBACKUP)
    assert info_data(req).attrs == (("IFLA_BOND_MIIMON", 200), ("IFLA_BOND_PRIMARY", 3))
    assert_survives_encoding(req)
    # without bond_mode, balance-rr judges: primary is refused there
    assert info_data(build_link_change(7, "bond", bond=only)).names() == ("IFLA_BOND_MIIMON",)
    # a new mode goes first, with the options of that mode
    new = build_link_change(7, "bond", bond=BondOptions(mode=BOND_MODE_8023AD, lacp_rate=1, primary=3))
    assert info_data(new).attrs == (("IFLA_BOND_MODE", BOND_MODE_8023AD), ("IFLA_BOND_AD_LACP_RATE", 1))


@pytest.mark.parametrize(
    ("kind", "args", "message"),
    [
        ("veth", {"stp": True}, "cannot change settings of kind 'veth'"),
        ("bridge", {"bond": BondOptions(miimon=1)}, "cannot change settings of kind 'bridge'"),
        ("bond", {"stp": True}, "cannot change settings of kind 'bond'"),
        ("bridge", {}, "bridge link index 7: no settings to change"),
        ("bond", {"bond": BondOptions(primary=3)}, "bond link index 7: no settings to change"),
    ],
)
def test_link_change_refuses_bad_arguments(kind: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_link_change(7, kind, **args)


def test_link_del() -> None:
    req = build_link_del(12)
    assert (req.type, req.flags, req.body.field("index"), req.body.attrs) == (RTM_DELLINK, REQ, 12, ())


# addresses


@pytest.mark.parametrize(
    ("prefix", "broadcast"),
    [
        ("10.0.0.1/24", "10.0.0.255"),
        ("192.168.1.9/30", "192.168.1.11"),
        ("10.0.0.1/8", "10.255.255.255"),
        ("10.0.0.0/31", None),
        ("10.0.0.1/32", None),
        ("fd00::1/64", None),
    ],
)
def test_broadcast_is_computed_for_ipv4_shorter_than_31(prefix: str, broadcast: str | None) -> None:
    iface = ip_interface(prefix)
    assert ipv4_broadcast(iface) == (ip_address(broadcast) if broadcast else None)
    assert build_address_add(2, iface).attr("IFA_BROADCAST") == broadcast


def test_address_add_v4() -> None:
    req = build_address_add(3, ip_interface("10.1.2.3/24"), priority=50)
    assert (req.type, req.flags) == (RTM_NEWADDR, CREATE)
    assert dict(req.body.fields) == {"family": AF_INET, "prefixlen": 24, "flags": 0, "scope": 0, "index": 3}
    assert req.body.attrs == (
        ("IFA_LOCAL", "10.1.2.3"),
        ("IFA_ADDRESS", "10.1.2.3"),
        ("IFA_BROADCAST", "10.1.2.255"),
        ("IFA_FLAGS", 0),
        ("IFA_RT_PRIORITY", 50),
        ("IFA_PROTO", RTPROT_NETWORKD),
    )
    assert_survives_encoding(req)


def test_address_add_v6_flags_above_8_bits_go_in_ifa_flags() -> None:
    flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE | IFA_F_MANAGETEMPADDR
    req = build_address_add(3, ip_interface("fd00:1::5/64"), flags=flags, scope=RT_SCOPE_LINK)
    assert dict(req.body.fields) == {
        "family": AF_INET6,
        "prefixlen": 64,
        "flags": IFA_F_NODAD,
        "scope": 253,
        "index": 3,
    }
    assert req.attr("IFA_FLAGS") == flags
    assert req.attr("IFA_BROADCAST") is None
    assert_survives_encoding(req)


def test_address_without_protocol() -> None:
    req = build_address_add(3, ip_interface("10.1.2.3/24"), protocol=0)
    assert req.attr("IFA_PROTO") is None


def test_address_delete() -> None:
    delete = build_address_del(3, ip_interface("fd00::3/64"))
    assert (delete.type, delete.flags) == (RTM_DELADDR, REQ)
    assert delete.body.attrs == (("IFA_LOCAL", "fd00::3"), ("IFA_ADDRESS", "fd00::3"))
    assert delete.obj == "fd00::3/64 on index 3"
    assert_survives_encoding(delete)


def test_address_decodes_back() -> None:
    msg = roundtrip(build_address_add(3, ip_interface("10.1.2.3/24"), priority=7, flags=IFA_F_NOPREFIXROUTE))
    assert address_from_msg(msg, {3: "eth0"}) == KernelAddress(
        index=3,
        prefix=ip_interface("10.1.2.3/24"),
        link_name="eth0",
        local=IPv4Address("10.1.2.3"),
        broadcast=IPv4Address("10.1.2.255"),
        flags=IFA_F_NOPREFIXROUTE,
        priority=7,
        protocol=RTPROT_NETWORKD,
    )


# routes


def test_unicast_route_via_gateway() -> None:
    route = KernelRoute(dst=ip_network("10.2.0.0/16"), gateway=ip_address("10.0.0.1"), oif=3, priority=100)
    req = build_route_add(route)
    assert (req.type, req.flags) == (RTM_NEWROUTE, CREATE)
    assert dict(req.body.fields) == {
        "family": AF_INET,
        "dst_len": 16,
        "src_len": 0,
        "tos": 0,
        "table": 254,
        "proto": RTPROT_NETWORKD,
        "scope": 0,
        "type": 1,
        "flags": 0,
    }
    assert req.body.attrs == (
        ("RTA_TABLE", 254),
        ("RTA_DST", "10.2.0.0"),
        ("RTA_PRIORITY", 100),
        ("RTA_OIF", 3),
        ("RTA_GATEWAY", "10.0.0.1"),
    )
    assert_survives_encoding(req)
    assert route_from_msg(roundtrip(req), {3: "eth0"}) == KernelRoute(
        dst=route.dst, gateway=route.gateway, oif=3, oif_name="eth0", priority=100
    )


def test_onlink_gateway_sets_the_header_flag() -> None:
    route = KernelRoute(dst=ip_network("0.0.0.0/0"), gateway=ip_address("192.0.2.1"), oif=2, flags=RTNH_F_ONLINK)
    req = build_route_add(route)
    assert req.body.field("flags") == RTNH_F_ONLINK
    assert req.attr("RTA_DST") is None  # a default route has no RTA_DST
    assert route_from_msg(roundtrip(req), {}).onlink  # type: ignore[union-attr]


@pytest.mark.parametrize("route_type", [RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT, RTN_THROW])
def test_routes_without_nexthop_carry_the_key_only(route_type: int) -> None:
    req = build_route_add(KernelRoute(dst=ip_network("10.9.0.0/24"), type=route_type, table=100))
    assert req.body.field("type") == route_type
    assert req.body.names() == ("RTA_TABLE", "RTA_DST")
    assert_survives_encoding(req)


def test_ipv6_route_in_a_big_table_with_src_mtu_and_prefsrc() -> None:
    route = KernelRoute(
        dst=ip_network("2001:db8:1::/48"),
        table=1000,
        gateway=ip_address("fe80::1"),
        oif=4,
        priority=1024,
        pref_src=ip_address("2001:db8::5"),
        src=ip_network("2001:db8:9::/64"),
        mtu=1400,
        scope=RT_SCOPE_LINK,
    )
    req = build_route_add(route, replace=True)
    assert (req.flags, req.op) == (REPLACE, "route replace")
    assert req.body.field("table") == RT_TABLE_COMPAT  # tables above 255 live in RTA_TABLE only
    assert req.body.field("src_len") == 64
    assert req.attr("RTA_TABLE") == 1000
    assert req.attr("RTA_METRICS", "RTAX_MTU") == 1400
    assert req.attr("RTA_PREFSRC") == "2001:db8::5"
    assert req.attr("RTA_SRC") == "2001:db8:9::"
    assert_survives_encoding(req)
    assert route_from_msg(roundtrip(req), {4: "eth1"}) == KernelRoute(**{**_route_fields(route), "oif_name": "eth1"})


def test_gateway_of_the_other_family_goes_in_rta_via() -> None:
    route = KernelRoute(dst=ip_network("10.0.0.0/8"), gateway=ip_address("fe80::1"), oif=2)
    req = build_route_add(route)
    assert req.attr("RTA_GATEWAY") is None
    assert req.attr("RTA_VIA") == Nest(fields=(("family", AF_INET6), ("addr", "fe80::1")))
    assert route_from_msg(roundtrip(req), {}).gateway == ip_address("fe80::1")  # type: ignore[union-attr]


def test_multipath_route() -> None:
    hops = (
        NextHop(oif=2, gateway=ip_address("10.0.0.1"), weight=3),
        NextHop(oif=3, gateway=ip_address("10.1.0.1"), flags=RTNH_F_ONLINK),
    )
    req = build_route_add(KernelRoute(dst=ip_network("10.5.0.0/16"), nexthops=hops))
    paths = req.attr("RTA_MULTIPATH")
    assert paths == (
        Nest((("RTA_GATEWAY", "10.0.0.1"),), (("flags", 0), ("hops", 2), ("oif", 2))),
        Nest((("RTA_GATEWAY", "10.1.0.1"),), (("flags", RTNH_F_ONLINK), ("hops", 0), ("oif", 3))),
    )
    assert route_from_msg(roundtrip(req), {2: "a", 3: "b"}).nexthops == (  # type: ignore[union-attr]
        NextHop(oif=2, gateway=ip_address("10.0.0.1"), weight=3, oif_name="a"),
        NextHop(oif=3, gateway=ip_address("10.1.0.1"), flags=RTNH_F_ONLINK, oif_name="b"),
    )


def test_route_delete_names_the_key_type_and_protocol_only() -> None:
    route = KernelRoute(
        dst=ip_network("10.2.0.0/16"), gateway=ip_address("10.0.0.1"), oif=3, priority=100, table=100, mtu=1400
    )
    req = build_route_del(route)
    assert (req.type, req.flags) == (RTM_DELROUTE, REQ)
    assert req.body.attrs == (("RTA_TABLE", 100), ("RTA_DST", "10.2.0.0"), ("RTA_PRIORITY", 100))
    assert (req.body.field("scope"), req.body.field("proto"), req.body.field("type")) == (RT_SCOPE_NOWHERE, 78, 1)
    assert req.obj == "10.2.0.0/16 via 10.0.0.1 table 100 metric 100"
    assert_survives_encoding(req)


def test_route_key_and_family() -> None:
    route = KernelRoute(dst=ip_network("fd00::/64"), table=7, priority=5, gateway=ip_address("fd00::1"))
    assert route.key == (AF_INET6, 7, ip_network("fd00::/64"), 5, 0)
    assert route.family == AF_INET6


# rules


def test_rule_add_with_every_selector() -> None:
    rule = KernelRule(
        family=AF_INET,
        priority=100,
        table=180,
        src=ip_network("10.0.0.0/8"),
        dst=ip_network("192.168.0.0/16"),
        iif="eth0",
        oif="kubespan",
        fwmark=0x20,
        fwmask=0x60,
    )
    req = build_rule_add(rule)
    assert (req.type, req.flags) == (RTM_NEWRULE, CREATE)
    assert dict(req.body.fields) == {"family": 2, "dst_len": 16, "src_len": 8, "tos": 0, "table": 180, "action": 1}
    assert req.body.attrs == (
        ("FRA_PRIORITY", 100),
        ("FRA_TABLE", 180),
        ("FRA_SRC", "10.0.0.0"),
        ("FRA_DST", "192.168.0.0"),
        ("FRA_IIFNAME", "eth0"),
        ("FRA_OIFNAME", "kubespan"),
        ("FRA_FWMARK", 0x20),
        ("FRA_FWMASK", 0x60),
        ("FRA_PROTOCOL", RTPROT_NETWORKD),
    )
    assert_survives_encoding(req)
    assert rule_from_msg(roundtrip(req)) == rule


def test_rule_fwmark_without_mask_means_all_bits() -> None:
    rule = KernelRule(family=AF_INET6, priority=10, fwmark=0x40)
    assert build_rule_add(rule).attr("FRA_FWMASK") == 0xFFFFFFFF
    assert rule.key == KernelRule(family=AF_INET6, priority=10, fwmark=0x40, fwmask=0xFFFFFFFF).key


def test_rule_actions_other_than_table_carry_no_table() -> None:
    req = build_rule_add(KernelRule(family=AF_INET, priority=5, action=FR_ACT_BLACKHOLE, src=ip_network("10.0.0.0/8")))
    assert (req.body.field("table"), req.body.field("action")) == (0, FR_ACT_BLACKHOLE)
    assert req.attr("FRA_TABLE") is None


def test_rule_big_table_and_delete() -> None:
    rule = KernelRule(family=AF_INET, priority=7, table=5000)
    req = build_rule_del(rule)
    assert (req.type, req.flags) == (RTM_DELRULE, REQ)
    assert (req.body.field("table"), req.attr("FRA_TABLE")) == (RT_TABLE_COMPAT, 5000)
    assert req.obj == "priority 7 table 5000"


def test_rule_prefix_of_the_wrong_family() -> None:
    with pytest.raises(ValueError, match="not of the rule's family"):
        build_rule_add(KernelRule(family=AF_INET, priority=7, src=ip_network("fd00::/8")))


# dumps, errors, monitor parsing


def test_dump_request() -> None:
    req = build_dump(RTM_GETROUTE)
    assert req.flags & 0x300 == 0x300
    assert raw(req)[16:] == bytes(12)  # rtmsg all zero: AF_UNSPEC, every table


def test_kernel_error_names_the_object() -> None:
    error = KernelError(errno.ENODEV, "link set", "index 9", "Device not found")
    assert error.errno == errno.ENODEV
    assert str(error) == "link set index 9: No such device (ENODEV): Device not found"
    assert str(KernelError(errno.EEXIST, "route add", "x", "File exists")) == "route add x: File exists (EEXIST)"


def _header(msg_type: int, length: int = 20) -> bytes:
    return struct.pack("=IHHII", length, msg_type, 0, 0, 0) + bytes(length - 16)


def test_monitor_kinds_from_headers() -> None:
    assert kinds_of(_header(16)) == {"link", "route"}  # link changes also flag routes
    assert kinds_of(_header(21) + _header(33, 24)) == {"address", "rule"}
    assert kinds_of(_header(25)) == {"route"}
    assert kinds_of(_header(28)) == set()  # neighbours are not watched
    assert kinds_of(b"\x00" * 10) == set()
    assert {"link", "address", "route", "rule"} == ALL


def _route_fields(route: KernelRoute) -> dict[str, Any]:
    return {f.name: getattr(route, f.name) for f in fields(route)}
