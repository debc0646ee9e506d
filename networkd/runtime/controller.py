"""Controller declarations and the context a controller works through."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from networkd.resources.base import EMPTY, Metadata, Phase, Resource, ResourceType, Spec
from networkd.state import NotFoundError, Query, State

if TYPE_CHECKING:
    from networkd.runtime.runtime import Runtime


class InputKind(enum.Enum):
    """How a controller depends on an input."""

    WEAK = "weak"
    STRONG = "strong"


class OutputKind(enum.Enum):
    """Whether a controller is the only writer of a type."""

    EXCLUSIVE = "exclusive"
    SHARED = "shared"


@dataclass(frozen=True, slots=True)
class Input:
    """A declared input: changes of (namespace, type[, id]) wake the controller."""

    namespace: str
    type: ResourceType
    kind: InputKind = InputKind.WEAK
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """A declared output type."""

    type: ResourceType
    kind: OutputKind = OutputKind.EXCLUSIVE


class DeclarationError(Exception):
    """A controller read or wrote something it did not declare, or two controllers claim one output."""


class Controller(ABC):
    """A controller: declared inputs and outputs, and one run loop."""

    name: ClassVar[str]

    def inputs(self) -> Iterable[Input]:
        """Inputs this controller reads; changes to them wake it."""
        return ()

    def outputs(self) -> Iterable[Output]:
        """Types this controller writes."""
        return ()

    @abstractmethod
    async def run(self, ctx: Context) -> None:
        """The controller's loop: `await ctx.wait()`, read inputs, write outputs."""


class Context:
    """What a running controller may do: reads and writes checked against its declarations."""

    def __init__(self, runtime: Runtime, controller: Controller, logger: logging.LoggerAdapter[Any]) -> None:
        self._rt = runtime
        self._state: State = runtime.state
        self.controller = controller
        self.name = controller.name
        self.logger = logger
        self._inputs = list(controller.inputs())
        self._outputs = {o.type.type: o for o in controller.outputs()}
        self._wakeup = asyncio.Event()
        self._wakeup.set()  # every controller runs one pass at start
        self._timer: asyncio.TimerHandle | None = None
        self._passes = 0  # passes begun
        self._own_finalizers = False  # a finalizer change of ours that is not to wake us is being written
        self._waiting = False

    @property
    def idle(self) -> bool:
        """Whether this controller has finished a pass and waits with nothing queued."""
        return self._waiting and self._passes > 0 and not self._wakeup.is_set()

    # wakeups

    async def wait(self, debounce: float = 0.0, quiet: float = 0.0) -> None:
        """Wait for the next reconcile request; requests that arrive meanwhile coalesce into one.

        With `debounce`, wait that many seconds more after the first request, so that the requests of a
        burst spread over that time make one pass too. With `quiet` as well, the pass starts as soon as no
        request has come for `quiet` seconds (a burst's end), and `debounce` bounds the wait.
        """
        self._waiting = True
        try:
            if self.idle:
                self._rt._idle()
            await self._wakeup.wait()
        finally:
            self._waiting = False
        if debounce > 0 and quiet > 0:
            await self._quiet(debounce, quiet)
        elif debounce > 0:
            await asyncio.sleep(debounce)
        self._wakeup.clear()
        self._passes += 1

    async def _quiet(self, limit: float, quiet: float) -> None:
        """Sleep until no request came for `quiet` seconds, or `limit` seconds in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while (left := deadline - loop.time()) > 0:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), min(quiet, left))
            except TimeoutError:
                return

    def settled(self) -> bool:
        """Whether every controller has been idle at once since the start (the specs built from the
        configuration are complete). While not, the caller gets one reconcile when it happens."""
        return self._rt._settled_or_notify(self)

    def queue_reconcile(self) -> None:
        """Request a reconcile (from an input change, a timer or an external event)."""
        self._wakeup.set()

    def wake_after(self, delay: float) -> None:
        """Request a reconcile after `delay` seconds (replaces an earlier timer)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self.queue_reconcile)

    def _on_input(self, id: str | None) -> Callable[[Any], None]:
        def fire(event: Any) -> None:
            if (id is None or event.resource.metadata.id == id) and not self._own_finalizers:
                self._wakeup.set()
        return fire

    # declaration checks

    def _readable(self, namespace: str, rt: ResourceType) -> None:
        if rt.type in self._outputs:
            return
        for i in self._inputs:
            if i.namespace == namespace and i.type.type == rt.type:
                return
        raise DeclarationError(f"{self.name}: {rt.type} in {namespace} is not a declared input or output")

    def _writable(self, rt: ResourceType) -> None:
        if rt.type not in self._outputs:
            raise DeclarationError(f"{self.name}: {rt.type} is not a declared output")

    def _strong(self, namespace: str, rt: ResourceType) -> None:
        for i in self._inputs:
            if i.namespace == namespace and i.type.type == rt.type and i.kind is InputKind.STRONG:
                return
        raise DeclarationError(f"{self.name}: {rt.type} in {namespace} is not a strong input")

    # reads

    def get(self, namespace: str, rt: ResourceType, id: str) -> Resource[Spec] | None:
        """A declared resource, or None."""
        self._readable(namespace, rt)
        return self._state.find(namespace, rt.type, id)

    def list(self, namespace: str, rt: ResourceType, query: Query | None = None) -> list[Resource[Spec]]:
        """Declared resources sorted by id."""
        self._readable(namespace, rt)
        return self._state.list(namespace, rt.type, query)

    def changes(self, namespace: str, rt: ResourceType) -> int:
        """A stamp of a declared type: it moves whenever one of its resources in `namespace` changes."""
        self._readable(namespace, rt)
        return self._state.changes(namespace, rt.type)

    # writes (the owner is always this controller)

    def put(self, namespace: str, id: str, spec: Spec, labels: dict[str, str] | None = None) -> Resource[Spec]:
        """Create or update a resource this controller owns so it carries `spec`; a no-op when unchanged."""
        rt = type(spec).TYPE
        self._writable(rt)
        cur = self._state.find(namespace, rt.type, id)
        if cur is None:
            return self._state.create_spec(namespace, rt.type, id, spec, self.name, labels or EMPTY)
        return self._update(cur, spec, labels)

    def _update(self, cur: Resource[Spec], spec: Spec, labels: dict[str, str] | None) -> Resource[Spec]:
        if (cur.spec is spec or cur.spec == spec) and (labels is None or dict(cur.metadata.labels) == labels):
            return cur
        md = cur.metadata if labels is None else _with(cur, labels=labels)
        return self._state.update(Resource(md, spec), owner=self.name, expected_phase=None)

    def teardown(self, namespace: str, rt: ResourceType, id: str) -> bool:
        """Start tearing down an owned resource; True when it can be destroyed now."""
        self._writable(rt)
        return self._state.teardown(namespace, rt.type, id, owner=self.name)

    def destroy(self, namespace: str, rt: ResourceType, id: str) -> None:
        """Destroy an owned resource (refused while finalizers remain)."""
        self._writable(rt)
        self._state.destroy(namespace, rt.type, id, owner=self.name)

    def retire(self, namespace: str, rt: ResourceType, keep: Iterable[str]) -> None:
        """Tear down every owned resource of `rt` not in `keep`; destroy those without finalizers."""
        keep_ids = set(keep)
        for res in self.list(namespace, rt):
            if res.metadata.owner != self.name or res.metadata.id in keep_ids:
                continue
            if self.teardown(namespace, rt, res.metadata.id):
                self.destroy(namespace, rt, res.metadata.id)

    def publish(self, namespace: str, rt: ResourceType, specs: Mapping[str, Spec]) -> None:
        """Make the owned resources of `rt` in `namespace` exactly `specs` (id -> spec): put each, retire the rest."""
        self.put_all(namespace, rt, specs)
        self.retire(namespace, rt, specs)

    def put_all(self, namespace: str, rt: ResourceType, specs: Mapping[str, Spec]) -> None:
        """`put` of every (id, spec) of type `rt`; the ids that are new are created in one batch."""
        self._writable(rt)
        fresh: list[tuple[str, Spec]] = []
        for id, spec in specs.items():
            if type(spec).TYPE is not rt:
                raise DeclarationError(f"{self.name}: a {type(spec).TYPE.type} put as {rt.type} {id!r}")
            cur = self._state.find(namespace, rt.type, id)
            if cur is None:
                fresh.append((id, spec))
            else:
                self._update(cur, spec, None)
        self._state.create_specs(namespace, rt.type, fresh, self.name)

    def add_finalizer(self, namespace: str, rt: ResourceType, id: str, *, wake: bool = True) -> None:
        """Put this controller's finalizer on a strong input. Like any change of an input it wakes this
        controller too, unless not `wake` (an applier holding 10,000 routes has nothing to do for them)."""
        self._strong(namespace, rt)
        self._own_finalizers = not wake
        try:
            self._state.add_finalizers(namespace, rt.type, id, self.name)
        finally:
            self._own_finalizers = False

    def remove_finalizer(self, namespace: str, rt: ResourceType, id: str, *, wake: bool = True) -> None:
        """Drop this controller's finalizer from a strong input (no error if the input is gone); `wake` as for
        `add_finalizer`."""
        self._strong(namespace, rt)
        self._own_finalizers = not wake
        try:
            with contextlib.suppress(NotFoundError):
                self._state.remove_finalizers(namespace, rt.type, id, self.name)
        finally:
            self._own_finalizers = False


def _with(res: Resource[Spec], **changes: Any) -> Metadata:
    return dataclasses.replace(res.metadata, **changes)


def tearing_down(res: Resource[Spec]) -> bool:
    """Whether a resource is being torn down."""
    return res.metadata.phase is Phase.TEARING_DOWN
