"""Value types of the network specs that render as Talos renders their Go counterparts."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from socket import inet_ntoa
from typing import Any, SupportsIndex

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
"""An address (Go netip.Addr); None in a spec stands for Go's zero address."""

IPPrefix = ipaddress.IPv4Network | ipaddress.IPv6Network
"""A network with its host bits clear (route destinations, rule selectors, subnets)."""

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
"""An address with its prefix length (`172.20.0.2/24`), as addresses are keyed and shown."""


def addr_text(addr: IPAddr) -> str:
    """`str(addr)`, twice as fast for IPv4 (a configuration's 10,000 routes make 20,000 route ids), and at once
    for the address of the call before (those routes share one gateway object)."""
    global _last_addr
    if addr is _last_addr[0]:
        return _last_addr[1]
    text = inet_ntoa(addr.packed) if addr.version == 4 else str(addr)
    _last_addr = (addr, text)  # the reference keeps the object, and so its identity, alive
    return text


_last_addr: tuple[IPAddr | None, str] = (None, "")


def prefix_text(prefix: IPPrefix) -> str:
    """`str(prefix)`, twice as fast for IPv4."""
    if prefix.version == 4:
        return f"{inet_ntoa(prefix.network_address.packed)}/{prefix.prefixlen}"
    return str(prefix)


class HardwareAddr(bytes):
    """A MAC address; renders (and `hex()`s by default) colon-separated like Go's net.HardwareAddr."""

    @classmethod
    def parse(cls, text: str) -> HardwareAddr:
        """From `aa:bb:cc:dd:ee:ff` (colons optional)."""
        return cls(bytes.fromhex(text.replace(":", "")))

    def hex(self, sep: str | bytes = ":", bytes_per_sep: SupportsIndex = 1) -> str:
        """Lowercase hex with `sep` between bytes."""
        return super().hex(sep, bytes_per_sep)

    def __str__(self) -> str:
        return self.hex()

    def __repr__(self) -> str:
        return f"HardwareAddr({self.hex()!r})"


class Duration(datetime.timedelta):
    """A time span that renders like Go's time.Duration (`30s`, `1m0s`, `1.5ms`)."""

    def __str__(self) -> str:
        us = (self.days * 86400 + self.seconds) * 1_000_000 + self.microseconds
        if us == 0:
            return "0s"
        sign, us = ("-", -us) if us < 0 else ("", us)
        if us < 1000:
            return f"{sign}{us}µs"
        if us < 1_000_000:
            return f"{sign}{_decimal(us, 1000)}ms"
        hours, rest = divmod(us, 3_600_000_000)
        minutes, rest = divmod(rest, 60_000_000)
        out = f"{_decimal(rest, 1_000_000)}s"
        if hours or minutes:
            out = f"{minutes}m{out}"
        if hours:
            out = f"{hours}h{out}"
        return sign + out

    def __repr__(self) -> str:
        return f"Duration({str(self)!r})"


def _decimal(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    digits = len(str(unit)) - 1
    return f"{whole}.{frac:0{digits}d}".rstrip("0") if frac else str(whole)


def is_zero(value: Any) -> bool:
    """Whether `value` is Go's zero value: None, 0, "", False, empty, a zero enum or a record of zeros."""
    if value is None:
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(is_zero(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, bool | int | str | bytes | tuple | datetime.timedelta):
        return not value
    return False
