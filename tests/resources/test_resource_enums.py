"""Enums: Talos text as value, kernel/Go number as int, flag sets, numbers without a name."""

import copy
import pickle

import pytest

from networkd.resources.base import to_plain
from networkd.resources.enums import (
    MANAGED_ADDRESS_FLAGS,
    AddressFlags,
    BondMode,
    ConfigLayer,
    DNSProtocol,
    Family,
    LinkFlags,
    LinkType,
    OperationalState,
    RouteFlags,
    RouteProtocol,
    RoutingTable,
    Scope,
    TalosEnum,
    VLANProtocol,
    XmitHashPolicy,
)


@pytest.mark.parametrize(
    ("member", "text", "number"),
    [
        (Family.INET4, "inet4", 2),
        (Family.INET6, "inet6", 10),
        (Scope.GLOBAL, "global", 0),
        (Scope.LINK, "link", 253),
        (Scope.HOST, "host", 254),
        (RoutingTable.MAIN, "main", 254),
        (RoutingTable.LOCAL, "local", 255),
        (RouteProtocol.BOOT, "boot", 3),
        (RouteProtocol.STATIC, "static", 4),
        (RouteProtocol.DHCP, "dhcp", 16),
        (RouteProtocol.BGP, "bgp", 186),
        (LinkType.ETHER, "ether", 1),
        (LinkType.LOOPBACK, "loopback", 772),
        (LinkType.NOHDR, "nohdr", 65534),
        (OperationalState.LOWER_LAYER_DOWN, "lowerLayerDown", 3),
        (BondMode.IEEE8023AD, "802.3ad", 4),
        (XmitHashPolicy.ENCAP34, "encap3+4", 4),
        (VLANProtocol.Q8021, "802.1q", 0x8100),
        (VLANProtocol.AD8021, "802.1ad", 0x88A8),
        (DNSProtocol.DOT, "DoT", 1),
        (ConfigLayer.CONFIGURATION, "configuration", 4),
    ],
)
def test_text_and_number(member: TalosEnum, text: str, number: int) -> None:
    assert to_plain(member) == text
    assert str(member) == f"{member}" == text
    assert int(member) == number
    assert type(member).parse(text) is member
    assert type(member).of(number) is member


def test_layers_are_ordered() -> None:
    assert list(ConfigLayer) == sorted(ConfigLayer)
    assert ConfigLayer.DEFAULT < ConfigLayer.CMDLINE < ConfigLayer.PLATFORM < ConfigLayer.OPERATOR
    assert ConfigLayer.OPERATOR < ConfigLayer.CONFIGURATION
    assert [str(layer) for layer in ConfigLayer] == ["default", "cmdline", "platform", "operator", "configuration"]


def test_unnamed_numbers_render_like_go() -> None:
    assert str(RoutingTable.of(100)) == "100"
    assert RoutingTable.parse("100") == RoutingTable.of(100)
    assert str(RoutingTable.of(1000)) == "RoutingTable(1000)"
    assert int(RoutingTable.parse("RoutingTable(1000)")) == 1000
    assert str(RouteProtocol.of(77)) == "RouteProtocol(77)"
    with pytest.raises(ValueError):
        Family.parse("inet5")


def test_duplicate_kernel_numbers_keep_both_names() -> None:
    assert LinkType.of(513) is LinkType.CISCO
    assert LinkType.parse("hdlc") is LinkType.HDLC
    assert int(LinkType.HDLC) == 513


def test_flags_render_as_comma_list_in_bit_order() -> None:
    flags = RouteFlags.OFFLOAD | RouteFlags.CLONED
    assert to_plain(flags) == "cloned,offload"
    assert int(flags) == 0x4200
    assert RouteFlags.parse("cloned,offload") == flags
    assert RouteFlags.CLONED in flags and RouteFlags.TRAP not in flags
    assert to_plain(LinkFlags.UP | LinkFlags.RUNNING) == "UP,RUNNING"
    assert to_plain(RouteFlags.NONE) == ""
    assert to_plain(AddressFlags.of(0x80 | 0x10000)) == "permanent"  # an unnamed bit is kept but not shown
    assert int(AddressFlags.of(0x80 | 0x10000)) == 0x10080


def test_managed_address_flags() -> None:
    assert str(MANAGED_ADDRESS_FLAGS) == "nodad,homeaddress,permanent,mngmtmpaddr,noprefixroute,mcautojoin"
    flags = AddressFlags.parse("permanent,temporary,tentative,dadfailed")
    assert flags.managed() is AddressFlags.PERMANENT
    assert str(flags.unmanaged()) == "temporary,dadfailed,tentative"


def test_copy_and_pickle_keep_members() -> None:
    flags = RouteFlags.CLONED | RouteFlags.OFFLOAD
    assert copy.deepcopy(flags) == flags and str(copy.deepcopy(flags)) == "cloned,offload"
    assert pickle.loads(pickle.dumps(LinkType.HDLC)) is LinkType.HDLC
    assert str(pickle.loads(pickle.dumps(RoutingTable.of(123)))) == "123"
