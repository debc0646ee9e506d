"""Helpers of the applier kernel tests: run the appliers in a lab node, feed them specs, watch the kernel.

`Appliers(node)` starts appliers_in_node.py in the node; `put(specs)` hands it the whole wanted set of
specs (what the merge controllers would leave in `network`) and waits until State holds it. The kernel
is only ever judged with `ip -j` (and IFA_PROTO, which iproute2 6.1 does not print, with the bare-socket
oracle of tests/kernel/nlprobe.py). `Monitor` records `ip -ts monitor` in the node: it tells whether an
object was deleted and added again, and when.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from nslab import Node, wait_for
from nslab.process import Process

from networkd.resources.base import Spec

IN_NODE = Path(__file__).with_name("appliers_in_node.py")
NLPROBE = Path(__file__).parent.parent / "kernel" / "nlprobe.py"
BATCH_PROBE = NLPROBE.with_name("batch_probe.py")  # address and route ops on the batch socket, in a node
T = TypeVar("T")


def ip(node: Node, *args: str) -> None:
    """Run `ip <args>` in `node`."""
    node.check(["ip", *args], uts_mount=False)


def addr_protos(node: Node) -> dict[tuple[int, str], int]:
    """IFA_PROTO of every address in `node`, by (ifindex, "address/prefixlen"), read with a bare socket."""
    out = node.check([sys.executable, str(NLPROBE), "raw-addr-protos"], uts_mount=False).stdout
    return {(a["index"], f"{a['address']}/{a['prefixlen']}"): a["proto"] for a in json.loads(out)}


def link(node: Node, name: str) -> dict[str, Any] | None:
    """`ip -j -d link show` of one link, None if there is none of that name."""
    for entry in node.ip_json("-d", "link", "show"):
        if entry["ifname"] == name:
            found: dict[str, Any] = entry
            return found
    return None


def routes(node: Node, *args: str) -> list[dict[str, Any]]:
    """`ip -j route show table all <args>` for IPv4 and IPv6, without the local table."""
    found = node.ip_json("-4", "route", "show", "table", "all", *args)
    found += node.ip_json("-6", "route", "show", "table", "all", *args)
    return [r for r in found if r.get("table") != "local"]


class Appliers:
    """The appliers running in a node, fed through DIR/specs.pickle, observed through DIR/state.json."""

    def __init__(self, node: Node, grace: float = 0.0, controllers: Iterable[str] = (), name: str = "appliers") -> None:
        self.node = node
        self.dir = node.dir / name
        self.dir.mkdir(exist_ok=True)
        self.generation = 0
        self.log = self.dir / f"log-{time.monotonic_ns()}.txt"
        node.run([sys.executable, str(IN_NODE), "serve", str(self.dir), str(grace), *controllers],
                 uts_mount=False, stdout=self.log)
        self.process: Process = node.lab.processes[-1]

        def started() -> bool:
            if self.process.popen.poll() is not None:
                raise AssertionError(f"appliers exited with {self.process.popen.returncode}:\n{self.logs()[-3000:]}")
            return (self.dir / "state.json").exists()

        wait_for(started, timeout=15.0, what="the appliers to start")

    def state(self) -> dict[str, Any]:
        """The last state.json."""
        data: dict[str, Any] = json.loads((self.dir / "state.json").read_text())
        return data

    def put(self, specs: Iterable[tuple[str, Spec]]) -> None:
        """Make `specs` the wanted set (others are torn down); wait until State holds every one of them."""
        self.generation += 1
        items = list(specs)
        tmp = self.dir / "specs.tmp"
        tmp.write_bytes(pickle.dumps((self.generation, items)))
        tmp.replace(self.dir / "specs.pickle")

        def held() -> bool:
            state = self.state()
            ids = {id for by_id in state["specs"].values() for id in by_id}
            return state["generation"] == self.generation and all(id in ids for id, _ in items)

        wait_for(held, timeout=10.0, interval=0.01, what=f"generation {self.generation} of the specs in State")

    def finalizers(self, type: str, id: str) -> list[str] | None:
        """The finalizers of a spec, None when it is gone from State."""
        entry = self.state()["specs"].get(type, {}).get(id)
        return None if entry is None else list(entry["finalizers"])

    def wait_released(self, type: str, timeout: float = 5.0) -> None:
        """Wait until no spec of `type` is left in State (each destroyed once its finalizers were dropped)."""
        wait_for(lambda: not self.state()["specs"].get(type), timeout=timeout, interval=0.01,
                 what=f"every {type} released and destroyed")

    def logs(self) -> str:
        """What the appliers logged so far."""
        return self.log.read_text() if self.log.exists() else ""

    def lines(self, pattern: str) -> list[str]:
        """Messages logged matching a regular expression (without time, level and controller)."""
        out = []
        for line in self.logs().splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and re.search(pattern, parts[3]):
                out.append(parts[3])
        return out

    def expect_lines(self, pattern: str, expected: list[str], timeout: float = 2.0) -> None:
        """Assert that the messages matching `pattern` are `expected`, in any order (waiting for them a little:
        a pass logs its changes once it made them all)."""
        with contextlib.suppress(TimeoutError):
            wait_for(lambda: sorted(self.lines(pattern)) == sorted(expected), timeout=timeout, interval=0.01)
        assert sorted(self.lines(pattern)) == sorted(expected)

    def stop(self, restarts: bool = False) -> None:
        """SIGTERM the appliers; they must exit 0 (and without a controller restart, unless `restarts`)."""
        seen = self.state()["restarts"]
        code = self.process.stop()
        assert code == 0, f"appliers exited with {code}:\n{self.logs()[-4000:]}"
        if not restarts:
            assert seen == {}, f"controllers restarted: {seen}\n{self.logs()[-4000:]}"


class Monitor:
    """`ip -ts monitor link address route rule` running in a node; lines parsed with their timestamps."""

    MARK = "192.0.2.255"  # a blackhole route in table 250, made and removed to see that the monitor listens

    def __init__(self, node: Node) -> None:
        self.node = node
        self.log = node.dir / f"monitor-{time.monotonic_ns()}.txt"
        node.run(["ip", "-ts", "monitor", "link", "address", "route", "rule"], uts_mount=False, stdout=self.log)
        self.process: Process = node.lab.processes[-1]

        def listening() -> bool:
            for verb in ("add", "del"):
                ip(node, "route", verb, "blackhole", f"{self.MARK}/32", "table", "250")
            time.sleep(0.01)
            return self.MARK in self.text()

        wait_for(listening, timeout=5.0, interval=0.01, what="ip monitor to listen")

    def text(self) -> str:
        """Everything printed so far."""
        return self.log.read_text() if self.log.exists() else ""

    def events(self) -> list[tuple[float, str]]:
        """(unix time, first line of the event) of every event so far, but those of the start marker."""
        out = []
        for line in self.text().splitlines():
            match = re.match(r"\[(\S+)\] (.*)", line)
            if match and self.MARK not in match[2]:
                out.append((datetime.fromisoformat(match[1]).timestamp(), match[2]))
        return out

    def stop(self) -> None:
        """Stop the monitor."""
        self.process.stop()


def latency(monitor: Monitor, change: Callable[[], None], broken: str, restored: str,
            timeout: float = 5.0) -> float:
    """Seconds from the event of an outside `change` (matching `broken`) to the next event matching `restored`.

    Both times come from the same `ip -ts monitor`, which reads the kernel's events as they happen.
    """
    start = len(monitor.events())
    change()

    def found() -> float | None:
        events = monitor.events()[start:]
        at = next((i for i, (_, line) in enumerate(events) if re.search(broken, line)), None)
        if at is None:
            return None
        fixed = next((t for t, line in events[at + 1 :] if re.search(restored, line)), None)
        return None if fixed is None else fixed - events[at][0]

    return wait_for(found, timeout=timeout, interval=0.005, what=f"{restored!r} after {broken!r}")


def p50(samples: list[float]) -> float:
    """The median."""
    return statistics.median(samples)
