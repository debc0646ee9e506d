"""WireGuard links from WireguardConfig documents, served by wireguard-go (this kernel has no wireguard module).

Two nodes on a bridge, each daemon configured with a WireguardConfig: `wg show wg0 dump` (run in the
daemon's namespaces, where its private /run holds the UAPI sockets) shows the configured keys, peers,
endpoints and allowed IPs; the nodes ping over the tunnel; a peer change applied with
`apply-config --mode=no-reboot` and a peer removed behind the daemon's back both reach `wg show`; a killed
wireguard-go is reaped and replaced; a restarted daemon adopts the running wireguard-go; removing the
document removes the link and the process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import yaml
from nslab import Lab, Node, wait_for
from nslab.daemon import Networkd
from nslab.host import netns_pids


def _keypair() -> tuple[str, str]:
    private = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout.strip()
    public = subprocess.run(["wg", "pubkey"], input=private, capture_output=True, text=True, check=True).stdout
    return private, public.strip()


def _config(eth: str, wg_addr: str, private: str, peers: list[dict[str, object]]) -> str:
    docs = [
        {"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": "eth0", "addresses": [{"address": eth}]},
        {"apiVersion": "v1alpha1", "kind": "WireguardConfig", "name": "wg0", "privateKey": private,
         "listenPort": 51820, "peers": peers, "addresses": [{"address": wg_addr}]},
    ]
    return yaml.safe_dump_all(docs)


def _dump(d: Networkd) -> tuple[list[str], dict[str, list[str]]]:
    """`wg show wg0 dump`: (the device's fields, each peer's fields by public key); empty when there is none."""
    out = d.nsenter(["wg", "show", "wg0", "dump"])
    if out.returncode != 0:
        return [], {}
    lines = [line.split("\t") for line in out.stdout.splitlines()]
    return lines[0], {fields[0]: fields[1:] for fields in lines[1:]}


def _wireguard_go_pids(node: Node) -> list[int]:
    pids = []
    for pid in netns_pids(node.netns):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "wireguard-go":
                pids.append(pid)
        except OSError:
            continue
    return pids


@pytest.fixture
def userspace_wireguard() -> None:
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("wireguard-go cannot run: no /dev/net/tun")
    for tool in ("wireguard-go", "wg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh installs it)")


def test_wireguard_go_tunnel(lab: Lab, userspace_wireguard: None, tmp_path: Path) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.lan([n1, n2])
    (k1, p1), (k2, p2), (_, p3) = _keypair(), _keypair(), _keypair()
    peer2 = {"publicKey": p2, "endpoint": "10.6.0.2:51820", "allowedIPs": ["10.7.0.2/32"]}
    peer1 = {"publicKey": p1, "endpoint": "10.6.0.1:51820", "allowedIPs": ["10.7.0.1/32"],
             "persistentKeepaliveInterval": "25s"}
    d1 = Networkd(n1, config=_config("10.6.0.1/24", "10.7.0.1/24", k1, [peer2])).start()
    d2 = Networkd(n2, config=_config("10.6.0.2/24", "10.7.0.2/24", k2, [peer1])).start()

    # keys, port, peers, endpoints and allowed IPs as wg shows them
    wait_for(lambda: p2 in _dump(d1)[1] and p1 in _dump(d2)[1], timeout=15, what="wg0 configured on both nodes")
    device, peers = _dump(d1)
    assert device[:4] == [k1, p1, "51820", "off"]
    assert list(peers) == [p2]
    assert peers[p2][0] == "(none)"  # no preshared key
    assert (peers[p2][1], peers[p2][2], peers[p2][6]) == ("10.6.0.2:51820", "10.7.0.2/32", "off")
    device, peers = _dump(d2)
    assert device[:4] == [k2, p2, "51820", "off"]
    assert (peers[p1][1], peers[p1][2], peers[p1][6]) == ("10.6.0.1:51820", "10.7.0.1/32", "25")
    link = n1.ip_json("-d", "link", "show", "wg0")[0]
    assert link["linkinfo"]["info_kind"] == "tun" and "UP" in link["flags"]
    assert [(a["local"], a["prefixlen"]) for a in n1.ip_json("addr", "show", "wg0")[0]["addr_info"]
            if a["family"] == "inet"] == [("10.7.0.1", 24)]

    # traffic through the tunnel both ways
    wait_for(lambda: n1.ping("10.7.0.2", timeout=1), timeout=20, what="n1 -> n2 over wg0")
    assert n2.ping("10.7.0.1")
    assert int(_dump(d1)[1][p2][3]) > 0  # a handshake happened

    # LinkStatus carries the public key, port and peers (read over UAPI every few seconds), never the private key
    def wireguard_status() -> dict[str, object] | None:
        out = d1.netctl("get", "links", "wg0", "-o", "yaml").stdout
        assert k1 not in out
        status = yaml.safe_load(out)["spec"].get("wireguard") or {}
        return status if status.get("peers") else None

    status = wait_for(wireguard_status, timeout=15, what="wireguard in the LinkStatus of wg0")
    assert (status["publicKey"], status["listenPort"]) == (p1, 51820)
    assert [(p["publicKey"], p["endpoint"], p["allowedIPs"]) for p in status["peers"]] == [  # type: ignore[attr-defined]
        (p2, "10.6.0.2:51820", ["10.7.0.2/32"])]

    # a changed configuration: n2's keepalive set, a third peer added
    wg_pid = _wireguard_go_pids(n1)
    assert len(wg_pid) == 1
    peer2_changed = {**peer2, "persistentKeepaliveInterval": "10s"}
    peer3 = {"publicKey": p3, "allowedIPs": ["10.7.0.3/32", "10.8.0.0/16"]}
    changed = tmp_path / "n1-changed.yaml"
    changed.write_text(_config("10.6.0.1/24", "10.7.0.1/24", k1, [peer2_changed, peer3]))
    d1.netctl("apply-config", "-f", str(changed), "--mode=no-reboot")
    wait_for(lambda: p3 in _dump(d1)[1], timeout=15, what="the third peer in wg show")
    peers = _dump(d1)[1]
    assert peers[p3][2].split(",") == ["10.7.0.3/32", "10.8.0.0/16"] and peers[p3][1] == "(none)"
    assert peers[p2][6] == "10"
    assert _wireguard_go_pids(n1) == wg_pid  # applied in place, not by re-creating the device
    assert n1.ping("10.7.0.2")

    # drift: a peer removed with wg is put back and logged
    assert d1.nsenter(["wg", "set", "wg0", "peer", p3, "remove"]).returncode == 0
    wait_for(lambda: p3 in _dump(d1)[1], timeout=15, what="the removed peer restored")
    assert "drift: configured wireguard wg0: missing peer " + p3[:8] in d1.logs()

    # wireguard-go killed: its link vanishes with it; the daemon reaps it and serves wg0 again
    os.kill(wg_pid[0], signal.SIGKILL)
    wait_for(lambda: (pids := _wireguard_go_pids(n1)) and pids != wg_pid, timeout=15, what="a new wireguard-go")
    wait_for(lambda: f"wireguard-go for wg0 (pid {wg_pid[0]}) exited with -9" in d1.logs(), timeout=5,
             what="the killed wireguard-go reaped")
    wait_for(lambda: n1.ping("10.7.0.2", timeout=1), timeout=20, what="n1 -> n2 over the new wg0")
    assert "drift: created link wg0" in d1.logs()
    assert p3 in _dump(d1)[1]
    wg_pid = _wireguard_go_pids(n1)

    # a restarted daemon adopts the running wireguard-go: same process, tunnel still up
    created = d1.logs().count("created link wg0")
    assert d1.stop() == 0
    assert _wireguard_go_pids(n1) == wg_pid
    d1.start()
    wait_for(lambda: f"adopted wireguard-go device wg0 (pid {wg_pid[0]})" in d1.logs(), timeout=10,
             what="wireguard-go adopted after the restart")
    assert n1.ping("10.7.0.2")
    assert _wireguard_go_pids(n1) == wg_pid
    assert d1.logs().count("created link wg0") == created and "re-creating link wg0" not in d1.logs()

    # the document removed: link and process gone on n1, n2 untouched
    plain = tmp_path / "n1-plain.yaml"
    plain.write_text(yaml.safe_dump({"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": "eth0",
                                     "addresses": [{"address": "10.6.0.1/24"}]}))
    d1.netctl("apply-config", "-f", str(plain), "--mode=no-reboot")
    wait_for(lambda: "wg0" not in [i["ifname"] for i in n1.ip_json("link")], timeout=15, what="wg0 deleted on n1")
    wait_for(lambda: not _wireguard_go_pids(n1), timeout=10, what="wireguard-go gone on n1")
    assert d1.nsenter(["wg", "show", "wg0"]).returncode != 0
    assert "wg0" in [i["ifname"] for i in n2.ip_json("link")] and len(_wireguard_go_pids(n2)) == 1
