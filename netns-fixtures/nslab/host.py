"""Host-side primitives: run commands, list and remove namespaces, find and signal processes.

Nothing here changes the host network namespace: every `ip` call that touches links names a
namespace with `-n`, and namespaces are only ever added or deleted by their full name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence

from nslab.wait import wait_for

NETNS_DIR = "/run/netns"  # where `ip netns add` mounts named namespaces


class CommandError(subprocess.CalledProcessError):
    """A command failed; unlike CalledProcessError its message includes stderr."""

    def __str__(self) -> str:
        argv = " ".join(self.cmd) if isinstance(self.cmd, list | tuple) else str(self.cmd)
        detail = (self.stderr or self.stdout or "").strip()
        return f"`{argv}` exited with {self.returncode}" + (f": {detail}" if detail else "")


def run(argv: Sequence[str], *, input: str | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run a short command capturing its output; raise CommandError with its stderr on failure."""
    done = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise CommandError(done.returncode, list(argv), done.stdout, done.stderr)
    return done


def list_namespaces(prefix: str = "nwd") -> list[str]:
    """Names of the named network namespaces starting with `prefix`."""
    lines = run(["ip", "netns", "list"]).stdout.splitlines()
    return [name for name in (line.split(" ", 1)[0] for line in lines if line) if name.startswith(prefix)]


def netns_pids(netns: str) -> list[int]:
    """PIDs of the processes inside a named namespace (empty if it does not exist)."""
    try:
        return [int(pid) for pid in run(["ip", "netns", "pids", netns]).stdout.split()]
    except CommandError:
        return []


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a PID from /proc, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def is_alive(pid: int) -> bool:
    """True if the PID exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) members of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) and stat[1] == pgid and stat[0] != "Z":
            members.append(int(entry))
    return members


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send a signal to a process group, ignoring a group that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def remove_namespace(netns: str, timeout: float = 5.0) -> None:
    """SIGKILL every process left inside a namespace, then delete it; a missing namespace is fine."""
    pids = netns_pids(netns)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not any(map(is_alive, pids)), timeout, what=f"processes {pids} in {netns} to exit")
    if os.path.exists(f"{NETNS_DIR}/{netns}"):
        run(["ip", "netns", "del", netns])
