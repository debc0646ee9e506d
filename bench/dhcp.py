"""DHCPv4: link-up to address-in-kernel, and client start to address, ours against systemd-networkd and dhclient.

Usage (as root; everything runs in a throwaway namespace lab): .venv/bin/python bench/dhcp.py [--trials 20]

One dnsmasq (`--no-ping`, as every lab dnsmasq) serves one bridge with a client node per client:
- `ours`: networkd (`python -m networkd`) with a DHCPv4Config document for eth0; by default it uses a new address
  at once, as systemd-networkd does; `--probe` runs it with `--dhcp4-probe` (an ARP probe of a new address
  first, RFC 5227 timing / 100: 40-70 ms);
- `sdnd`: systemd-networkd with `DHCP=ipv4` on eth0, in the node's own mount namespace where /sys is read-only
  (so it does not wait for udev), and /run/systemd, /run/dbus, /var/lib and /etc/systemd/network are private;
  it probes the address only with `SendDecline=yes` (off by default; `--sdnd-send-decline`, RFC 5227 timing);
- `dhcl`: ISC dhclient with a private script that only adds the address, and its lease file in a temp dir.

A watcher in each node (this script with `--watch`) timestamps, on CLOCK_MONOTONIC, the netlink events of eth0:
carrier up (IFF_LOWER_UP) and a new IPv4 address. Each trial starts from nothing leased: address flushed, lease
files removed (dnsmasq keeps its leases, so every client is offered the address it had: a full DISCOVER, OFFER,
REQUEST, ACK every time).
- link-up: the client is running and the node's port on the bridge is down (no carrier); the port is set up and
  the time from the carrier event to the address event is taken. dhclient does not watch links: it is started
  when the carrier comes up (as ifupdown or a hotplug hook would), so its time includes its own start.
- start: the carrier is up and no client runs; the time from just before the client is spawned to the address.
Trials of the three clients are interleaved, so that load from elsewhere on the machine falls on all of them.
Missing peers are installed from Debian (`apt-get install -y isc-dhcp-client systemd`); afterwards the script
checks that no systemd-networkd or dhclient runs outside the lab (nothing is started by the install, as systemd
is not PID 1 here).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns-fixtures"))

SDND = "/lib/systemd/systemd-networkd"
DHCLIENT = "/sbin/dhclient"
CONFIG = "apiVersion: v1alpha1\nkind: DHCPv4Config\nname: eth0\n"
NETWORK_FILE = """\
[Match]
Name=eth0

[Link]
RequiredForOnline=no

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no

[DHCPv4]
ClientIdentifier=mac
UseHostname=no
SendHostname=no
SendRelease=no
"""
DHCLIENT_SCRIPT = """\
#!/bin/sh
# Only what the benchmark needs: the address in the kernel (no routes, no resolv.conf).
case "$reason" in
PREINIT) ip link set dev "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT) ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
esac
exit 0
"""
# systemd-networkd's private mounts, made once by a holder process it later joins with nsenter.
SDND_MOUNTS = """\
set -e
mount -o remount,bind,ro /sys
mount -t tmpfs -o mode=0755 networkd-run /run/systemd
mount -t tmpfs -o mode=0755 networkd-dbus /run/dbus
mount -t tmpfs -o mode=0755 networkd-varlib /var/lib
mount --bind "$1" /etc/systemd/network
echo mounted
exec sleep infinity
"""

MEASURES = {
    "link-up": "carrier up to address in kernel, from nothing (DISCOVER, OFFER, REQUEST, ACK)",
    "link-up, lease remembered": "carrier up to address in kernel, with the last lease kept (INIT-REBOOT)",
    "start": "client start to address in kernel, carrier already up, from nothing",
}

# What-ifs the daemon has no flag for: --monitor-settle (the kernel monitor's settle time); argv[1] is a JSON object
# of the changes.
WHATIF_WRAPPER = """\
import json, sys
from networkd.kernel.monitor import Monitor
whatif = json.loads(sys.argv.pop(1))
if "settle" in whatif:
    Monitor.open.__func__.__kwdefaults__["settle"] = whatif["settle"]
from networkd.daemon import main
sys.argv[0] = "networkd"
main()
"""

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWLINK, RTM_NEWADDR = 16, 20
IFF_LOWER_UP = 0x10000


# inside a node -----------------------------------------------------------------------------------


def watch(ifname: str) -> None:
    """Print a JSON line with CLOCK_MONOTONIC time for every carrier-up and new-IPv4-address event of `ifname`."""
    index = socket.if_nametoindex(ifname)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR))
    carrier: bool | None = None
    print(json.dumps({"e": "ready", "t": time.monotonic()}), flush=True)
    while True:
        data = sock.recv(1 << 16)
        now = time.monotonic()
        pos = 0
        while pos + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, pos)
            if length < 16:
                break
            body = pos + 16
            if kind == RTM_NEWLINK:
                _, _, link, flags = struct.unpack_from("=BxHiI", data, body)
                if link == index:
                    up = bool(flags & IFF_LOWER_UP)
                    if up and carrier is not True:
                        print(json.dumps({"e": "carrier", "t": now, "w": time.time()}), flush=True)
                    carrier = up
            elif kind == RTM_NEWADDR:
                family, _, _, _, link = struct.unpack_from("=BBBBI", data, body)
                if family == socket.AF_INET and link == index:
                    print(json.dumps({"e": "address", "t": now, "w": time.time()}), flush=True)
            pos += (length + 3) & ~3


# the lab -----------------------------------------------------------------------------------------


def ensure_peers() -> None:
    """Install systemd-networkd and dhclient from Debian if missing, and check nothing was started."""
    missing = [pkg for path, pkg in ((DHCLIENT, "isc-dhcp-client"), (SDND, "systemd")) if not os.path.exists(path)]
    if missing:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing {' '.join(missing)} from Debian", file=sys.stderr)
        if subprocess.run(["apt-get", "install", "-y", *missing], env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)
            subprocess.run(["apt-get", "install", "-y", *missing], env=env, check=True)
    strays = [pid for pid, comm in _processes() if comm in ("systemd-network", "dhclient") and not _in_lab(pid)]
    if strays:
        raise SystemExit(f"systemd-networkd or dhclient running outside any lab (pids {strays}): refusing to go on")


def _processes() -> list[tuple[int, str]]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                out.append((int(entry), Path(f"/proc/{entry}/comm").read_text().strip()))
    return out


def _in_lab(pid: int) -> bool:
    """Whether a process lives in a network namespace other than ours (a lab's)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
    except OSError:
        return True  # gone


class Watcher:
    """The `--watch` helper in one node; reads its events from its output file."""

    def __init__(self, node) -> None:  # type: ignore[no-untyped-def]
        from nslab import wait_for

        self.path = node.dir / "watch.jsonl"
        node.run([sys.executable, __file__, "--watch", "eth0"], uts_mount=False, stdout=self.path)
        wait_for(lambda: self.events(), 10, 0.01, what=f"the watcher in {node.name}")

    def events(self) -> list[dict[str, float | str]]:
        text = self.path.read_text() if self.path.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.endswith("}")]

    def first(self, kind: str, after: float, timeout: float = 30.0) -> float:
        """Time of the first `kind` event at or after `after`."""
        from nslab import wait_for

        def found() -> float | None:
            return next((float(e["t"]) for e in self.events() if e["e"] == kind and float(e["t"]) >= after), None)

        return wait_for(found, timeout, 0.002, what=f"{kind} event in {self.path.parent.name}")


class Client:
    """One client node: how to start and stop its client, and to wipe what a trial left."""

    name = ""

    def __init__(self, lab, lan, node) -> None:  # type: ignore[no-untyped-def]
        self.lab, self.lan, self.node = lab, lan, node
        self.watcher = Watcher(node)
        self.process = None  # the client's lab process while it runs (not networkd's)

    def port(self, state: str) -> None:
        """Set the node's bridge port (the carrier of its eth0) up or down."""
        subprocess.run(["ip", "-n", self.lan.switch.netns, "link", "set", f"p-{self.node.name}", state], check=True)

    def has_address(self) -> bool:
        [link] = self.node.ip_json("address", "show", "dev", "eth0")
        return any(a["family"] == "inet" for a in link["addr_info"])

    def flush(self) -> None:
        subprocess.run(["ip", "-n", self.node.netns, "-4", "address", "flush", "dev", "eth0"], check=True)

    def start(self) -> None:
        """Start the client; a subclass that runs it as a lab process keeps it in `self.process`."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the client's lab process, if it runs (networkd overrides this)."""
        if self.process is not None:
            self.process.stop()
            self.process = None

    def forget(self) -> None:
        """Remove the lease the client saved (it is stopped, or its link is down)."""

    def while_down(self, remember: bool) -> None:
        """With no carrier: make the client start from nothing, or from the lease it holds (`remember`)."""
        if not remember:
            self.forget()

    def link_up_trial(self, remember: bool = False) -> float:
        """With the client running and no carrier: carrier up, then the time to the address."""
        self.port("down")
        self.settle()
        self.while_down(remember)
        self.flush()
        time.sleep(0.3)
        mark = time.monotonic()
        self.port("up")
        self.on_carrier()
        carrier = self.watcher.first("carrier", mark)
        return self.watcher.first("address", carrier) - carrier

    def start_trial(self) -> float:
        """With the carrier up and no client: the time from spawning the client to the address."""
        self.stop()
        self.forget()
        self.flush()
        self.port("up")
        time.sleep(0.3)
        t0 = time.monotonic()
        self.start()
        return self.watcher.first("address", t0) - t0

    def settle(self) -> None:
        """After the carrier went: let the client notice (and drop what it held)."""
        time.sleep(0.3)

    def on_carrier(self) -> None:
        """Called right after the carrier comes up."""


class Ours(Client):
    """networkd keeps running; without a lease file its operator starts from INIT when the carrier comes."""

    name = "networkd (ours)"

    whatif: dict[str, float | bool] = {}  # --monitor-settle
    probe = False  # --probe: the daemon's --dhcp4-probe

    def __init__(self, lab, lan, node) -> None:  # type: ignore[no-untyped-def]
        from nslab.daemon import Networkd

        super().__init__(lab, lan, node)
        self.daemon = Networkd(node, cmdline="", config=CONFIG, args=["--dhcp4-probe"] if self.probe else [])
        if self.whatif:
            argv = self.daemon.argv()
            assert argv[1:3] == ["-m", "networkd"]
            whatif = json.dumps(self.whatif)
            self.daemon.argv = lambda: [argv[0], "-c", WHATIF_WRAPPER, whatif, *argv[3:]]  # type: ignore[method-assign]
        self.running = False

    def start(self) -> None:
        self.daemon.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.daemon.stop()
            self.running = False

    def forget(self) -> None:
        (self.daemon.state_dir / "dhcp4-eth0.json").unlink(missing_ok=True)

    def settle(self) -> None:
        from nslab import wait_for

        # no carrier: the operator stops (its lease kept in its file) and the address goes with its outputs
        wait_for(lambda: not self.has_address(), 10, 0.01, what="networkd to drop the address")
        time.sleep(0.2)


class Sdnd(Client):
    """systemd-networkd remembers its last address in memory (and then does INIT-REBOOT when the carrier comes
    back): to start from nothing it is restarted, with its runtime state wiped, while the carrier is down."""

    name = "systemd-networkd"

    send_decline = False  # --sdnd-send-decline: its ARP probe (RFC 5227 timing) of the address, off by default

    def __init__(self, lab, lan, node) -> None:  # type: ignore[no-untyped-def]
        from nslab import wait_for

        super().__init__(lab, lan, node)
        config = node.dir / "systemd-network"
        config.mkdir()
        (config / "10-eth0.network").write_text(NETWORK_FILE + ("SendDecline=yes\n" if self.send_decline else ""))
        log = node.dir / "holder.log"
        holder = node.run(["sh", "-c", SDND_MOUNTS, "sh", str(config)], stdout=log)
        self.holder = holder.pid

        def mounted() -> bool:
            if holder.poll() is not None:
                raise RuntimeError(f"cannot prepare systemd-networkd's mounts: {log.read_text()}")
            return "mounted" in log.read_text()

        wait_for(mounted, 10, 0.01, what="systemd-networkd's mounts")
        self.log = node.dir / "systemd-networkd.log"

    def _enter(self, *argv: str) -> list[str]:
        return ["nsenter", "-t", str(self.holder), "-m", "--", *argv]

    def start(self) -> None:
        env = {"SYSTEMD_LOG_TARGET": "console", "SYSTEMD_LOG_LEVEL": "info"}
        if "NOTIFY_SOCKET" in os.environ:  # never talk to a service manager outside
            env["NOTIFY_SOCKET"] = ""
        self.node.run(self._enter(SDND), env=env, stdout=self.log)
        self.process = self.lab.processes[-1]


    def forget(self) -> None:
        # its runtime state, leases included, lives in the holder's private /run/systemd
        assert self.process is None
        subprocess.run(["ip", "netns", "exec", self.node.netns, *self._enter("sh", "-c", "rm -rf /run/systemd/*")],
                       check=True)

    def while_down(self, remember: bool) -> None:
        if remember:
            return
        from nslab import wait_for

        self.stop()
        self.forget()
        done = self.log.read_text().count("Enumeration completed")
        self.start()
        wait_for(lambda: self.log.read_text().count("Enumeration completed") > done, 10, 0.01,
                 what="systemd-networkd to enumerate the links")
        time.sleep(0.2)

    def settle(self) -> None:
        time.sleep(0.5)


class Dhclient(Client):
    """dhclient does not watch links: it is started when the carrier comes up, with a fresh lease file or
    (`remember`) the one of its last run, which makes it start by INIT-REBOOT."""

    name = "dhclient"

    def __init__(self, lab, lan, node) -> None:  # type: ignore[no-untyped-def]
        super().__init__(lab, lan, node)
        self.script = node.dir / "dhclient-script"
        self.script.write_text(DHCLIENT_SCRIPT)
        self.script.chmod(0o755)
        (node.dir / "dhclient.conf").write_text("")
        self.leases = node.dir / "dhclient.leases"

    def start(self) -> None:
        argv = [DHCLIENT, "-4", "-d", "-sf", str(self.script), "-cf", str(self.node.dir / "dhclient.conf"),
                "-lf", str(self.leases), "-pf", str(self.node.dir / "dhclient.pid"), "eth0"]
        self.node.run(argv, stdout=self.node.dir / "dhclient.log")
        self.process = self.lab.processes[-1]


    def forget(self) -> None:
        self.leases.unlink(missing_ok=True)

    def while_down(self, remember: bool) -> None:
        self.stop()
        super().while_down(remember)

    def on_carrier(self) -> None:
        self.start()


def summary(name: str, values: list[float]) -> str:
    ms = sorted(1000 * v for v in values)
    return (f"{name:18s} n={len(ms):3d}  median {statistics.median(ms):7.1f} ms  min {ms[0]:7.1f}  "
            f"p90 {ms[int(0.9 * (len(ms) - 1))]:7.1f}  max {ms[-1]:7.1f}")


def main() -> int:
    """Run both measurements for the three clients, interleaved; print medians and ours/systemd-networkd."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20, help="trials per client and measurement")
    ap.add_argument("--start-trials", type=int, help="trials of the start measurement (default: --trials)")
    ap.add_argument("--json", help="also write the raw times (seconds) to this file")
    ap.add_argument("--logs", help="copy the nodes' logs (dnsmasq, clients, watchers) to this directory")
    ap.add_argument("--monitor-settle", type=float, metavar="SECONDS",
                    help="what-if: run ours with this kernel-monitor settle time instead of its default")
    ap.add_argument("--probe", action="store_true", help="ours with --dhcp4-probe (ARP probe of a new address)")
    ap.add_argument("--sdnd-send-decline", action="store_true",
                    help="systemd-networkd with SendDecline=yes: it probes the address too (RFC 5227 timing)")
    ap.add_argument("--watch", metavar="IFNAME", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.watch:
        watch(a.watch)
        return 0
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces)")
    ensure_peers()
    if a.monitor_settle is not None:
        Ours.whatif["settle"] = a.monitor_settle
    Ours.probe = a.probe
    Sdnd.send_decline = a.sdnd_send_decline

    from nslab import Lab, wait_for
    from nslab.daemon import compile_bytecode

    compile_bytecode()

    with Lab() as lab:
        lan = lab.lan(["ours", "sdnd", "dhcl"], upstream=True)
        assert lan.upstream is not None
        lan.upstream.configure("eth0", ["10.0.0.1/24"])
        log = lan.upstream.dir / "dnsmasq.log"
        lab.start_dnsmasq(lan.upstream, "eth0", "10.0.0.100,10.0.0.200,1h", "--dhcp-option=6,10.0.0.53")
        wait_for(lambda: log.exists() and "DHCP, IP range" in log.read_text(), 10, 0.02, what="dnsmasq")
        kinds: list[type[Client]] = [Ours, Sdnd, Dhclient]
        clients = [kind(lab, lan, lan.nodes[i]) for i, kind in enumerate(kinds)]
        results: dict[str, dict[str, list[float]]] = {c.name: {m: [] for m in MEASURES} for c in clients}

        def rounds(n: int, what: str, trial: Callable[[Client], float]) -> None:
            for i in range(n + 1):  # round 0 warms up (page cache, dnsmasq's lease for each client)
                for c in clients:
                    t = trial(c)
                    if i:
                        results[c.name][what].append(t)

        for c in clients:
            if not isinstance(c, Dhclient):
                c.start()
        time.sleep(1.0)
        rounds(a.trials, "link-up", lambda c: c.link_up_trial())
        rounds(a.trials, "link-up, lease remembered", lambda c: c.link_up_trial(remember=True))
        rounds(a.start_trials or a.trials, "start", lambda c: c.start_trial())
        for c in clients:
            c.stop()
        if a.logs:
            shutil.copytree(lab.tmpdir, a.logs, dirs_exist_ok=True,
                            ignore=lambda _dir, names: [n for n in names if n.endswith(".sock")])

    notes = [f"ours with a kernel-monitor settle of {a.monitor_settle:g} s"] if a.monitor_settle is not None else []
    notes += ["ours with --dhcp4-probe"] if a.probe else []
    notes += ["systemd-networkd with SendDecline=yes"] if a.sdnd_send_decline else []
    whatif = f" ({'; '.join(notes)})" if notes else ""
    print(f"DHCPv4 against dnsmasq --no-ping on a veth bridge, {a.trials} trials per client and measurement{whatif}:")
    for what, title in MEASURES.items():
        print(f"{what}: {title}")
        for name, res in results.items():
            print("  " + summary(name, res[what]))
    ours = statistics.median(results[Ours.name]["link-up"])
    peer = statistics.median(results[Sdnd.name]["link-up"])
    verdict = "met" if ours <= peer else "NOT met"
    print(f"link-up (from nothing) median ours/systemd-networkd: {ours / peer:.2f} (target <= 1.0: {verdict})")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0


def _terminate(*_: object) -> None:
    """Close the lab on SIGTERM too; a second SIGTERM (e.g. from timeout(1)) must not cut the cleanup short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(1)


if __name__ == "__main__":
    if "--watch" not in sys.argv:
        signal.signal(signal.SIGTERM, _terminate)
    raise SystemExit(main())
