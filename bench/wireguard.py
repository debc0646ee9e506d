"""WireGuard over wireguard-go: time to a working tunnel, to apply a peer change, to repair drift; idle cost.

Usage (as root): .venv/bin/python bench/wireguard.py [--rounds 5]
Two lab nodes on a bridge, each daemon configured with a WireguardConfig (keys from `wg genkey`).
Every figure is checked with `wg show` or ping, never with the daemon's own view.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nslab import Lab, wait_for
from nslab.daemon import Networkd, compile_bytecode
from nslab.host import netns_pids

from tests.e2e.test_wireguard_link import _config, _dump, _keypair


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    """Run the scenario and print one line per figure."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    compile_bytecode()
    with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
        n1, n2 = lab.add_node("n1"), lab.add_node("n2")
        lab.lan([n1, n2])
        (k1, p1), (k2, p2) = _keypair(), _keypair()
        peer2 = {"publicKey": p2, "endpoint": "10.6.0.2:51820", "allowedIPs": ["10.7.0.2/32"]}
        peer1 = {"publicKey": p1, "endpoint": "10.6.0.1:51820", "allowedIPs": ["10.7.0.1/32"]}
        t0 = time.monotonic()
        d1 = Networkd(n1, config=_config("10.6.0.1/24", "10.7.0.1/24", k1, [peer2])).start()
        Networkd(n2, config=_config("10.6.0.2/24", "10.7.0.2/24", k2, [peer1])).start()
        wait_for(lambda: n1.ping("10.7.0.2", timeout=0.5), timeout=30, interval=0.01, what="tunnel ping")
        print(f"two daemons started to first ping over wg0: {time.monotonic() - t0:.2f} s")

        applies, repairs = [], []
        for i in range(a.rounds):
            _, extra = _keypair()
            path = Path(tmp) / f"c{i}.yaml"
            path.write_text(_config("10.6.0.1/24", "10.7.0.1/24", k1,
                                    [peer2, {"publicKey": extra, "allowedIPs": [f"10.9.{i}.0/24"]}]))
            t = time.monotonic()
            d1.netctl("apply-config", "-f", str(path), "--mode=no-reboot")
            wait_for(lambda extra=extra: extra in _dump(d1)[1], timeout=15, interval=0.01, what="peer in wg show")
            applies.append(time.monotonic() - t)
            d1.nsenter(["wg", "set", "wg0", "peer", extra, "remove"])
            t = time.monotonic()
            wait_for(lambda extra=extra: extra in _dump(d1)[1], timeout=15, interval=0.01, what="peer restored")
            repairs.append(time.monotonic() - t)
        print(f"apply-config (peer added) to `wg show`: median {statistics.median(applies) * 1000:.0f} ms, "
              f"max {max(applies) * 1000:.0f} ms over {a.rounds}")
        print(f"peer removed with `wg set` to restored: median {statistics.median(repairs):.2f} s, "
              f"max {max(repairs):.2f} s (poll every 5 s)")
        wg = [pid for pid in netns_pids(n1.netns)
              if Path(f"/proc/{pid}/comm").read_text().strip() == "wireguard-go"]
        print(f"wireguard-go RSS {_rss_mb(wg[0]):.1f} MB; networkd RSS {_rss_mb(d1.pid):.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
