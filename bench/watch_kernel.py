"""Kernel change to watcher: time from `ip link set mtu` to the LinkStatus event at a gRPC watcher.

Usage (as root; in a throwaway namespace): .venv/bin/python bench/watch_kernel.py [--trials 50]
The real daemon runs in a lab node; a watcher in the same node changes eth0's MTU with `ip` and measures
how long until the updated LinkStatus arrives over the Unix socket (netlink monitor → LinkStatusController
→ State → Watch).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))


def watcher(socket_path: str, trials: int) -> None:
    """Inside the node: watch LinkStatus eth0, flip its MTU `trials` times, print latencies as JSON."""
    import grpc
    import yaml

    from networkd.api.gen.cosi import state_pb2, state_pb2_grpc

    stub = state_pb2_grpc.StateStub(grpc.insecure_channel(f"unix:{socket_path}"))
    req = state_pb2.WatchRequest(namespace="network", type="LinkStatuses.net.talos.dev", id="eth0", api_version=1,
                                 options=state_pb2.WatchOptions(bootstrap_contents=True))
    stream = stub.Watch(req)
    for resp in stream:
        if any(e.event_type == state_pb2.BOOTSTRAPPED for e in resp.event):
            break
    lat = []
    for i in range(trials):
        mtu = 1400 + (i % 2) * 100
        t0 = time.perf_counter()
        subprocess.run(["ip", "link", "set", "eth0", "mtu", str(mtu)], check=True)
        for resp in stream:
            ev = resp.event[0]
            if ev.event_type == state_pb2.UPDATED and yaml.safe_load(ev.resource.spec.yaml_spec)["mtu"] == mtu:
                lat.append(time.perf_counter() - t0)
                break
        time.sleep(0.05)
    stream.cancel()
    print(json.dumps(lat))


def main() -> int:
    """Run the daemon and the watcher in a lab node; print p50/p99."""
    from nslab import Lab
    from nslab.daemon import Networkd, compile_bytecode

    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--socket")
    a = ap.parse_args()
    if a.socket:
        watcher(a.socket, a.trials)
        return 0
    compile_bytecode()
    with Lab() as lab:
        n1, n2 = lab.add_node("n1"), lab.add_node("n2")
        lab.veth(n1, n2)
        d = Networkd(n1).start()
        out = n1.check([sys.executable, __file__, "--socket", str(d.socket), "--trials", str(a.trials)],
                       uts_mount=False, timeout=300).stdout
        lat = sorted(json.loads(out))
        p99 = lat[int(0.99 * (len(lat) - 1))]
        print(f"kernel change -> watcher ({len(lat)} MTU changes): p50 {1000 * statistics.median(lat):.1f} ms, "
              f"p99 {1000 * p99:.1f} ms, max {1000 * lat[-1]:.1f} ms (acceptance: within 50 ms: "
              f"{'met' if p99 < 0.05 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
