"""`netctl apply-config` against a daemon in a lab node: no-reboot persists, try rolls back, dry-run touches nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from nslab import Lab, wait_for
from nslab.daemon import Networkd
from nslab.lab import Node

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _hostname_spec(d: Networkd) -> str:
    doc = yaml.safe_load(d.netctl("get", "hostnamespec", "hostname", "-o", "yaml").stdout)
    return str(doc["spec"]["hostname"])


def _hostname_is(d: Networkd, want: str) -> bool:
    out = d.netctl("get", "hostnamespec", "hostname", "-o", "yaml", check=False)
    return out.returncode == 0 and yaml.safe_load(out.stdout)["spec"]["hostname"] == want


@pytest.fixture
def daemon(lab: Lab) -> Networkd:
    node = lab.add_node("n1")
    d = Networkd(node, config=(EXAMPLES / "node1.yaml").read_text()).start()
    wait_for(lambda: _hostname_is(d, "node1"), timeout=10, what="node1 hostname spec")
    return d


def test_no_reboot_applies_at_once_and_persists(daemon: Networkd) -> None:
    out = daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "no-reboot")
    assert "Applied configuration without a reboot" in out.stdout
    wait_for(lambda: _hostname_is(daemon, "node2"), timeout=10, what="node2 hostname spec")
    assert (daemon.state_dir / "config.yaml").read_text() == (EXAMPLES / "node2.yaml").read_text()
    mc = daemon.netctl("get", "machineconfig", "-o", "yaml").stdout
    assert "kind: HostnameConfig" in mc and "hostname: node2" in mc
    # a restart loads the persisted config in preference to --config
    assert daemon.stop() == 0
    daemon.start()
    wait_for(lambda: _hostname_is(daemon, "node2"), timeout=10, what="node2 hostname after restart")
    wait_for(lambda: daemon.hostname() == "node2", timeout=10, what="node2 set in the daemon's UTS namespace")


def test_try_mode_rolls_back(daemon: Networkd) -> None:
    out = daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "try", "--timeout", "2s")
    assert "rolled back in 2s" in out.stdout
    wait_for(lambda: _hostname_is(daemon, "node2"), timeout=5, what="trial config in force")
    assert not (daemon.state_dir / "config.yaml").exists()
    wait_for(lambda: _hostname_is(daemon, "node1"), timeout=10, what="rollback to node1")
    assert "rolled back" in daemon.logs()


def test_try_then_confirm_keeps_the_new_config(daemon: Networkd) -> None:
    daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "try", "--timeout", "2s")
    daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "no-reboot")
    time.sleep(3)
    assert _hostname_spec(daemon) == "node2"


def test_dry_run_prints_changes_and_touches_nothing(daemon: Networkd) -> None:
    before = daemon.netctl("get", "addressspecs", "-o", "yaml").stdout
    out = daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--dry-run").stdout.splitlines()
    assert "- AddressSpec eth0/10.5.0.11/24" in out
    assert "+ AddressSpec eth0/10.5.0.12/24" in out
    assert any(line.startswith("~ HostnameSpec hostname: hostname 'node1' -> 'node2'") for line in out)
    assert out[-1].startswith("Dry run:")
    assert daemon.netctl("get", "addressspecs", "-o", "yaml").stdout == before
    assert not (daemon.state_dir / "config.yaml").exists()


def test_invalid_config_lists_every_error_and_applies_nothing(daemon: Networkd, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\nmtu: 10\n"
                   "addresses:\n  - address: 10.0.0.300/24\n")
    out = daemon.netctl("apply-config", "-f", str(bad), check=False)
    assert out.returncode == 1 and "invalid_argument" in out.stderr
    assert "documents[0](LinkConfig eth0).mtu" in out.stderr
    assert "documents[0](LinkConfig eth0).addresses[0].address" in out.stderr
    assert _hostname_spec(daemon) == "node1"


def test_unsupported_mode_is_refused(daemon: Networkd) -> None:
    out = daemon.netctl("apply-config", "-f", str(EXAMPLES / "node2.yaml"), "--mode", "reboot", check=False)
    assert out.returncode == 1 and "mode 'reboot' is not supported" in out.stderr


SMALL = "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\naddresses:\n  - address: 10.60.0.1/16\n"


def _big_config(routes: int, bad_route: int | None = None) -> str:
    """eth0 with an address and `routes` routes via a gateway on it, padded with comments past 1 MB (as long
    configs are): the request takes many frames and waits on the daemon's flow-control windows."""
    lines = [*SMALL.splitlines(), "routes:"]
    for i in range(routes):
        dst = "100.64.300.0/24" if i == bad_route else f"100.{64 + (i >> 8)}.{i & 255}.0/24"
        lines += [f"  - destination: {dst}", "    gateway: 10.60.0.254"]
    lines += [f"# {i:07d} padding comment, the kind of note a large generated configuration carries" for i in
              range(12_000)]
    text = "\n".join(lines) + "\n"
    assert len(text) > 1 << 20
    return text


def _eth0_node(lab: Lab) -> tuple[Node, Networkd]:
    """A node whose eth0 (a veth to a peer, so it has carrier) has 10.60.0.1/16 from the daemon's config."""
    node = lab.add_node("n1")
    lab.veth(node, lab.add_node("peer"), b_addrs=["10.60.0.254/16"])
    d = Networkd(node, config=SMALL).start()
    wait_for(lambda: "10.60.0.1" in str(node.ip_json("addr", "show", "eth0")), timeout=10, what="eth0 address")
    return node, d


def _route_dsts(node: Node) -> set[str]:
    return {r["dst"] for r in node.ip_json("route", "show", "proto", "78") if r.get("dev") == "eth0"}


def test_config_over_1mb_applies_through_flow_control(lab: Lab, tmp_path: Path) -> None:
    node, d = _eth0_node(lab)
    big = tmp_path / "big.yaml"
    big.write_text(_big_config(3000))
    out = d.netctl("apply-config", "-f", str(big), "--mode", "no-reboot", timeout=60)
    assert out.stdout == "Applied configuration without a reboot\n", out.stdout
    want = {f"100.{64 + (i >> 8)}.{i & 255}.0/24" for i in range(3000)}
    wait_for(lambda: _route_dsts(node) == want, timeout=30, what="3000 routes via eth0 in the kernel")
    assert (d.state_dir / "config.yaml").read_bytes() == big.read_bytes()  # every byte arrived, in order


def test_invalid_config_over_1mb_is_refused_by_field_path(lab: Lab, tmp_path: Path) -> None:
    node, d = _eth0_node(lab)
    bad = tmp_path / "bad.yaml"
    bad.write_text(_big_config(3000, bad_route=2999))
    out = d.netctl("apply-config", "-f", str(bad), "--mode", "no-reboot", check=False, timeout=60)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("netctl: invalid_argument: ")
    assert "documents[0](LinkConfig eth0).routes[2999].destination: '100.64.300.0/24'" in out.stderr
    assert not _route_dsts(node) and not (d.state_dir / "config.yaml").exists()
