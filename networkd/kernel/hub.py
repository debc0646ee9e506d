"""One netlink monitor for the whole daemon, fanned out to the controllers that watch the kernel.

Controllers subscribe a callback (normally `ctx.queue_reconcile`) to the kinds they care about; the hub
calls it whenever the kernel reports a change of that kind (or, after lost events, of every kind).
Each controller then re-dumps through its own `Netlink` socket and converges: level-triggered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import anyio

from networkd.kernel.monitor import ALL, Kind, Monitor

log = logging.getLogger("networkd.kernel")


class KernelHub:
    """Subscriptions to kernel change kinds; `run()` owns the monitor socket."""

    def __init__(self) -> None:
        self._subs: dict[Kind, list[Callable[[], None]]] = {k: [] for k in ALL}

    def subscribe(self, kinds: Iterable[Kind], fn: Callable[[], None]) -> Callable[[], None]:
        """Call `fn` on every change of one of `kinds`; returns a remover."""
        kinds = tuple(kinds)
        for k in kinds:
            self._subs[k].append(fn)
        fn()  # a subscriber converges once at start, whatever the monitor says

        def remove() -> None:
            for k in kinds:
                if fn in self._subs[k]:
                    self._subs[k].remove(fn)

        return remove

    def notify(self, kinds: Iterable[Kind]) -> None:
        """Wake the subscribers of `kinds` (also used by appliers after their own writes)."""
        called: set[int] = set()
        for k in kinds:
            for fn in tuple(self._subs[k]):
                if id(fn) not in called:
                    called.add(id(fn))
                    fn()

    async def run(self) -> None:
        """Watch the kernel until cancelled; reopen the monitor after failures."""
        while True:
            try:
                async with await Monitor.open() as monitor:
                    async for changes in monitor:
                        self.notify(changes)
            except OSError as e:
                log.warning("kernel monitor failed (%s); reopening in 1s and resyncing everything", e)
                self.notify(ALL)
                await anyio.sleep(1)
