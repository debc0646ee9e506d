"""The `ip=` argument (kernel nfsroot, dracut and systemd-network-generator forms).

    ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>:<dns0>:<dns1>:<ntp0>
    ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>:<mtu>[:<macaddr>]
    ip=<device>:<autoconf>[:<mtu>[:<macaddr>]]
    ip=dhcp                                       (ignored: DHCPv4 on every link is the default)

Fields split on `:` outside `[...]` and lose their brackets (Talos `splitIPArgument`); an empty field is unset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import ip_interface

from cmdline._common import FieldError, go_atoi, is_decimal, parse_ip, parse_uint, try_ip, without_zone
from cmdline.links import LinkTable
from cmdline.model import IPAddress, LinkConfig

# autoconf keyword -> (dhcp4, dhcp6). "both" is the kernel's BOOTP+RARP, i.e. IPv4 autoconfiguration.
AUTOCONF: dict[str, tuple[bool, bool]] = {
    "off": (False, False),
    "none": (False, False),
    "auto6": (False, False),
    "dhcp": (True, False),
    "both": (True, False),
    "dhcp6": (False, True),
    "on": (True, True),
    "any": (True, True),
}

# dracut/kernel keywords recognised only to be rejected with a clear reason.
UNSUPPORTED_AUTOCONF = frozenset({"either6", "link6", "link-local", "ibft", "single-dhcp", "bootp", "rarp"})

_MAC_OCTET = re.compile(r"[0-9A-Fa-f]{2}")
_MAX_MTU_BITS = 32


@dataclass(frozen=True, slots=True)
class IPArgument:
    """What one `ip=` argument contributes: a link config plus global hostname, DNS and NTP servers."""

    link: LinkConfig
    hostname: str | None = None
    dns: tuple[IPAddress, ...] = ()
    ntp: tuple[IPAddress, ...] = ()


def split_ip_argument(value: str) -> list[str]:
    """Split on `:` outside brackets and strip `[` `]` from both ends of each field (Talos rules)."""
    parts: list[str] = []
    depth = prev = 0
    for i, char in enumerate(value):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ":" and depth == 0:
            parts.append(value[prev:i].strip("[]"))
            prev = i + 1
    parts.append(value[prev:].strip("[]"))
    return parts


def parse_ip_argument(value: str, links: LinkTable) -> IPArgument | None:
    """Parse one `ip=` value; None when it is ignored (`ip=dhcp`); FieldError when it is invalid."""
    fields = split_ip_argument(value)
    if len(fields) == 1 and _is_autoconf_keyword(fields[0]):
        if fields[0] == "dhcp":
            return None
        raise FieldError("autoconf", f"ip={fields[0]} for all links is not supported; name a device")
    if _is_device_form(fields):
        return _device_form(fields, links)
    return _long_form(fields, links)


def _is_device_form(fields: list[str]) -> bool:
    if len(fields) < 2 or not _is_autoconf_keyword(fields[1]):
        return False
    # Talos takes any two-field `<x>:dhcp` as a device; beyond that, a client address means the long form.
    return fields[1:] == ["dhcp"] or (fields[0] != "" and try_ip(fields[0]) is None)


def _device_form(fields: list[str], links: LinkTable) -> IPArgument:
    if not fields[0]:
        raise FieldError("device", "empty device name")
    dhcp4, dhcp6 = _autoconf(fields[1])
    mtu, mac = _mtu_and_mac(fields[2:])
    return IPArgument(LinkConfig(links.resolve(fields[0]), dhcp4=dhcp4, dhcp6=dhcp6, mtu=mtu, mac=mac))


def _long_form(fields: list[str], links: LinkTable) -> IPArgument:
    client_s, _server, gateway_s, netmask_s, hostname, device_s, autoconf, *tail = fields + [""] * (7 - len(fields))
    client = parse_ip(client_s, "client-ip", "cmdline address parse failure") if client_s else None
    gateway = parse_ip(gateway_s, "gw-ip", "cmdline gateway parse failure") if gateway_s else None
    bits = _prefix_length(netmask_s, client) if netmask_s else None
    address = None
    if client is not None:
        address = ip_interface((without_zone(client), client.max_prefixlen if bits is None else bits))
    device = links.resolve(device_s) if device_s else links.default_link
    if device is None:
        raise FieldError("device", "no device given and no physical link to default to")
    dhcp4, dhcp6 = _autoconf(autoconf) if autoconf else (False, False)
    mtu = mac = None
    dns: tuple[IPAddress, ...] = ()
    ntp: tuple[IPAddress, ...] = ()
    if _is_mtu_tail(tail):
        mtu, mac = _mtu_and_mac(tail)
    else:
        dns = tuple(parse_ip(text, f"dns{i}-ip", "error parsing DNS IP") for i, text in enumerate(tail[:2]) if text)
        ntp = tuple(parse_ip(text, "ntp0-ip", "error parsing NTP IP") for text in tail[2:3] if text)
    link = LinkConfig(device, address, gateway, dhcp4, dhcp6, mtu, mac)
    return IPArgument(link, hostname or None, dns, ntp)


def _is_autoconf_keyword(text: str) -> bool:
    return text in AUTOCONF or text in UNSUPPORTED_AUTOCONF


def _autoconf(keyword: str) -> tuple[bool, bool]:
    """(dhcp4, dhcp6) for an autoconf keyword; FieldError for the ones networkd does not implement."""
    if keyword not in AUTOCONF:
        raise FieldError("autoconf", f"unsupported autoconf value {keyword!r}")
    return AUTOCONF[keyword]


def _prefix_length(text: str, client: IPAddress | None) -> int:
    """Netmask as a prefix length or a (bracketed IPv6) mask; it must fit the client address."""
    bits = go_atoi(text)
    if bits is None:
        mask = parse_ip(text, "netmask", "cmdline netmask parse failure")
        value, width = int(mask), mask.max_prefixlen
        ones = width - (~value & ((1 << width) - 1)).bit_length()
        if value != ((1 << ones) - 1) << (width - ones):
            raise FieldError("netmask", f"cmdline netmask parse failure: {text!r} is not a contiguous mask")
        bits = ones
    if client is not None and not 0 <= bits <= client.max_prefixlen:
        raise FieldError("netmask", f"cmdline netmask parse failure: /{bits} does not fit {client}")
    return bits


def _is_mtu_tail(tail: list[str]) -> bool:
    """Whether the fields after autoconf are `<mtu>[:<mac>]` rather than `<dns0>:<dns1>:<ntp0>`.

    Neither reading is ambiguous for input Talos accepts: a decimal MTU or a MAC octet is never an IP.
    """
    if not tail:
        return False
    if is_decimal(tail[0]):
        return True
    return tail[0] == "" and len(tail) == 7 and all(_MAC_OCTET.fullmatch(octet) for octet in tail[1:])


def _mtu_and_mac(tail: list[str]) -> tuple[int | None, str | None]:
    """Parse `[<mtu>][:<macaddr>]` (MTU 0 or empty = unset, the MAC as six colon-separated octets)."""
    if len(tail) not in (0, 1, 7):
        raise FieldError("mtu", "expected <mtu> or <mtu>:<macaddr> after the autoconf value")
    mtu = None
    if tail and tail[0]:
        mtu = parse_uint(tail[0], _MAX_MTU_BITS, "mtu", "invalid MTU") or None
    mac = None
    if len(tail) == 7:
        if not all(_MAC_OCTET.fullmatch(octet) for octet in tail[1:]):
            raise FieldError("macaddr", f"invalid MAC address {':'.join(tail[1:])!r}")
        mac = ":".join(tail[1:]).lower()
    return mtu, mac
