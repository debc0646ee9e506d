"""Watch fan-out: N gRPC watchers on the Unix socket, event latency p50/p99 from a state change to each watcher.

Usage (as root; everything runs inside a throwaway namespace):
    .venv/bin/python bench/watch_fanout.py [--watchers 100] [--events 200] [--interval 0.02] [--client-procs 1]

The server side is the daemon's own State and APIServer in one process; a ticker updates one resource every
`interval` seconds (the store stamps `updated` with wall-clock time). The client processes
(`--client-procs`, 1 by default) open N Watch streams between them (grpc.aio, one channel and connection each, like
separate netctl clients) and measure, for each delivered event, receive time minus change time. The CPU time
of the server and of the clients (all their threads) while events flow is reported per delivery.
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
        cpu = time.process_time()
        for _ in range(events):
            await anyio.sleep(interval)
            res = st.update(Resource(res.metadata, TickSpec(time.time())))
        await anyio.sleep(0.2)
        cpu = time.process_time() - cpu
        await anyio.sleep(0.8)
        await api.stop()
        print(json.dumps({"cpu_s": cpu}), flush=True)

    anyio.run(main, backend="asyncio")


def client(socket_path: str, watchers: int, events: int) -> None:
    """Open the watchers, collect latencies, print them as JSON (milliseconds, one per delivery)."""
    import asyncio

    import grpc

    from networkd.api.gen.cosi import state_pb2, state_pb2_grpc

    async def main() -> None:
        lat: list[float] = []
        cpu: dict[str, float] = {}
        # a connection per channel, as separate netctl processes have (by default grpc shares one per target)
        opts = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.aio.insecure_channel(f"unix:{socket_path}", options=opts) for _ in range(watchers)]

        async def watch(ch: grpc.aio.Channel) -> None:
            stub = state_pb2_grpc.StateStub(ch)
            req = state_pb2.WatchRequest(namespace="runtime", type=TYPE, api_version=1)
            got = 0
            async for resp in stub.Watch(req):
                now = time.time()
                for ev in resp.event:
                    if ev.event_type == state_pb2.UPDATED:
                        cpu.setdefault("start", time.process_time())
                        lat.append(now - ev.resource.metadata.updated.ToNanoseconds() / 1e9)
                        got += 1
                if got >= events:
                    return

        await asyncio.wait_for(asyncio.gather(*(watch(ch) for ch in channels)), timeout=120)
        cpu["s"] = time.process_time() - cpu["start"]
        for ch in channels:
            await ch.close()
        print(json.dumps({"lat_ms": [1000 * x for x in lat], "cpu_s": cpu["s"]}))

    asyncio.run(main())


def main() -> int:
    """Run server and client in a lab node; print the figures."""
    from nslab import Lab
    from nslab.wait import wait_for

    ap = argparse.ArgumentParser()
    ap.add_argument("--watchers", type=int, default=100)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--client-procs", type=int, default=1,
                    help="spread the watchers over this many client processes")
    ap.add_argument("--role", choices=("server", "client"))
    ap.add_argument("--socket")
    a = ap.parse_args()
    if a.role == "server":
        server(a.socket, a.events, a.interval, a.watchers)
        return 0
    if a.role == "client":
        client(a.socket, a.watchers, a.events)
        return 0
    if a.watchers < 1 or a.events < 1:
        ap.error(f"--watchers and --events must be at least 1, got {a.watchers} and {a.events}")
    if not 1 <= a.client_procs <= a.watchers:
        ap.error(f"--client-procs must be between 1 and --watchers ({a.watchers}), got {a.client_procs}")
    with Lab() as lab:
        node = lab.add_node("bench")
        sock = node.dir / "bench.sock"
        me = [sys.executable, __file__, "--events", str(a.events), "--interval", str(a.interval), "--socket", str(sock)]
        srv_out = node.dir / "server.json"
        srv = node.run([*me, "--watchers", str(a.watchers), "--role", "server"], uts_mount=False, stdout=srv_out)
        wait_for(sock.exists, timeout=10, what="bench server socket")
        shares = [a.watchers // a.client_procs + (i < a.watchers % a.client_procs) for i in range(a.client_procs)]
        outs = [node.dir / f"client{i}.json" for i in range(a.client_procs)]
        errs = [node.dir / f"client{i}.err" for i in range(a.client_procs)]
        clients = [node.run([*me, "--watchers", str(n), "--role", "client"], uts_mount=False, stdout=out, stderr=err)
                   for n, out, err in zip(shares, outs, errs, strict=True)]
        for c, err in zip(clients, errs, strict=True):
            if c.wait(300) != 0:
                raise SystemExit(f"bench client failed: {err.read_text()}")
        srv.wait(30)
        results = [json.loads(out.read_text()) for out in outs]
        lat = sorted(x for r in results for x in r["lat_ms"])
        p50, p99 = statistics.median(lat), lat[int(0.99 * (len(lat) - 1))]
        srv_cpu = json.loads(srv_out.read_text().splitlines()[-1])["cpu_s"]
        cli_cpu = sum(r["cpu_s"] for r in results)
        print(f"watch fan-out: {a.watchers} watchers in {a.client_procs} client process(es) x {a.events} events "
              f"({len(lat)} deliveries): p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {lat[-1]:.2f} ms "
              f"(target p99 < 10 ms: {'met' if p99 < 10 else 'NOT met'}); CPU per delivery: server "
              f"{1e6 * srv_cpu / len(lat):.0f} us, clients {1e6 * cli_cpu / len(lat):.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
