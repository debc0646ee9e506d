"""RouteSpecController: adds and removes routes, tagged protocol 78, so that the routing tables carry the RouteSpecs."""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING, cast

from networkd.controllers.appliers import LOG_EACH, ORPHAN_GRACE, Applier, log_changes
from networkd.kernel.batch import ADD, DELETE, Op, RouteSocket
from networkd.kernel.errors import NOT_FOUND, KernelError
from networkd.kernel.messages import ROUTE_TYPES_WITHOUT_NEXTHOP
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    RTN_UNICAST,
    RTNH_F_ONLINK,
    RTPROT_NETWORKD,
    IPNetwork,
    KernelRoute,
    NextHop,
)
from networkd.resources.base import Resource, Spec
from networkd.resources.enums import RouteType
from networkd.resources.network import RouteSpec
from networkd.runtime import Context

if TYPE_CHECKING:
    from networkd.kernel.hub import KernelHub

Key = tuple[int, int, IPNetwork, int, int]  # KernelRoute.key: family, table, dst, priority, tos

IPV6_DEFAULT_METRIC = 1024  # what the kernel makes of an IPv6 route's metric 0
# An add refused with one of these waits for the next link, address or route change (a link still
# down, a gateway not yet reachable because its address is not there yet) instead of failing the pass.
WAITING = frozenset({errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENODEV})
_DEFAULT: dict[int, IPNetwork] = {AF_INET: IPv4Network("0.0.0.0/0"), AF_INET6: IPv6Network("::/0")}


def _source_not_yet_there(error: KernelError) -> bool:
    """The route's source address is not on the node yet (a DHCP lease's routes can beat its address)."""
    return error.errno == errno.EINVAL and "prefsrc" in error.detail.lower()


def route_key(spec: RouteSpec) -> Key:
    """The kernel key of the route a spec asks for (no link needed)."""
    family = int(spec.family)
    priority = spec.priority or (IPV6_DEFAULT_METRIC if family != AF_INET else 0)
    dst = spec.destination if spec.destination is not None else _DEFAULT[family]
    return (family, int(spec.table) or RT_TABLE_MAIN, dst, priority, 0)


def kernel_route(spec: RouteSpec, index: Mapping[str, int]) -> KernelRoute | None:
    """The route a spec asks for, tagged RTPROT_NETWORKD; None while a link it names does not exist.

    The spec's `protocol` is informational only: what marks a route as ours in the kernel is protocol
    78, and every route is installed with it. Table unspec is main, type unspec unicast, an IPv6 metric
    0 is the kernel's 1024. Of the flags only RTNH_F_ONLINK (4: the gateway is on the link) is sent;
    the RTM_F_* flags Talos's RouteFlags names are answer flags, not settings. Blackhole, unreachable,
    prohibit and throw routes get no link. ValueError for what the kernel would refuse: a gateway or
    nexthops on such a route, nexthops beside a gateway, a nexthop weight over 256.
    """
    _, table, dst, priority, _ = route_key(spec)
    rtype = int(spec.type) or RTN_UNICAST
    if rtype in ROUTE_TYPES_WITHOUT_NEXTHOP and (spec.gateway is not None or spec.next_hops):
        raise ValueError(f"a {RouteType.of(rtype)} route cannot have a gateway or nexthops")
    if spec.next_hops and (spec.gateway is not None or spec.out_link_name):
        raise ValueError("give either nexthops or a gateway and link, not both")
    if any(hop.weight > 256 for hop in spec.next_hops):
        raise ValueError("a nexthop weight is over 256")
    oif = 0
    if spec.out_link_name and rtype not in ROUTE_TYPES_WITHOUT_NEXTHOP:
        if spec.out_link_name not in index:
            return None
        oif = index[spec.out_link_name]
    hops = []
    for hop in spec.next_hops:
        if hop.out_link_name and hop.out_link_name not in index:
            return None
        hops.append(NextHop(oif=index.get(hop.out_link_name, 0), gateway=hop.gateway, weight=hop.weight or 1))
    return KernelRoute(
        dst=dst,
        table=table,
        gateway=spec.gateway,
        oif=oif,
        priority=priority,
        pref_src=spec.source,
        scope=int(spec.scope),
        type=rtype,
        protocol=RTPROT_NETWORKD,
        flags=int(spec.flags) & RTNH_F_ONLINK,
        mtu=spec.mtu,
        nexthops=tuple(hops),
    )


def _hops(route: KernelRoute) -> tuple[tuple[object, ...], ...]:
    return tuple((hop.oif, hop.gateway, hop.weight, hop.flags & RTNH_F_ONLINK) for hop in route.nexthops)


def same(want: KernelRoute, have: KernelRoute) -> bool:
    """Whether a route of ours in the kernel is the one wanted (the key is assumed equal).

    The kernel reports IPv6 routes with scope universe whatever was asked, and reject routes (blackhole,
    unreachable, ...) on `lo`; those are not compared. Other nexthop flags (linkdown, dead) are the
    kernel's.
    """
    return (
        want.gateway == have.gateway
        and want.type == have.type
        and want.pref_src == have.pref_src
        and want.mtu == have.mtu
        and want.flags & RTNH_F_ONLINK == have.flags & RTNH_F_ONLINK
        and (want.type in ROUTE_TYPES_WITHOUT_NEXTHOP or want.oif == have.oif)
        and (want.family != AF_INET or want.scope == have.scope)
        and _hops(want) == _hops(have)
    )


def describe(route: KernelRoute, names: Mapping[int, str]) -> str:
    """`ip route` style text: type, destination, gateway, link, table, metric."""
    words = [] if route.type == RTN_UNICAST else [str(RouteType.of(route.type))]
    words.append("default" if route.dst.prefixlen == 0 else str(route.dst))
    if route.gateway is not None:
        words.append(f"via {route.gateway}")
    if route.oif and route.type not in ROUTE_TYPES_WITHOUT_NEXTHOP:
        words.append(f"dev {names.get(route.oif, f'#{route.oif}')}")
    words += [f"nexthop via {hop.gateway} dev {names.get(hop.oif, f'#{hop.oif}')}" for hop in route.nexthops]
    if route.onlink:
        words.append("onlink")
    if route.table != RT_TABLE_MAIN:
        words.append(f"table {route.table}")
    if route.priority:
        words.append(f"metric {route.priority}")
    return " ".join(words)


def _reachable_since(batch: list[tuple[tuple[Op, KernelRoute], KernelError | None]],
                     waiting: list[tuple[KernelRoute, KernelError]]) -> set[KernelRoute]:
    """Routes refused as unreachable via a gateway and link that other adds of the batch did reach."""
    reached = {(route.gateway, route.oif) for (op, route), error in batch
               if op == ADD and error is None and route.gateway is not None}
    return {route for route, error in waiting
            if error.errno in WAITING and route.gateway is not None and (route.gateway, route.oif) in reached}


class RouteSpecController(Applier[tuple[Netlink, RouteSocket]]):
    """Makes the routing tables match the RouteSpecs; only routes of protocol 78 are ever changed or removed.

    Each pass dumps only our own routes (kernel-filtered by protocol, `RouteSocket.routes`) and sends
    every change in batches of hundreds of messages per sendmsg. A wanted route that is missing is added
    with NLM_F_EXCL, so a route of another protocol holding its key (family, table, destination, metric)
    answers EEXIST and is left alone; one of ours that differs (gateway, link, type, source, scope, MTU,
    on-link, nexthops) is deleted and added again. Deletes name protocol 78, which the kernel matches, so
    they cannot hit `proto kernel`, `proto bgp` or any other route. Ours in the `local` table are only
    removed when a spec that named them is torn down. A route whose link does not exist waits: the link
    and route changes the applier watches wake it again.
    """

    name = "network.RouteSpecController"
    spec_type = RouteSpec.TYPE
    kinds = ("link", "route")

    async def open(self, stack: contextlib.AsyncExitStack) -> tuple[Netlink, RouteSocket]:
        netlink = await stack.enter_async_context(await Netlink.open())
        return netlink, await stack.enter_async_context(await RouteSocket.open())

    def __init__(self, hub: KernelHub, *, orphan_grace: float = ORPHAN_GRACE) -> None:
        super().__init__(hub, orphan_grace=orphan_grace)
        # spec id -> (the spec object, its key, its route or None while a link is missing), for the link
        # indexes in `_index`: a pass over 10,000 unchanged specs then only looks them up
        self._routes: dict[str, tuple[RouteSpec, Key, KernelRoute | None]] = {}
        self._index: dict[str, int] = {}
        # what the last pass that changed nothing saw: sweep, the live specs, our routes (dumped records)
        self._settled: tuple[bool, list[Spec], list[KernelRoute]] | None = None

    def _unchanged(self, sweep: bool, live: list[Resource[Spec]], ours: list[KernelRoute]) -> bool:
        """Whether this pass sees exactly what the last pass that had nothing to do saw (same objects)."""
        if self._settled is None:
            return False
        settled_sweep, specs, routes = self._settled
        return (
            settled_sweep == sweep
            and len(specs) == len(live)
            and len(routes) == len(ours)
            and all(res.spec is spec for res, spec in zip(live, specs, strict=True))
            and all(a is b for a, b in zip(ours, routes, strict=True))
        )

    async def reconcile(self, ctx: Context, kernel: tuple[Netlink, RouteSocket], *, sweep: bool) -> list[KernelError]:
        netlink, routes = kernel
        live, dying = self.specs(ctx)
        links = await netlink.links()
        index = {link.name: link.index for link in links}
        names = {link.index: link.name for link in links}
        if index != self._index or len(self._routes) > 2 * len(live):
            self._routes, self._index, self._settled = {}, index, None
        dumped = await routes.routes()
        if not dying and self._unchanged(sweep, live, dumped):
            self._saying |= self._said  # the standing messages still stand
            return []
        self._settled = None
        want: dict[Key, KernelRoute] = {}
        keys: set[Key] = set()  # keys of every live spec, also of those waiting for a link
        for res in live:
            spec = cast(RouteSpec, res.spec)
            known = self._routes.get(res.id)
            if known is not None and known[0] is spec:
                _, key, route = known
            else:
                try:
                    key, route = route_key(spec), kernel_route(spec, index)
                except ValueError as e:
                    self.say(ctx, f"route {res.id}: {e}", logging.WARNING)
                    continue
                self._routes[res.id] = (spec, key, route)
            keys.add(key)
            if route is None:
                self.say(ctx, f"route {res.id}: waiting for link {spec.out_link_name or 'of a nexthop'}")
            else:
                want[key] = route
        dying_keys = {route_key(cast(RouteSpec, res.spec)) for res in dying}

        ours = {route.key: route for route in dumped}
        ops: list[tuple[Op, KernelRoute]] = []
        changed = set()
        for key, route in ours.items():
            wanted = want.get(key)
            if wanted is not None:
                if same(wanted, route):
                    self.applied(key, wanted)
                    continue
                changed.add(key)
            elif key in keys or not (key in dying_keys or (sweep and route.table != RT_TABLE_LOCAL)):
                continue
            ops.append((DELETE, route))
        ops += [(ADD, route) for key, route in want.items() if key not in ours or key in changed]
        if not ops:
            for res in dying:
                self.release(ctx, res)
            if not dying:
                self._settled = (sweep, [res.spec for res in live], dumped)
            return []
        results = await routes.apply(ops)

        verbose = len(ops) <= LOG_EACH or ctx.logger.isEnabledFor(logging.DEBUG)
        lines: list[str] = []
        errors: list[KernelError] = []
        failed: set[Key] = set()
        waiting: list[tuple[KernelRoute, KernelError]] = []
        done = drift = 0
        batch = list(zip(ops, results, strict=True))
        retried = False
        while True:
            for (op, route), error in batch:
                key = route.key
                if op == DELETE:
                    if error is not None and error.errno not in NOT_FOUND:
                        errors.append(error)
                        failed.add(key)
                    elif key not in changed:
                        self.applied(key, None)
                        done += 1
                        if verbose:
                            lines.append(f"removed route {describe(route, names)}")
                    continue
                if error is None:
                    repaired = self.drifted(key, route)
                    done += 1
                    drift += repaired
                    self.applied(key, route)
                    if verbose:
                        verb = "replaced" if key in changed else "restored" if repaired else "added"
                        lines.append(f"{'drift: ' if repaired else ''}{verb} route {describe(route, names)}")
                elif error.errno == errno.EEXIST:
                    self.say(ctx, f"route {describe(route, names)}: a route of another protocol holds its key; "
                             "leaving it")
                elif error.errno in WAITING or _source_not_yet_there(error):
                    waiting.append((route, error))
                else:
                    errors.append(error)
            retry = set() if retried else _reachable_since(batch, waiting)
            if not retry:
                break
            # their gateway became reachable while the batches went out (its address arrived): once more now
            # rather than at the next wakeup
            again: list[tuple[Op, KernelRoute]] = [(ADD, route) for route, _ in waiting if route in retry]
            waiting = [(route, error) for route, error in waiting if route not in retry]
            batch = list(zip(again, await routes.apply(again), strict=True))
            retried = True
        self._say_waiting(ctx, waiting, names)
        for res in dying:
            if route_key(cast(RouteSpec, res.spec)) not in failed:
                self.release(ctx, res)
        if verbose:
            log_changes(ctx, "route", lines)
        else:
            log_changes(ctx, "route", [], count=done, drift=drift)
        return errors

    def _say_waiting(self, ctx: Context, waiting: list[tuple[KernelRoute, KernelError]],
                     names: Mapping[int, str]) -> None:
        """Say each route that cannot be added yet, or for more than LOG_EACH their count and the first."""
        if len(waiting) > LOG_EACH:
            route, error = waiting[0]
            self.say(ctx, f"{len(waiting)} routes cannot be added yet, the first {describe(route, names)} ({error}); "
                     "waiting for a link or address change")
            return
        for route, error in waiting:
            self.say(ctx, f"route {describe(route, names)}: cannot be added yet ({error}); "
                     "waiting for a link or address change")
