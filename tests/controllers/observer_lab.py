"""Helpers of the kernel observer tests: run the observers in a lab node and read what they publish.

`observe(node)` starts observers_in_node.py in `node` and yields an `Observed`, whose `statuses(type)`
are the published statuses rendered as Talos renders them. On leaving, the process is stopped and must
have exited cleanly without a controller restart. `ip(node, ...)` changes the node with the `ip` tool.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from nslab import Node, wait_for
from nslab.process import Process

IN_NODE = Path(__file__).with_name("observers_in_node.py")
T = TypeVar("T")


def ip(node: Node, *args: str) -> None:
    """Run `ip <args>` in `node`."""
    node.check(["ip", *args], uts_mount=False)


def index_of(node: Node, name: str) -> int:
    """The ifindex of link `name` in `node`."""
    index: int = node.ip_json("link", "show", name)[0]["ifindex"]
    return index


class Observed:
    """The observers running in a node, seen through the snapshots they write."""

    def __init__(self, node: Node, rcvbuf: int | None) -> None:
        self.node = node
        self.path = node.dir / "observed.json"
        argv = [sys.executable, str(IN_NODE), "serve", str(self.path)]
        node.run([*argv, str(rcvbuf)] if rcvbuf is not None else argv)
        self.process: Process = node.lab.processes[-1]
        wait_for(lambda: self.path.exists(), timeout=15.0, what="the first snapshot of the observers")

    def snapshot(self) -> dict[str, Any]:
        """The last snapshot written."""
        snapshot: dict[str, Any] = json.loads(self.path.read_text())
        return snapshot

    def statuses(self, type: str) -> dict[str, dict[str, Any]]:
        """Statuses of one type (LinkStatus, AddressStatus, RouteStatus, RoutingRuleStatus) by id."""
        statuses: dict[str, dict[str, Any]] = self.snapshot()["statuses"][type]
        return statuses

    def wait(self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str | None = None) -> T:
        """Poll `predicate` (usually over `statuses`) until it is truthy."""
        return wait_for(predicate, timeout=timeout, interval=0.01, what=what)

    def converged(self, type: str, expected: Callable[[], dict[str, Any]],
                  view: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] = dict,
                  timeout: float = 5.0) -> dict[str, dict[str, Any]]:
        """Wait until `view(statuses of type)` equals `expected()` (both re-read each time); return the statuses.

        `expected` reads the kernel with `ip -j`; `view` keeps the fields `expected` knows of.
        """
        last: list[Any] = [{}, {}, {}]

        def same() -> bool:
            statuses = self.statuses(type)
            last[:] = [statuses, view(statuses), expected()]
            return bool(last[1] == last[2])

        try:
            wait_for(same, timeout=timeout, interval=0.02)
        except TimeoutError:
            _, got, want = last
            diff = {k: (got.get(k), want.get(k)) for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)}
            raise AssertionError(f"{type} did not converge in {timeout}s; differences (got, want): {diff}") from None
        return dict(last[0])

    def hold(self) -> None:
        """Stop the hub reading its monitor (a small-buffer run only): the next kernel event is its last read."""
        self.path.with_suffix(".hold").touch()
        ip(self.node, "route", "add", "blackhole", "10.99.99.99/32")
        wait_for(self.path.with_suffix(".held").exists, timeout=5.0, what="the hub holding its monitor")

    def release(self) -> None:
        """Let the hub read its monitor again."""
        self.path.with_suffix(".hold").unlink()

    def stop(self) -> None:
        """Stop the observers; they must exit 0 with no controller restarted."""
        restarts = self.snapshot()["restarts"]
        code = self.process.stop()
        log = self.process.log.read_text() if self.process.log.exists() else ""
        assert code == 0, f"observers exited with {code}:\n{log[-3000:]}"
        assert restarts == {}, f"controllers restarted: {restarts}\n{log[-3000:]}"


@contextmanager
def observe(node: Node, rcvbuf: int | None = None) -> Iterator[Observed]:
    """Run the observers in `node` for the duration of the block (`rcvbuf`: the hub's monitor buffer)."""
    observed = Observed(node, rcvbuf)
    yield observed
    observed.stop()


def timed(action: Callable[[], None], check: Callable[[], T | None], timeout: float = 1.0,
          what: str | None = None) -> T:
    """Run `action`, then wait at most `timeout` seconds for `check` (a change made with `ip` shows up)."""
    start = time.monotonic()
    action()
    return wait_for(check, timeout=max(0.0, timeout - (time.monotonic() - start)), interval=0.01, what=what)
