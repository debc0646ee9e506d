"""Runs the appliers inside a lab node, for tests/controllers/test_*_spec.py. Never run it elsewhere.

    appliers_in_node.py serve DIR GRACE [CONTROLLER...]
        State + Runtime + KernelHub (its monitor running) + the appliers (all four, or those named:
        link address route rule), with an orphan grace of GRACE seconds. DIR/specs.pickle, replaced
        atomically by the test, is a pickled (generation, [(id, spec), ...]); polled every 5 ms, its specs
        are put into State as owner "test": new ids created, changed ones updated, missing ones torn down
        and destroyed once their finalizers are gone (as a merge controller does). After every change
        DIR/state.json is replaced: {"generation": n, "specs": {type: {id: {"phase", "finalizers"}}},
        "restarts": {controller: n}}. Logs go to stdout, one line per record: "<unix time> <level>
        [<controller>] <message>". Exits 0 on SIGTERM and leaves the kernel as it is.
    appliers_in_node.py bench N LINK
        Puts N RouteSpecs (10.x.y.0/24 dev LINK table 100) into State, starts RouteSpecController and
        times it: from the start until its pass reports the N routes added (the kernel ACKed each), the
        next (unchanged) pass, and the teardown of all N. Prints one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import signal
import sys
import time
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import anyio

from networkd.controllers.address_spec import AddressSpecController
from networkd.controllers.appliers import Applier
from networkd.controllers.link_spec import LinkSpecController
from networkd.controllers.route_spec import RouteSpecController
from networkd.controllers.routing_rule_spec import RoutingRuleSpecController
from networkd.kernel.hub import KernelHub
from networkd.resources.base import Spec
from networkd.resources.enums import Family, RoutingTable, Scope
from networkd.resources.ids import route_id
from networkd.resources.network import NETWORK, RouteSpec
from networkd.runtime import Context, Controller, Runtime
from networkd.state import State

OWNER = "test"
CONTROLLERS: dict[str, type[Applier[Any]]] = {
    "link": LinkSpecController,
    "address": AddressSpecController,
    "route": RouteSpecController,
    "rule": RoutingRuleSpecController,
}


class Line(logging.Formatter):
    """`<unix time> <level> [<controller>] <message>`."""

    def format(self, record: logging.LogRecord) -> str:
        controller = getattr(record, "controller", record.name)
        return f"{record.created:.6f} {record.levelname} [{controller}] {record.getMessage()}"


def sync(state: State, wanted: dict[str, Spec]) -> bool:
    """Make State hold `wanted` (id -> spec) as the merge controllers would; True if anything changed."""
    changed = False
    types = {spec.TYPE.type for spec in wanted.values()} | {t for ns, t in state._data if ns == NETWORK}
    for type_name in types:
        for res in state.list(NETWORK, type_name):
            if res.metadata.owner != OWNER:
                continue
            spec = wanted.get(res.id)
            if spec is not None and spec.TYPE.type == type_name and res.metadata.phase.value == "running":
                if res.spec != spec:
                    state.update(type(res)(res.metadata, spec), OWNER)
                    changed = True
                continue
            if res.metadata.phase.value == "running":
                state.teardown(NETWORK, type_name, res.id, OWNER)
                changed = True
            if not state.get(NETWORK, type_name, res.id).metadata.finalizers:
                state.destroy(NETWORK, type_name, res.id, OWNER)
                changed = True
    for id, spec in wanted.items():
        if state.find(NETWORK, spec.TYPE.type, id) is None:
            state.create(spec.TYPE.new(NETWORK, id, spec), OWNER)
            changed = True
    return changed


def snapshot(state: State, runtime: Runtime, generation: int) -> dict[str, Any]:
    """What state.json holds."""
    specs: dict[str, dict[str, Any]] = {}
    for (ns, type_name), items in sorted(state._data.items()):
        if ns == NETWORK:
            specs[type_name] = {id: {"phase": res.metadata.phase.value, "finalizers": list(res.metadata.finalizers)}
                                for id, res in items.items()}
    return {"generation": generation, "specs": specs, "restarts": dict(runtime.restarts)}


def write(path: Path, data: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(data)
    os.replace(tmp, path)


class Outside(Controller):
    """Stands for the specs' source, which is outside the runtime here: it never waits, so the runtime
    never settles and only the orphan grace ends the wait for specs after a start."""

    name = "test.Outside"

    async def run(self, ctx: Context) -> None:
        await anyio.sleep_forever()


async def serve(directory: Path, grace: float, names: list[str]) -> None:
    """Run until SIGTERM (see the module docstring)."""
    state = State()
    runtime = Runtime(state, backoff_initial=0.05, backoff_max=1.0)
    runtime.register(Outside())
    hub = KernelHub()
    for name in names or list(CONTROLLERS):
        runtime.register(CONTROLLERS[name](hub, orphan_grace=grace))
    source = directory / "specs.pickle"
    mtime = 0
    generation = -1
    last = ""
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hub.run)
            tg.start_soon(runtime.run)

            async def stop() -> None:
                async for _ in signals:
                    tg.cancel_scope.cancel()

            tg.start_soon(stop)
            wanted: dict[str, Spec] = {}
            while True:
                if source.exists() and source.stat().st_mtime_ns != mtime:
                    mtime = source.stat().st_mtime_ns
                    generation, items = pickle.loads(source.read_bytes())
                    wanted = dict(items)
                sync(state, wanted)
                now = json.dumps(snapshot(state, runtime, generation), sort_keys=True)
                if now != last:
                    write(directory / "state.json", now)
                    last = now
                await anyio.sleep(0.005)


def bench_routes(count: int, link: str) -> list[tuple[str, RouteSpec]]:
    """`count` link-scope /32 routes in table 100, with their ids."""
    out = []
    for i in range(count):
        dst = ip_network(f"10.{100 + i // 65536}.{i // 256 % 256}.{i % 256}/32")
        spec = RouteSpec(family=Family.INET4, destination=dst, out_link_name=link, table=RoutingTable.of(100),
                         scope=Scope.LINK)
        out.append((route_id(spec.table, spec.family, dst, None, 0, link), spec))
    return out


async def bench(count: int, link: str) -> dict[str, float | int]:
    """Time RouteSpecController over `count` routes (see the module docstring)."""
    marks: list[float] = []
    passed = anyio.Event()

    class Marks(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "route changes" in record.getMessage():
                marks.append(time.perf_counter())
                passed.set()

    logging.getLogger().addHandler(Marks())
    logging.getLogger().setLevel(logging.INFO)
    state = State()
    runtime = Runtime(state)
    hub = KernelHub()
    controller = RouteSpecController(hub, orphan_grace=3600)
    runtime.register(controller)
    routes = bench_routes(count, link)
    for id, spec in routes:
        state.create(spec.TYPE.new(NETWORK, id, spec), OWNER)
    out: dict[str, float | int] = {"routes": count}
    async with anyio.create_task_group() as tg:
        start = time.perf_counter()
        tg.start_soon(hub.run)
        tg.start_soon(runtime.run)
        await passed.wait()
        out["specs_to_kernel_s"] = marks[-1] - start
        await anyio.sleep(0.5)  # the kernel's events of that pass wake the controller once more: let it pass

        # an unchanged pass, timed on its own (same controller, a context of its own)
        ctx = Context(runtime, controller, logging.LoggerAdapter(logging.getLogger("bench"), {}))
        async with contextlib.AsyncExitStack() as stack:
            kernel = await controller.open(stack)
            start = time.perf_counter()
            errors = await controller.reconcile(ctx, kernel, sweep=False)
            out["unchanged_pass_s"] = time.perf_counter() - start
            start = time.perf_counter()
            out["dump_ours"] = len(await kernel[1].routes())
            out["dump_ours_s"] = time.perf_counter() - start
        assert not errors, errors

        passed = anyio.Event()
        start = time.perf_counter()
        for id, _ in routes:
            state.teardown(NETWORK, RouteSpec.TYPE.type, id, OWNER)
        await passed.wait()
        out["teardown_s"] = marks[-1] - start
        out["finalizers_left"] = sum(bool(state.get(NETWORK, RouteSpec.TYPE.type, id).metadata.finalizers)
                                     for id, _ in routes)
        out["restarts"] = sum(runtime.restarts.values())
        tg.cancel_scope.cancel()
    return out


def main(argv: list[str]) -> None:
    """Command-line entry point."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(Line())
    if argv[0] == "serve":
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
        anyio.run(serve, Path(argv[1]), float(argv[2]), argv[3:], backend="asyncio")
    elif argv[0] == "bench":
        print(json.dumps(anyio.run(bench, int(argv[1]), argv[2], backend="asyncio")))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
