"""Reference address and route messages: what `networkd.kernel.batch` must encode, as `messages.Request`s.

The daemon sends addresses and routes with the hand-written encoders of `batch` (`encode_address`,
`encode_route`). These builders describe the same messages attribute by attribute, in the neutral form of
`networkd.kernel.messages`; tests/kernel/test_batch.py has pyroute2 encode them (`codec.to_nlmsg`) and
checks our bytes against pyroute2's, and tests/kernel/test_messages.py pins their attributes and decodes
them back through pyroute2. The refusals (routes the kernel would not take) are the encoders' own.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from networkd.kernel.messages import (
    CREATE,
    REPLACE,
    REQ,
    RT_TABLE_COMPAT,
    RTM_DELADDR,
    RTM_DELROUTE,
    RTM_NEWADDR,
    RTM_NEWROUTE,
    Attr,
    Nest,
    Request,
)
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    RT_SCOPE_NOWHERE,
    RT_SCOPE_UNIVERSE,
    RTPROT_NETWORKD,
    IPAddress,
    IPInterface,
    KernelRoute,
    NextHop,
)


def ipv4_broadcast(prefix: IPInterface) -> IPv4Address | None:
    """The broadcast address of an IPv4 prefix shorter than /31; None for /31, /32 and IPv6."""
    if prefix.version != 4 or prefix.network.prefixlen >= 31:
        return None
    return IPv4Address(prefix.network.broadcast_address)


def _address_head(index: int, prefix: IPInterface, flags: int = 0, scope: int = 0) -> tuple[tuple[str, int | str], ...]:
    family = AF_INET if prefix.version == 4 else AF_INET6
    return (
        ("family", family),
        ("prefixlen", prefix.network.prefixlen),
        ("flags", flags & 0xFF),
        ("scope", scope),
        ("index", index),
    )


def build_address_add(
    index: int,
    prefix: IPInterface,
    *,
    flags: int = 0,
    scope: int = RT_SCOPE_UNIVERSE,
    priority: int = 0,
    protocol: int = RTPROT_NETWORKD,
) -> Request:
    """RTM_NEWADDR adding `prefix` on link `index` (EEXIST when the link has it).

    `flags` are IFA_F_* (all bits go in IFA_FLAGS, the low 8 also in the header); IPv4 prefixes shorter
    than /31 get their broadcast address; `priority` is the metric of the prefix route (IFA_RT_PRIORITY);
    `protocol` goes in IFA_PROTO.
    """
    local = str(prefix.ip)
    attrs: list[Attr] = [("IFA_LOCAL", local), ("IFA_ADDRESS", local)]
    brd = ipv4_broadcast(prefix)
    if brd is not None:
        attrs.append(("IFA_BROADCAST", str(brd)))
    attrs.append(("IFA_FLAGS", flags))
    if priority:
        attrs.append(("IFA_RT_PRIORITY", priority))
    if protocol:
        attrs.append(("IFA_PROTO", protocol))
    body = Nest(tuple(attrs), _address_head(index, prefix, flags, scope))
    return Request(RTM_NEWADDR, CREATE, body, "address add", f"{prefix} on index {index}")


def build_address_del(index: int, prefix: IPInterface) -> Request:
    """RTM_DELADDR removing `prefix` from link `index`."""
    local = str(prefix.ip)
    body = Nest((("IFA_LOCAL", local), ("IFA_ADDRESS", local)), _address_head(index, prefix))
    return Request(RTM_DELADDR, REQ, body, "address del", f"{prefix} on index {index}")


def _gateway_attr(family_version: int, gateway: IPAddress) -> Attr:
    if gateway.version == family_version:
        return ("RTA_GATEWAY", str(gateway))
    family = AF_INET if gateway.version == 4 else AF_INET6
    return ("RTA_VIA", Nest(fields=(("family", family), ("addr", str(gateway)))))


def _nexthop(version: int, hop: NextHop) -> Nest:
    attrs = (_gateway_attr(version, hop.gateway),) if hop.gateway is not None else ()
    return Nest(attrs, (("flags", hop.flags), ("hops", hop.weight - 1), ("oif", hop.oif)))


def _route_obj(route: KernelRoute) -> str:
    via = f" via {route.gateway}" if route.gateway is not None else ""
    return f"{route.dst}{via} table {route.table} metric {route.priority}"


def _route_head(route: KernelRoute, scope: int) -> tuple[tuple[str, int | str], ...]:
    table = route.table if route.table < 256 else RT_TABLE_COMPAT
    src_len = route.src.prefixlen if route.src is not None else 0
    return (
        ("family", route.family),
        ("dst_len", route.dst.prefixlen),
        ("src_len", src_len),
        ("tos", route.tos),
        ("table", table),
        ("proto", route.protocol),
        ("scope", scope),
        ("type", route.type),
        ("flags", route.flags),
    )


def _route_selectors(route: KernelRoute) -> list[Attr]:
    attrs: list[Attr] = [("RTA_TABLE", route.table)]
    if route.dst.prefixlen:
        attrs.append(("RTA_DST", str(route.dst.network_address)))
    if route.src is not None:
        attrs.append(("RTA_SRC", str(route.src.network_address)))
    if route.priority:
        attrs.append(("RTA_PRIORITY", route.priority))
    return attrs


def build_route_add(route: KernelRoute, *, replace: bool = False) -> Request:
    """RTM_NEWROUTE adding (or with `replace`, adding or overwriting) `route`."""
    version = route.dst.version
    attrs = _route_selectors(route)
    if route.oif:
        attrs.append(("RTA_OIF", route.oif))
    if route.gateway is not None:
        attrs.append(_gateway_attr(version, route.gateway))
    if route.pref_src is not None:
        attrs.append(("RTA_PREFSRC", str(route.pref_src)))
    if route.mtu:
        attrs.append(("RTA_METRICS", Nest((("RTAX_MTU", route.mtu),))))
    if route.nexthops:
        attrs.append(("RTA_MULTIPATH", tuple(_nexthop(version, hop) for hop in route.nexthops)))
    op = "route replace" if replace else "route add"
    body = Nest(tuple(attrs), _route_head(route, route.scope))
    return Request(RTM_NEWROUTE, REPLACE if replace else CREATE, body, op, _route_obj(route))


def build_route_del(route: KernelRoute) -> Request:
    """RTM_DELROUTE removing the route with `route`'s key, type and protocol (all its nexthops)."""
    body = Nest(tuple(_route_selectors(route)), _route_head(route, RT_SCOPE_NOWHERE))
    return Request(RTM_DELROUTE, REQ, body, "route del", _route_obj(route))
