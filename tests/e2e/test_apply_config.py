"""`netctl apply-config` against a daemon in a lab node: no-reboot persists, try rolls back, dry-run touches nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from nslab import Lab, wait_for
from nslab.daemon import Networkd

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
