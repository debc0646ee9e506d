"""networkd.kernel.genetlink against the real kernel, in a lab node (tests/kernel/genl_probe.py via `ip netns exec`).

Family ids and a dump of all families are checked with iproute2's `genl ctrl get` / `genl ctrl list`. This
kernel may have no wireguard module: then the lookup must fail with a clear ENOENT and the link controller
must carry on; the parts that need a real wireguard device are skipped with the reason.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from nslab import CommandError, Lab, Node

PROBE = Path(__file__).with_name("genl_probe.py")
MISSING = "the kernel has no wireguard family (module not loaded or not built)"


def probe(node: Node, *args: str) -> Any:
    out = node.check([sys.executable, str(PROBE), *args], uts_mount=False, timeout=60).stdout
    return json.loads(out)


def genl_id(node: Node, name: str) -> int | None:
    """The family id `genl ctrl get name NAME` shows in `node`; None when it says there is no such family."""
    try:
        out = node.check(["genl", "ctrl", "get", "name", name], uts_mount=False).stdout
    except CommandError:
        return None
    match = re.search(r"\bID: (0x[0-9a-f]+)", out)
    assert match, out
    return int(match.group(1), 16)


@pytest.fixture
def node(lab: Lab) -> Node:
    if shutil.which("genl") is None:
        pytest.skip("iproute2's genl is not installed")
    return lab.add_node("k")


def test_family_ids_match_genl_and_a_missing_family_is_enoent(node: Node) -> None:
    names = ["nlctrl", "ethtool", "wireguard", "no-such-family"]
    found = probe(node, "families", *names)
    for name in names:
        expected = genl_id(node, name)
        if expected is not None:
            assert found[name] == [{"id": expected}, {"id": expected}], name
            continue
        error = {"errno": errno.ENOENT, "unknown_family": True,
                 "message": f"resolve generic netlink family {name!r}: No such file or directory (ENOENT): "
                            f"the kernel has no {name} family (module not loaded or not built)"}
        assert found[name] == [{"error": error}, {"error": error}], name  # a failure is not cached
    assert found["nlctrl"] == [{"id": 16}, {"id": 16}]
    assert "error" in found["no-such-family"][0]


def test_a_dump_lists_the_families_genl_lists(node: Node) -> None:
    out = node.check(["genl", "ctrl", "list"], uts_mount=False).stdout
    listed = {name: int(ident, 16) for name, ident in re.findall(r"Name: (\S+)\s+ID: (0x[0-9a-f]+)", out)}
    assert len(listed) > 3 and "nlctrl" in listed, out
    assert probe(node, "dump-families") == listed


def test_kernel_wireguard_device_or_the_reason_it_cannot_be_read(node: Node) -> None:
    result = probe(node, "wireguard", "wg0")
    if genl_id(node, "wireguard") is None:
        assert result == {"error": {"errno": errno.ENOENT, "unknown_family": True,
                                    "message": "resolve generic netlink family 'wireguard': No such file or "
                                               f"directory (ENOENT): {MISSING}"}}
        print("SKIP reason: no wireguard generic netlink family; the ENOENT was checked")
        pytest.skip("this kernel has no wireguard module (no 'wireguard' generic netlink family): "
                    "a real device cannot be read; the family's absence was checked")
    # with the module: a missing device is ENODEV, a real one reads as `wg` shows it
    assert result["error"]["errno"] == errno.ENODEV and not result["error"]["unknown_family"]
    node.check(["ip", "link", "add", "wg0", "type", "wireguard"], uts_mount=False)
    node.check(["wg", "set", "wg0", "listen-port", "51820", "fwmark", "7"], uts_mount=False)
    device = probe(node, "wireguard", "wg0")["ok"]
    assert (device["listen_port"], device["fwmark"], device["peers"]) == (51820, 7, [])


def test_the_link_controller_carries_on_without_the_wireguard_family(lab: Lab, node: Node) -> None:
    if genl_id(node, "wireguard") is not None:
        pytest.skip("this kernel has the wireguard module: the missing family cannot be shown here")
    peer = lab.add_node("p")
    lab.veth(node, peer, "v0", "v1", up=False)
    node.check(["ip", "link", "add", "wg0", "type", "veth", "peer", "name", "wg1"], uts_mount=False)
    result = probe(node, "controller", "1.5")
    links = {link["ifname"]: link for link in node.ip_json("link", "show")}
    assert "wg0" in links, result  # not re-created (the veth reads as a wireguard link of no set type)
    assert links["v0"]["mtu"] == 1400 and "UP" in links["v0"]["flags"]  # the other spec applied
    assert "UP" in links["wg0"]["flags"]  # and wg0's own link settings
    warnings = [message for level, message in result["log"] if level == "WARNING"]
    assert warnings == ["link wg0: keys and peers not applied: the kernel has no 'wireguard' generic netlink "
                        "family (its module is not loaded or not built)"]  # said once over ~15 polls
    assert result["restarts"] == 0
    assert not [message for _, message in result["log"] if "configured wireguard" in message]
