"""Hand-written decoders for the dumps the observers repeat: link names, addresses, routes.

pyroute2 decodes a message into nested dict-like objects (about 70 µs of Python each), and an observer pass
over 10,000 routes spent ~90% of its time there, leaving tens of MB of short-lived objects behind. These
read the kernel's structs and attributes with `struct` straight into the records of `networkd.kernel.types`,
the same ones `codec.address_from_msg` / `route_from_msg` build from pyroute2's decoding
(tests/kernel/test_dumps.py compares both on real dumps and with `ip -j`). Routes use `batch.decode_route`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

from networkd.kernel.batch import _HDR, _attrs
from networkd.kernel.types import AF_INET, AF_INET6, INFINITY_LIFETIME, IPAddress, IPInterface, KernelAddress

_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_CACHEINFO = struct.Struct("=II")  # ifa_prefered, ifa_valid (then cstamp, tstamp)
_U32 = struct.Struct("=I")

IFLA_IFNAME = 3
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
