"""Processes started inside lab nodes, each the leader of its own session and process group."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nslab.host import group_members, signal_group
from nslab.wait import wait_for


@dataclass(eq=False)
class Process:
    """One started process: its node's namespace, its own argv, its Popen and where its output goes."""

    netns: str
    argv: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """PID of the leader, which is also the process group id."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the leader runs or any live process is left in its process group."""
        return self.popen.poll() is None or bool(group_members(self.pid))

    def stop(self, grace: float = 3.0) -> int:
        """SIGTERM the process group, SIGKILL it after `grace` seconds; return the leader's exit code."""
        stop_all([self], grace)
        return self.popen.wait()


def stop_all(processes: Sequence[Process], grace: float = 3.0) -> None:
    """SIGTERM every process group at once, SIGKILL what is left after `grace`, wait until all are gone."""
    for proc in processes:
        signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        wait_for(lambda: not any(p.alive() for p in processes), grace, 0.02)
    for proc in processes:
        if proc.alive():
            signal_group(proc.pid, signal.SIGKILL)
    for proc in processes:
        proc.popen.wait()
    pgids = [p.pid for p in processes]
    wait_for(lambda: not any(p.alive() for p in processes), 5.0, 0.02, what=f"process groups {pgids} to exit")
