"""Config apply at scale (issue 3): 200 addresses + 10,000 routes, networkd against `ip -batch` and systemd-networkd.

Usage (as root; everything runs in throwaway lab namespaces):
    .venv/bin/python bench/config_apply.py [--runs 3] [--addresses 200] [--routes 10000] [--trials 40]
        [--only start,apply,batch,ipproc,systemd,drift] [--profile DIR] [--logs DIR] [--json FILE]

One run measures, each in fresh nodes (eth0 a veth to a peer node, so it has carrier):
- start:   networkd started with the big config → every address and route in the kernel; then its RSS.
- apply:   networkd running a small config (1 address, 1 route) → `netctl apply-config -m no-reboot` of the
           big config → every address and route in the kernel.
- batch:   the same objects with one `ip -n <node> -batch FILE` (the floor); ipproc: the same, timed exec → exit.
- systemd: systemd-networkd (Debian's, /lib/systemd/systemd-networkd) with the same objects in a .network file,
           from starting it → all in the kernel; then its RSS. It runs inside the node in its own mount
           namespace: /sys bind-remounted read-only (so it does not wait for udev), a tmpfs on
           /run/systemd/netif, the bench's own directories bind-mounted over /etc/systemd/network and
           /usr/lib/systemd/network. It never runs in the host namespaces.
- drift:   `ip addr del` of a managed address → the daemon adds it back, over `--trials` addresses, with the
           10,000 routes present (the daemon of `start`) and without them (a daemon with the addresses only).

"In the kernel" is measured, not inferred: the bench holds rtnetlink sockets opened inside the node's network
namespace and polls every `--poll` seconds with kernel-filtered dumps (NETLINK_GET_STRICT_CHK: IPv4 routes of the
main table and the contender's protocol; IPv4 addresses of eth0), counting messages from their headers only.
Times are CLOCK_MONOTONIC from just before the process is spawned (or netctl is run) to the first poll that sees
every object, so they include process start-up, for every contender alike (both daemons go through
`ip netns exec` and `unshare`, `ip -batch` through `ip -n`).

Drift latency is timed from the kernel's own notifications: a socket subscribed to RTNLGRP_IPV4_IFADDR in the
node receives the RTM_DELADDR of the address `ip addr del` removed and then the RTM_NEWADDR of the daemon putting
it back; the latency is the difference of their arrival times (the `ip` process start-up is not included, and the
listener's delivery delay cancels out).

With several runs each figure is the median over the runs (other developers share this 2-core machine). Before
each step the bench waits until the machine is 90% idle over 0.25 s (10 s at most): the kernel tears down the
previous step's namespaces, with their 10,000 routes, in the background.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ipaddress
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))

from nslab import Lab
from nslab.daemon import BIN, Networkd, compile_bytecode
from nslab.lab import Node

SYSTEMD_NETWORKD = "/lib/systemd/systemd-networkd"
GATEWAY = "10.1.0.254"
RTPROT_BOOT, RTPROT_STATIC, RTPROT_NETWORKD = 3, 4, 78
METRIC = 1024  # networkd's default for configured routes; the peers are given the same

# ---------------------------------------------------------------------------------------------- the objects


def addresses(n: int) -> list[str]:
    """The gateway's subnet first, then one /24 each (so deleting one of them removes only it)."""
    return ["10.1.0.1/16"] + [f"10.{2 + i // 256}.{i % 256}.1/24" for i in range(1, n)]


def routes(n: int) -> list[str]:
    """Distinct /24s in 100.64.0.0/10 (16,384 of them)."""
    base = int(ipaddress.IPv4Address("100.64.0.0"))
    if n > 1 << 14:
        raise ValueError("at most 16,384 routes")
    return [f"{ipaddress.IPv4Address(base + (i << 8))}/24" for i in range(n)]


def networkd_config(addrs: list[str], dsts: list[str]) -> str:
    """A multi-document config: one LinkConfig for eth0."""
    lines = ["apiVersion: v1alpha1", "kind: LinkConfig", "name: eth0", "addresses:"]
    lines += [f"  - address: {a}" for a in addrs]
    if dsts:
        lines.append("routes:")
        for d in dsts:
            lines += [f"  - destination: {d}", f"    gateway: {GATEWAY}"]
    return "\n".join(lines) + "\n"


def ip_batch(addrs: list[str], dsts: list[str]) -> str:
    out = [f"address add {a} dev eth0" for a in addrs]
    out.append("link set eth0 up")
    out += [f"route add {d} via {GATEWAY} dev eth0 proto static metric {METRIC}" for d in dsts]
    return "\n".join(out) + "\n"


def systemd_network(addrs: list[str], dsts: list[str]) -> str:
    out = ["[Match]", "Name=eth0", "", "[Link]", "RequiredForOnline=no", "", "[Network]",
           "LinkLocalAddressing=no", "IPv6AcceptRA=no", "DHCP=no"]
    out += [f"Address={a}" for a in addrs]
    for d in dsts:
        out += ["", "[Route]", f"Destination={d}", f"Gateway={GATEWAY}", f"Metric={METRIC}"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- netlink probes

SOL_NETLINK, NETLINK_GET_STRICT_CHK = 270, 12
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR, RTM_NEWROUTE, RTM_GETROUTE = 20, 21, 22, 24, 26
RTNLGRP_IPV4_IFADDR = 5
IFA_ADDRESS = 1
_HDR = struct.Struct("=IHHII")
_IFADDR = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def netns_socket(netns: str, groups: int = 0) -> socket.socket:
    """An rtnetlink socket in a named namespace: opened by a short-lived thread that setns()es there."""
    box: list[socket.socket | BaseException] = []

    def open_there() -> None:
        try:
            fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {netns}")
            finally:
                os.close(fd)
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            s.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
            s.bind((0, groups))
            box.append(s)
        except BaseException as e:
            box.append(e)

    t = threading.Thread(target=open_there)
    t.start()
    t.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


class Counter:
    """Counts eth0's IPv4 addresses and the main table's IPv4 routes of one protocol, from message headers."""

    def __init__(self, netns: str, ifindex: int, protocol: int) -> None:
        self.sock = netns_socket(netns)
        self.ifindex = ifindex
        self.protocol = protocol
        self.buf = bytearray(1 << 20)
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def _dump(self, msg_type: int, body: bytes, want: int) -> int:
        self.seq += 1
        self.sock.send(_HDR.pack(_HDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, self.seq, 0) + body)
        n = 0
        while True:
            size = self.sock.recv_into(self.buf)
            off = 0
            while off + _HDR.size <= size:
                length, t, _, seq, _ = _HDR.unpack_from(self.buf, off)
                if seq == self.seq:
                    if t == NLMSG_DONE:
                        return n
                    if t == NLMSG_ERROR:
                        raise OSError(-struct.unpack_from("=i", self.buf, off + _HDR.size)[0], "dump")
                    n += t == want
                off += (length + 3) & ~3

    def addresses(self) -> int:
        return self._dump(RTM_GETADDR, _IFADDR.pack(socket.AF_INET, 0, 0, 0, self.ifindex), RTM_NEWADDR)

    def routes(self) -> int:
        return self._dump(RTM_GETROUTE, _RTMSG.pack(socket.AF_INET, 0, 0, 0, 254, self.protocol, 0, 0, 0),
                          RTM_NEWROUTE)

    def wait(self, n_addr: int, n_route: int, t0: float, timeout: float, poll: float,
             alive: Callable[[], bool] = lambda: True) -> dict[str, float]:
        """Poll until both counts are reached: seconds from t0 to the addresses, the routes, and both."""
        got: dict[str, float] = {}
        deadline = t0 + timeout
        while True:
            now = time.monotonic()
            if "addresses" not in got and self.addresses() >= n_addr:
                got["addresses"] = now - t0
            if "routes" not in got and self.routes() >= n_route:
                got["routes"] = now - t0
            if len(got) == 2:
                got["all"] = max(got.values())
                return got
            if now > deadline or not alive():
                raise TimeoutError(f"after {now - t0:.1f}s: {self.addresses()}/{n_addr} addresses, "
                                   f"{self.routes()}/{n_route} routes")
            time.sleep(poll)


# ---------------------------------------------------------------------------------------------- helpers


def ifindex(node: Node, name: str = "eth0") -> int:
    return int(node.ip_json("link", "show", name)[0]["ifindex"])


def verify(node: Node, addrs: list[str], dsts: list[str], protocol: str) -> None:
    """Cross-check the counters with `ip -j`: exactly these addresses on eth0 and these routes, via the gateway."""
    (link,) = node.ip_json("-4", "addr", "show", "dev", "eth0")
    have = {f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]}
    shown = node.ip_json("route", "show", "proto", protocol, "table", "main")
    routes = {r["dst"] for r in shown if r.get("gateway") == GATEWAY and r.get("dev") == "eth0"}
    want = {d.removesuffix("/32") for d in dsts}
    if have != set(addrs) or routes != want:
        raise RuntimeError(f"kernel differs: {len(have ^ set(addrs))} addresses, {len(routes ^ want)} routes")


def memory(pid: int) -> dict[str, float]:
    st = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            st[key] = int(value.split()[0]) / 1024
    return st


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, quiet: float = 1.0, timeout: float = 60.0) -> float:
    """Wait until the process used under 2% CPU over `quiet` seconds; returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        c0 = cpu_seconds(pid)
        time.sleep(quiet)
        if cpu_seconds(pid) - c0 < 0.02 * quiet:
            break
    return time.monotonic() - t0


def _busy_idle() -> tuple[int, int]:
    """(busy, idle) jiffies of all CPUs so far, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, idle


def quiesce(idle: float = 0.9, window: float = 0.25, limit: float = 10.0) -> float:
    """Wait until the machine was at least `idle` idle over `window` seconds (`limit` at most): the kernel
    tears a removed lab's namespaces down (10,000 routes) in the background, which would slow the next
    step, whatever contender it times. Returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        busy0, idle0 = _busy_idle()
        time.sleep(window)
        busy1, idle1 = _busy_idle()
        if (idle1 - idle0) >= idle * max(1, (busy1 - busy0) + (idle1 - idle0)):
            break
    return time.monotonic() - t0


def pair(lab: Lab, name: str) -> tuple[Node, Node]:
    """A node with eth0, a veth whose peer sits up in a peer node (so eth0 has carrier)."""
    node, peer = lab.add_node(name), lab.add_node(f"{name}-p")
    lab.veth(node, peer, up=False)
    peer.check(["ip", "link", "set", "eth0", "up"], uts_mount=False)
    return node, peer


def spawn_networkd(node: Node, config: str, profile: Path | None = None) -> Networkd:
    """Start networkd without waiting for its API (the bench times from the spawn)."""
    d = Networkd(node, config=config)
    argv = d.argv()
    if profile is not None:
        argv = [argv[0], "-m", "cProfile", "-o", str(profile), *argv[1:]]
    node.run(argv, stdout=d.log)
    d.process = node.lab.processes[-1]
    return d


def stop_networkd(d: Networkd) -> None:
    with contextlib.suppress(ProcessLookupError):
        d.stop(signal.SIGTERM, timeout=30)


def wait_api(d: Networkd, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if d.socket.exists() and d.netctl("get", "namespaces", check=False).returncode == 0:
            return
        time.sleep(0.05)
    raise TimeoutError(f"networkd API not up:\n{d.logs()[-2000:]}")


# ---------------------------------------------------------------------------------------------- measurements


@dataclass
class Args:
    addresses: int
    routes: int
    trials: int
    poll: float
    timeout: float
    profile: Path | None


def bench_start(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """networkd started with the big config: spawn → all in the kernel; then RSS."""
    node, _ = pair(lab, f"st{run}")
    addrs, dsts = addresses(a.addresses), routes(a.routes)
    counter = Counter(node.netns, ifindex(node), RTPROT_NETWORKD)
    prof = a.profile / f"start-{run}.prof" if a.profile else None
    try:
        t0 = time.monotonic()
        d = spawn_networkd(node, networkd_config(addrs, dsts), prof)
        got = counter.wait(len(addrs), len(dsts), t0, a.timeout, a.poll, d.process.alive)
        verify(node, addrs, dsts, str(RTPROT_NETWORKD))
        settled = settle(d.pid)
        mem = memory(d.pid)
        out = {"start_addresses": got["addresses"], "start_routes": got["routes"], "start_all": got["all"],
               "rss_mb": mem["VmRSS"], "hwm_mb": mem["VmHWM"], "settle_s": settled}
        if a.trials:
            wait_api(d)
            out.update({f"{k}_with_routes": v for k, v in drift(node, d, addrs, a.trials).items()})
        stop_networkd(d)
        return out
    finally:
        counter.close()


def bench_apply(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """networkd running a small config; netctl apply-config of the big one → all in the kernel."""
    node, _ = pair(lab, f"ap{run}")
    addrs, dsts = addresses(a.addresses), routes(a.routes)
    counter = Counter(node.netns, ifindex(node), RTPROT_NETWORKD)
    try:
        prof = a.profile / f"apply-{run}.prof" if a.profile else None
        d = spawn_networkd(node, networkd_config(addrs[:1], dsts[:1]), prof)
        wait_api(d)
        counter.wait(1, 1, time.monotonic(), a.timeout, a.poll, d.process.alive)
        settle(d.pid)
        big = node.dir / "big.yaml"
        big.write_text(networkd_config(addrs, dsts))
        t0 = time.monotonic()
        cli = subprocess.Popen([str(BIN / "netctl"), "--socket", str(d.socket), "apply-config", "-f", str(big),
                                "-m", "no-reboot"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        got = counter.wait(len(addrs), len(dsts), t0, a.timeout, a.poll, d.process.alive)
        verify(node, addrs, dsts, str(RTPROT_NETWORKD))
        answer = cli.wait(a.timeout)
        out_text = cli.stdout.read().decode() if cli.stdout else ""
        if answer != 0:
            raise RuntimeError(f"netctl apply-config failed ({answer}): {out_text}")
        settle(d.pid)
        mem = memory(d.pid)
        stop_networkd(d)
        return {"apply_addresses": got["addresses"], "apply_routes": got["routes"], "apply_all": got["all"],
                "apply_rss_mb": mem["VmRSS"], "apply_hwm_mb": mem["VmHWM"]}
    finally:
        counter.close()


def bench_batch(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """`ip -batch` of the same objects: spawn → all in the kernel, and ip's own run time."""
    node, _ = pair(lab, f"ib{run}")
    addrs, dsts = addresses(a.addresses), routes(a.routes)
    path = node.dir / "objects.batch"
    path.write_text(ip_batch(addrs, dsts))
    counter = Counter(node.netns, ifindex(node), RTPROT_STATIC)
    try:
        t0 = time.monotonic()
        p = subprocess.Popen(["ip", "-n", node.netns, "-batch", str(path)])
        got = counter.wait(len(addrs), len(dsts), t0, a.timeout, a.poll)
        if p.wait(30) != 0:
            raise RuntimeError("ip -batch failed")
        verify(node, addrs, dsts, "static")
        return {"batch_all": got["all"]}
    finally:
        counter.close()


def bench_ip_process(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """`ip -batch` timed as a process (no polling beside it): exec → exit."""
    node, _ = pair(lab, f"ix{run}")
    path = node.dir / "objects.batch"
    path.write_text(ip_batch(addresses(a.addresses), routes(a.routes)))
    t0 = time.monotonic()
    subprocess.run(["ip", "-n", node.netns, "-batch", str(path)], check=True)
    return {"batch_process": time.monotonic() - t0}


SYSTEMD_SETUP = """set -e
mount -o remount,bind,ro /sys
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/netif
chown systemd-network:systemd-network /run/systemd/netif
mount --bind "$1" /etc/systemd/network
mount --bind "$2" /usr/lib/systemd/network
shift 2
exec "$@"
"""


def bench_systemd(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """systemd-networkd in the node's own mount namespace: spawn → all in the kernel; then RSS."""
    if not Path(SYSTEMD_NETWORKD).exists():
        raise SystemExit(f"{SYSTEMD_NETWORKD} missing: apt-get install -y systemd")
    node, _ = pair(lab, f"sd{run}")
    addrs, dsts = addresses(a.addresses), routes(a.routes)
    conf, empty = node.dir / "network", node.dir / "empty"
    conf.mkdir()
    empty.mkdir()
    (conf / "10-eth0.network").write_text(systemd_network(addrs, dsts))
    setup = node.dir / "setup.sh"
    setup.write_text(SYSTEMD_SETUP)
    counter = Counter(node.netns, ifindex(node), RTPROT_STATIC)
    argv = ["sh", str(setup), str(conf), str(empty), SYSTEMD_NETWORKD]
    env = {"SYSTEMD_LOG_TARGET": "console", "SYSTEMD_LOG_LEVEL": "info"}
    try:
        t0 = time.monotonic()
        popen = node.run(argv, env=env, stdout=node.dir / "systemd-networkd.log")  # ip netns exec + unshare --mount
        proc = node.lab.processes[-1]
        assert proc.popen is popen and popen.args[:3] == ["ip", "netns", "exec"]
        got = counter.wait(len(addrs), len(dsts), t0, a.timeout, a.poll, proc.alive)
        verify(node, addrs, dsts, "static")
        settle(popen.pid)
        if Path(f"/proc/{popen.pid}/exe").resolve() != Path(SYSTEMD_NETWORKD).resolve():
            raise RuntimeError("measured the wrong process")
        mem = memory(popen.pid)
        proc.stop(5)
        return {"systemd_all": got["all"], "systemd_addresses": got["addresses"], "systemd_routes": got["routes"],
                "systemd_rss_mb": mem["VmRSS"], "systemd_hwm_mb": mem["VmHWM"]}
    finally:
        counter.close()


def drift(node: Node, d: Networkd, addrs: list[str], trials: int) -> dict[str, float]:
    """`ip addr del` of managed addresses, one per trial: RTM_DELADDR → RTM_NEWADDR of the same address."""
    sock = netns_socket(node.netns, 1 << (RTNLGRP_IPV4_IFADDR - 1))
    sock.settimeout(5.0)
    buf = bytearray(1 << 16)
    lat: list[float] = []

    def events() -> Iterator[tuple[int, str, float]]:
        while True:
            size = sock.recv_into(buf)
            now = time.monotonic()
            off = 0
            while off + _HDR.size <= size:
                length, t, _, _, _ = _HDR.unpack_from(buf, off)
                if t in (RTM_NEWADDR, RTM_DELADDR):
                    fam, plen, _, _, _ = _IFADDR.unpack_from(buf, off + _HDR.size)
                    a_off = off + _HDR.size + _IFADDR.size
                    while a_off + 4 <= off + length:
                        alen, atype = struct.unpack_from("=HH", buf, a_off)
                        if atype == IFA_ADDRESS and fam == socket.AF_INET:
                            yield t, f"{socket.inet_ntoa(bytes(buf[a_off + 4:a_off + 8]))}/{plen}", now
                        a_off += (alen + 3) & ~3
                off += (length + 3) & ~3

    try:
        stream = events()
        for i in range(trials):
            victim = addrs[1 + i % (len(addrs) - 1)]
            time.sleep(0.3)  # let the previous repair's echoes (status observers, merges) settle
            node.check(["ip", "addr", "del", victim, "dev", "eth0"], uts_mount=False)
            t_del = None
            for t, addr, when in stream:
                if addr != victim:
                    continue
                if t == RTM_DELADDR:
                    t_del = when
                elif t_del is not None:
                    lat.append(when - t_del)
                    break
    finally:
        sock.close()
    lat.sort()
    return {"drift_p50_ms": 1000 * statistics.median(lat), "drift_p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
            "drift_max_ms": 1000 * lat[-1], "drift_n": len(lat)}


def bench_drift_without(lab: Lab, a: Args, run: int) -> dict[str, float]:
    """Drift repair with the addresses only (no routes)."""
    node, _ = pair(lab, f"dr{run}")
    addrs = addresses(a.addresses)
    counter = Counter(node.netns, ifindex(node), RTPROT_NETWORKD)
    try:
        prof = a.profile / f"drift-{run}.prof" if a.profile else None
        d = spawn_networkd(node, networkd_config(addrs, []), prof)
        counter.wait(len(addrs), 0, time.monotonic(), a.timeout, a.poll, d.process.alive)
        wait_api(d)
        settle(d.pid)
        out = {f"{k}_without_routes": v for k, v in drift(node, d, addrs, a.trials).items()}
        stop_networkd(d)
        return out
    finally:
        counter.close()


# ---------------------------------------------------------------------------------------------- report


def keep_logs(lab: Lab, dest: Path) -> None:
    for log in lab.tmpdir.rglob("*.log"):
        target = dest / log.relative_to(lab.tmpdir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(log.read_bytes())

STEPS: dict[str, Callable[[Lab, Args, int], dict[str, float]]] = {
    "start": bench_start, "apply": bench_apply, "batch": bench_batch, "ipproc": bench_ip_process,
    "systemd": bench_systemd, "drift": bench_drift_without,
}


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(runs: list[dict[str, float]], a: Args) -> dict[str, float]:
    keys = sorted({k for r in runs for k in r})
    med = {k: statistics.median([r[k] for r in runs if k in r]) for k in keys}
    print(f"\n{len(runs)} runs, {a.addresses} addresses + {a.routes} routes; median of runs (all runs: --json)")
    for k in keys:
        vals = ", ".join(f"{r[k]:.3f}" for r in runs if k in r)
        print(f"  {k:32s} {med[k]:10.3f}   [{vals}]")
    print()
    if "start_all" in med and "systemd_all" in med:
        r = med["systemd_all"] / med["start_all"]
        print(f"from start: networkd {med['start_all']:.2f} s, systemd-networkd {med['systemd_all']:.2f} s: "
              f"{r:.2f}x faster (target >= 5x: {verdict(r >= 5)})")
    if "apply_all" in med and "batch_all" in med:
        r = med["apply_all"] / med["batch_all"]
        print(f"apply-config: {med['apply_all']:.2f} s, ip -batch {med['batch_all']:.3f} s: {r:.1f}x the floor "
              f"(target <= 3x: {verdict(r <= 3)})")
    if "rss_mb" in med:
        print(f"RSS at {a.routes} routes: networkd VmRSS {med['rss_mb']:.1f} MB, VmHWM {med['hwm_mb']:.1f} MB "
              f"(target < 100 MB: {verdict(med['hwm_mb'] < 100)})"
              + (f"; systemd-networkd VmRSS {med['systemd_rss_mb']:.1f} MB, VmHWM {med['systemd_hwm_mb']:.1f} MB"
                 if "systemd_rss_mb" in med else ""))
    for which in ("with_routes", "without_routes"):
        if f"drift_p50_ms_{which}" in med:
            p50 = med[f"drift_p50_ms_{which}"]
            print(f"drift repair ({which.replace('_', ' ')}): p50 {p50:.1f} ms, "
                  f"p99 {med[f'drift_p99_ms_{which}']:.1f} ms (target p50 < 20 ms: {verdict(p50 < 20)})")
    return med


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--addresses", type=int, default=200)
    ap.add_argument("--routes", type=int, default=10_000)
    ap.add_argument("--trials", type=int, default=40, help="drift trials per daemon (0: skip drift)")
    ap.add_argument("--poll", type=float, default=0.005, help="seconds between kernel polls")
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--only", default=",".join(STEPS), help=f"comma-separated steps of {', '.join(STEPS)}")
    ap.add_argument("--profile", type=Path, help="write cProfiles of networkd (start, apply, drift steps) here")
    ap.add_argument("--json", type=Path, help="write every run's figures here")
    ap.add_argument("--logs", type=Path, help="copy the daemons' logs here before each lab is removed")
    ns = ap.parse_args()
    compile_bytecode()
    if os.geteuid() != 0:
        raise SystemExit("run as root (lab namespaces)")
    a = Args(ns.addresses, ns.routes, ns.trials, ns.poll, ns.timeout, ns.profile)
    if a.profile:
        a.profile.mkdir(parents=True, exist_ok=True)
    steps = [s for s in ns.only.split(",") if s]
    runs: list[dict[str, float]] = []
    for run in range(ns.runs):
        figures: dict[str, float] = {}
        for step in steps:
            quiesce()
            with Lab() as lab:  # one lab per step: nothing of a step lingers into the next
                try:
                    got = STEPS[step](lab, a, run)
                finally:
                    if ns.logs:
                        keep_logs(lab, ns.logs / f"run{run + 1}-{step}")
            print(f"run {run + 1} {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in got.items()), flush=True)
            figures.update(got)
        runs.append(figures)
    report(runs, a)
    if ns.json:
        ns.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
