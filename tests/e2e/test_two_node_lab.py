"""Two nodes on a bridge, each configured only by its daemon: they ping; kill -9 and restart changes nothing."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from nslab import Lab, Node, wait_for
from nslab.daemon import Networkd

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def kernel_view(node: Node) -> tuple[Any, ...]:
    """Links, addresses, routes (all tables) and rules as `ip -j` shows them, minus timing-dependent fields."""
    links = sorted((i["ifname"], i["mtu"], "UP" in i["flags"], i.get("master")) for i in node.ip_json("link"))
    addrs = sorted((i["ifname"], a["local"], a["prefixlen"]) for i in node.ip_json("addr") for a in i["addr_info"])
    routes = sorted((r["dst"], r.get("gateway"), r.get("dev"), r.get("table", "main"), r.get("protocol"),
                     r.get("metric")) for r in node.ip_json("route", "show", "table", "all"))
    rules = sorted((r["priority"], r.get("src"), r.get("table")) for r in node.ip_json("rule"))
    return links, addrs, routes, rules


def assert_same(before: tuple[Any, ...], after: tuple[Any, ...]) -> None:
    """Compare two kernel views part by part, naming what appeared or vanished."""
    for name, a, b in zip(("links", "addresses", "routes", "rules"), before, after, strict=True):
        assert a == b, f"{name}: vanished {sorted(set(a) - set(b))}, appeared {sorted(set(b) - set(a))}"


def test_static_lab_pings_and_survives_kill_9(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.lan([n1, n2])
    d1 = Networkd(n1, config=(EXAMPLES / "node1.yaml").read_text()).start()
    d2 = Networkd(n2, config=(EXAMPLES / "node2.yaml").read_text()).start()
    wait_for(lambda: n1.ping("10.5.0.12", timeout=1), timeout=20, what="n1 -> n2 over the bridge")
    assert n2.ping("10.5.0.11")

    # what the daemons put there, seen by ip
    addrs = {a["local"] for i in n1.ip_json("addr", "show", "eth0") for a in i["addr_info"]}
    assert "10.5.0.11" in addrs
    assert n1.ip_json("link", "show", "eth0")[0]["mtu"] == 1400
    ours = n1.ip_json("route", "show", "proto", "78")
    assert [(r["dst"], r["gateway"], r["metric"]) for r in ours] == [("10.99.0.0/16", "10.5.0.1", 100)]
    assert (d1.hostname(), d2.hostname()) == ("node1", "node2")  # each in its daemon's own UTS namespace
    assert "nameserver 10.5.0.1" in (d1.etc_dir / "resolv.conf").read_text()
    assert "search lab.example" in (d1.etc_dir / "resolv.conf").read_text()
    assert "10.5.0.12 node2" in (d1.etc_dir / "hosts").read_text().splitlines()
    assert "nameserver 10.5.0.1" in (d2.etc_dir / "resolv.conf").read_text()

    # foreign objects: an untagged address, a bgp route, a rule for another table
    n1.check(["ip", "addr", "add", "10.5.0.200/24", "dev", "eth0"], uts_mount=False)
    n1.check(["ip", "route", "add", "10.77.0.0/16", "via", "10.5.0.1", "proto", "bgp"], uts_mount=False)
    n1.check(["ip", "rule", "add", "from", "10.5.0.0/24", "table", "200", "priority", "500"], uts_mount=False)
    wait_for(lambda: "10.5.0.200/24" in d1.netctl("get", "addresses").stdout, timeout=5, what="foreign address seen")
    wait_for(lambda: all(not a.get("tentative") for i in n1.ip_json("addr") for a in i["addr_info"]), timeout=10,
             what="IPv6 DAD to finish")
    before = kernel_view(n1)

    assert d1.stop(signal.SIGKILL) == -signal.SIGKILL
    assert_same(before, kernel_view(n1))  # nothing undone by the crash
    d1.start()
    wait_for(lambda: "10.5.0.11/24" in d1.netctl("get", "addressspecs").stdout, timeout=10, what="specs rebuilt")
    wait_for(lambda: "eth0/10.5.0.11/24" in d1.netctl("get", "addresses").stdout, timeout=10, what="statuses")
    assert_same(before, kernel_view(n1))
    assert n1.ping("10.5.0.12")
    assert "10.77.0.0/16" in {r["dst"] for r in n1.ip_json("route", "show", "proto", "bgp")}
    assert any(r.get("table") == "200" for r in n1.ip_json("rule"))
    assert "10.5.0.200" in {a["local"] for i in n1.ip_json("addr", "show", "eth0") for a in i["addr_info"]}


def test_apply_config_changes_the_kernel(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.lan([n1, n2])
    d = Networkd(n1, config=(EXAMPLES / "node1.yaml").read_text()).start()
    wait_for(lambda: "10.5.0.11" in str(n1.ip_json("addr", "show", "eth0")), timeout=10, what="node1 address")
    d.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "no-reboot")

    def addresses() -> set[str]:
        return {a["local"] for i in n1.ip_json("addr", "show", "eth0") for a in i["addr_info"] if a["family"] == "inet"}

    wait_for(lambda: addresses() == {"10.5.0.12"}, timeout=10, what="address swapped by apply-config")
    wait_for(lambda: n1.ip_json("link", "show", "eth0")[0]["mtu"] == 1400, timeout=5, what="mtu kept")
    # the gateway route went with the old address's prefix route; the applier puts it back
    wait_for(lambda: [r["dst"] for r in n1.ip_json("route", "show", "proto", "78")] == ["10.99.0.0/16"], timeout=10,
             what="route via 10.5.0.1 back after the address change")
