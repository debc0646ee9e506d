"""Talos's network enums (`nethelpers`, `ConfigLayer`, `Operator`): the value is the text, int() the number.

Every member is an `int` (the Go/kernel number, so the zero member is "empty" for omitempty and layers
compare by priority) whose enum value is the text Talos prints in YAML. `of(n)` maps a number to its
member; a number Talos has no name for becomes a pseudo-member rendered as Go's `Type(n)`.
"""

from __future__ import annotations

import enum
from typing import Any, Self, cast


class TalosEnum(int, enum.Enum):
    """Base of the enums: members are `NAME = number, "text"`."""

    _value_: str

    def __new__(cls, number: int, text: str) -> Self:
        member = int.__new__(cls, number)
        member._value_ = text
        return member

    def __str__(self) -> str:
        return self._value_

    def __format__(self, spec: str) -> str:
        return format(self._value_, spec)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {int(self)}, {self._value_!r}>"

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        if self._name_ in type(self).__members__:
            return getattr, (type(self), self._name_)
        return type(self).of, (int(self),)

    @classmethod
    def of(cls, number: int) -> Self:
        """The member with this number (the first one declared), else a pseudo-member named like Go's String()."""
        for member in cls:
            if int(member) == number:
                return member
        return cls._pseudo(number, cls._unnamed(number))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The member with this text (also accepts the pseudo-member form `Type(n)`); ValueError if unknown."""
        member = cls._value2member_map_.get(text)
        if member is None:
            member = cls._missing_(text)
        if member is None:
            raise ValueError(f"{text!r} is not a valid {cls.__name__}")
        return cast(Self, member)

    @classmethod
    def _unnamed(cls, number: int) -> str:
        return f"{cls.__name__}({number})"

    @classmethod
    def _pseudo(cls, number: int, text: str) -> Self:
        member = int.__new__(cls, number)
        member._value_ = text
        member._name_ = text
        return member

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            prefix = f"{cls.__name__}("
            if value.startswith(prefix) and value.endswith(")") and value[len(prefix) : -1].isdigit():
                return cls.of(int(value[len(prefix) : -1]))
        return None


class TalosFlags(TalosEnum):
    """A bit set: members are single bits (plus NONE); a combination renders as `a,b` in bit order."""

    @classmethod
    def of(cls, number: int) -> Self:
        """The flags set in `number`; bits without a name are kept in the number but not in the text."""
        for member in cls:
            if int(member) == number:
                return member
        return cls._pseudo(number, ",".join(m._value_ for m in cls if m and number & m == m))

    def __or__(self, other: int) -> Self:
        return type(self).of(int(self) | int(other))

    def __and__(self, other: int) -> Self:
        return type(self).of(int(self) & int(other))

    def __contains__(self, flag: int) -> bool:
        return int(self) & int(flag) == int(flag)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            mask = 0
            for word in value.split(","):
                mask |= int(cls.parse(word))
            return cls.of(mask)
        return None


class ConfigLayer(TalosEnum):
    """Source of a spec, lowest priority first."""

    DEFAULT = 0, "default"
    CMDLINE = 1, "cmdline"
    PLATFORM = 2, "platform"
    OPERATOR = 3, "operator"
    CONFIGURATION = 4, "configuration"


class Operator(TalosEnum):
    """A network operator kind."""

    DHCP4 = 0, "dhcp4"
    DHCP6 = 1, "dhcp6"
    VIP = 2, "vip"


class Family(TalosEnum):
    """Address family (AF_INET, AF_INET6)."""

    INET4 = 2, "inet4"
    INET6 = 10, "inet6"


class Scope(TalosEnum):
    """Address/route scope (RT_SCOPE_*)."""

    GLOBAL = 0, "global"
    SITE = 200, "site"
    LINK = 253, "link"
    HOST = 254, "host"
    NOWHERE = 255, "nowhere"


class RoutingTable(TalosEnum):
    """Routing table (RT_TABLE_*); tables 1..252 are named by their number."""

    UNSPEC = 0, "unspec"
    DEFAULT = 253, "default"
    MAIN = 254, "main"
    LOCAL = 255, "local"

    @classmethod
    def _unnamed(cls, number: int) -> str:
        return str(number) if 1 <= number <= 252 else super()._unnamed(number)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= 252:
            return cls.of(int(value))
        return super()._missing_(value)


class RouteType(TalosEnum):
    """Route type (RTN_*)."""

    UNSPEC = 0, "unspec"
    UNICAST = 1, "unicast"
    LOCAL = 2, "local"
    BROADCAST = 3, "broadcast"
    ANYCAST = 4, "anycast"
    MULTICAST = 5, "multicast"
    BLACKHOLE = 6, "blackhole"
    UNREACHABLE = 7, "unreachable"
    PROHIBIT = 8, "prohibit"
    THROW = 9, "throw"
    NAT = 10, "nat"
    XRESOLVE = 11, "xresolve"


class RouteProtocol(TalosEnum):
    """Route origin (RTPROT_*)."""

    UNSPEC = 0, "unspec"
    REDIRECT = 1, "redirect"
    KERNEL = 2, "kernel"
    BOOT = 3, "boot"
    STATIC = 4, "static"
    RA = 9, "ra"
    MRT = 10, "mrt"
    ZEBRA = 11, "zebra"
    BIRD = 12, "bird"
    DNROUTED = 13, "dnrouted"
    XORP = 14, "xorp"
    NTK = 15, "ntk"
    DHCP = 16, "dhcp"
    MRTD = 17, "mrtd"
    KEEPALIVED = 18, "keepalived"
    BABEL = 42, "babel"
    OPENR = 99, "openr"
    BGP = 186, "bgp"
    ISIS = 187, "isis"
    OSPF = 188, "ospf"
    RIP = 189, "rip"
    EIGRP = 192, "eigrp"


class RouteFlags(TalosFlags):
    """Route flags (RTM_F_*)."""

    NONE = 0, ""
    NOTIFY = 0x100, "notify"
    CLONED = 0x200, "cloned"
    EQUALIZE = 0x400, "equalize"
    PREFIX = 0x800, "prefix"
    LOOKUP_TABLE = 0x1000, "lookup_table"
    FIB_MATCH = 0x2000, "fib_match"
    OFFLOAD = 0x4000, "offload"
    TRAP = 0x8000, "trap"


class RoutingRuleAction(TalosEnum):
    """Action of a routing rule (FR_ACT_*)."""

    UNSPEC = 0, "unspec"
    UNICAST = 1, "unicast"
    BLACKHOLE = 6, "blackhole"
    UNREACHABLE = 7, "unreachable"
    PROHIBIT = 8, "prohibit"


class AddressFlags(TalosFlags):
    """Address flags (IFA_F_*); only the MANAGED subset is set and enforced, the rest is the kernel's."""

    NONE = 0, ""
    TEMPORARY = 0x1, "temporary"
    NODAD = 0x2, "nodad"
    OPTIMISTIC = 0x4, "optimistic"
    DADFAILED = 0x8, "dadfailed"
    HOMEADDRESS = 0x10, "homeaddress"
    DEPRECATED = 0x20, "deprecated"
    TENTATIVE = 0x40, "tentative"
    PERMANENT = 0x80, "permanent"
    MNGTMPADDR = 0x100, "mngmtmpaddr"
    NOPREFIXROUTE = 0x200, "noprefixroute"
    MCAUTOJOIN = 0x400, "mcautojoin"
    STABLE_PRIVACY = 0x800, "stableprivacy"

    def managed(self) -> AddressFlags:
        """Only the flags Talos sets and enforces."""
        return self & MANAGED_ADDRESS_FLAGS

    def unmanaged(self) -> AddressFlags:
        """Only the kernel-owned flags."""
        return AddressFlags.of(int(self) & ~int(MANAGED_ADDRESS_FLAGS))


MANAGED_ADDRESS_FLAGS = (
    AddressFlags.PERMANENT
    | AddressFlags.NODAD
    | AddressFlags.HOMEADDRESS
    | AddressFlags.MNGTMPADDR
    | AddressFlags.NOPREFIXROUTE
    | AddressFlags.MCAUTOJOIN
)


class LinkFlags(TalosFlags):
    """Link flags (IFF_*)."""

    NONE = 0, ""
    UP = 1 << 0, "UP"
    BROADCAST = 1 << 1, "BROADCAST"
    DEBUG = 1 << 2, "DEBUG"
    LOOPBACK = 1 << 3, "LOOPBACK"
    POINTTOPOINT = 1 << 4, "POINTTOPOINT"
    NOTRAILERS = 1 << 5, "NOTRAILERS"
    RUNNING = 1 << 6, "RUNNING"
    NOARP = 1 << 7, "NOARP"
    PROMISC = 1 << 8, "PROMISC"
    ALLMULTI = 1 << 9, "ALLMULTI"
    MASTER = 1 << 10, "MASTER"
    SLAVE = 1 << 11, "SLAVE"
    MULTICAST = 1 << 12, "MULTICAST"
    PORTSEL = 1 << 13, "PORTSEL"
    AUTOMEDIA = 1 << 14, "AUTOMEDIA"
    DYNAMIC = 1 << 15, "DYNAMIC"
    LOWER_UP = 1 << 16, "LOWER_UP"
    DORMANT = 1 << 17, "DORMANT"
    ECHO = 1 << 18, "ECHO"


class LinkType(TalosEnum):
    """Link hardware type (ARPHRD_*)."""

    NETROM = 0, "netrom"
    ETHER = 1, "ether"
    EETHER = 2, "eether"
    AX25 = 3, "ax25"
    PRONET = 4, "pronet"
    CHAOS = 5, "chaos"
    IEEE802 = 6, "ieee802"
    ARCNET = 7, "arcnet"
    ATALK = 8, "atalk"
    DLCI = 15, "dlci"
    ATM = 19, "atm"
    METRICOM = 23, "metricom"
    IEEE1394 = 24, "ieee1394"
    EUI64 = 27, "eui64"
    INFINIBAND = 32, "infiniband"
    SLIP = 256, "slip"
    CSLIP = 257, "cslip"
    SLIP6 = 258, "slip6"
    CSLIP6 = 259, "cslip6"
    RSRVD = 260, "rsrvd"
    ADAPT = 264, "adapt"
    ROSE = 270, "rose"
    X25 = 271, "x25"
    HWX25 = 272, "hwx25"
    CAN = 280, "can"
    PPP = 512, "ppp"
    CISCO = 513, "cisco"
    HDLC = 513, "hdlc"
    LAPB = 516, "lapb"
    DDCMP = 517, "ddcmp"
    RAWHDLC = 518, "rawhdlc"
    IPIP = 768, "ipip"
    TUNNEL6 = 769, "tunnel6"
    FRAD = 770, "frad"
    SKIP = 771, "skip"
    LOOPBACK = 772, "loopback"
    LOCALTLK = 773, "localtlk"
    FDDI = 774, "fddi"
    BIF = 775, "bif"
    SIT = 776, "sit"
    IPDDP = 777, "ip/ddp"
    IPGRE = 778, "gre"
    PIMREG = 779, "pimreg"
    HIPPI = 780, "hippi"
    ASH = 781, "ash"
    ECONET = 782, "econet"
    IRDA = 783, "irda"
    FCPP = 784, "fcpp"
    FCAL = 785, "fcal"
    FCPL = 786, "fcpl"
    FCFABRIC = 787, "fcfb_0"
    FCFABRIC1 = 788, "fcfb_1"
    FCFABRIC2 = 789, "fcfb_2"
    FCFABRIC3 = 790, "fcfb_3"
    FCFABRIC4 = 791, "fcfb_4"
    FCFABRIC5 = 792, "fcfb_5"
    FCFABRIC6 = 793, "fcfb_6"
    FCFABRIC7 = 794, "fcfb_7"
    FCFABRIC8 = 795, "fcfb_8"
    FCFABRIC9 = 796, "fcfb_9"
    FCFABRIC10 = 797, "fcfb_10"
    FCFABRIC11 = 798, "fcfb_11"
    FCFABRIC12 = 799, "fcfb_12"
    IEEE802TR = 800, "tr"
    IEEE80211 = 801, "ieee802.11"
    IEEE80211PRISM = 802, "ieee802.11_prism"
    IEEE80211RADIOTAP = 803, "ieee802.11_radiotap"
    IEEE8021154 = 804, "ieee802.15.4"
    IEEE8021154MONITOR = 805, "ieee802.15.4_monitor"
    PHONET = 820, "phonet"
    PHONETPIPE = 821, "phonet_pipe"
    CAIF = 822, "caif"
    IP6GRE = 823, "ip6gre"
    NETLINK = 824, "netlink"
    LOWPAN6 = 825, "6lowpan"
    VOID = 65535, "void"
    NOHDR = 65534, "nohdr"


class OperationalState(TalosEnum):
    """RFC 2863 operational state (IF_OPER_*)."""

    UNKNOWN = 0, "unknown"
    NOT_PRESENT = 1, "notPresent"
    DOWN = 2, "down"
    LOWER_LAYER_DOWN = 3, "lowerLayerDown"
    TESTING = 4, "testing"
    DORMANT = 5, "dormant"
    UP = 6, "up"


class Port(TalosEnum):
    """Ethtool port type (PORT_*)."""

    TWISTED_PAIR = 0x00, "TwistedPair"
    AUI = 0x01, "AUI"
    MII = 0x02, "MII"
    FIBRE = 0x03, "Fibre"
    BNC = 0x04, "BNC"
    DIRECT_ATTACH = 0x05, "DirectAttach"
    NONE = 0xEF, "None"
    OTHER = 0xFF, "Other"


class Duplex(TalosEnum):
    """Ethtool duplex (DUPLEX_*)."""

    HALF = 0x00, "Half"
    FULL = 0x01, "Full"
    UNKNOWN = 0xFF, "Unknown"


class BondMode(TalosEnum):
    """Bonding mode (BOND_MODE_*)."""

    BALANCE_RR = 0, "balance-rr"
    ACTIVE_BACKUP = 1, "active-backup"
    BALANCE_XOR = 2, "balance-xor"
    BROADCAST = 3, "broadcast"
    IEEE8023AD = 4, "802.3ad"
    BALANCE_TLB = 5, "balance-tlb"
    BALANCE_ALB = 6, "balance-alb"


class XmitHashPolicy(TalosEnum):
    """Bond transmit hash policy (BOND_XMIT_POLICY_*)."""

    LAYER2 = 0, "layer2"
    LAYER34 = 1, "layer3+4"
    LAYER23 = 2, "layer2+3"
    ENCAP23 = 3, "encap2+3"
    ENCAP34 = 4, "encap3+4"


class LACPRate(TalosEnum):
    """802.3ad LACPDU rate."""

    SLOW = 0, "slow"
    FAST = 1, "fast"


class ARPValidate(TalosEnum):
    """Bond ARP probe validation (BOND_ARP_VALIDATE_*)."""

    NONE = 0, "none"
    ACTIVE = 1, "active"
    BACKUP = 2, "backup"
    ALL = 3, "all"
    FILTER = 4, "filter"
    FILTER_ACTIVE = 5, "filter-active"
    FILTER_BACKUP = 6, "filter-backup"


class ARPAllTargets(TalosEnum):
    """Whether a bond's ARP monitor needs any or all targets."""

    ANY = 0, "any"
    ALL = 1, "all"


class PrimaryReselect(TalosEnum):
    """When a bond reselects its primary slave (BOND_PRI_RESELECT_*)."""

    ALWAYS = 0, "always"
    BETTER = 1, "better"
    FAILURE = 2, "failure"


class FailOverMAC(TalosEnum):
    """Bond fail_over_mac policy."""

    NONE = 0, "none"
    ACTIVE = 1, "active"
    FOLLOW = 2, "follow"


class ADSelect(TalosEnum):
    """802.3ad aggregator selection (BOND_AD_*)."""

    STABLE = 0, "stable"
    BANDWIDTH = 1, "bandwidth"
    COUNT = 2, "count"


class ADLACPActive(TalosEnum):
    """Whether a bond sends LACPDUs periodically."""

    OFF = 0, "off"
    ON = 1, "on"


class VLANProtocol(TalosEnum):
    """VLAN protocol (ETH_P_8021Q, ETH_P_8021AD)."""

    Q8021 = 0x8100, "802.1q"
    AD8021 = 0x88A8, "802.1ad"


class ClientIdentifier(TalosEnum):
    """What a DHCP client sends as its client identifier."""

    NONE = 0, "none"
    MAC = 1, "mac"
    DUID = 2, "duid"


class DNSProtocol(TalosEnum):
    """Transport of a name server."""

    DO53 = 0, "Do53"
    DOT = 1, "DoT"
    DOH = 2, "DoH"


class AddressSortAlgorithm(TalosEnum):
    """How node addresses are ordered."""

    V1 = 0, "v1"
    V2 = 1, "v2"
