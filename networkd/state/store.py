"""In-memory resource store: versioned, owner-checked writes, finalizers, and ordered watches."""

from __future__ import annotations

import asyncio
import enum
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass

from networkd.fastinit import fast_init
from networkd.resources.base import EMPTY, Metadata, Phase, Resource, Spec

Key = tuple[str, str]


class StateError(Exception):
    """Base of every store error."""


class NotFoundError(StateError):
    """The resource does not exist."""


class ConflictError(StateError):
    """The resource exists already, or its version moved on."""


class OwnerError(StateError):
    """The caller does not own the resource."""


class PhaseError(StateError):
    """The resource is not in the phase the write expects."""


class PendingFinalizersError(StateError):
    """The resource still has finalizers."""


class EventType(enum.IntEnum):
    """Watch event types, numbered as in cosi.resource.EventType."""

    CREATED = 0
    UPDATED = 1
    DESTROYED = 2
    BOOTSTRAPPED = 3
    ERRORED = 4


@fast_init
@dataclass(frozen=True, slots=True)
class Event:
    """One watch event; `resource` is the new state (the last state for DESTROYED)."""

    type: EventType
    resource: Resource[Spec] | None = None
    old: Resource[Spec] | None = None
    error: str = ""


class LabelOp(enum.IntEnum):
    """Label term operations, numbered as in cosi.resource.LabelTerm.Operation."""

    EXISTS = 0
    EQUAL = 1
    NOT_EXISTS = 2
    IN = 3
    LT = 4
    LTE = 5
    LT_NUMERIC = 6
    LTE_NUMERIC = 7


@dataclass(frozen=True, slots=True)
class LabelTerm:
    """A condition on one label."""

    key: str
    op: LabelOp = LabelOp.EXISTS
    values: tuple[str, ...] = ()
    invert: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy the term."""
        value = labels.get(self.key)
        result: bool
        if self.op is LabelOp.EXISTS:
            result = value is not None
        elif self.op is LabelOp.NOT_EXISTS:
            result = value is None
        elif value is None:
            result = False
        elif self.op is LabelOp.EQUAL:
            result = value == (self.values[0] if self.values else "")
        elif self.op is LabelOp.IN:
            result = value in self.values
        elif self.op in (LabelOp.LT, LabelOp.LTE):
            bound = self.values[0] if self.values else ""
            result = value < bound or (self.op is LabelOp.LTE and value == bound)
        else:
            try:
                num, bound_num = float(value), float(self.values[0])
            except (ValueError, IndexError):
                result = False
            else:
                result = num < bound_num or (self.op is LabelOp.LTE_NUMERIC and num == bound_num)
        return result != self.invert


@dataclass(frozen=True, slots=True)
class Query:
    """A filter on resources: label queries (terms ANDed, queries ORed) and an id regexp."""

    label_queries: tuple[tuple[LabelTerm, ...], ...] = ()
    id_regexp: str = ""

    def compile(self) -> Callable[[Resource[Spec]], bool]:
        """A predicate for this query; raises ValueError on a bad regexp."""
        rx = re.compile(self.id_regexp) if self.id_regexp else None
        queries = self.label_queries

        def match(res: Resource[Spec]) -> bool:
            if rx is not None and not rx.search(res.metadata.id):
                return False
            if not queries:
                return True
            labels = res.metadata.labels
            return any(all(t.matches(labels) for t in q) for q in queries)

        return match


class Watch:
    """A live watch: iterate it for events; a watcher that falls behind gets one ERRORED event and ends."""

    def __init__(self, state: State, key: Key, id: str | None, match: Callable[[Resource[Spec]], bool],
                 capacity: int) -> None:
        self._state = state
        self.key = key
        self.id = id
        self._match = match
        self._capacity = capacity
        self._queue: deque[Event] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False

    def _offer(self, event: Event) -> None:
        if self._closed:
            return
        res = event.resource
        if res is not None and self.id is not None and res.metadata.id != self.id:
            return
        if res is not None and event.type is not EventType.ERRORED and not self._match(res):
            old = event.old
            if old is None or not self._match(old):
                return
            event = Event(EventType.DESTROYED, old)
        if len(self._queue) >= self._capacity:
            self._queue.clear()
            self._queue.append(Event(EventType.ERRORED, error="watcher fell behind: events were dropped, re-list"))
            self._detach()
        else:
            self._queue.append(event)
        self._wakeup.set()

    def _detach(self) -> None:
        self._closed = True
        self._state._unsubscribe(self)

    def close(self) -> None:
        """Stop receiving events."""
        if not self._closed:
            self._detach()
        self._wakeup.set()

    def pending(self) -> list[Event]:
        """Take every queued event without waiting."""
        out = list(self._queue)
        self._queue.clear()
        return out

    async def next_batch(self) -> list[Event]:
        """Wait for at least one event and return all queued ones; [] once closed and drained."""
        while not self._queue:
            if self._closed:
                return []
            self._wakeup.clear()
            await self._wakeup.wait()
        return self.pending()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            batch = await self.next_batch()
            if not batch:
                return
            for ev in batch:
                yield ev


Listener = Callable[[Event], None]


class State:
    """The in-memory store. All methods are synchronous and run on the event loop's thread."""

    def __init__(self, *, clock: Callable[[], float] = time.time, watch_capacity: int = 4096,
                 history: int = 256) -> None:
        self._clock = clock
        self._data: dict[Key, dict[str, Resource[Spec]]] = {}
        self._watches: dict[Key, list[Watch]] = {}
        self._listeners: dict[Key, list[Listener]] = {}
        self._history: dict[Key, deque[Event]] = {}
        self._history_len = history
        self._changes: dict[Key, int] = {}
        self._watch_capacity = watch_capacity

    # reads

    def get(self, namespace: str, type: str, id: str) -> Resource[Spec]:
        """The resource, or NotFoundError."""
        try:
            return self._data[(namespace, type)][id]
        except KeyError:
            raise NotFoundError(f"resource {type}({namespace}/{id}) does not exist") from None

    def find(self, namespace: str, type: str, id: str) -> Resource[Spec] | None:
        """The resource, or None."""
        return self._data.get((namespace, type), {}).get(id)

    def changes(self, namespace: str, type: str) -> int:
        """How many changes resources of a type in a namespace have had (a stamp to compare, from 0)."""
        return self._changes.get((namespace, type), 0)

    def list(self, namespace: str, type: str, query: Query | None = None) -> list[Resource[Spec]]:
        """Resources of a type in a namespace, sorted by id."""
        items = self._data.get((namespace, type), {})
        match = query.compile() if query else None
        return [items[i] for i in sorted(items) if match is None or match(items[i])]

    # writes

    def create(self, res: Resource[Spec], owner: str = "") -> Resource[Spec]:
        """Store a new resource at version 1."""
        md = res.metadata
        bucket = self._data.setdefault((md.namespace, md.type), {})
        if md.id in bucket:
            raise ConflictError(f"resource {md.type}({md.namespace}/{md.id}) already exists")
        now = self._clock()
        new = Resource(Metadata(md.namespace, md.type, md.id, 1, owner, Phase.RUNNING, now, now, md.finalizers,
                                md.labels, md.annotations), res.spec)
        bucket[md.id] = new
        self._emit(Event(EventType.CREATED, new))
        return new

    def create_spec(self, namespace: str, type: str, id: str, spec: Spec, owner: str = "",
                    labels: Mapping[str, str] = EMPTY) -> Resource[Spec]:
        """`create` of a fresh resource holding `spec`, without a template resource (controllers' puts)."""
        self.create_specs(namespace, type, ((id, spec),), owner, labels)
        return self._data[namespace, type][id]

    def create_specs(self, namespace: str, type: str, specs: Iterable[tuple[str, Spec]], owner: str = "",
                     labels: Mapping[str, str] = EMPTY) -> None:
        """`create_spec` of many (id, spec) pairs at one time stamp, each announced as usual (a configuration's
        10,000 routes are put twice on their way to the kernel). ConflictError for an id that exists, with the
        pairs before it created."""
        bucket = self._data.setdefault((namespace, type), {})
        now = self._clock()
        for id, spec in specs:
            if id in bucket:
                raise ConflictError(f"resource {type}({namespace}/{id}) already exists")
            new = Resource(Metadata(namespace, type, id, 1, owner, Phase.RUNNING, now, now, (), labels, EMPTY), spec)
            bucket[id] = new
            self._emit(Event(EventType.CREATED, new))

    def update(self, res: Resource[Spec], owner: str = "",
               expected_phase: Phase | None = Phase.RUNNING) -> Resource[Spec]:
        """Replace a resource; `res` must carry the current version (optimistic concurrency)."""
        md = res.metadata
        cur = self.get(md.namespace, md.type, md.id)
        self._check_owner(cur, owner)
        if md.version != cur.metadata.version:
            raise ConflictError(
                f"resource {md.type}({md.namespace}/{md.id}) is at version {cur.metadata.version}, "
                f"update was based on {md.version}")
        if expected_phase is not None and cur.metadata.phase is not expected_phase:
            raise PhaseError(f"resource {md.type}({md.namespace}/{md.id}) is {cur.metadata.phase.value}")
        was = cur.metadata
        new = Resource(Metadata(md.namespace, md.type, md.id, was.version + 1, was.owner, was.phase, was.created,
                                self._clock(), was.finalizers, md.labels, md.annotations), res.spec)
        return self._replace(cur, new)

    def teardown(self, namespace: str, type: str, id: str, owner: str = "") -> bool:
        """Mark a resource as tearing down; True when it has no finalizers left."""
        cur = self.get(namespace, type, id)
        self._check_owner(cur, owner)
        if cur.metadata.phase is not Phase.TEARING_DOWN:
            cur = self._bump(cur, phase=Phase.TEARING_DOWN)
        return not cur.metadata.finalizers

    def destroy(self, namespace: str, type: str, id: str, owner: str = "") -> None:
        """Remove a resource; refused while finalizers remain."""
        cur = self.get(namespace, type, id)
        self._check_owner(cur, owner)
        if cur.metadata.finalizers:
            raise PendingFinalizersError(
                f"resource {type}({namespace}/{id}) has pending finalizers {list(cur.metadata.finalizers)}")
        del self._data[(namespace, type)][id]
        self._emit(Event(EventType.DESTROYED, cur))

    def add_finalizers(self, namespace: str, type: str, id: str, *finalizers: str) -> Resource[Spec]:
        """Add finalizers (anyone may); a no-op when all are present."""
        cur = self.get(namespace, type, id)
        have = cur.metadata.finalizers
        missing = tuple(f for f in finalizers if f not in have)
        if not missing:
            return cur
        if cur.metadata.phase is Phase.TEARING_DOWN:
            raise PhaseError(f"resource {type}({namespace}/{id}) is tearing down: no new finalizers")
        return self._bump(cur, finalizers=have + missing)

    def remove_finalizers(self, namespace: str, type: str, id: str, *finalizers: str) -> Resource[Spec]:
        """Remove finalizers; a no-op when none is present."""
        cur = self.get(namespace, type, id)
        keep = tuple(f for f in cur.metadata.finalizers if f not in finalizers)
        if keep == cur.metadata.finalizers:
            return cur
        return self._bump(cur, finalizers=keep)

    # watching

    def watch(self, namespace: str, type: str, id: str | None = None, *, bootstrap: bool = False,
              tail_events: int = 0, query: Query | None = None) -> Watch:
        """Subscribe to changes; with `bootstrap`, current contents then a BOOTSTRAPPED marker come first."""
        key = (namespace, type)
        match = query.compile() if query else (lambda _r: True)
        w = Watch(self, key, id, match, self._watch_capacity)
        if bootstrap:
            items = self._data.get(key, {})
            ids = [id] if id is not None else sorted(items)
            for i in ids:
                res = items.get(i)
                if res is not None and match(res):
                    w._queue.append(Event(EventType.CREATED, res))
            w._queue.append(Event(EventType.BOOTSTRAPPED))
            w._wakeup.set()
        elif tail_events > 0:
            for ev in list(self._history.get(key, ()))[-tail_events:]:
                w._offer(ev)
        self._watches.setdefault(key, []).append(w)
        return w

    def listen(self, namespace: str, type: str, fn: Listener) -> Callable[[], None]:
        """Call `fn` synchronously on every change of a type (for the controller runtime); returns a remover."""
        key = (namespace, type)
        self._listeners.setdefault(key, []).append(fn)
        return lambda: self._listeners[key].remove(fn)

    def _unsubscribe(self, w: Watch) -> None:
        lst = self._watches.get(w.key, [])
        if w in lst:
            lst.remove(w)

    # internals

    def _check_owner(self, cur: Resource[Spec], owner: str) -> None:
        if cur.metadata.owner != owner:
            md = cur.metadata
            raise OwnerError(f"resource {md.type}({md.namespace}/{md.id}) is owned by {md.owner!r}, "
                             f"not {owner!r}")

    def _bump(self, cur: Resource[Spec], *, phase: Phase | None = None,
              finalizers: tuple[str, ...] | None = None) -> Resource[Spec]:
        was = cur.metadata
        md = Metadata(was.namespace, was.type, was.id, was.version + 1, was.owner, phase or was.phase, was.created,
                      self._clock(), was.finalizers if finalizers is None else finalizers, was.labels, was.annotations)
        return self._replace(cur, Resource(md, cur.spec))

    def _replace(self, cur: Resource[Spec], new: Resource[Spec]) -> Resource[Spec]:
        md = new.metadata
        self._data[(md.namespace, md.type)][md.id] = new
        self._emit(Event(EventType.UPDATED, new, cur))
        return new

    def _emit(self, event: Event) -> None:
        assert event.resource is not None
        key = (event.resource.metadata.namespace, event.resource.metadata.type)
        hist = self._history.get(key)
        if hist is None:
            hist = self._history[key] = deque(maxlen=self._history_len)
        hist.append(event)
        self._changes[key] = self._changes.get(key, 0) + 1
        for w in tuple(self._watches.get(key, ())):
            w._offer(event)
        for fn in tuple(self._listeners.get(key, ())):
            fn(event)


__all__ = [
    "ConflictError", "Event", "EventType", "LabelOp", "LabelTerm", "Metadata", "NotFoundError", "OwnerError",
    "PendingFinalizersError", "PhaseError", "Query", "State", "StateError", "Watch",
]
