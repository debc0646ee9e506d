"""DHCPv4 through the real daemon against dnsmasq: the lease reaches the kernel, the API and the node's names.

Every client node runs `python -m networkd` with a machine config that enables DHCPv4 on eth0 (a veth is not a
physical link to the default layer, so a config-less daemon would not run DHCP on it). What the daemon did is
read back from outside: `ip -j` in the node, `netctl get`, the hostname of the daemon's own UTS namespace,
dnsmasq's log and `ip -ts monitor`. Tests marked slow wait for timers of dnsmasq's shortest (2-minute) lease.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest
from nslab import LAN, Dnsmasq, Lab, Node, wait_for
from nslab.daemon import Networkd

from networkd.controllers.appliers import ORPHAN_GRACE
from tests.operators_runtime.test_dhcp4_lab import OPTIONS, SERVER  # the same lease, seen from the daemon

CONFIG = "apiVersion: v1alpha1\nkind: DHCPv4Config\nname: eth0\n"
RANGE = "10.0.0.100,10.0.0.150"
ROUTES = {  # (destination, gateway, scope) of the routes the lease implies, all proto 78, metric 1024
    ("192.168.50.0/24", "10.0.0.254", "global"),
    ("172.16.0.0/16", "10.9.9.9", "global"),
    ("10.9.9.9", None, "link"),  # on-link helper for the gateway outside the subnet
    ("default", SERVER, "global"),  # from option 121; option 3 ignored (RFC 3442)
}
LEASE = 120  # dnsmasq's minimum lease time: T1 60 s, T2 105 s


# the lab -----------------------------------------------------------------------------------------


def network(lab: Lab, clients: tuple[str, ...] = ("c1",)) -> LAN:
    """A bridge with an upstream node at 10.0.0.1/24 and client nodes whose eth0 has no IPv4 address."""
    lan = lab.lan(list(clients), upstream=True)
    assert lan.upstream is not None
    lan.upstream.configure("eth0", [f"{SERVER}/24"])
    return lan


def serve(lab: Lab, lan: LAN, dhcp_range: str = f"{RANGE},1h", *options: str) -> Dnsmasq:
    """Start dnsmasq (OPTIONS unless `options` are given) on the upstream node; wait until it serves."""
    assert lan.upstream is not None
    start = len(dnsmasq_log(lan))
    server = lab.start_dnsmasq(lan.upstream, "eth0", dhcp_range, *(options or OPTIONS))
    wait_for(lambda: "DHCP, IP range" in dnsmasq_log(lan)[start:], 10.0, 0.02, what="dnsmasq to start")
    return server


def kill(server: Dnsmasq) -> None:
    """SIGKILL dnsmasq: it sends nothing more, not even to its lease file."""
    os.killpg(server.pid, signal.SIGKILL)
    server.process.popen.wait(10)


def dnsmasq_log(lan: LAN) -> str:
    """dnsmasq's log so far (every dnsmasq started on the upstream node appends to it)."""
    assert lan.upstream is not None
    path = lan.upstream.dir / "dnsmasq.log"
    return path.read_text() if path.exists() else ""


def start(node: Node, *args: str) -> Networkd:
    """The daemon with DHCPv4 on eth0."""
    return Networkd(node, cmdline="", config=CONFIG, args=args).start()


# what the kernel shows ---------------------------------------------------------------------------


def inet4(node: Node) -> list[str]:
    """IPv4 addresses on eth0, as `a.b.c.d/len`."""
    [link] = node.ip_json("address", "show", "dev", "eth0")
    return [f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"] if a["family"] == "inet"]


def leased(node: Node, timeout: float = 15.0) -> str:
    """Wait for the one IPv4 address on eth0 and return it (`a.b.c.d/len`)."""
    [address] = wait_for(lambda: inet4(node), timeout, 0.05, what=f"an IPv4 address on {node.name}'s eth0")
    return address


def our_routes(node: Node) -> list[dict[str, Any]]:
    """Routes in the main table tagged with our protocol (78)."""
    return [r for r in node.ip_json("-4", "route", "show", "table", "main") if r.get("protocol") == "78"]


def route_keys(node: Node) -> set[tuple[str, str | None, str]]:
    return {(r["dst"], r.get("gateway"), r.get("scope", "global")) for r in our_routes(node)}


def uts(d: Networkd, name: str) -> str:
    """/proc/sys/kernel/<name> as the daemon's own UTS namespace (inside the node) has it."""
    out = subprocess.run(["nsenter", "-t", str(d.pid), "-u", "cat", f"/proc/sys/kernel/{name}"],
                         capture_output=True, text=True, check=True, timeout=10)
    return out.stdout.strip()


class Monitor:
    """`ip -ts monitor address route` in a node, from now on."""

    def __init__(self, node: Node) -> None:
        self.path = node.dir / f"monitor-{time.monotonic_ns()}.log"
        self.popen = node.run(["ip", "-ts", "monitor", "address", "route"], uts_mount=False, stdout=self.path)
        self.process = node.lab.processes[-1]
        time.sleep(0.3)  # let it subscribe before anything happens

    def stop(self) -> list[str]:
        """Stop it and return the events it printed."""
        assert self.popen.poll() is None, f"ip monitor exited early: {self.path.read_text()}"
        self.process.stop()
        return self.path.read_text().splitlines()


def deleted(events: list[str], what: str) -> list[str]:
    """Deletions printed by `ip monitor` that mention `what` (a word, or an address with a prefix length)."""
    return [e for e in events if "Deleted" in e and any(w == what or w.startswith(f"{what}/") for w in e.split())]


# what the API shows ------------------------------------------------------------------------------


def docs(d: Networkd, kind: str, *args: str) -> list[dict[str, Any]]:
    """`netctl get <kind> [args] -o json`, every resource printed."""
    text = d.netctl("get", kind, *args, "-o", "json").stdout
    out, pos, dec = [], 0, json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        doc, pos = dec.raw_decode(text, pos)
        out.append(doc)


def ids(d: Networkd, kind: str, namespace: str = "network") -> list[str]:
    return sorted(doc["metadata"]["id"] for doc in docs(d, kind, "--namespace", namespace))


def operator_ids(d: Networkd) -> dict[str, list[str]]:
    """Ids of the DHCPv4 operator's outputs in `network-config`, per spec kind."""
    kinds = ("addressspecs", "linkspecs", "routespecs", "hostnamespecs", "resolverspecs", "timeserverspecs")
    return {k: [i for i in ids(d, k, "network-config") if i.startswith("dhcp4/eth0/")] for k in kinds}


def spec(d: Networkd, kind: str) -> dict[str, Any]:
    [doc] = docs(d, kind)
    return dict(doc["spec"])


def lease_file(d: Networkd) -> dict[str, Any]:
    return dict(json.loads((d.state_dir / "dhcp4-eth0.json").read_text()))


# tests -------------------------------------------------------------------------------------------


def test_lease_reaches_kernel_api_and_node_names(lab: Lab) -> None:
    lan = network(lab)
    serve(lab, lan)
    node = lan.nodes[0]
    d = start(node)
    address = leased(node)
    ip = address.split("/")[0]
    assert address.endswith("/24") and 100 <= int(ip.split(".")[-1]) <= 150

    # kernel: routes from option 121 tagged proto 78, MTU from option 26, names from options 12 and 15
    wait_for(lambda: route_keys(node) == ROUTES, 10, what="the lease's routes in the kernel")
    assert {(r["dev"], r["metric"], r["prefsrc"]) for r in our_routes(node)} == {("eth0", 1024, ip)}
    wait_for(lambda: node.ip_json("link", "show", "dev", "eth0")[0]["mtu"] == 1400, 10, what="MTU 1400")
    wait_for(lambda: uts(d, "hostname") == "myhost", 10, what="the node's hostname")
    assert uts(d, "domainname") == "example.com"

    # API: statuses observed from the kernel, and what the operator wrote in network-config
    assert f"eth0/{address}" in ids(d, "addresses")
    assert {"inet4/10.0.0.1//1024", "inet4/10.0.0.254/192.168.50.0/24/1024",
            "inet4/10.9.9.9/172.16.0.0/16/1024", "inet4//10.9.9.9/32/1024"} <= set(ids(d, "routes"))
    wait_for(lambda: spec(d, "resolvers")["dnsServers"] == ["10.0.0.53", "10.0.0.54"], 10, what="resolvers")
    assert spec(d, "resolvers")["searchDomains"] == ["corp.example.com", "example.com"]
    assert spec(d, "timeservers")["timeServers"] == ["10.0.0.123"]
    assert spec(d, "hostname") == {"hostname": "myhost", "domainname": "example.com"}
    assert operator_ids(d) == {
        "addressspecs": [f"dhcp4/eth0/eth0/{address}"],
        "linkspecs": ["dhcp4/eth0/eth0"],
        "routespecs": sorted(["dhcp4/eth0/inet4/10.0.0.1//1024", "dhcp4/eth0/inet4/10.0.0.254/192.168.50.0/24/1024",
                              "dhcp4/eth0/inet4/10.9.9.9/172.16.0.0/16/1024", "dhcp4/eth0/inet4//10.9.9.9/32/1024"]),
        "hostnamespecs": ["dhcp4/eth0/hostname"],
        "resolverspecs": ["dhcp4/eth0/resolvers"],
        "timeserverspecs": ["dhcp4/eth0/timeservers"],
    }
    resolv = (d.etc_dir / "resolv.conf").read_text()
    assert "nameserver 10.0.0.53" in resolv and "search corp.example.com example.com" in resolv

    log = dnsmasq_log(lan)
    assert "DHCPDISCOVER(eth0)" in log and f"DHCPACK(eth0) {ip} " in log
    assert lease_file(d)["address"] == address


def test_two_daemons_on_one_bridge_get_distinct_addresses(lab: Lab) -> None:
    lan = network(lab, ("c1", "c2"))
    serve(lab, lan)
    c1, c2 = lan.nodes
    start(c1)
    start(c2)
    a1, a2 = leased(c1), leased(c2)
    assert a1 != a2
    assert all(ipaddress.ip_interface(a) in ipaddress.ip_network("10.0.0.0/24") for a in (a1, a2))
    assert c1.ping(a2.split("/")[0]) and c2.ping(a1.split("/")[0])


def test_restart_resumes_by_init_reboot_without_touching_the_kernel(lab: Lab) -> None:
    lan = network(lab)
    serve(lab, lan)
    node = lan.nodes[0]
    d = start(node)
    address = leased(node)
    ip = address.split("/")[0]
    wait_for(lambda: route_keys(node) == ROUTES, 10, what="the lease's routes")
    monitor = Monitor(node)
    before = len(dnsmasq_log(lan))

    assert d.stop() == 0  # SIGTERM: the lease and what it configured stay
    assert inet4(node) == [address] and route_keys(node) == ROUTES
    assert lease_file(d)["address"] == address
    d.start()
    wait_for(lambda: f"DHCPACK(eth0) {ip} " in dnsmasq_log(lan)[before:], 10, what="the DHCPACK after restart")
    since = dnsmasq_log(lan)[before:]
    assert f"DHCPREQUEST(eth0) {ip} " in since
    assert "DHCPDISCOVER" not in since and "DHCPRELEASE" not in since, since
    wait_for(lambda: spec(d, "hostname")["hostname"] == "myhost", 10, what="the DHCP hostname again")
    wait_for(lambda: uts(d, "hostname") == "myhost", 10, what="the new UTS namespace's hostname")
    time.sleep(1.0)  # give a late removal the chance to show up in the monitor
    events = monitor.stop()

    assert not deleted(events, "eth0"), "\n".join(events)
    assert inet4(node) == [address] and route_keys(node) == ROUTES
    assert f"eth0/{address}" in ids(d, "addresses")


def test_nak_after_a_server_change_restarts_discovery(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    node = lan.nodes[0]
    d = start(node)
    old = leased(node)
    assert d.stop() == 0
    server.stop()

    # the new server hands out another range and, authoritative, refuses the old address
    before = len(dnsmasq_log(lan))
    serve(lab, lan, "10.0.0.200,10.0.0.250,1h", *OPTIONS, "--dhcp-authoritative")
    d.start()
    new = wait_for(lambda: [a for a in inet4(node) if a != old], 15, what="a new address")[0]
    assert 200 <= int(new.split("/")[0].split(".")[-1]) <= 250
    since = dnsmasq_log(lan)[before:]
    assert since.index(f"DHCPNAK(eth0) {old.split('/')[0]} ") < since.index("DHCPDISCOVER(eth0)")
    assert f"DHCPACK(eth0) {new.split('/')[0]} " in since
    wait_for(lambda: {r["prefsrc"] for r in our_routes(node)} == {new.split("/")[0]}, 10, what="routes from new")
    assert route_keys(node) == ROUTES
    assert operator_ids(d)["addressspecs"] == [f"dhcp4/eth0/eth0/{new}"]
    assert lease_file(d)["address"] == new
    # The NAK may come before the address applier's first pass, making the refused address an orphan: it
    # goes as soon as the configuration has settled, not when the appliers' orphan grace ends.
    assert ORPHAN_GRACE > 20
    wait_for(lambda: inet4(node) == [new], 5, 0.1, what="the refused address to go")
    assert "all controllers settled" in d.logs()


@pytest.mark.slow
def test_renewal_at_t1_keeps_the_address_and_takes_the_server_changes(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan, f"{RANGE},2m")
    node = lan.nodes[0]
    monitor = Monitor(node)
    d = start(node)
    address = leased(node)
    ip = address.split("/")[0]
    obtained = lease_file(d)["obtained"]

    # the same range and leases, new DNS and NTP servers: the renewal must bring them in
    server.stop()
    before = len(dnsmasq_log(lan))
    changed = [o for o in OPTIONS if "option=6," not in o and "option=42," not in o]
    serve(lab, lan, f"{RANGE},2m", *changed, "--dhcp-option=6,10.0.0.55", "--dhcp-option=42,10.0.0.124")
    wait_for(lambda: f"DHCPACK(eth0) {ip} " in dnsmasq_log(lan)[before:], LEASE / 2 + 15, 0.5,
             what="the renewal's DHCPACK at T1")
    renewed_at = time.time()
    assert LEASE / 2 - 3 < renewed_at - obtained < LEASE / 2 + 5
    since = dnsmasq_log(lan)[before:]
    assert f"DHCPREQUEST(eth0) {ip} " in since and "DHCPDISCOVER" not in since

    wait_for(lambda: spec(d, "resolvers")["dnsServers"] == ["10.0.0.55"], 10, what="the new DNS server")
    wait_for(lambda: spec(d, "timeservers")["timeServers"] == ["10.0.0.124"], 10, what="the new NTP server")
    assert lease_file(d)["obtained"] > obtained
    assert "renewed" in d.logs()
    events = monitor.stop()
    assert inet4(node) == [address] and route_keys(node) == ROUTES
    assert not deleted(events, ip), "\n".join(events)


@pytest.mark.slow
def test_address_kept_until_expiry_without_a_server_then_a_new_lease(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan, f"{RANGE},2m")
    node = lan.nodes[0]
    d = start(node)
    address = leased(node)
    wait_for(lambda: route_keys(node) == ROUTES, 10, what="the lease's routes")
    expires = lease_file(d)["obtained"] + LEASE
    kill(server)
    monitor = Monitor(node)

    # T1 and T2 go by unanswered: everything stays until the lease runs out
    while time.time() < expires - 2:
        assert inet4(node) == [address], f"{expires - time.time():.1f}s before expiry"
        time.sleep(1.0)
    wait_for(lambda: not inet4(node), 7, 0.1, what="the address to go at expiry")
    gone = time.time()
    assert gone > expires - 2
    wait_for(lambda: not our_routes(node), 5, what="the lease's routes to go")
    assert deleted(monitor.stop(), address.split("/")[0]), "the monitor saw the address go"
    assert not any(operator_ids(d).values())
    assert f"eth0/{address}" not in ids(d, "addresses")

    before = len(dnsmasq_log(lan))
    serve(lab, lan, f"{RANGE},2m")
    again = leased(node, timeout=30)  # DISCOVER retransmits back off 4, 8, 16 s
    ip = again.split("/")[0]
    since = dnsmasq_log(lan)[before:]
    assert "DHCPDISCOVER(eth0)" in since and f"DHCPACK(eth0) {ip} " in since
    wait_for(lambda: route_keys(node) == ROUTES, 10, what="the new lease's routes")


@pytest.mark.slow
def test_nak_at_renewal_from_a_changed_server_restarts_discovery(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan, f"{RANGE},2m")
    node = lan.nodes[0]
    d = start(node)
    old = leased(node)
    server.stop()

    before = len(dnsmasq_log(lan))
    serve(lab, lan, "10.0.0.200,10.0.0.250,2m", *OPTIONS, "--dhcp-authoritative")
    new = wait_for(lambda: [a for a in inet4(node) if a != old], LEASE / 2 + 20, 0.2, what="a new address")[0]
    wait_for(lambda: inet4(node) == [new], 10, what="the refused address to be removed")
    since = dnsmasq_log(lan)[before:]
    assert since.index(f"DHCPNAK(eth0) {old.split('/')[0]} ") < since.index("DHCPDISCOVER(eth0)")
    assert 200 <= int(new.split("/")[0].split(".")[-1]) <= 250
    wait_for(lambda: {r["prefsrc"] for r in our_routes(node)} == {new.split("/")[0]}, 10, what="routes from new")
    assert lease_file(d)["address"] == new


def squatted(lab: Lab) -> tuple[LAN, Node, Node]:
    """A third node holds 10.0.0.100 without serving DHCP; dnsmasq (no ping) offers it to the client first.

    dnsmasq's range is 10.0.0.100-10.0.0.101 and a host entry gives the client 10.0.0.100 first; once
    declined, dnsmasq serves it from the range, where only 10.0.0.101 is left.
    """
    lan = network(lab, ("c1", "squatter"))
    node, squatter = lan.nodes
    squatter.configure("eth0", ["10.0.0.100/24"])
    mac = node.ip_json("link", "show", "dev", "eth0")[0]["address"]
    serve(lab, lan, "10.0.0.100,10.0.0.101,1h", *OPTIONS, f"--dhcp-host={mac},10.0.0.100")
    return lan, node, squatter


def test_without_dhcp4_probe_an_offered_address_is_used_unprobed(lab: Lab) -> None:
    # the default, as systemd-networkd's SendDecline=no: the ACK's address is used at once
    lan, node, _ = squatted(lab)
    d = start(node)
    assert leased(node) == "10.0.0.100/24"
    assert "DHCPDECLINE" not in dnsmasq_log(lan) and "in use by" not in d.logs()


@pytest.mark.slow  # RFC 2131 §3.1: the client waits 10 s after a DECLINE before discovering again
def test_an_offered_address_already_in_use_is_declined_and_never_applied(lab: Lab) -> None:
    lan, node, squatter = squatted(lab)
    monitor = Monitor(node)
    d = start(node, "--dhcp4-probe")

    wait_for(lambda: "DHCPDECLINE(eth0) 10.0.0.100 " in dnsmasq_log(lan), 10, what="the DHCPDECLINE of 10.0.0.100")
    assert inet4(node) == []
    assert leased(node, timeout=20) == "10.0.0.101/24"
    log = dnsmasq_log(lan)
    assert log.index("DHCPACK(eth0) 10.0.0.100 ") < log.index("DHCPDECLINE(eth0) 10.0.0.100 ")
    assert log.index("DHCPDECLINE(eth0) 10.0.0.100 ") < log.index("DHCPACK(eth0) 10.0.0.101 ")
    wait_for(lambda: route_keys(node) == ROUTES, 10, what="the new lease's routes")
    events = monitor.stop()

    assert not [e for e in events if "10.0.0.100/" in e], "\n".join(events)  # never added, not even briefly
    assert [e for e in events if "10.0.0.101/24" in e and "Deleted" not in e]  # the monitor did see addresses
    assert "10.0.0.100 is in use by" in d.logs()
    assert lease_file(d)["address"] == "10.0.0.101/24"
    assert operator_ids(d)["addressspecs"] == ["dhcp4/eth0/eth0/10.0.0.101/24"]
    assert squatter.ping("10.0.0.101") and inet4(squatter) == ["10.0.0.100/24"]
