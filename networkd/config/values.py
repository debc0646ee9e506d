"""Value types of the configuration and the pure checks behind them (names, durations, keys).

Each `*_problem` function returns None for a good value, else a sentence saying what is wrong.
"""

from __future__ import annotations

import binascii
import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface
IPNetwork = IPv4Network | IPv6Network

#: Longest name of a link the kernel creates (IFNAMSIZ - 1).
MAX_LINK_NAME = 15
#: Longest name that may refer to an existing link (altnames: ALTIFNAMSIZ - 1).
MAX_LINK_REFERENCE = 127

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_DURATION = re.compile(r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|[-+]?0")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")
_MAC_LENGTHS = (6, 8, 20)


def hostname_problem(name: str) -> str | None:
    """RFC 1123 host or domain name: labels of letters, digits and '-', at most 63 each, 253 in all."""
    if not name:
        return "must not be empty"
    if len(name) > 253:
        return f"is {len(name)} characters long; a fully qualified name is at most 253"
    for label in name.split("."):
        if not label:
            return f"{name!r} has an empty label (a leading, trailing or doubled '.')"
        if len(label) > 63:
            return f"label {label[:20]!r}... is {len(label)} characters long; a label is at most 63"
        if not _LABEL.fullmatch(label):
            return f"label {label!r} may only hold letters, digits and '-', and may not start or end with '-'"
    return None


def link_name_problem(name: str, max_length: int) -> str | None:
    """A Linux interface name: not empty, not '.' or '..', no '/', ':' or whitespace, not too long."""
    if not name:
        return "must not be empty"
    if name in (".", ".."):
        return f"{name!r} is not a valid link name"
    if len(name) > max_length:
        return f"{name!r} is {len(name)} characters long; a link name is at most {max_length}"
    if any(char in "/:" or char.isspace() for char in name):
        return f"{name!r} may not contain '/', ':' or whitespace"
    return None


def parse_duration(text: str) -> float | None:
    """Seconds of a Go duration (`30s`, `1m30s`, `1.5h`, `250ms`, `0`), None if it is not one."""
    if not _DURATION.fullmatch(text):
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text))


def hardware_addr_problem(text: str) -> str | None:
    """A MAC address written as colon-separated hex pairs (6, 8 or 20 bytes, as Go's net.ParseMAC)."""
    if not _HEX_PAIRS.fullmatch(text) or (len(text) + 1) // 3 not in _MAC_LENGTHS:
        return f"{text!r} is not a hardware address like 02:42:ac:11:00:02"
    return None


def hex_pairs(text: str) -> bytes | None:
    """Bytes of colon-separated hex pairs (`00:01:00:01:...`), None if malformed."""
    if not _HEX_PAIRS.fullmatch(text):
        return None
    return bytes.fromhex(text.replace(":", ""))


def wireguard_key_problem(key: str) -> str | None:
    """A WireGuard key: standard base64 of exactly 32 bytes."""
    try:
        raw = binascii.a2b_base64(key.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        return "is not valid base64 (generate one with `wg genkey`)"
    if len(raw) != 32:
        return f"decodes to {len(raw)} bytes; a WireGuard key is 32 bytes"
    return None
