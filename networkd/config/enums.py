"""Enumerated values of the machine configuration, spelled exactly as in Talos YAML."""

from __future__ import annotations

from enum import StrEnum


class BondMode(StrEnum):
    """Bonding policy (`bondMode`, legacy `bond.mode`)."""

    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    IEEE_802_3AD = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"


class BondXmitHashPolicy(StrEnum):
    """Transmit hash policy (`xmitHashPolicy`)."""

    LAYER2 = "layer2"
    LAYER3_4 = "layer3+4"
    LAYER2_3 = "layer2+3"
    ENCAP2_3 = "encap2+3"
    ENCAP3_4 = "encap3+4"


class LACPRate(StrEnum):
    """Rate of LACPDU frames in 802.3ad mode (`lacpRate`)."""

    SLOW = "slow"
    FAST = "fast"


class ARPValidate(StrEnum):
    """Validation of ARP probes and replies (`arpValidate`)."""

    NONE = "none"
    ACTIVE = "active"
    BACKUP = "backup"
    ALL = "all"
    FILTER = "filter"
    FILTER_ACTIVE = "filter-active"
    FILTER_BACKUP = "filter-backup"


class ARPAllTargets(StrEnum):
    """Whether any or all ARP targets must answer (`arpAllTargets`)."""

    ANY = "any"
    ALL = "all"


class PrimaryReselect(StrEnum):
    """When the primary slave is reselected (`primaryReselect`)."""

    ALWAYS = "always"
    BETTER = "better"
    FAILURE = "failure"


class FailOverMAC(StrEnum):
    """MAC address handling of active-backup slaves (`failOverMac`)."""

    NONE = "none"
    ACTIVE = "active"
    FOLLOW = "follow"


class ADSelect(StrEnum):
    """802.3ad aggregate selection policy (`adSelect`)."""

    STABLE = "stable"
    BANDWIDTH = "bandwidth"
    COUNT = "count"


class ADLACPActive(StrEnum):
    """Whether 802.3ad sends LACPDU frames periodically (`adLACPActive`)."""

    ON = "on"
    OFF = "off"


class VLANMode(StrEnum):
    """VLAN protocol (`vlanMode`)."""

    IEEE_802_1Q = "802.1q"
    IEEE_802_1AD = "802.1ad"


class AutoHostname(StrEnum):
    """How HostnameConfig generates a hostname (`auto`)."""

    STABLE = "stable"
    OFF = "off"


class DNSProtocol(StrEnum):
    """Transport to a nameserver (`protocol`)."""

    DO53 = "Do53"
    DOT = "DoT"
    DOH = "DoH"


class ClientIdentifier(StrEnum):
    """DHCP client identifier (`clientIdentifier`)."""

    NONE = "none"
    MAC = "mac"
    DUID = "duid"


class RoutingRuleAction(StrEnum):
    """What a routing rule does when it matches (`action`)."""

    UNICAST = "unicast"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"
    PROHIBIT = "prohibit"


class AddressSortAlgorithm(StrEnum):
    """Node address ordering (`.machine.features.nodeAddressSortAlgorithm`)."""

    V1 = "v1"
    V2 = "v2"
