"""Run networkd inside a lab node (own UTS and mount namespaces, every path in the node's directory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from nslab.lab import Node
from nslab.process import Process
from nslab.wait import wait_for

BIN = Path(sys.executable).parent
# Run the daemon with the node's own directory as /run (so /var/run/wireguard, where wireguard-go puts its
# sockets, is private to the node and survives a daemon restart); the mount is in the daemon's own
# mount namespace.
PRIVATE_RUN = 'mount --bind "$0" /run && exec "$@"'


def compile_bytecode() -> None:
    """Byte-compile networkd's packages, as an installed package is: benchmarks call this first, so that a daemon
    or netctl started under PYTHONDONTWRITEBYTECODE (set in some CI images) is not timed compiling its modules."""
    root = Path(__file__).resolve().parents[2]
    packages = [str(root / name) for name in ("networkd", "cmdline", "merge", "operators")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


class Networkd:
    """One daemon in one node; `netctl()` talks to it over its socket."""

    def __init__(self, node: Node, *, cmdline: str = "", config: str | None = None,
                 platform_config: str | None = None, args: Sequence[str] = ()) -> None:
        self.node = node
        self.dir = node.dir / "networkd"
        self.socket = self.dir / "networkd.sock"
        self.state_dir = self.dir / "state"
        self.etc_dir = self.dir / "etc"
        self.log = self.dir / "networkd.log"
        self.run_dir = self.dir / "run"  # the daemon's /run
        self.cmdline = cmdline
        self.args = list(args)
        self.etc_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        self.config: Path | None = None
        if config is not None:
            self.config = self.dir / "config.yaml"
            self.config.write_text(config)
        self.platform_config: Path | None = None
        if platform_config is not None:
            self.platform_config = self.dir / "platform.yaml"
            self.platform_config.write_text(platform_config)
        self.process: Process | None = None

    def argv(self) -> list[str]:
        """The daemon's command line."""
        argv = [sys.executable, "-m", "networkd", "--socket", str(self.socket), "--state-dir", str(self.state_dir),
                "--etc-dir", str(self.etc_dir), "--cmdline", self.cmdline]
        if self.config:
            argv += ["--config", str(self.config)]
        if self.platform_config:
            argv += ["--platform-config", str(self.platform_config)]
        return argv + self.args

    def start(self, timeout: float = 15.0) -> Networkd:
        """Start the daemon (with `run_dir` as its /run) and wait until its API answers."""
        self.socket.unlink(missing_ok=True)
        popen = self.node.run(["sh", "-c", PRIVATE_RUN, str(self.run_dir), *self.argv()], stdout=self.log)
        self.process = self.node.lab.processes[-1]
        assert self.process.popen is popen

        def ready() -> bool:
            if popen.poll() is not None:
                raise RuntimeError(f"networkd exited with {popen.returncode}:\n{self.log.read_text()[-3000:]}")
            return self.socket.exists() and self.netctl("get", "namespaces", check=False).returncode == 0

        wait_for(ready, timeout=timeout, interval=0.05, what=f"networkd API on {self.socket}")
        return self

    @property
    def pid(self) -> int:
        """The daemon's PID."""
        assert self.process is not None
        return self.process.pid

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Signal the daemon and wait for it to exit; returns its exit code."""
        assert self.process is not None
        os.kill(self.pid, sig)
        return self.process.popen.wait(timeout)

    def netctl(self, *args: str, check: bool = True, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        """Run netctl against this daemon's socket."""
        out = subprocess.run([str(BIN / "netctl"), "--socket", str(self.socket), *args], capture_output=True,
                             text=True, timeout=timeout, check=False)
        if check and out.returncode != 0:
            raise AssertionError(f"netctl {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        return out

    def nsenter(self, argv: Sequence[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """Run a command in the daemon's network and mount namespaces (sees its /run); changes nothing itself."""
        return subprocess.run(["nsenter", "--target", str(self.pid), "--net", "--mount", *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)

    def hostname(self) -> str:
        """The hostname in the daemon's own UTS namespace (read with nsenter, changes nothing)."""
        out = subprocess.run(["nsenter", "--target", str(self.pid), "--uts", "hostname"], capture_output=True,
                             text=True, timeout=10, check=True)
        return out.stdout.strip()

    def logs(self) -> str:
        """What the daemon printed so far."""
        return self.log.read_text() if self.log.exists() else ""
