"""Watch fan-out: N gRPC watchers on the Unix socket, event latency p50/p99 from a state change to each watcher.

Usage (as root; everything runs inside a throwaway namespace):
    .venv/bin/python bench/watch_fanout.py [--watchers 100] [--events 200] [--interval 0.02]

The server side is the daemon's own State and APIServer in one process; a ticker updates one resource every
`interval` seconds (the store stamps `updated` with wall-clock time). The client process opens N Watch
streams (grpc.aio, one channel each, like separate netctl clients) and measures, for each delivered event,
receive time minus change time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))

TYPE = "BenchTicks.bench.networkd.dev"


def server(socket_path: str, events: int, interval: float, watchers: int) -> None:
    """Serve State with a ticker; start ticking once all watchers are connected."""
    import anyio

    from networkd.api.server import APIServer
    from networkd.resources.base import Resource, Spec, resource_type
    from networkd.runtime import Runtime
    from networkd.state import State

    @resource_type(TYPE, "BenchTick", "runtime")
    @dataclass(frozen=True, slots=True)
    class TickSpec(Spec):
        at: float

    async def main() -> None:
        st = State()
        api = APIServer(st, Runtime(st), socket_path=Path(socket_path))
        await api.start()
        res = st.create(TickSpec.TYPE.new(None, "tick", TickSpec(0.0)))
        while sum(len(v) for v in st._watches.values()) < watchers:
            await anyio.sleep(0.05)
        await anyio.sleep(0.5)
        for _ in range(events):
            await anyio.sleep(interval)
            res = st.update(Resource(res.metadata, TickSpec(time.time())))
        await anyio.sleep(1.0)
        await api.stop()

    anyio.run(main, backend="asyncio")


def client(socket_path: str, watchers: int, events: int) -> None:
    """Open the watchers, collect latencies, print JSON."""
    import asyncio

    import grpc

    from networkd.api.gen.cosi import state_pb2, state_pb2_grpc

    async def main() -> None:
        lat: list[float] = []
        channels = [grpc.aio.insecure_channel(f"unix:{socket_path}") for _ in range(watchers)]

        async def watch(ch: grpc.aio.Channel) -> None:
            stub = state_pb2_grpc.StateStub(ch)
            req = state_pb2.WatchRequest(namespace="runtime", type=TYPE, api_version=1)
            got = 0
            async for resp in stub.Watch(req):
                now = time.time()
                for ev in resp.event:
                    if ev.event_type == state_pb2.UPDATED:
                        lat.append(now - ev.resource.metadata.updated.ToNanoseconds() / 1e9)
                        got += 1
                if got >= events:
                    return

        await asyncio.wait_for(asyncio.gather(*(watch(ch) for ch in channels)), timeout=120)
        for ch in channels:
            await ch.close()
        lat.sort()
        print(json.dumps({"n": len(lat), "p50_ms": 1000 * statistics.median(lat),
                          "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))], "max_ms": 1000 * lat[-1]}))

    asyncio.run(main())


def main() -> int:
    """Run server and client in a lab node; print the figures."""
    from nslab import Lab
    from nslab.wait import wait_for

    ap = argparse.ArgumentParser()
    ap.add_argument("--watchers", type=int, default=100)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--role", choices=("server", "client"))
    ap.add_argument("--socket")
    a = ap.parse_args()
    if a.role == "server":
        server(a.socket, a.events, a.interval, a.watchers)
        return 0
    if a.role == "client":
        client(a.socket, a.watchers, a.events)
        return 0
    with Lab() as lab:
        node = lab.add_node("bench")
        sock = node.dir / "bench.sock"
        me = [sys.executable, __file__, "--watchers", str(a.watchers), "--events", str(a.events),
              "--interval", str(a.interval), "--socket", str(sock)]
        srv = node.run([*me, "--role", "server"], uts_mount=False)
        wait_for(sock.exists, timeout=10, what="bench server socket")
        out = node.check([*me, "--role", "client"], uts_mount=False, timeout=300).stdout
        srv.wait(30)
        r = json.loads(out)
        print(f"watch fan-out: {a.watchers} watchers x {a.events} events ({r['n']} deliveries): "
              f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms "
              f"(target p99 < 10 ms: {'met' if r['p99_ms'] < 10 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
