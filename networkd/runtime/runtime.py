"""The controller runtime: registration checks, one task per controller, restarts with backoff."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from networkd.runtime.controller import Context, Controller, DeclarationError, OutputKind
from networkd.state import State

log = logging.getLogger("networkd.runtime")


@dataclass(frozen=True, slots=True)
class Edge:
    """A dependency edge between a controller and a resource type, for `netctl inspect dependencies`."""

    controller: str
    kind: str  # input-weak | input-strong | output-exclusive | output-shared
    namespace: str
    type: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One recorded log line of a controller."""

    time: float
    level: str
    message: str


class ControllerLogs(logging.Handler):
    """Keeps the recent log lines of every controller (records carrying a `controller` attribute)."""

    def __init__(self, per_controller: int = 500) -> None:
        super().__init__(logging.DEBUG)
        self._size = per_controller
        self.entries: dict[str, deque[LogEntry]] = {}
        self._listeners: list[Callable[[str, LogEntry], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Record a log line under its controller."""
        name = getattr(record, "controller", None)
        if not name:
            return
        msg = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            msg += f": {record.exc_info[1]!r}"
        entry = LogEntry(record.created, record.levelname, msg)
        self.entries.setdefault(name, deque(maxlen=self._size)).append(entry)
        for fn in tuple(self._listeners):
            fn(name, entry)

    def subscribe(self, fn: Callable[[str, LogEntry], None]) -> Callable[[], None]:
        """Call `fn` for each new line; returns a remover."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)


class Runtime:
    """Runs registered controllers against one State."""

    def __init__(self, state: State, *, backoff_initial: float = 0.1, backoff_max: float = 30.0,
                 logs: ControllerLogs | None = None) -> None:
        self.state = state
        self.logs = logs or ControllerLogs()
        self._controllers: dict[str, Controller] = {}
        self._exclusive: dict[str, str] = {}
        self._shared: dict[str, set[str]] = {}
        self._backoff = (backoff_initial, backoff_max)
        self.restarts: dict[str, int] = {}
        self._contexts: list[Context] = []
        self._settled = False
        self._started = time.monotonic()
        self._settle_waiters: set[Context] = set()

    def register(self, controller: Controller) -> None:
        """Add a controller; refuses a duplicate name or a second writer of an exclusive output."""
        name = controller.name
        if name in self._controllers:
            raise DeclarationError(f"controller {name} registered twice")
        for out in controller.outputs():
            t = out.type.type
            if t in self._exclusive:
                raise DeclarationError(f"{name}: {t} is already the exclusive output of {self._exclusive[t]}")
            if out.kind is OutputKind.EXCLUSIVE:
                if t in self._shared:
                    raise DeclarationError(f"{name}: {t} is already a shared output of "
                                           f"{', '.join(sorted(self._shared[t]))}")
                self._exclusive[t] = name
            else:
                self._shared.setdefault(t, set()).add(name)
        self._controllers[name] = controller

    def dependencies(self) -> list[Edge]:
        """Every declared input and output as an edge."""
        edges: list[Edge] = []
        for name, c in sorted(self._controllers.items()):
            for i in c.inputs():
                edges.append(Edge(name, f"input-{i.kind.value}", i.namespace, i.type.type, i.id or ""))
            for o in c.outputs():
                edges.append(Edge(name, f"output-{o.kind.value}", o.type.default_namespace, o.type.type))
        return edges

    async def run(self) -> None:
        """Run every controller until cancelled."""
        self._started = time.monotonic()
        async with anyio.create_task_group() as tg:
            for c in self._controllers.values():
                tg.start_soon(self._supervise, c, name=f"controller {c.name}")

    def _settled_or_notify(self, ctx: Context) -> bool:
        if not self._settled:
            self._settle_waiters.add(ctx)
        return self._settled

    def _idle(self) -> None:
        """A controller went idle: latch `settled` once every controller is idle at the same time."""
        if self._settled or len(self._contexts) < len(self._controllers):
            return
        if all(c.idle for c in self._contexts):
            self._settled = True
            log.info("all controllers settled %.3f s after the start", time.monotonic() - self._started)
            for c in self._settle_waiters:
                c.queue_reconcile()
            self._settle_waiters.clear()

    async def _supervise(self, controller: Controller) -> None:
        logger = logging.LoggerAdapter(logging.getLogger("networkd.controller"), {"controller": controller.name})
        ctx = Context(self, controller, logger)
        self._contexts.append(ctx)
        removers = [
            self.state.listen(i.namespace, i.type.type, ctx._on_input(i.id)) for i in ctx._inputs
        ]
        backoff = self._backoff[0]
        try:
            while True:
                started = time.monotonic()
                try:
                    await controller.run(ctx)
                    logger.info("controller %s returned", controller.name)
                    return
                except Exception:
                    logger.exception("controller %s failed, restarting in %.1fs", controller.name, backoff)
                    self.restarts[controller.name] = self.restarts.get(controller.name, 0) + 1
                if time.monotonic() - started > 10 * backoff:
                    backoff = self._backoff[0]
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, self._backoff[1])
                ctx.queue_reconcile()
        finally:
            for remove in removers:
                remove()
