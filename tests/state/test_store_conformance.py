"""Conformance suite for the resource store: every backend must pass it (parametrize `make_state`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import anyio
import pytest

from networkd.resources.base import Phase, Resource, Spec
from networkd.resources.meta import NamespaceSpec
from networkd.state import (
    ConflictError,
    EventType,
    LabelOp,
    LabelTerm,
    NotFoundError,
    OwnerError,
    PendingFinalizersError,
    PhaseError,
    Query,
    State,
)

NS, T = "meta", NamespaceSpec.TYPE.type


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture(params=["memory"])
def make_state(request: pytest.FixtureRequest) -> Callable[..., State]:
    return lambda **kw: State(clock=Clock(), **kw)


@pytest.fixture
def st(make_state: Callable[..., State]) -> State:
    return make_state()


def res(id: str, desc: str = "", labels: dict[str, str] | None = None) -> Resource[Spec]:
    r = NamespaceSpec.TYPE.new(NS, id, NamespaceSpec(desc))
    if labels:
        r = Resource(dataclasses.replace(r.metadata, labels=labels), r.spec)
    return r


def test_create_get_list_sorted(st: State) -> None:
    for i in ("c", "a", "b"):
        st.create(res(i), owner="ctl")
    got = st.get(NS, T, "a")
    assert got.metadata.version == 1 and got.metadata.owner == "ctl"
    assert got.metadata.phase is Phase.RUNNING and got.metadata.created == got.metadata.updated > 0
    assert [r.id for r in st.list(NS, T)] == ["a", "b", "c"]
    assert st.list(NS, "Other") == []


def test_create_twice_conflicts(st: State) -> None:
    st.create(res("a"))
    with pytest.raises(ConflictError, match="already exists"):
        st.create(res("a"))


def test_create_spec_is_create_of_a_fresh_resource(st: State) -> None:
    events = st.watch(NS, T)
    made = st.create_spec(NS, T, "a", NamespaceSpec("x"), owner="ctl", labels={"k": "v"})
    assert made == st.get(NS, T, "a")
    assert made.metadata == dataclasses.replace(st.create(res("b", labels={"k": "v"}), owner="ctl").metadata,
                                                id="a", created=made.metadata.created, updated=made.metadata.updated)
    assert made.spec == NamespaceSpec("x")
    assert [(e.type, e.resource) for e in events.pending()] == [(EventType.CREATED, made),
                                                                (EventType.CREATED, st.get(NS, T, "b"))]
    with pytest.raises(ConflictError, match="already exists"):
        st.create_spec(NS, T, "a", NamespaceSpec())


def test_create_specs_is_create_spec_of_each_at_one_time_stamp(st: State) -> None:
    events = st.watch(NS, T)
    st.create_specs(NS, T, [("b", NamespaceSpec("1")), ("a", NamespaceSpec("2"))], owner="ctl")
    made = [st.get(NS, T, "b"), st.get(NS, T, "a")]
    assert [(e.type, e.resource) for e in events.pending()] == [(EventType.CREATED, r) for r in made]
    assert [r.spec for r in made] == [NamespaceSpec("1"), NamespaceSpec("2")]
    assert {(r.metadata.version, r.metadata.owner, r.metadata.created, r.metadata.updated) for r in made} == {
        (1, "ctl", made[0].metadata.created, made[0].metadata.created)}
    assert st.changes(NS, T) == 2
    with pytest.raises(ConflictError, match=r"\(meta/a\) already exists"):
        st.create_specs(NS, T, [("c", NamespaceSpec()), ("a", NamespaceSpec())])
    assert st.get(NS, T, "c").spec == NamespaceSpec()  # the pairs before the conflict were created


def test_changes_count_every_change_of_a_type_in_a_namespace(st: State) -> None:
    assert st.changes(NS, T) == 0
    st.create(res("a"), owner="ctl")
    st.add_finalizers(NS, T, "a", "f")
    st.add_finalizers(NS, T, "a", "f")  # nothing to add: no change
    st.remove_finalizers(NS, T, "a", "f")
    st.destroy(NS, T, "a", owner="ctl")
    assert st.changes(NS, T) == 4
    assert st.changes(NS, "Other") == 0 and st.changes("other", T) == 0


def test_get_missing(st: State) -> None:
    with pytest.raises(NotFoundError, match="meta/x"):
        st.get(NS, T, "x")
    assert st.find(NS, T, "x") is None


def test_update_bumps_version_and_checks_it(st: State) -> None:
    cur = st.create(res("a", "one"), owner="ctl")
    new = st.update(Resource(cur.metadata, NamespaceSpec("two")), owner="ctl")
    assert new.metadata.version == 2 and new.spec == NamespaceSpec("two")
    assert new.metadata.created == cur.metadata.created and new.metadata.updated > cur.metadata.updated
    with pytest.raises(ConflictError, match="version 2"):
        st.update(Resource(cur.metadata, NamespaceSpec("stale")), owner="ctl")
    assert st.get(NS, T, "a").spec == NamespaceSpec("two")


def test_only_owner_may_write(st: State) -> None:
    cur = st.create(res("a"), owner="ctl")
    with pytest.raises(OwnerError, match="owned by 'ctl'"):
        st.update(Resource(cur.metadata, NamespaceSpec("x")), owner="other")
    with pytest.raises(OwnerError):
        st.teardown(NS, T, "a", owner="other")
    with pytest.raises(OwnerError):
        st.destroy(NS, T, "a", owner="other")
    st.destroy(NS, T, "a", owner="ctl")


def test_finalizers_block_destroy_and_teardown_reports_readiness(st: State) -> None:
    st.create(res("a"), owner="ctl")
    st.add_finalizers(NS, T, "a", "applier")
    st.add_finalizers(NS, T, "a", "applier")  # idempotent
    assert st.get(NS, T, "a").metadata.finalizers == ("applier",)
    assert st.teardown(NS, T, "a", owner="ctl") is False
    assert st.get(NS, T, "a").metadata.phase is Phase.TEARING_DOWN
    with pytest.raises(PendingFinalizersError, match="applier"):
        st.destroy(NS, T, "a", owner="ctl")
    with pytest.raises(PhaseError):
        st.add_finalizers(NS, T, "a", "late")
    st.remove_finalizers(NS, T, "a", "applier")
    assert st.teardown(NS, T, "a", owner="ctl") is True
    st.destroy(NS, T, "a", owner="ctl")
    assert st.find(NS, T, "a") is None


def test_update_of_tearing_down_needs_expected_phase(st: State) -> None:
    st.create(res("a"), owner="ctl")
    st.teardown(NS, T, "a", owner="ctl")
    cur = st.get(NS, T, "a")
    with pytest.raises(PhaseError, match="tearingDown"):
        st.update(Resource(cur.metadata, NamespaceSpec("x")), owner="ctl")
    st.update(Resource(cur.metadata, NamespaceSpec("x")), owner="ctl", expected_phase=Phase.TEARING_DOWN)


def test_label_and_id_queries(st: State) -> None:
    st.create(res("eth0", labels={"kind": "physical", "speed": "1000"}))
    st.create(res("eth1", labels={"kind": "physical", "speed": "100"}))
    st.create(res("lo", labels={"kind": "loopback"}))

    def ids(*terms: LabelTerm, rx: str = "") -> list[str]:
        return [r.id for r in st.list(NS, T, Query((terms,) if terms else (), rx))]

    assert ids(LabelTerm("kind", LabelOp.EQUAL, ("physical",))) == ["eth0", "eth1"]
    assert ids(LabelTerm("kind", LabelOp.EQUAL, ("physical",), invert=True)) == ["lo"]
    assert ids(LabelTerm("speed")) == ["eth0", "eth1"]
    assert ids(LabelTerm("speed", LabelOp.LT_NUMERIC, ("500",))) == ["eth1"]
    assert ids(LabelTerm("speed", LabelOp.LTE_NUMERIC, ("1000",))) == ["eth0", "eth1"]
    assert ids(LabelTerm("kind", LabelOp.IN, ("loopback", "bridge"))) == ["lo"]
    assert ids(rx="^eth") == ["eth0", "eth1"]


async def _collect(w, n: int) -> list:  # type: ignore[no-untyped-def]
    out: list = []
    with anyio.fail_after(2):
        while len(out) < n:
            out += await w.next_batch()
    return out


@pytest.mark.anyio
async def test_watch_bootstrap_then_ordered_events(st: State) -> None:
    st.create(res("b"), owner="c")
    st.create(res("a"), owner="c")
    w = st.watch(NS, T, bootstrap=True)
    boot = await _collect(w, 3)
    assert [(e.type, e.resource and e.resource.id) for e in boot] == [
        (EventType.CREATED, "a"), (EventType.CREATED, "b"), (EventType.BOOTSTRAPPED, None)]
    cur = st.create(res("c"), owner="c")
    st.update(Resource(cur.metadata, NamespaceSpec("x")), owner="c")
    st.destroy(NS, T, "c", owner="c")
    evs = await _collect(w, 3)
    assert [e.type for e in evs] == [EventType.CREATED, EventType.UPDATED, EventType.DESTROYED]
    assert evs[1].old is not None and evs[1].old.spec == NamespaceSpec("")
    assert evs[2].resource is not None and evs[2].resource.spec == NamespaceSpec("x")
    w.close()
    assert await w.next_batch() == []


@pytest.mark.anyio
async def test_watch_single_id_and_missing_id(st: State) -> None:
    w = st.watch(NS, T, "x", bootstrap=True)
    assert [e.type for e in await _collect(w, 1)] == [EventType.BOOTSTRAPPED]
    st.create(res("y"))
    st.create(res("x"))
    evs = await _collect(w, 1)
    assert [(e.type, e.resource.id) for e in evs] == [(EventType.CREATED, "x")]


@pytest.mark.anyio
async def test_watch_tail_events(st: State) -> None:
    for i in "abc":
        st.create(res(i))
    w = st.watch(NS, T, tail_events=2)
    evs = await _collect(w, 2)
    assert [e.resource.id for e in evs] == ["b", "c"]


@pytest.mark.anyio
async def test_watch_query_turns_unmatch_into_destroyed(st: State) -> None:
    cur = st.create(res("a", labels={"up": "1"}), owner="c")
    w = st.watch(NS, T, query=Query(((LabelTerm("up"),),)))
    st.update(Resource(dataclasses.replace(cur.metadata, labels={}), cur.spec), owner="c")
    evs = await _collect(w, 1)
    assert evs[0].type is EventType.DESTROYED and evs[0].resource.id == "a"


@pytest.mark.anyio
async def test_slow_watcher_gets_error_not_gap(make_state: Callable[..., State]) -> None:
    st = make_state(watch_capacity=5)
    w = st.watch(NS, T)
    for i in range(10):
        st.create(res(f"r{i}"))
    evs = await _collect(w, 1)
    assert [e.type for e in evs] == [EventType.ERRORED]
    assert "fell behind" in evs[0].error
    assert await w.next_batch() == []  # the watch ended explicitly
