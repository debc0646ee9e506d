"""Idle daemon cost: RSS, CPU time and wake-ups of networkd doing nothing, in a throwaway namespace.

Usage (as root): .venv/bin/python bench/idle.py [--seconds 10]
Wake-ups are the voluntary + involuntary context switches of all the daemon's threads over the window.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))

from nslab import Lab
from nslab.daemon import Networkd, compile_bytecode


def _status_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def _status(pid: int) -> dict[str, str]:
    return _status_file(Path(f"/proc/{pid}/status"))


def _switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        st = _status_file(task / "status")
        total += int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])
    return total


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    """Start the daemon, let it settle, measure an idle window."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    compile_bytecode()
    with Lab() as lab:
        node = lab.add_node("idle")
        d = Networkd(node).start()
        time.sleep(3)
        cpu0, sw0 = _cpu(d.pid), _switches(d.pid)
        time.sleep(a.seconds)
        cpu1, sw1 = _cpu(d.pid), _switches(d.pid)
        st = _status(d.pid)
        rss_mb = int(st["VmRSS"].split()[0]) / 1024
        hwm_mb = int(st["VmHWM"].split()[0]) / 1024
        threads = int(st["Threads"])
        wake = (sw1 - sw0) / a.seconds
        cpu = 100 * (cpu1 - cpu0) / a.seconds
        print(f"idle networkd: RSS {rss_mb:.1f} MB (peak {hwm_mb:.1f} MB), {threads} threads, "
              f"CPU {cpu:.2f}% over {a.seconds:g}s, {wake:.1f} wake-ups/s "
              f"(targets: RSS < 60 MB: {'met' if rss_mb < 60 else 'NOT met'}; "
              f"no periodic wake-ups: {'met' if wake < 1 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
