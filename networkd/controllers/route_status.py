"""RouteStatusController: every kernel route of every table as a RouteStatus (Talos's route ids)."""

from __future__ import annotations

import functools
from typing import TypeVar

from networkd.controllers.observers import KernelObserver
from networkd.kernel.hub import KernelHub
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import KernelRoute
from networkd.resources.base import Spec
from networkd.resources.enums import Family, RouteFlags, RouteProtocol, RouteType, RoutingTable, Scope, TalosEnum
from networkd.resources.ids import route_id
from networkd.resources.network import RouteNextHop, RouteStatus
from networkd.runtime import Context

E = TypeVar("E", bound=TalosEnum)


@functools.cache
def _enum(cls: type[E], number: int) -> E:
    """`cls.of(number)`, memoized: `of` scans the members, and a pass maps thousands of routes."""
    return cls.of(number)


def route_status(route: KernelRoute) -> tuple[str, RouteStatus] | None:
    """The id and status of a dumped route; None when a link it uses was gone from the link dump.

    As Talos: a default route has no destination, `src` is the preferred source (RTA_PREFSRC), the
    gateway is RTA_GATEWAY or a cross-family RTA_VIA, and a next hop's weight is rtnh_hops + 1. The
    table is RTA_TABLE (Talos reads the 8-bit rtm_table, which shows tables above 255 as 252).
    """
    if (route.oif and not route.oif_name) or any(hop.oif and not hop.oif_name for hop in route.nexthops):
        return None  # its link went away between the dumps; the link change wakes us again
    family = _enum(Family, route.family)
    table = _enum(RoutingTable, route.table)
    destination = route.dst if route.dst.prefixlen else None
    status = RouteStatus(
        family=family,
        destination=destination,
        source=route.pref_src,
        gateway=route.gateway,
        out_link_index=route.oif,
        out_link_name=route.oif_name,
        table=table,
        priority=route.priority,
        scope=_enum(Scope, route.scope),
        type=_enum(RouteType, route.type),
        flags=_enum(RouteFlags, route.flags),
        protocol=_enum(RouteProtocol, route.protocol),
        mtu=route.mtu,
        next_hops=tuple(RouteNextHop(gateway=hop.gateway, out_link_name=hop.oif_name, weight=hop.weight)
                        for hop in route.nexthops),
    )
    return route_id(table, family, destination, route.gateway, route.priority, route.oif_name), status


ROUTE_DEBOUNCE = 0.05
"""Seconds RouteStatusController lets route and link changes gather before it dumps. One address added or
removed is already several route events (its prefix and local routes; an applier putting it back, more),
and an applier's batch of routes arrives as dozens of event bursts: each used to cost a pass over every
route, competing with the appliers' repairs in the first milliseconds after a change. Every wakeup still
ends in a full dump, so the resync after lost events (ENOBUFS) and link changes is unchanged.

The pass starts once route and link events stopped for ROUTE_DEBOUNCE, so an applier adding thousands of
routes (events for 0.2-0.3 s) is not slowed by dumps of its half-done work; ROUTE_DEBOUNCE_LIMIT bounds the
wait under endless churn."""

ROUTE_DEBOUNCE_LIMIT = 1.0


class RouteStatusController(KernelObserver):
    """Mirrors routes (cached clones excluded); re-dumps on route and link changes, since the kernel
    removes IPv4 routes of a link going down without telling. Changes are debounced for ROUTE_DEBOUNCE first."""

    name = "network.RouteStatusController"
    kinds = ("route", "link")
    status = RouteStatus.TYPE
    debounce = ROUTE_DEBOUNCE_LIMIT
    quiet = ROUTE_DEBOUNCE

    def __init__(self, hub: KernelHub) -> None:
        super().__init__(hub)
        # the last pass's statuses by route record: `Netlink.routes` hands back the same record for a route
        # that did not change, so its id and status are not built again (nor compared, see `converge`)
        self._last: dict[int, tuple[KernelRoute, str, RouteStatus]] = {}

    async def observe(self, ctx: Context, nl: Netlink) -> dict[str, Spec]:
        observed: dict[str, Spec] = {}
        last, self._last = self._last, {}
        for route in await nl.routes():
            known = last.get(id(route))
            if known is not None and known[0] is route:
                _, route_key, status = known
            elif (found := route_status(route)) is not None:
                route_key, status = found
            else:
                continue
            self._last[id(route)] = (route, route_key, status)
            observed[route_key] = status
        return observed
