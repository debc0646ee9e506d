"""A daemon in a lab node: a bridge's STP changed by `netctl apply-config --mode=no-reboot` in place, and the
multicast flag of a LinkConfig applied and restored after a change from outside; all judged with `ip -j`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from nslab import Lab, Node, wait_for
from nslab.daemon import Networkd

from tests.controllers.applier_lab import Monitor

CONFIG = """\
apiVersion: v1alpha1
kind: BridgeConfig
name: br0
links: [p0]
stp:
  enabled: {stp}
addresses:
  - address: 10.6.0.1/24
---
apiVersion: v1alpha1
kind: LinkConfig
name: m0
multicast: {multicast}
"""


def shown(node: Node, name: str) -> dict[str, Any]:
    """`ip -j -d link show <name>` ({} while there is no such link)."""
    found = [link for link in node.ip_json("-d", "link", "show") if link["ifname"] == name]
    return found[0] if found else {}


def stp_state(node: Node) -> int | None:
    return shown(node, "br0").get("linkinfo", {}).get("info_data", {}).get("stp_state")


def br0_addresses(node: Node) -> list[str]:
    return [a["local"] for i in node.ip_json("address", "show") if i["ifname"] == "br0" for a in i["addr_info"]
            if a["family"] == "inet"]


def status_flags(d: Networkd, name: str) -> list[str]:
    """The flags of LinkStatus `name` as netctl shows them."""
    doc = yaml.safe_load(d.netctl("get", "links", name, "-o", "yaml").stdout)
    return str(doc["spec"]["flags"]).split(",")


@pytest.fixture
def node(lab: Lab) -> Node:
    """Node n1 with veths p0 (the bridge port) and m0 (multicast), their peers in node "peer"."""
    node, peer = lab.add_node("n1"), lab.add_node("peer")
    lab.veth(node, peer, "p0", "q0")
    lab.veth(node, peer, "m0", "q1")
    return node


def test_bridge_stp_changed_in_place_by_apply_config(node: Node, tmp_path: Path) -> None:
    d = Networkd(node, config=CONFIG.format(stp="false", multicast="false")).start()
    wait_for(lambda: shown(node, "p0").get("master") == "br0" and "10.6.0.1" in br0_addresses(node)
             and "UP" in shown(node, "br0").get("flags", []), timeout=15, what="br0 up with port p0 and 10.6.0.1")
    assert stp_state(node) == 0
    before = shown(node, "br0")

    monitor = Monitor(node)
    new = tmp_path / "stp.yaml"
    new.write_text(CONFIG.format(stp="true", multicast="false"))
    out = d.netctl("apply-config", "-f", str(new), "--mode=no-reboot")
    assert "Applied configuration without a reboot" in out.stdout
    wait_for(lambda: stp_state(node) == 1, timeout=10, what="STP on br0")
    monitor.stop()
    after = shown(node, "br0")
    assert (after["ifindex"], after["address"], "UP" in after["flags"]) == (before["ifindex"], before["address"], True)
    assert shown(node, "p0").get("master") == "br0"
    assert br0_addresses(node) == ["10.6.0.1"]
    events = [line for _, line in monitor.events()]
    assert not [line for line in events if re.match(r"Deleted .*\b(br0|10\.6\.0\.1/24)\b", line)], events
    assert all("master br0" in line for line in events if re.match(r"\d+: p0@", line)), events
    assert "set bridge br0 stp on" in d.logs()
    assert "re-creating link br0" not in d.logs()


def test_multicast_off_restored_after_a_change_outside_then_on(node: Node, tmp_path: Path) -> None:
    assert "MULTICAST" in shown(node, "m0")["flags"]  # the kernel's default
    d = Networkd(node, config=CONFIG.format(stp="false", multicast="false")).start()
    wait_for(lambda: "MULTICAST" not in shown(node, "m0").get("flags", ["MULTICAST"]), timeout=15,
             what="multicast off on m0")
    wait_for(lambda: "MULTICAST" not in status_flags(d, "m0"), timeout=5, what="LinkStatus m0 without MULTICAST")

    node.check(["ip", "link", "set", "m0", "multicast", "on"], uts_mount=False)
    wait_for(lambda: "drift: restored link m0 multicast off" in d.logs(), timeout=5, what="the drift repair logged")
    assert "MULTICAST" not in shown(node, "m0")["flags"]

    on = tmp_path / "on.yaml"
    on.write_text(CONFIG.format(stp="false", multicast="true"))
    d.netctl("apply-config", "-f", str(on), "--mode=no-reboot")
    wait_for(lambda: "MULTICAST" in shown(node, "m0")["flags"], timeout=10, what="multicast on m0")
    wait_for(lambda: "MULTICAST" in status_flags(d, "m0"), timeout=5, what="LinkStatus m0 with MULTICAST")
