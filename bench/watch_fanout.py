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
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def client(socket_path: str, watchers: int, events: int, kind: str) -> None:
    """Open the watchers, collect latencies, print them as JSON (milliseconds, one per delivery)."""
    import asyncio

    from networkd.api.gen.cosi import state_pb2

    req = state_pb2.WatchRequest(namespace="runtime", type=TYPE, api_version=1)
    lat: list[float] = []
    cpu: dict[str, float] = {}

    def record(resp: state_pb2.WatchResponse, now: float) -> int:
        n = 0
        for ev in resp.event:
            if ev.event_type == state_pb2.UPDATED:
                cpu.setdefault("start", time.process_time())
                lat.append(now - ev.resource.metadata.updated.ToNanoseconds() / 1e9)
                n += 1
        return n

    async def main() -> None:
        watch = grpc_watchers if kind == "grpc" else h2_watchers
        await asyncio.wait_for(watch(socket_path, watchers, events, req, record), timeout=120)
        cpu["s"] = time.process_time() - cpu["start"]
        print(json.dumps({"lat_ms": [1000 * x for x in lat], "cpu_s": cpu["s"]}))

    asyncio.run(main())


Record = Callable[[Any, float], int]


async def grpc_watchers(socket_path: str, watchers: int, events: int, req: Any, record: Record) -> None:
    """Watch with grpc.aio, one channel and connection per watcher."""
    import asyncio

    import grpc

    from networkd.api.gen.cosi import state_pb2_grpc

    # a connection per channel, as separate netctl processes have (by default grpc shares one per target)
    opts = [("grpc.use_local_subchannel_pool", 1)]
    channels = [grpc.aio.insecure_channel(f"unix:{socket_path}", options=opts) for _ in range(watchers)]

    async def watch(ch: grpc.aio.Channel) -> None:
        got = 0
        async for resp in state_pb2_grpc.StateStub(ch).Watch(req):
            got += record(resp, time.time())
            if got >= events:
                return

    await asyncio.gather(*(watch(ch) for ch in channels))
    for ch in channels:
        await ch.close()


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + struct.pack(">I", stream) + payload


def _header(name: bytes, value: bytes) -> bytes:
    """An HPACK literal header without indexing, plain strings (all ours are shorter than 127 bytes)."""
    return b"\x00" + bytes((len(name),)) + name + bytes((len(value),)) + value


async def h2_watchers(socket_path: str, watchers: int, events: int, req: Any, record: Record) -> None:
    """Watch with a minimal HTTP/2 gRPC client written here, one connection per watcher.

    It does only what a watcher needs (windows opened wide once, SETTINGS and PING acknowledged, response headers
    skipped), so the figures show the daemon's delivery rather than the client library's cost.
    """
    import asyncio

    from networkd.api.gen.cosi import state_pb2

    body = req.SerializeToString()
    headers = b"".join(_header(n, v) for n, v in (
        (b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/cosi.resource.State/Watch"),
        (b":authority", b"localhost"), (b"content-type", b"application/grpc"), (b"te", b"trailers")))
    big = 2**31 - 1
    hello = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _frame(4, 0, 0, struct.pack(">HI", 4, big))
             + _frame(8, 0, 0, struct.pack(">I", big - 65535)) + _frame(1, 4, 1, headers)
             + _frame(0, 1, 1, b"\x00" + struct.pack(">I", len(body)) + body))

    async def watch() -> None:
        reader, writer = await asyncio.open_unix_connection(socket_path)
        writer.write(hello)
        buf, got = b"", 0
        try:
            while got < events:
                head = await reader.readexactly(9)
                size, kind, flags, stream = int.from_bytes(head[:3]), head[3], head[4], head[5:]
                payload = await reader.readexactly(size) if size else b""
                if kind == 0:  # DATA: length-prefixed gRPC messages
                    now = time.time()
                    buf += payload
                    while len(buf) >= 5 and len(buf) >= 5 + (n := int.from_bytes(buf[1:5])):
                        got += record(state_pb2.WatchResponse.FromString(buf[5:5 + n]), now)
                        buf = buf[5 + n:]
                elif kind == 4 and not flags & 1:  # SETTINGS: acknowledge
                    writer.write(_frame(4, 1, 0))
                elif kind == 6 and not flags & 1:  # PING: acknowledge
                    writer.write(_frame(6, 1, 0, payload))
                elif kind in (3, 7) or (kind == 1 and flags & 1):  # RST_STREAM, GOAWAY, trailers
                    raise RuntimeError(f"watch ended early: frame type {kind} on stream {stream.hex()}: {payload!r}")
        finally:
            writer.close()

    await asyncio.gather(*(watch() for _ in range(watchers)))


def main() -> int:
    """Run server and client in a lab node; print the figures."""
    from nslab import Lab
    from nslab.daemon import compile_bytecode
    from nslab.wait import wait_for

    ap = argparse.ArgumentParser()
    ap.add_argument("--watchers", type=int, default=100)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--client-procs", type=int, default=1,
                    help="spread the watchers over this many client processes")
    ap.add_argument("--client", choices=("grpc", "h2"), default="grpc",
                    help="watchers on grpc.aio, or on the minimal HTTP/2 client in this file")
    ap.add_argument("--role", choices=("server", "client"))
    ap.add_argument("--socket")
    a = ap.parse_args()
    if a.role == "server":
        server(a.socket, a.events, a.interval, a.watchers)
        return 0
    if a.role == "client":
        client(a.socket, a.watchers, a.events, a.client)
        return 0
    if a.watchers < 1 or a.events < 1:
        ap.error(f"--watchers and --events must be at least 1, got {a.watchers} and {a.events}")
    if not 1 <= a.client_procs <= a.watchers:
        ap.error(f"--client-procs must be between 1 and --watchers ({a.watchers}), got {a.client_procs}")
    compile_bytecode()
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
        clients = [node.run([*me, "--watchers", str(n), "--client", a.client, "--role", "client"], uts_mount=False,
                            stdout=out, stderr=err)
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
        print(f"watch fan-out: {a.watchers} {a.client} watchers in {a.client_procs} client process(es) x "
              f"{a.events} events ({len(lat)} deliveries): p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {lat[-1]:.2f} ms "
              f"(target p99 < 10 ms: {'met' if p99 < 10 else 'NOT met'}); CPU per delivery: server "
              f"{1e6 * srv_cpu / len(lat):.0f} us, clients {1e6 * cli_cpu / len(lat):.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
