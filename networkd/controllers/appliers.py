"""The appliers (link, address, route and rule spec controllers): their shared loop, and the daemon's set.

Each applier holds a finalizer on every merged spec it applies, makes the kernel match the live specs
on every pass, and on teardown removes what it put there before dropping the finalizer. Passes are
level-triggered: the spec inputs and the KernelHub (the kinds of kernel change the applier cares
about) only queue a pass, which re-dumps the kernel and converges. So an object someone else removes
or changes (an address deleted, a route deleted, a link set down, an MTU changed) is put back by the
next pass, logged once as "drift: ...".

Ownership: addresses, routes and rules networkd installs carry protocol RTPROT_NETWORKD (78) in
IFA_PROTO, rtm_protocol and FRA_PROTOCOL; objects without it are foreign and never changed or
removed, even when a spec names the same kernel key. After a restart the tagged objects that match a
spec are adopted as they are (nothing is deleted and added again); tagged objects that no spec wants
are removed, but only once the specs have been rebuilt from the configuration: when every controller
has been idle at the same time (the runtime's `settled`; a saved DHCP lease is published by then), or
at the latest `orphan_grace` seconds after the applier started. Shutdown leaves the kernel as it is.
"""

from __future__ import annotations

import contextlib
import logging
import time
from abc import abstractmethod
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from networkd.kernel.errors import KernelError
from networkd.kernel.monitor import Kind
from networkd.kernel.wggo import WireguardGo
from networkd.resources.base import Resource, ResourceType, Spec
from networkd.resources.network import NETWORK
from networkd.runtime import Context, Controller, Input, InputKind, tearing_down
from networkd.state import NotFoundError, PhaseError

if TYPE_CHECKING:
    from networkd.daemon import Options
    from networkd.kernel.hub import KernelHub

ORPHAN_GRACE = 30.0  # seconds after start at most before tagged objects no spec wants are removed
LOG_EACH = 32  # a pass changing more objects than this logs a summary at info and each one at debug

K = TypeVar("K")


class Applier(Controller, Generic[K]):
    """Base of the appliers: one spec type (a strong input), kernel kinds to watch, one pass per wakeup.

    Subclasses open their kernel handles in `open` and converge in `reconcile`, returning the kernel
    refusals of the pass; the pass raises them together after finishing everything else, so the runtime
    restarts the applier with backoff.
    """

    spec_type: ClassVar[ResourceType]
    kinds: ClassVar[tuple[Kind, ...]]

    def __init__(self, hub: KernelHub, *, orphan_grace: float = ORPHAN_GRACE) -> None:
        self.hub = hub
        self.orphan_grace = orphan_grace
        self._sweep_at: float | None = None
        self._swept = False  # the grace is over
        self._applied: dict[Hashable, object] = {}  # kernel key -> what this process last made it
        self._said: set[str] = set()  # one-time messages of the last pass
        self._saying: set[str] = set()
        self._holding: list[str] = []  # ids of the pass's live specs without our finalizer yet

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, self.spec_type, InputKind.STRONG)]

    @abstractmethod
    async def open(self, stack: contextlib.AsyncExitStack) -> K:
        """Open the kernel handles of one run; `stack` closes them."""

    @abstractmethod
    async def reconcile(self, ctx: Context, kernel: K, *, sweep: bool) -> list[KernelError]:
        """One pass; `sweep`: remove tagged objects no spec wants. Returns the refusals it met."""

    async def run(self, ctx: Context) -> None:
        if self._sweep_at is None:
            self._sweep_at = time.monotonic() + self.orphan_grace
        async with contextlib.AsyncExitStack() as stack:
            kernel = await self.open(stack)
            stack.callback(self.hub.subscribe(self.kinds, ctx.queue_reconcile))
            while True:
                await ctx.wait()
                sweep = self._swept or ctx.settled() or self._sweep_at <= time.monotonic()
                if not sweep:
                    ctx.wake_after(self._sweep_at - time.monotonic())
                self._swept = sweep
                self._saying = set()
                errors = await self.reconcile(ctx, kernel, sweep=sweep)
                self._hold(ctx)
                self._said = self._saying
                if errors:
                    raise ExceptionGroup(f"{len(errors)} kernel changes failed", errors)

    def specs(self, ctx: Context) -> tuple[list[Resource[Spec]], list[Resource[Spec]]]:
        """(live specs; specs being torn down). The live specs get our finalizer at the end of the pass,
        after its kernel changes (10,000 new routes reach the kernel before 10,000 finalizers are written)."""
        live, dying = [], []
        self._holding = []
        for res in ctx.list(NETWORK, self.spec_type):
            if tearing_down(res):
                dying.append(res)
            else:
                if ctx.name not in res.metadata.finalizers:
                    self._holding.append(res.id)
                live.append(res)
        return live, dying

    def _hold(self, ctx: Context) -> None:
        """Put our finalizer on the live specs of the pass that lack it. One torn down during the pass has
        its kernel object removed by the next pass (woken by the teardown), as an orphan once destroyed."""
        for id in self._holding:
            with contextlib.suppress(NotFoundError, PhaseError):
                ctx.add_finalizer(NETWORK, self.spec_type, id, wake=False)
        self._holding = []

    def release(self, ctx: Context, res: Resource[Spec]) -> None:
        """Drop our finalizer from a spec whose kernel object is gone."""
        ctx.remove_finalizer(NETWORK, self.spec_type, res.id, wake=False)

    def say(self, ctx: Context, message: str, level: int = logging.INFO) -> None:
        """Log a message about a standing condition once, until a pass no longer says it."""
        self._saying.add(message)
        if message not in self._said:
            ctx.logger.log(level, message)

    def drifted(self, key: Hashable, desired: object) -> bool:
        """Whether this process already made `key` look like `desired` (so a fix now repairs a drift)."""
        return self._applied.get(key) == desired

    def applied(self, key: Hashable, desired: object | None) -> None:
        """Record that `key` now looks like `desired` (None: it is gone)."""
        if desired is None:
            self._applied.pop(key, None)
        else:
            self._applied[key] = desired


def log_changes(ctx: Context, what: str, lines: list[str], *, count: int | None = None,
                drift: int | None = None) -> None:
    """Log each change at info, or, for more than LOG_EACH, a count at info and each change at debug.

    A caller that did not build the lines of a big pass (debug logging off) gives `count` and `drift`:
    then the count is logged, whatever it is.
    """
    if count is None:
        if len(lines) <= LOG_EACH:
            for line in lines:
                ctx.logger.info("%s", line)
            return
        count = len(lines)
    if drift is None:
        drift = sum(line.startswith("drift: ") for line in lines)
    if count:
        ctx.logger.info("%d %s changes (%d of them drift repairs); each is logged at debug level",
                        count, what, drift)
    for line in lines:
        ctx.logger.debug("%s", line)


def applier_controllers(opts: Options, hub: KernelHub) -> list[Controller]:
    """The link, address, route and routing rule appliers, all watching `hub`; wireguard links fall back to
    wireguard-go (no option tunes them yet)."""
    # imported here: the applier modules import Applier from this module
    from networkd.controllers.address_spec import AddressSpecController
    from networkd.controllers.link_spec import LinkSpecController
    from networkd.controllers.route_spec import RouteSpecController
    from networkd.controllers.routing_rule_spec import RoutingRuleSpecController

    wireguard_go = WireguardGo(logging.getLogger("networkd.wireguard-go"))
    return [LinkSpecController(hub, wireguard_go=wireguard_go), AddressSpecController(hub), RouteSpecController(hub),
            RoutingRuleSpecController(hub)]
