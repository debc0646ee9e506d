"""Watch over gRPC in one process (store, server and client on a Unix socket in a temp dir): what a watcher sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import grpc
import pytest

from networkd.api.gen.cosi import state_pb2, state_pb2_grpc
from networkd.api.server import APIServer
from networkd.resources.base import Resource
from networkd.resources.meta import NamespaceSpec
from networkd.runtime import Runtime
from networkd.state import State

NS, T = "meta", NamespaceSpec.TYPE.type
E = state_pb2.EventType

pytestmark = pytest.mark.anyio


def _ns(id: str, description: str = "") -> Resource[NamespaceSpec]:
    return NamespaceSpec.TYPE.new(NS, id, NamespaceSpec(description))  # type: ignore[return-value]


class Served:
    """A State served by the real APIServer, and a channel to it."""

    def __init__(self, state: State, channel: grpc.aio.Channel) -> None:
        self.state = state
        self.stub = state_pb2_grpc.StateStub(channel)

    def watch(self, api_version: int = 1, **options: bool) -> grpc.aio.UnaryStreamCall:  # type: ignore[type-arg]
        return self.stub.Watch(state_pb2.WatchRequest(namespace=NS, type=T, api_version=api_version,
                                                      options=state_pb2.WatchOptions(**options)))

    def update(self, id: str, description: str) -> None:
        old = self.state.get(NS, T, id)
        self.state.update(Resource(old.metadata, NamespaceSpec(description)))


async def _serve(tmp_path: Path, state: State) -> AsyncIterator[Served]:
    api = APIServer(state, Runtime(state), socket_path=tmp_path / "api.sock")
    await api.start()
    channel = grpc.aio.insecure_channel(f"unix:{api.socket_path}")
    try:
        yield Served(state, channel)
    finally:
        await channel.close()
        await api.stop(0)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async for s in _serve(tmp_path, State()):
        yield s


async def _next(call: grpc.aio.UnaryStreamCall) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    """The events of the next WatchResponse as (type, id, description); [] when the stream ended."""
    with anyio.fail_after(5):
        resp = await call.read()
    if resp is grpc.aio.EOF:
        return []
    return [(E.Name(ev.event_type), ev.resource.metadata.id,
             ev.resource.spec.yaml_spec.strip()) for ev in resp.event]


async def test_bootstrap_then_changes_in_order(served: Served) -> None:
    for id in ("b", "a", "c"):
        served.state.create(_ns(id, f"{id}0"))
    call = served.watch(bootstrap_contents=True)
    got = [await _next(call) for _ in range(4)]
    assert got == [[("CREATED", i, f"description: {i}0")] for i in ("a", "b", "c")] + [[("BOOTSTRAPPED", "", "")]]
    served.update("b", "b1")
    served.state.destroy(NS, T, "a")
    served.state.create(_ns("d"))
    served.update("b", "b2")
    got = [await _next(call) for _ in range(4)]
    assert got == [[("UPDATED", "b", "description: b1")], [("DESTROYED", "a", "description: a0")],
                   [("CREATED", "d", 'description: ""')], [("UPDATED", "b", "description: b2")]]
    call.cancel()


async def test_updated_event_carries_the_old_version(served: Served) -> None:
    served.state.create(_ns("a", "before"))
    call = served.watch(tail_events=1)
    with anyio.fail_after(5):
        first = await call.read()
    served.update("a", "after")
    with anyio.fail_after(5):
        resp = await call.read()
    assert [E.Name(e.event_type) for e in first.event] == ["CREATED"]
    (ev,) = resp.event
    assert (ev.resource.metadata.version, ev.resource.spec.yaml_spec.strip()) == ("2", "description: after")
    assert (ev.old.metadata.version, ev.old.spec.yaml_spec.strip()) == ("1", "description: before")
    call.cancel()


@pytest.mark.parametrize("aggregated", [True, False])
async def test_a_burst_is_one_response_only_when_aggregated(served: Served, aggregated: bool) -> None:
    served.state.create(_ns("a"))
    call = served.watch(bootstrap_contents=True, aggregated=aggregated)
    boot = await _next(call)
    if not aggregated:
        boot += await _next(call)
    assert boot == [("CREATED", "a", 'description: ""'), ("BOOTSTRAPPED", "", "")]
    for i in range(5):  # no await in between: all five are queued before the stream's task runs
        served.update("a", f"v{i}")
    want = [("UPDATED", "a", f"description: v{i}") for i in range(5)]
    if aggregated:
        assert await _next(call) == want
    else:
        assert [await _next(call) for _ in range(5)] == [[w] for w in want]
    call.cancel()


async def test_watcher_that_falls_behind_gets_an_error_not_a_gap(tmp_path: Path) -> None:
    async for s in _serve(tmp_path, State(watch_capacity=3)):
        s.state.create(_ns("a"))
        v1 = s.watch(tail_events=1)
        v0 = s.watch(api_version=0, tail_events=1)
        assert await _next(v1) == [("CREATED", "a", 'description: ""')]
        assert await _next(v0) == [("CREATED", "a", 'description: ""')]
        for i in range(5):
            s.update("a", f"v{i}")
        (ev,) = (await v1.read()).event
        assert E.Name(ev.event_type) == "ERRORED"
        assert ev.error == "watcher fell behind: events were dropped, re-list"
        assert await _next(v1) == []
        assert await v1.code() == grpc.StatusCode.OK
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await v0.read()
        assert err.value.code() == grpc.StatusCode.ABORTED
        assert err.value.details() == "watcher fell behind: events were dropped, re-list"
