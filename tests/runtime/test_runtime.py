"""Controller runtime: declarations are enforced, wakeups coalesce, failures restart with backoff."""

from __future__ import annotations

import logging

import anyio
import pytest

from networkd.resources.meta import NamespaceSpec, ResourceDefinitionSpec
from networkd.runtime import Context, Controller, DeclarationError, Input, InputKind, Output, OutputKind, Runtime
from networkd.state import State
from tests.aio import running, until

NS = NamespaceSpec.TYPE
RD = ResourceDefinitionSpec.TYPE


class Copier(Controller):
    """Mirrors every Namespace in `meta` into a ResourceDefinition-free output: counts its passes."""

    name = "test.Copier"

    def __init__(self) -> None:
        self.passes = 0
        self.seen: list[list[str]] = []

    def inputs(self) -> list[Input]:
        return [Input("meta", NS, InputKind.STRONG)]

    def outputs(self) -> list[Output]:
        return [Output(RD, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            self.passes += 1
            self.seen.append([r.id for r in ctx.list("meta", NS)])


@pytest.mark.anyio
async def test_input_changes_wake_and_coalesce() -> None:
    st = State()
    c = Copier()
    async with running(st, c):
        await until(lambda: c.passes == 1)  # the initial pass
        for i in range(50):  # a burst within one loop iteration coalesces into one pass
            st.create(NS.new("meta", f"n{i:02d}", NamespaceSpec()))
        await until(lambda: c.passes >= 2)
        await anyio.sleep(0.05)
        assert c.passes == 2
        assert len(c.seen[-1]) == 50


class Debounced(Copier):
    """A Copier whose wakeups wait `debounce` seconds (with `quiet`: until changes stop for that long)."""

    name = "test.Debounced"

    def __init__(self, debounce: float = 0.5, quiet: float = 0.0) -> None:
        super().__init__()
        self.debounce, self.quiet = debounce, quiet

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait(self.debounce, self.quiet)
            self.passes += 1
            self.seen.append([r.id for r in ctx.list("meta", NS)])


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("debounce", "quiet", "changes", "apart", "before"),
    [
        (0.5, 0.0, 5, 0.02, None),  # all within the debounce time of the first (slack for load)
        (1.0, 0.1, 10, 0.03, 0.9),  # 0.3 s of changes: longer than the quiet time, shorter than the limit
    ],
    ids=["debounce", "quiet"],
)
async def test_a_burst_spread_over_time_makes_one_pass(debounce: float, quiet: float, changes: int, apart: float,
                                                       before: float | None) -> None:
    st = State()
    c = Debounced(debounce, quiet)
    async with running(st, c):
        await until(lambda: c.passes == 1)  # the initial pass
        first = anyio.current_time()
        for i in range(changes):
            st.create(NS.new("meta", f"n{i}", NamespaceSpec()))
            await anyio.sleep(apart)
        await until(lambda: c.passes >= 2)
        if before is not None:
            assert anyio.current_time() - first < before  # the burst's end started it, not the limit
        await anyio.sleep(0.6)
        assert c.passes == 2
        assert c.seen[-1] == [f"n{i}" for i in range(changes)]


@pytest.mark.anyio
async def test_a_quiet_wait_still_passes_within_its_limit_under_endless_changes() -> None:
    st = State()
    c = Debounced(debounce=1.0, quiet=0.1)
    async with running(st, c):
        await until(lambda: c.passes == 1)
        first = anyio.current_time()
        i = 0
        while c.passes < 2:  # a change every 20 ms, never 0.1 s apart
            st.create(NS.new("meta", f"n{i:03d}", NamespaceSpec()))
            i += 1
            assert anyio.current_time() - first < 3.0, "no pass within the limit"
            await anyio.sleep(0.02)
        assert anyio.current_time() - first >= 1.0  # it did wait out the limit


class Bad(Controller):
    name = "test.Bad"

    def __init__(self, action: str) -> None:
        self.action = action
        self.error: Exception | None = None

    def inputs(self) -> list[Input]:
        return [Input("meta", NS)]

    def outputs(self) -> list[Output]:
        return [Output(RD)]

    async def run(self, ctx: Context) -> None:
        await ctx.wait()
        try:
            if self.action == "read":
                ctx.list("network", NS)
            elif self.action == "write":
                ctx.put("meta", "x", NamespaceSpec())
            elif self.action == "finalizer":
                ctx.add_finalizer("meta", NS, "x")
        except DeclarationError as e:
            self.error = e
        await anyio.sleep_forever()


@pytest.mark.anyio
@pytest.mark.parametrize(("action", "message"), [
    ("read", "not a declared input"),
    ("write", "not a declared output"),
    ("finalizer", "not a strong input"),
])
async def test_undeclared_access_is_refused(action: str, message: str) -> None:
    st = State()
    c = Bad(action)
    async with running(st, c):
        await until(lambda: c.error is not None)
        assert message in str(c.error)


class Publisher(Controller):
    """Publishes `specs` (id -> spec) as ResourceDefinitions once, and records a refusal."""

    name = "test.Publisher"

    def __init__(self, specs: dict[str, object]) -> None:
        self.specs = specs
        self.error: DeclarationError | None = None
        self.done = False

    def outputs(self) -> list[Output]:
        return [Output(RD, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        await ctx.wait()
        try:
            ctx.publish("meta", RD, self.specs)  # type: ignore[arg-type]
        except DeclarationError as e:
            self.error = e
        self.done = True
        await anyio.sleep_forever()


def _rd(type_: str) -> ResourceDefinitionSpec:
    return ResourceDefinitionSpec(type=type_, display_type=type_, aliases=(), print_columns=(),
                                  default_namespace="meta")


async def _publish(st: State, specs: dict[str, object]) -> Publisher:
    """Run a Publisher of `specs` against `st` until it has published."""
    c = Publisher(specs)
    async with running(st, c):
        await until(lambda: c.done)
    return c


@pytest.mark.anyio
async def test_publish_creates_new_updates_changed_keeps_unchanged_and_retires_the_rest() -> None:
    st = State()
    for id, spec in (("same", _rd("S")), ("changed", _rd("C")), ("gone", _rd("G"))):
        st.create(RD.new("meta", id, spec), owner="test.Publisher")
    before = {r.id: r for r in st.list("meta", RD.type)}
    await _publish(st, {"new": _rd("N"), "same": _rd("S"), "changed": _rd("C2")})
    after = {r.id: r for r in st.list("meta", RD.type)}
    assert sorted(after) == ["changed", "new", "same"]
    assert after["same"] is before["same"]
    assert after["changed"].spec == _rd("C2") and after["changed"].metadata.version == 2
    assert after["new"].spec == _rd("N") and after["new"].metadata.owner == "test.Publisher"


@pytest.mark.anyio
async def test_publish_refuses_a_spec_of_another_type() -> None:
    st = State()
    c = await _publish(st, {"a": _rd("A"), "b": NamespaceSpec()})
    assert c.error is not None and "a Namespaces.meta.cosi.dev put as" in str(c.error)
    assert st.list("meta", RD.type) == []


class Holder(Copier):
    """A Copier that puts its finalizer on every Namespace it sees, waking itself by it or not."""

    name = "test.Holder"

    def __init__(self, wake: bool) -> None:
        super().__init__()
        self.wake = wake

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            self.passes += 1
            for res in ctx.list("meta", NS):
                ctx.add_finalizer("meta", NS, res.id, wake=self.wake)


@pytest.mark.anyio
@pytest.mark.parametrize("wake", [True, False])
async def test_a_controller_is_woken_by_its_own_finalizers_unless_it_asks_not_to_be(wake: bool) -> None:
    st = State()
    c = Holder(wake)
    async with running(st, c):
        await until(lambda: c.passes == 1)
        st.create(NS.new("meta", "a", NamespaceSpec()))
        await until(lambda: c.passes >= 2)
        await anyio.sleep(0.05)
        assert c.passes == (3 if wake else 2)  # the pass its own finalizer on "a" woke finds it there already
        assert st.get("meta", NS.type, "a").metadata.finalizers == ("test.Holder",)
        st.add_finalizers("meta", NS.type, "a", "someone else")  # another's always does
        await until(lambda: c.passes == (4 if wake else 3))


def test_second_exclusive_writer_is_refused() -> None:
    rt = Runtime(State())
    rt.register(Bad("none"))

    class Other(Bad):
        name = "test.Other"

    with pytest.raises(DeclarationError, match=r"exclusive output of test\.Bad"):
        rt.register(Other("none"))

    class Shared(Copier):
        name = "test.Shared"

    with pytest.raises(DeclarationError, match="exclusive output"):
        rt.register(Shared())
    with pytest.raises(DeclarationError, match="registered twice"):
        rt.register(Bad("none"))


class Flaky(Controller):
    name = "test.Flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.starts: list[float] = []

    async def run(self, ctx: Context) -> None:
        self.starts.append(anyio.current_time())
        await ctx.wait()
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("boom")
        await anyio.sleep_forever()


@pytest.mark.anyio
async def test_crash_is_logged_and_restarted_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    st = State()
    rt = Runtime(st, backoff_initial=0.02, backoff_max=1.0)
    c = Flaky(failures=3)
    rt.register(c)
    caplog.set_level(logging.ERROR)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: len(c.starts) == 4)
        tg.cancel_scope.cancel()
    gaps = [b - a for a, b in zip(c.starts, c.starts[1:], strict=False)]
    assert gaps[0] >= 0.02 and gaps[1] >= 0.04 and gaps[2] >= 0.08  # exponential backoff
    assert rt.restarts["test.Flaky"] == 3
    failures = [r for r in caplog.records if "test.Flaky failed" in r.getMessage()]
    assert len(failures) == 3 and all(getattr(r, "controller", None) == "test.Flaky" for r in failures)


@pytest.mark.anyio
async def test_controller_logs_are_kept_per_controller() -> None:
    st = State()
    rt = Runtime(st, backoff_initial=0.01)
    logging.getLogger().addHandler(rt.logs)
    try:
        c = Flaky(failures=1)
        rt.register(c)
        async with anyio.create_task_group() as tg:
            tg.start_soon(rt.run)
            await until(lambda: len(c.starts) == 2)
            tg.cancel_scope.cancel()
    finally:
        logging.getLogger().removeHandler(rt.logs)
    lines = [e.message for e in rt.logs.entries["test.Flaky"]]
    assert any("failed, restarting" in m and "boom" in m for m in lines)


def test_dependencies_list_declarations() -> None:
    rt = Runtime(State())
    rt.register(Copier())
    kinds = {(e.controller, e.kind, e.type) for e in rt.dependencies()}
    assert kinds == {("test.Copier", "input-strong", NS.type), ("test.Copier", "output-shared", RD.type)}


class Producer(Controller):
    """Puts one Namespace, but only after `release` is set: its first pass stays busy until then."""

    name = "test.Producer"

    def __init__(self) -> None:
        self.release = anyio.Event()

    def outputs(self) -> list[Output]:
        return [Output(NS)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            await self.release.wait()
            ctx.put("meta", "produced", NamespaceSpec())


class Settler(Controller):
    """Records, on every pass, whether the runtime has settled and what the producer made."""

    name = "test.Settler"

    def __init__(self) -> None:
        self.passes: list[tuple[bool, list[str]]] = []

    def inputs(self) -> list[Input]:
        return [Input("meta", NS)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            self.passes.append((ctx.settled(), [r.id for r in ctx.list("meta", NS)]))


@pytest.mark.anyio
async def test_settled_once_every_controller_is_idle_at_once() -> None:
    st = State()
    producer, settler = Producer(), Settler()
    async with running(st, producer, settler):
        await until(lambda: len(settler.passes) == 1)
        await anyio.sleep(0.05)
        assert settler.passes == [(False, [])]  # the producer's first pass is still busy
        producer.release.set()
        # the producer's output wakes the settler; once both wait, the settler gets one more pass
        await until(lambda: settler.passes[-1][0])
        assert settler.passes[-1] == (True, ["produced"])
        assert all(not settled for settled, _ in settler.passes[:-1])
        count = len(settler.passes)
        await anyio.sleep(0.05)
        assert len(settler.passes) == count  # latched: no further wakeups from settling
        st.create(NS.new("meta", "later", NamespaceSpec()))
        await until(lambda: len(settler.passes) == count + 1)
        assert settler.passes[-1] == (True, ["later", "produced"])
