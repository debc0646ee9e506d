"""The namespace lab: nodes, veth pairs, bridged LANs and processes, all removed again on close."""

from __future__ import annotations

import atexit
import ipaddress
import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from nslab.host import list_namespaces, remove_namespace, run
from nslab.process import Process, stop_all

DNSMASQ = "/usr/sbin/dnsmasq"
PING = Path(__file__).with_name("ping.py")
IFNAMSIZ = 15  # longest interface name the kernel accepts
_NODE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,12}")  # 13 chars at most, so "p-<name>" fits IFNAMSIZ
_PREFIX = re.compile(r"nwd[0-9a-f]{6}")

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_OPEN: dict[str, Lab] = {}  # labs not yet closed, for the atexit safety net
_CREATED: set[str] = set()  # tokens of every lab made by this process, for the session leak check


class LabError(RuntimeError):
    """The lab could not be set up or torn down."""


def _ip(netns: str, *args: str) -> str:
    return run(["ip", "-n", netns, *args]).stdout


def _check_ifname(name: str) -> None:
    if not 0 < len(name) <= IFNAMSIZ or "/" in name or name != name.strip():
        raise ValueError(f"invalid interface name {name!r} (1-{IFNAMSIZ} chars, no '/' or spaces)")


@dataclass(eq=False)
class Node:
    """A network namespace with `lo` up, and a scratch directory for its files and logs."""

    lab: Lab = field(repr=False)
    name: str
    netns: str
    dir: Path

    def command(self, argv: Sequence[str], *, uts_mount: bool = True) -> list[str]:
        """The argv that runs `argv` inside this node (and in fresh UTS and mount namespaces)."""
        isolate = ["unshare", "--uts", "--mount", "--propagation", "private", "--"] if uts_mount else []
        return ["ip", "netns", "exec", self.netns, *isolate, *argv]

    def run(
        self,
        argv: Sequence[str],
        *,
        uts_mount: bool = True,
        env: Mapping[str, str] | None = None,
        stdout: str | Path | None = None,
        stderr: str | Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running process in this node, tracked by the lab and killed at close.

        It leads its own session (so its PID is its process group). `env` is added to the current
        environment. stdout goes to `stdout` (default: a log file in `node.dir`), stderr to `stderr`
        (default: wherever stdout goes).
        """
        return self.lab._spawn(self, argv, uts_mount=uts_mount, env=env, stdout=stdout, stderr=stderr).popen

    def check(
        self, argv: Sequence[str], *, uts_mount: bool = True, input: str | None = None, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a short command in this node; raise CommandError (with its stderr) if it fails."""
        return run(self.command(argv, uts_mount=uts_mount), input=input, timeout=timeout)

    def ip_json(self, *args: str) -> Any:
        """Run `ip -j <args>` in this node and return the parsed JSON."""
        out = _ip(self.netns, "-j", *args)
        return json.loads(out) if out.strip() else []

    def ping(self, address: str, timeout: float = 3.0) -> bool:
        """True if `address` answers an ICMP (v4 or v6) echo from this node within `timeout` seconds."""
        cmd = self.command([sys.executable, str(PING), address, str(timeout)], uts_mount=False)
        return subprocess.run(cmd, capture_output=True, timeout=timeout + 10, check=False).returncode == 0

    def configure(self, ifname: str, addrs: Sequence[str] = (), *, up: bool = True) -> None:
        """Add addresses to an interface (IPv6 ones with nodad, usable at once) and set it up."""
        for addr in addrs:
            nodad = ["nodad"] if ipaddress.ip_interface(addr).version == 6 else []
            _ip(self.netns, "addr", "add", addr, "dev", ifname, *nodad)
        if up:
            _ip(self.netns, "link", "set", ifname, "up")


@dataclass(frozen=True)
class Veth:
    """A veth pair: `a_if` inside node `a`, `b_if` inside node `b`."""

    a: Node
    a_if: str
    b: Node
    b_if: str


@dataclass(frozen=True)
class LAN:
    """A bridge `bridge` in namespace `switch`, with one port per node (`iface` inside each node)."""

    switch: Node
    bridge: str
    iface: str
    nodes: tuple[Node, ...]
    upstream: Node | None
    subnet: IPNetwork | None
    addresses: Mapping[str, IPInterface]  # node name -> static address on `iface`

    def ip(self, node: Node | str) -> str:
        """The static address of a node on this LAN, without prefix length."""
        return str(self.addresses[node if isinstance(node, str) else node.name].ip)


@dataclass(eq=False)
class Dnsmasq:
    """A dnsmasq DHCP server running in a node."""

    node: Node
    process: Process
    leasefile: Path

    @property
    def pid(self) -> int:
        """PID of dnsmasq."""
        return self.process.pid

    def stop(self, grace: float = 3.0) -> int:
        """Stop dnsmasq (SIGTERM, then SIGKILL after `grace`) and return its exit code."""
        return self.process.stop(grace)


@dataclass(eq=False)
class Lab:
    """Throwaway namespaces named `nwd<token>-<name>`, removed with every process in them at close.

    Use as a context manager or call close(); close is idempotent and also runs at interpreter exit.
    With keep=True close leaves everything running for a demo: see describe().
    """

    keep: bool = False
    grace: float = 3.0  # seconds between SIGTERM and SIGKILL at close
    token: str = field(init=False)
    tmpdir: Path = field(init=False)
    nodes: dict[str, Node] = field(init=False, default_factory=dict)
    processes: list[Process] = field(init=False, default_factory=list)  # every process ever started
    _namespaces: list[str] = field(init=False, default_factory=list)
    _lans: int = field(init=False, default=0)
    _closed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        existing = list_namespaces()
        self.token = secrets.token_hex(3)
        while any(ns.startswith(self.prefix) for ns in existing):
            self.token = secrets.token_hex(3)
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-"))
        _CREATED.add(self.token)
        _OPEN[self.token] = self

    @property
    def prefix(self) -> str:
        """`nwd<token>`: the start of every namespace and temp dir name of this lab."""
        return f"nwd{self.token}"

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add_node(self, name: str) -> Node:
        """Create namespace `nwd<token>-<name>` with `lo` up."""
        if self._closed:
            raise LabError("lab is closed")
        if not _NODE_NAME.fullmatch(name):
            raise ValueError(f"invalid node name {name!r}: 1-13 chars of [a-z0-9-], not starting with '-'")
        if name in self.nodes:
            raise ValueError(f"node {name!r} already exists")
        netns = f"{self.prefix}-{name}"
        run(["ip", "netns", "add", netns])
        self._namespaces.append(netns)
        node = Node(self, name, netns, self.tmpdir / name)
        node.dir.mkdir()
        _ip(netns, "link", "set", "lo", "up")
        self.nodes[name] = node
        return node

    def veth(
        self,
        a: Node,
        b: Node,
        a_if: str = "eth0",
        b_if: str | None = None,
        *,
        a_addrs: Sequence[str] = (),
        b_addrs: Sequence[str] = (),
        up: bool = True,
    ) -> Veth:
        """Create a veth pair straight into both namespaces (`b_if` defaults to `a_if`)."""
        b_if = b_if or a_if
        _check_ifname(a_if)
        _check_ifname(b_if)
        _ip(a.netns, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b.netns)
        a.configure(a_if, a_addrs, up=up)
        b.configure(b_if, b_addrs, up=up)
        return Veth(a, a_if, b, b_if)

    def lan(
        self,
        nodes: int | Sequence[Node | str],
        subnet: str | None = None,
        *,
        upstream: bool | str | Node = False,
        iface: str = "eth0",
    ) -> LAN:
        """Attach nodes to a new bridge in its own switch namespace `sw<N>`.

        `nodes` is a count (new nodes n1..nN) or nodes and names of new nodes. `upstream` adds a peer
        node (True: a new node "upstream") for servers such as dnsmasq. With `subnet`, the upstream
        gets the first host address and the nodes the following ones, in order.
        """
        _check_ifname(iface)
        network = ipaddress.ip_network(subnet) if subnet else None
        up_node = self._node("upstream" if upstream is True else upstream) if upstream else None
        names = [f"n{i}" for i in range(1, nodes + 1)] if isinstance(nodes, int) else nodes
        members = [self._node(name) for name in names]
        attached = [up_node, *members] if up_node else members
        addresses: dict[str, IPInterface] = {}
        if network:
            hosts = list(itertools.islice(network.hosts(), len(attached)))
            if len(hosts) < len(attached):
                raise ValueError(f"subnet {subnet} has too few addresses for {len(attached)} nodes")
            for node, host in zip(attached, hosts, strict=True):
                addresses[node.name] = ipaddress.ip_interface(f"{host}/{network.prefixlen}")
        switch = self.add_node(f"sw{self._lans}")
        self._lans += 1
        _ip(switch.netns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip(switch.netns, "link", "set", "br0", "addrgenmode", "none", "up")
        for node in attached:
            port = f"p-{node.name}"
            _ip(switch.netns, "link", "add", port, "type", "veth", "peer", "name", iface, "netns", node.netns)
            _ip(switch.netns, "link", "set", port, "addrgenmode", "none", "master", "br0", "up")
            node.configure(iface, [str(addresses[node.name])] if node.name in addresses else [])
        return LAN(switch, "br0", iface, tuple(members), up_node, network, addresses)

    def _node(self, node: Node | str) -> Node:
        return node if isinstance(node, Node) else self.add_node(node)

    def start_dnsmasq(self, node: Node, iface: str, dhcp_range: str, *options: str) -> Dnsmasq:
        """Start dnsmasq as a DHCP server (DNS off) on `iface` of `node`.

        `dhcp_range` is dnsmasq's --dhcp-range value, e.g. "10.0.0.100,10.0.0.150,1h"; `options` are
        extra dnsmasq arguments. It runs in the foreground without a config file, without pinging
        before offers, and keeps its leases in the node's directory; its log goes to `node.dir`.
        """
        leasefile = node.dir / "dnsmasq.leases"
        argv = [
            DNSMASQ, "--no-daemon", "--conf-file=/dev/null", "--log-facility=-", "--log-dhcp",
            "--port=0", "--no-resolv", "--no-hosts", "--no-ping", f"--interface={iface}",
            f"--dhcp-range={dhcp_range}", f"--dhcp-leasefile={leasefile}", *options,
        ]  # fmt: skip
        return Dnsmasq(node, self._spawn(node, argv, stdout=node.dir / "dnsmasq.log"), leasefile)

    def _spawn(
        self,
        node: Node,
        argv: Sequence[str],
        *,
        uts_mount: bool = True,
        env: Mapping[str, str] | None = None,
        stdout: str | Path | None = None,
        stderr: str | Path | None = None,
    ) -> Process:
        if self._closed:
            raise LabError("lab is closed")
        log = Path(stdout) if stdout else node.dir / f"{len(self.processes):02d}-{Path(argv[0]).name}.log"
        with open(log, "ab") as out, open(stderr or log, "ab") as err:
            popen = subprocess.Popen(
                node.command(argv, uts_mount=uts_mount),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**os.environ, **env} if env else None,
                start_new_session=True,
            )
        proc = Process(node.netns, tuple(argv), popen, log)
        self.processes.append(proc)
        return proc

    def describe(self) -> str:
        """How to reach what this lab made: namespaces, PIDs, logs, and how to tear it down."""
        lines = [f"lab {self.prefix}: files in {self.tmpdir}"]
        lines += [f"  node {n.name}: ip netns exec {n.netns} bash" for n in self.nodes.values()]
        lines += [
            f"  pid {p.pid} in {p.netns} ({'running' if p.alive() else 'exited'}): {' '.join(p.argv)}  log {p.log}"
            for p in self.processes
        ]
        lines.append(f"  tear down: PYTHONPATH={PING.parent.parent} {sys.executable} -m nslab down {self.prefix}")
        return "\n".join(lines)

    def close(self) -> None:
        """Kill every process group, delete every namespace and the temp dir (unless keep=True).

        Idempotent; raises LabError listing what could not be removed after trying everything.
        """
        self._closed = True
        _OPEN.pop(self.token, None)
        if self.keep:
            return
        errors: list[str] = []
        try:
            stop_all([p for p in self.processes if p.alive()], self.grace)
        except (OSError, TimeoutError) as e:
            errors.append(f"stopping processes: {e}")
        for netns in reversed(self._namespaces[:]):
            try:
                remove_namespace(netns)
                self._namespaces.remove(netns)
            except (OSError, TimeoutError, subprocess.SubprocessError) as e:
                errors.append(f"removing {netns}: {e}")
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if errors:
            raise LabError(f"lab {self.prefix} cleanup incomplete: " + "; ".join(errors))


def created_tokens() -> set[str]:
    """Tokens of every lab created by this process."""
    return set(_CREATED)


def find_leaks(lab: Lab) -> list[str]:
    """What the lab left behind: namespaces carrying its token, and processes it started still alive."""
    leaks = [f"namespace {ns}" for ns in list_namespaces(f"{lab.prefix}-")]
    leaks += [f"process {p.pid} in {p.netns}: {' '.join(p.argv)}" for p in lab.processes if p.alive()]
    return leaks


def teardown(prefix: str) -> list[str]:
    """Remove a lab by its prefix `nwd<token>`: processes in its namespaces, namespaces, temp dir.

    For labs kept with keep=True or left by a process that died. Returns the namespaces removed.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"not a lab prefix: {prefix!r} (expected nwd and 6 hex digits)")
    removed = list_namespaces(f"{prefix}-")
    for netns in removed:
        remove_namespace(netns)
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}-*"):
        shutil.rmtree(path, ignore_errors=True)
    return removed


@atexit.register
def _close_open_labs() -> None:
    for lab in list(_OPEN.values()):
        try:
            lab.close()
        except LabError as e:
            print(f"nslab: {e}", file=sys.stderr)
