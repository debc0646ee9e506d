"""The kernel observers: LinkStatus, AddressStatus, RouteStatus and RoutingRuleStatus mirror the kernel.

Each observer owns one rtnetlink socket and subscribes to the kernel hub for its kinds of change. A
wakeup never carries what changed: the observer re-dumps its objects and converges, putting what the
kernel has (a no-op for an unchanged spec) and retiring what it no longer has. Lost events (ENOBUFS)
make the hub wake everyone; the kernel's silent IPv4 route removal on link down arrives as a link
change, which the hub also reports as a route change. Links appearing and vanishing mid-dump are
tolerated: objects whose link is missing from the link dump are skipped until the next pass, and a
dump the kernel keeps interrupting (EINTR after its retries) is tried again shortly.
"""

from __future__ import annotations

import errno
from abc import abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from networkd.kernel.errors import KernelError
from networkd.kernel.netlink import Netlink
from networkd.resources.base import ResourceType, Spec
from networkd.resources.network import NETWORK
from networkd.runtime import Context, Controller, Output, OutputKind

if TYPE_CHECKING:
    from networkd.daemon import Options
    from networkd.kernel.hub import KernelHub
    from networkd.kernel.monitor import Kind

INTERRUPTED_RETRY = 0.05
"""Seconds before dumping again when the kernel kept changing during every attempt of a dump (EINTR)."""


class KernelObserver(Controller):
    """A status controller fed by kernel dumps: subclasses say what to watch and how to read it."""

    kinds: ClassVar[tuple[Kind, ...]]
    status: ClassVar[ResourceType]
    output_kind: ClassVar[OutputKind] = OutputKind.EXCLUSIVE
    debounce: ClassVar[float] = 0.0  # seconds a wakeup waits for more changes before the pass (Context.wait)
    quiet: ClassVar[float] = 0.0  # with debounce: the pass starts once changes stopped for this long

    def __init__(self, hub: KernelHub) -> None:
        self.hub = hub
        self._put: dict[str, Spec] = {}  # exclusive outputs: the status object put last under each id

    def outputs(self) -> Iterable[Output]:
        return [Output(self.status, self.output_kind)]

    async def run(self, ctx: Context) -> None:
        self._put = {}
        async with await Netlink.open() as nl:
            remove = self.hub.subscribe(self.kinds, ctx.queue_reconcile)
            try:
                while True:
                    await ctx.wait(self.debounce, self.quiet)
                    try:
                        await self.converge(ctx, nl)
                    except KernelError as e:
                        if e.errno != errno.EINTR:
                            raise
                        ctx.logger.debug("%s; dumping again in %gs", e, INTERRUPTED_RETRY)
                        ctx.wake_after(INTERRUPTED_RETRY)
            finally:
                remove()

    async def converge(self, ctx: Context, nl: Netlink) -> int:
        """One pass: dump, put every observed status, retire the rest; returns how many were observed.

        With a shared output, statuses another controller owns under the same id are left to it. With an
        exclusive one, a status that is the very object this run put last time is not compared again (an
        observer that keeps the records of unchanged kernel objects skips most of a pass that way).
        """
        observed = await self.observe(ctx, nl)
        shared = self.output_kind is OutputKind.SHARED
        last, self._put = self._put, {}
        for id, spec in observed.items():
            if shared:
                if (cur := ctx.get(NETWORK, self.status, id)) is not None and cur.metadata.owner != self.name:
                    continue
            elif last.get(id) is spec:
                self._put[id] = spec
                continue
            else:
                self._put[id] = spec
            ctx.put(NETWORK, id, spec)
        ctx.retire(NETWORK, self.status, observed)
        return len(observed)

    @abstractmethod
    async def observe(self, ctx: Context, nl: Netlink) -> dict[str, Spec]:
        """The statuses the kernel shows now, by id."""


def observer_controllers(opts: Options, hub: KernelHub) -> list[Controller]:
    """The four kernel observers, woken by `hub`; they need nothing from `opts`."""
    # imported here: the observers import KernelObserver from this module
    from networkd.controllers.address_status import AddressStatusController
    from networkd.controllers.link_status import LinkStatusController
    from networkd.controllers.route_status import RouteStatusController
    from networkd.controllers.routing_rule_status import RoutingRuleStatusController

    return [
        LinkStatusController(hub),
        AddressStatusController(hub),
        RouteStatusController(hub),
        RoutingRuleStatusController(hub),
    ]
