"""Userspace WireGuard: wireguard-go processes and their UAPI sockets, for kernels without the wireguard module.

wireguard-go takes its socket directory from no flag or environment variable (it reads only
WG_TUN_FD, WG_UAPI_FD, WG_PROCESS_FOREGROUND and LOG_LEVEL; even a socket passed in WG_UAPI_FD is
watched at the fixed path): it serves `/var/run/wireguard/<name>.sock` and exits when that file is
removed. `wg` looks there too. The daemon therefore uses that directory; the lab runs each daemon with
its own directory bind-mounted on /run (nslab.daemon), so nodes never share or touch the host's.

Processes are started in the foreground (`wireguard-go -f <name>`), as children of the daemon, and
reaped when they exit (a pidfd read in the event loop). A device whose socket answers is served
whoever started it: a restarted daemon adopts the wireguard-go of its predecessor as it finds it, so
a restart disrupts no tunnel, and shutdown leaves every wireguard-go running. A device is stopped the
way wg-quick does it: deleting its link makes wireguard-go exit; `stopped()` waits for that and
signals the process (found by the socket's peer credentials when it is not our child) if it lingers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import logging
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

from networkd.kernel.wireguard import WireguardDevice, WireguardError, parse_uapi_get, uapi_errno
from networkd.resources.link import WireguardPeer, WireguardSpec

SOCKET_DIR = Path("/var/run/wireguard")
BINARY = "wireguard-go"
TIMEOUT = 5.0  # seconds for a UAPI exchange, a start and a stop


class WireguardGo:
    """The wireguard-go devices of one daemon: start, query, configure, stop; children reaped."""

    def __init__(self, logger: logging.Logger, socket_dir: Path = SOCKET_DIR, binary: str = BINARY) -> None:
        self.logger = logger
        self.socket_dir = socket_dir
        self.binary = binary
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._known: set[str] = set()  # devices started or adopted by this process

    def socket(self, name: str) -> Path:
        """The UAPI socket of device `name`."""
        return self.socket_dir / f"{name}.sock"

    def serving(self, name: str) -> bool:
        """Whether a wireguard-go serves device `name` (its socket exists)."""
        return self.socket(name).is_socket()

    async def request(self, name: str, text: str) -> str:
        """Send one UAPI request and return the answer up to its blank line."""
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(self.socket(name))), TIMEOUT)
        try:
            writer.write(text.encode())
            await writer.drain()
            return (await asyncio.wait_for(reader.readuntil(b"\n\n"), TIMEOUT)).decode()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def get(self, name: str) -> WireguardDevice | None:
        """The device's configuration and peers; None when no wireguard-go answers for it."""
        try:
            return parse_uapi_get(await self.request(name, "get=1\n\n"))
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            return None

    async def set(self, name: str, text: str) -> None:
        """Apply a `set=1` request; WireguardError when wireguard-go refuses it."""
        try:
            answer = await self.request(name, text)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as e:
            raise WireguardError(f"wireguard-go of {name} did not answer: {e}") from None
        errno = uapi_errno(answer)
        if errno:
            raise WireguardError(f"wireguard-go refused the configuration of {name}: {os.strerror(abs(errno))}")

    async def start(self, name: str) -> int:
        """Start `wireguard-go -f name` and wait until its socket answers; returns its PID."""
        try:
            child = subprocess.Popen([self.binary, "-f", name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     env={**os.environ, "LOG_LEVEL": "error", "WG_PROCESS_FOREGROUND": "1"})
        except OSError as e:
            raise WireguardError(f"cannot run {self.binary} for {name} (the kernel has no wireguard): {e}") from None
        self._children[name] = child
        self._known.add(name)
        self._reap_on_exit(name, child)
        deadline = time.monotonic() + TIMEOUT
        while await self.get(name) is None:
            if child.poll() is not None:
                raise WireguardError(f"{self.binary} for {name} exited with {child.returncode}")
            if time.monotonic() > deadline:
                child.terminate()
                raise WireguardError(f"{self.binary} for {name} did not open {self.socket(name)} in {TIMEOUT:g}s")
            await asyncio.sleep(0.02)
        return child.pid

    def _reap_on_exit(self, name: str, child: subprocess.Popen[bytes]) -> None:
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(child.pid)

        def reap() -> None:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            code = child.wait()
            if self._children.get(name) is child:
                del self._children[name]
            self.logger.info("%s for %s (pid %d) exited with %d", self.binary, name, child.pid, code)

        loop.add_reader(pidfd, reap)

    def pid(self, name: str) -> int | None:
        """The PID of the wireguard-go serving `name` (our child or adopted), None if none answers."""
        child = self._children.get(name)
        if child is not None and child.returncode is None:
            return child.pid
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(self.socket(name)))
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            except OSError:
                return None
        return int(struct.unpack("3i", creds)[0])

    def adopt(self, name: str) -> int | None:
        """The PID of a wireguard-go serving `name` that this process neither started nor adopted yet."""
        if name in self._known:
            return None
        self._known.add(name)
        return self.pid(name)

    async def stopped(self, name: str, pid: int | None) -> None:
        """After its link was deleted: wait for the wireguard-go of `name` (PID `pid`) to exit, else signal it."""
        self._known.discard(name)
        if pid is None:
            return
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                self.logger.warning("%s for %s (pid %d) still runs; sending %s", self.binary, name, pid, sig.name)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                if not _running(pid):
                    return
                await asyncio.sleep(0.02)


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rindex(")") + 2] != "Z"


async def resolve_endpoints(spec: WireguardSpec) -> WireguardSpec:
    """`spec` with each peer endpoint given by host name replaced by the name's first address (as Talos does).

    Names are looked up on every call (the system resolver caches, or not); WireguardError names the peer
    whose endpoint does not resolve.
    """
    peers: list[WireguardPeer] = []
    for i, peer in enumerate(spec.peers):
        host, _, port = peer.endpoint.rpartition(":")
        try:
            ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
            literal = True
        except ValueError:
            literal = False
        if not peer.endpoint or literal or not host or not port.isdigit():
            peers.append(peer)  # an address, or something uapi_set reports by field
            continue
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)
        except OSError as e:
            raise WireguardError(f"peers[{i}].endpoint: cannot resolve {host!r}: {e}") from None
        addr = str(infos[0][4][0])
        peers.append(dataclasses.replace(peer, endpoint=f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"))
    return dataclasses.replace(spec, peers=tuple(peers))
