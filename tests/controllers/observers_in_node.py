"""Runs the kernel observers inside a lab node, for tests/controllers/test_*_status.py. Never run it elsewhere.

    observers_in_node.py serve SNAPSHOT [RCVBUF]
        State + Runtime + KernelHub + the four observers, as the daemon wires them. After every change of
        a status (batched for 10 ms) SNAPSHOT is replaced with one JSON object: {"statuses": {type: {id:
        spec as Talos renders it}}, "restarts": {controller: n}, "overflows": n}. With RCVBUF, the
        hub's monitor socket gets that receive buffer and counts overflows; and while the file
        SNAPSHOT.hold exists, the hub stops reading the monitor after its next batch (touching
        SNAPSHOT.held while it waits), so a burst meanwhile overflows the buffer (ENOBUFS on demand).
        Exits 0 on SIGTERM.
    observers_in_node.py measure
        Times converge passes of RouteStatusController over the routes the node has (first pass, an
        unchanged pass, a pass after one route changed) and the route dump alone; prints one JSON object.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from networkd.controllers.observers import observer_controllers
from networkd.controllers.route_status import RouteStatusController
from networkd.kernel.hub import KernelHub
from networkd.kernel.monitor import Monitor
from networkd.kernel.netlink import Netlink
from networkd.resources.base import ResourceType, to_plain
from networkd.resources.link import LinkStatus
from networkd.resources.network import NETWORK, AddressStatus, RouteStatus, RoutingRuleStatus
from networkd.runtime import Context, Runtime
from networkd.state import State

STATUSES: tuple[ResourceType, ...] = (LinkStatus.TYPE, AddressStatus.TYPE, RouteStatus.TYPE, RoutingRuleStatus.TYPE)


class SmallBufferHub(KernelHub):
    """The hub with a chosen monitor receive buffer, counting the overflows it recovered from."""

    def __init__(self, rcvbuf: int, hold: Path) -> None:
        super().__init__()
        self.rcvbuf = rcvbuf
        self.hold = hold
        self.overflows = 0

    async def run(self) -> None:
        async with await Monitor.open(rcvbuf=self.rcvbuf) as monitor:
            async for changes in monitor:
                self.overflows = monitor.overflows
                self.notify(changes)
                await self._held()

    async def _held(self) -> None:
        """While the file `hold` exists, read nothing (the kernel's events pile up in the monitor's buffer)."""
        if not self.hold.exists():
            return
        held = self.hold.with_suffix(".held")
        held.touch()
        while self.hold.exists():
            await anyio.sleep(0.005)
        held.unlink()


class Snapshots:
    """Writes the statuses to a file (atomically) shortly after each change."""

    def __init__(self, state: State, runtime: Runtime, hub: KernelHub, path: Path) -> None:
        self.state, self.runtime, self.hub, self.path = state, runtime, hub, path
        self.changed = anyio.Event()
        self._plain: dict[tuple[str, str], tuple[int, Any]] = {}
        for rt in STATUSES:
            state.listen(NETWORK, rt.type, lambda _event: self.changed.set())

    def _statuses(self, rt: ResourceType) -> dict[str, Any]:
        out = {}
        for res in self.state.list(NETWORK, rt.type):
            key = (rt.type, res.id)
            cached = self._plain.get(key)
            if cached is None or cached[0] != res.metadata.version:
                cached = self._plain[key] = (res.metadata.version, to_plain(res.spec))
            out[res.id] = cached[1]
        return out

    def write(self) -> None:
        snapshot = {
            "statuses": {rt.display: self._statuses(rt) for rt in STATUSES},
            "restarts": dict(self.runtime.restarts),
            "overflows": getattr(self.hub, "overflows", 0),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(snapshot))
        os.replace(tmp, self.path)

    async def run(self) -> None:
        while True:
            await self.changed.wait()
            await anyio.sleep(0.01)
            self.changed = anyio.Event()
            self.write()


async def serve(path: Path, rcvbuf: int | None) -> None:
    state = State()
    runtime = Runtime(state)
    hub: KernelHub = KernelHub() if rcvbuf is None else SmallBufferHub(rcvbuf, path.with_suffix(".hold"))
    for controller in observer_controllers(None, hub):  # type: ignore[arg-type]  # no options needed
        runtime.register(controller)
    snapshots = Snapshots(state, runtime, hub, path)
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hub.run)
            tg.start_soon(runtime.run)
            tg.start_soon(snapshots.run)
            async for _ in signals:
                break
            tg.cancel_scope.cancel()


async def measure() -> dict[str, Any]:
    state = State()
    controller = RouteStatusController(KernelHub())
    runtime = Runtime(state)
    runtime.register(controller)
    ctx = Context(runtime, controller, logging.LoggerAdapter(logging.getLogger("measure"), {}))
    out: dict[str, Any] = {}
    async with await Netlink.open() as nl:
        start = time.perf_counter()
        out["dumped"] = len(await nl.routes())
        out["dump_s"] = round(time.perf_counter() - start, 3)
        for step in ("first_pass", "unchanged_pass", "one_changed_pass"):
            if step == "one_changed_pass":
                subprocess.run(["ip", "route", "replace", "10.255.255.0/24", "dev", "lo"], check=True)
            start = time.perf_counter()
            out["statuses"] = await controller.converge(ctx, nl)
            out[f"{step}_s"] = round(time.perf_counter() - start, 3)
    return out


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        anyio.run(serve, Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
    else:
        print(json.dumps(anyio.run(measure)))
