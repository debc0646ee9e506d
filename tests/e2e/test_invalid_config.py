"""Invalid machine configs are refused at daemon start: every error by field path, exit 2, kernel untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from nslab import Lab, wait_for

CASES = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "data" / "invalid.yaml").read_text())
# Every third case: more than 20 distinct kinds of mistake, run through the real daemon.
PICKED = CASES[::3]


def _kernel(node: Any) -> tuple[Any, ...]:
    """What the daemon could have changed (not timing-dependent bits such as DAD state or lifetimes)."""
    links = sorted((i["ifname"], i["mtu"], "UP" in i["flags"], i.get("address")) for i in node.ip_json("link"))
    addrs = sorted((i["ifname"], a["local"], a["prefixlen"]) for i in node.ip_json("addr") for a in i["addr_info"])
    routes = sorted(str(sorted(r.items())) for r in node.ip_json("route", "show", "table", "all"))
    return links, addrs, routes, node.ip_json("rule"), node.check(["hostname"]).stdout


def test_at_least_twenty_kinds_of_mistake() -> None:
    assert len(PICKED) >= 20


def test_daemon_refuses_invalid_configs_and_leaves_kernel_alone(lab: Lab) -> None:
    node = lab.add_node("n1")
    peer = lab.add_node("n2")
    lab.veth(node, peer, a_addrs=["10.9.0.1/24"], b_addrs=["10.9.0.2/24"])
    wait_for(lambda: all(not a.get("tentative") for i in node.ip_json("addr") for a in i["addr_info"]), timeout=10,
             what="IPv6 DAD to finish")
    before = _kernel(node)
    failures = []
    for case in PICKED:
        cfg = node.dir / f"{case['name']}.yaml"
        cfg.write_text(case["config"])
        out = subprocess.run(node.command([sys.executable, "-m", "networkd", "--socket", str(node.dir / "s.sock"),
                                           "--state-dir", str(node.dir / "state"), "--etc-dir", str(node.dir / "etc"),
                                           "--cmdline", "", "--config", str(cfg)]),
                             capture_output=True, text=True, timeout=60, check=False)
        missing = [path for path, _ in case["errors"] if f"{path}: " not in out.stderr]
        if out.returncode != 2 or missing or "nothing applied" not in out.stderr:
            failures.append(f"{case['name']}: exit {out.returncode}, missing paths {missing}: {out.stderr[-400:]}")
    assert not failures, "\n".join(failures)
    assert _kernel(node) == before
    assert not (node.dir / "s.sock").exists()
