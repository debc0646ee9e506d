"""Helpers shared by the argument parsers: the per-field error and Go-compatible number and IP parsing."""

from __future__ import annotations

import re
from ipaddress import IPv6Address, ip_address

from cmdline.model import IPAddress

_GO_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[0-9]+")


class FieldError(Exception):
    """A field of one argument is invalid; the argument is dropped and reported."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason


def go_atoi(text: str) -> int | None:
    """Parse like Go's `strconv.Atoi` (optional sign, ASCII decimal digits); None on a syntax error."""
    return int(text) if _GO_INT.fullmatch(text) else None


def parse_uint(text: str, bits: int, field: str, what: str) -> int:
    """Parse an unsigned decimal that fits in `bits` bits, or raise FieldError naming `what`."""
    value = int(text) if _DECIMAL.fullmatch(text) else None
    if value is None or value >= 1 << bits:
        raise FieldError(field, f"{what}: {text!r} is not an integer in 0..{(1 << bits) - 1}")
    return value


def is_decimal(text: str) -> bool:
    """Whether `text` is a non-empty run of ASCII digits."""
    return _DECIMAL.fullmatch(text) is not None


def try_ip(text: str) -> IPAddress | None:
    """Parse an IPv4 or IPv6 address (an IPv6 zone is kept), or None."""
    try:
        return ip_address(text)
    except ValueError:
        return None


def parse_ip(text: str, field: str, what: str) -> IPAddress:
    """Parse an address or raise FieldError with Talos's message prefix `what`."""
    address = try_ip(text)
    if address is None:
        raise FieldError(field, f"{what}: {text!r} is not an IP address")
    return address


def without_zone(address: IPAddress) -> IPAddress:
    """Drop an IPv6 zone (`fe80::1%eth0` -> `fe80::1`), as Go's `netip.PrefixFrom` does."""
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        return IPv6Address(address.packed)
    return address
