"""Tests of the namespace lab, checked from outside with `ip -j`, `ip netns`, `ss` and /proc."""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from nslab import CommandError, Lab, LabError, Node, find_leaks, teardown, wait_for
from nslab.host import is_alive, list_namespaces, netns_pids, run

FIXTURES = Path(__file__).resolve().parents[2] / "netns-fixtures"
DHCP_LEASE = Path(__file__).with_name("dhcp_lease.py")


def _host_links() -> set[str]:
    return {link["ifname"] for link in json.loads(run(["ip", "-j", "link"]).stdout)}


def _up_links(node: Node, ifname: str) -> list[dict[str, Any]]:
    return [link for link in node.ip_json("addr", "show", ifname) if link["operstate"] == "UP"]


def _with_fixtures_path() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(FIXTURES)}


def test_wait_for_returns_the_first_truthy_value() -> None:
    values = iter([0, None, "", 7, 8])
    assert wait_for(lambda: next(values), 1.0, 0.001) == 7


def test_wait_for_timeout_names_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match=r"waiting for the moon \(last value: False\)"):
        wait_for(lambda: False, 0.05, 0.01, what="the moon")


def test_three_node_lan_pings_across(lab: Lab) -> None:
    host_links = _host_links()
    lan = lab.lan(3, "10.0.0.0/24")
    assert _host_links() == host_links, "nothing may appear in the host namespace"

    ports = lan.switch.ip_json("-d", "link", "show", "master", "br0")
    assert sorted(p["ifname"] for p in ports) == ["p-n1", "p-n2", "p-n3"]
    assert {p["linkinfo"]["info_kind"] for p in ports} == {"veth"}
    for node, want in zip(lan.nodes, ["10.0.0.1", "10.0.0.2", "10.0.0.3"], strict=True):
        (link,) = wait_for(functools.partial(_up_links, node, "eth0"), what=f"eth0 of {node.name} up")
        assert [(a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"] == [(want, 24)]
        assert lan.ip(node) == want

    for a, b in itertools.permutations(lan.nodes, 2):
        assert a.ping(lan.ip(b)), f"{a.name} -> {b.name}"
    n1, _, n3 = lan.nodes
    n3_mac = n3.ip_json("link", "show", "eth0")[0]["address"]
    neighbours = {n["dst"]: n.get("lladdr") for n in n1.ip_json("neigh", "show", "dev", "eth0")}
    assert neighbours[lan.ip(n3)] == n3_mac
    assert not n1.ping("10.0.0.200", timeout=0.5), "an address nobody has must not answer"


def test_lan_with_upstream_gives_it_the_first_address(lab: Lab) -> None:
    lan = lab.lan(["a", "b"], "fd00:7::/64", upstream=True)
    assert lan.upstream is not None
    assert [n.name for n in lan.nodes] == ["a", "b"]
    assert (lan.ip(lan.upstream), lan.ip("a"), lan.ip("b")) == ("fd00:7::1", "fd00:7::2", "fd00:7::3")
    assert lan.nodes[1].ping(lan.ip(lan.upstream))


def test_veth_pair_between_two_nodes(lab: Lab) -> None:
    a, b = lab.add_node("a"), lab.add_node("b")
    lab.veth(
        a, b, "wan0", "lan0", a_addrs=["192.0.2.1/30", "2001:db8::1/64"], b_addrs=["192.0.2.2/30", "2001:db8::2/64"]
    )
    (wan,) = a.ip_json("-d", "link", "show", "wan0")
    (lan,) = b.ip_json("-d", "link", "show", "lan0")
    assert wan["linkinfo"]["info_kind"] == lan["linkinfo"]["info_kind"] == "veth"
    assert (wan["link_index"], lan["link_index"]) == (lan["ifindex"], wan["ifindex"]), "each is the other's peer"
    assert a.ping("192.0.2.2") and b.ping("192.0.2.1")
    assert a.ping("2001:db8::2") and b.ping("2001:db8::1")

    lab.veth(a, b, "x0", up=False)
    assert [link["operstate"] for link in (a.ip_json("link", "show", "x0") + b.ip_json("link", "show", "x0"))] == [
        "DOWN",
        "DOWN",
    ]


def test_bad_names_and_failing_commands_are_reported(lab: Lab) -> None:
    for bad in ("Upper", "-dash", "x" * 14, "a/b"):
        with pytest.raises(ValueError, match="invalid node name"):
            lab.add_node(bad)
    a, b = lab.add_node("a"), lab.add_node("b")
    with pytest.raises(ValueError, match="already exists"):
        lab.add_node("a")
    with pytest.raises(ValueError, match="invalid interface name"):
        lab.veth(a, b, "x" * 16)
    with pytest.raises(CommandError, match='Device "nope0" does not exist'):
        a.check(["ip", "link", "show", "nope0"])


def test_close_kills_process_trees_even_when_they_ignore_sigterm(netns_capable: None) -> None:
    with Lab(grace=0.5) as lab:
        node = lab.add_node("p")
        plain = node.run(["sleep", "1000"])
        node.run(["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
        stubborn = node.run(["sh", "-c", "trap '' TERM; sleep 1000 & wait"])
        node.run(["setsid", "sleep", "1000"])  # leaves the process group: only the namespace sweep finds it
        pids = wait_for(lambda: p if len(p := netns_pids(node.netns)) == 7 else None, what="7 processes")
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert [pid for pid in pids if is_alive(pid)] == []
    assert (plain.returncode, stubborn.returncode) == (-signal.SIGTERM, -signal.SIGKILL)
    assert node.netns not in list_namespaces()


def test_namespaces_are_gone_after_close_and_close_is_idempotent(netns_capable: None) -> None:
    lab = Lab()
    lab.lan(2, "10.3.0.0/24", upstream=True)
    listed = run(["ip", "netns", "list"]).stdout
    assert {f"{lab.prefix}-{n}" for n in ("n1", "n2", "upstream", "sw0")} <= set(re.findall(r"\S+", listed))
    lab.close()
    assert lab.prefix not in run(["ip", "netns", "list"]).stdout
    assert not lab.tmpdir.exists()
    lab.close()
    with pytest.raises(LabError, match="closed"):
        lab.add_node("late")


def test_cleanup_after_an_exception_inside_with(netns_capable: None) -> None:
    with pytest.raises(RuntimeError, match="boom"), Lab() as lab:
        node = lab.add_node("x")
        proc = node.run(["sleep", "1000"])
        raise RuntimeError("boom")
    assert lab.prefix not in run(["ip", "netns", "list"]).stdout
    assert proc.returncode == -signal.SIGTERM
    assert not lab.tmpdir.exists()


def test_leak_checker_reports_what_the_lab_did_not_remove(lab: Lab) -> None:
    node = lab.add_node("a")
    proc = node.run(["sleep", "1000"])
    ghost = f"{lab.prefix}-ghost"
    run(["ip", "netns", "add", ghost])
    try:
        leaks = find_leaks(lab)
        assert {
            f"namespace {ghost}",
            f"namespace {node.netns}",
            f"process {proc.pid} in {node.netns}: sleep 1000",
        } == set(leaks)
        lab.close()
        assert find_leaks(lab) == [f"namespace {ghost}"], "close removes only what the lab made"
    finally:
        teardown(lab.prefix)
    assert find_leaks(lab) == []


def test_fixture_and_session_check_fail_a_run_that_leaks(tmp_path: Path, netns_capable: None) -> None:
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent("""
        import subprocess
        from nslab import Lab

        def test_leaks_a_namespace(lab):
            subprocess.run(["ip", "netns", "add", f"{lab.prefix}-ghost"], check=True)

        def test_keeps_a_lab_without_the_fixture():
            Lab(keep=True).add_node("kept")
        """)
    )
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nslab.pytest_plugin", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env=_with_fixtures_path(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = inner.stdout + inner.stderr
    assert inner.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert re.search(r"lab nwd[0-9a-f]{6} leaked after cleanup: namespace nwd[0-9a-f]{6}-ghost", out), out
    assert re.search(r"left behind by this session \(now removed\): nwd[0-9a-f]{6}-kept", out), out
    assert "ERROR at teardown of test_leaks_a_namespace" in out, out
    assert "2 passed, 1 error" in out, out
    assert not set(re.findall(r"nwd[0-9a-f]{6}", out)) & {ns[:9] for ns in list_namespaces()}


def test_atexit_cleans_up_when_the_process_dies_without_close(netns_capable: None) -> None:
    script = textwrap.dedent("""
        from nslab import Lab
        lab = Lab()
        proc = lab.add_node("a").run(["sleep", "1000"])
        print(lab.prefix, proc.pid, flush=True)
        raise RuntimeError("crash without close")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=_with_fixtures_path(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "crash without close" in done.stderr
    prefix, pid = done.stdout.split()
    assert not is_alive(int(pid))
    assert list_namespaces(f"{prefix}-") == []


def test_keep_leaves_the_lab_running_until_torn_down(netns_capable: None) -> None:
    lab = Lab(keep=True)
    try:
        node = lab.add_node("demo")
        proc = node.run(["sleep", "1000"])
        lab.close()
        assert list_namespaces(f"{lab.prefix}-") == [node.netns]
        assert proc.poll() is None
        description = lab.describe()
        assert f"ip netns exec {node.netns}" in description
        assert f"pid {proc.pid} in {node.netns} (running): sleep 1000" in description
        assert f"-m nslab down {lab.prefix}" in description
        down = subprocess.run(
            [sys.executable, "-m", "nslab", "down", lab.prefix],
            env=_with_fixtures_path(),
            capture_output=True,
            text=True,
        )
        assert down.stdout.strip() == f"removed: {node.netns}", down.stderr
        assert proc.wait(5) == -signal.SIGKILL
        assert list_namespaces(f"{lab.prefix}-") == []
        assert not lab.tmpdir.exists()
    finally:
        teardown(lab.prefix)


def test_hostname_and_mounts_stay_inside_the_node(lab: Lab) -> None:
    node = lab.add_node("h")
    host_name = socket.gethostname()
    assert node.run(["hostname", "x"], uts_mount=True).wait(10) == 0
    proof = node.run(
        ["sh", "-c", "hostname nslab-x && mount -t tmpfs nslab-tmp /mnt && hostname && grep -c nslab-tmp /proc/mounts"]
    )
    assert proof.wait(10) == 0
    assert lab.processes[-1].log.read_text().split() == ["nslab-x", "1"], "the command did set both"
    assert socket.gethostname() == host_name
    assert Path("/proc/sys/kernel/hostname").read_text().strip() == host_name
    assert "nslab-tmp" not in Path("/proc/mounts").read_text()

    def ns_of(kind: str, uts_mount: bool) -> str:
        return node.check(["readlink", f"/proc/self/ns/{kind}"], uts_mount=uts_mount).stdout.strip()

    assert ns_of("uts", uts_mount=True) != os.readlink("/proc/self/ns/uts")
    assert ns_of("uts", uts_mount=False) == os.readlink("/proc/self/ns/uts")
    assert ns_of("net", uts_mount=False) != os.readlink("/proc/self/ns/net")


def test_dnsmasq_leases_an_address_in_the_namespace_and_stops(lab: Lab) -> None:
    lan = lab.lan(["client"], upstream=True)
    server, (client,) = lan.upstream, lan.nodes
    assert server is not None
    server.configure("eth0", ["10.7.0.1/24"])
    dnsmasq = lab.start_dnsmasq(server, "eth0", "10.7.0.100,10.7.0.150,1h")

    def listeners(node_ss: str) -> list[str]:
        return [line for line in node_ss.splitlines() if re.search(rf":67 .*pid={dnsmasq.pid},", line)]

    wait_for(lambda: listeners(server.check(["ss", "-Hulnp"]).stdout), what="dnsmasq on udp/67 in the node")
    assert listeners(run(["ss", "-Hulnp"]).stdout) == [], "dnsmasq must not listen in the host namespace"

    mac = client.ip_json("link", "show", "eth0")[0]["address"]
    leased = client.check([sys.executable, str(DHCP_LEASE), "eth0", mac], uts_mount=False).stdout.strip()
    assert IPv4Address("10.7.0.100") <= IPv4Address(leased) <= IPv4Address("10.7.0.150")
    lease = wait_for(
        lambda: dnsmasq.leasefile.read_text().split() if dnsmasq.leasefile.exists() else None, what="a lease"
    )
    assert lease[1:3] == [mac, leased]

    assert dnsmasq.stop() == 0
    assert listeners(server.check(["ss", "-Hulnp"]).stdout) == []
    assert not dnsmasq.process.alive()
