"""DHCP4Operator against dnsmasq in a lab: outputs, INIT-REBOOT, RELEASE, two clients, NAK.

The operator runs inside client nodes (`dhcp4_node.py`); the pytest process only reads its JSON
and dnsmasq's log.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Any

from nslab import LAN, Dnsmasq, Lab, Node, wait_for

NODE_SCRIPT = Path(__file__).with_name("dhcp4_node.py")
SERVER = "10.0.0.1"
OPTIONS = (
    # option 121 wins over the router (3) dnsmasq always sends; 10.9.9.9 is outside the subnet.
    "--dhcp-option=121,192.168.50.0/24,10.0.0.254,172.16.0.0/16,10.9.9.9,0.0.0.0/0,10.0.0.1",
    "--dhcp-option=6,10.0.0.53,10.0.0.54",
    "--dhcp-option=119,corp.example.com,example.com",
    "--dhcp-option=15,example.com",
    "--dhcp-option=42,10.0.0.123",
    "--dhcp-option=26,1400",
    "--dhcp-option=12,myhost",
)


def network(lab: Lab, clients: tuple[str, ...] = ("c1",)) -> LAN:
    """A bridge with an upstream node at 10.0.0.1/24 and client nodes without addresses."""
    lan = lab.lan(list(clients), upstream=True)
    assert lan.upstream is not None
    lan.upstream.configure("eth0", [f"{SERVER}/24"])
    return lan


def serve(lab: Lab, lan: LAN, dhcp_range: str = "10.0.0.100,10.0.0.150,1h", *extra: str) -> Dnsmasq:
    """Start dnsmasq (no ping) with OPTIONS on the upstream node and wait until it serves."""
    assert lan.upstream is not None
    server = lab.start_dnsmasq(lan.upstream, "eth0", dhcp_range, *OPTIONS, *extra)
    wait_for(lambda: "DHCP, IP range" in log(server), 10.0, 0.02, what="dnsmasq to start")
    return server


def log(server: Dnsmasq) -> str:
    """dnsmasq's log so far."""
    path = server.node.dir / "dnsmasq.log"
    return path.read_text() if path.exists() else ""


def client(node: Node, *args: str) -> dict[str, Any]:
    """Run the operator in `node` (state in the node's directory); its JSON lines by key."""
    argv = [sys.executable, str(NODE_SCRIPT), "eth0", str(node.dir / "state"), *args]
    out = node.check(argv, uts_mount=True, timeout=60).stdout
    return {k: v for line in out.splitlines() for k, v in json.loads(line).items()}


def test_outputs_follow_the_ack_and_release_on_stop(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    result = client(lan.nodes[0], "--metric", "1024", "--apply", "--then", "release")

    out = result["bound"]["outputs"]
    [address] = out["addresses"]
    ip = address["address"].split("/")[0]
    assert ipaddress.ip_interface(address["address"]) in ipaddress.ip_network("10.0.0.0/24")
    assert 100 <= int(ip.split(".")[-1]) <= 150
    assert address | {"address": ""} == {"address": "", "linkName": "eth0", "family": "inet4", "scope": "global",
                                         "flags": "permanent", "priority": 1024, "layer": "operator"}
    routes = [(r["dst"], r["gateway"], r["scope"]) for r in out["routes"]]
    assert routes == [
        ("192.168.50.0/24", "10.0.0.254", "global"),
        ("172.16.0.0/16", "10.9.9.9", "global"),
        ("10.9.9.9/32", "", "link"),  # on-link helper right after the first use of the gateway
        ("", SERVER, "global"),  # default route from option 121; option 3 ignored
    ]
    assert {(r["src"], r["priority"], r["protocol"], r["table"], r["layer"]) for r in out["routes"]} == {
        (ip, 1024, "boot", "main", "operator")
    }
    assert [(link["name"], link["mtu"], link["up"]) for link in out["links"]] == [("eth0", 1400, True)]
    [resolver] = out["resolvers"]
    assert resolver["dnsServers"] == ["10.0.0.53", "10.0.0.54"]
    assert resolver["searchDomains"] == ["corp.example.com", "example.com"]  # 119, then 15 (not repeated)
    assert out["time_servers"] == [{"timeServers": ["10.0.0.123"], "layer": "operator"}]
    assert out["hostnames"] == [{"hostname": "myhost", "domainname": "example.com", "layer": "operator"}]
    assert out["ids"][:2] == [f"dhcp4/eth0/eth0/{address['address']}", "dhcp4/eth0/eth0"]
    assert "dhcp4/eth0/inet4/10.0.0.1//1024" in out["ids"]

    # removed by spec: DHCPRELEASE from the leased address, outputs and lease file gone
    assert result["finished"] == {"outputs": result["finished"]["outputs"], "lease_file": False}
    assert not any(result["finished"]["outputs"][k] for k in ("addresses", "routes", "ids"))
    wait_for(lambda: f"DHCPRELEASE(eth0) {ip} " in log(server), 5.0, 0.02, what="DHCPRELEASE in dnsmasq's log")


def test_restart_resumes_the_saved_lease_by_init_reboot(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    first = client(lan.nodes[0], "--then", "stop")
    assert first["finished"]["lease_file"] is True, "a shutdown keeps the lease"
    address = first["bound"]["outputs"]["addresses"][0]["address"]
    ip = address.split("/")[0]
    wait_for(lambda: f"DHCPACK(eth0) {ip} " in log(server), 5.0, 0.02, what="the first DHCPACK")
    before = len(log(server))

    second = client(lan.nodes[0], "--then", "stop")
    assert second["bound"]["states"] == ["rebooting", "bound"]
    assert second["bound"]["tentative"]["addresses"][0]["address"] == address, "saved lease offered at once"
    assert second["bound"]["outputs"]["addresses"][0]["address"] == address
    wait_for(lambda: f"DHCPACK(eth0) {ip} " in log(server)[before:], 5.0, 0.02, what="the second DHCPACK")
    since = log(server)[before:]
    assert f"DHCPREQUEST(eth0) {ip} " in since
    assert "DHCPDISCOVER" not in since and "DHCPRELEASE" not in log(server)


def test_two_clients_on_one_bridge_get_distinct_addresses(lab: Lab) -> None:
    lan = network(lab, ("c1", "c2"))
    serve(lab, lan)
    argv = [sys.executable, str(NODE_SCRIPT), "eth0"]
    procs = [(node, node.run([*argv, str(node.dir / "state")], stdout=node.dir / "out.json")) for node in lan.nodes]
    addresses = set()
    for node, proc in procs:
        assert proc.wait(timeout=60) == 0, (node.dir / "out.json").read_text()
        lines = [json.loads(line) for line in (node.dir / "out.json").read_text().splitlines()]
        addresses.add(next(line["bound"] for line in lines if "bound" in line)["outputs"]["addresses"][0]["address"])
    assert len(addresses) == 2


def test_nak_from_a_changed_server_restarts_discovery(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    first = client(lan.nodes[0], "--then", "stop")
    old = first["bound"]["outputs"]["addresses"][0]["address"]
    server.stop()

    # the new server hands out another range and, authoritative, refuses the old address
    server = serve(lab, lan, "10.0.0.200,10.0.0.250,1h", "--dhcp-authoritative")
    second = client(lan.nodes[0], "--then", "stop")
    states = second["bound"]["states"]
    assert states[:2] == ["rebooting", "init"] and states[-1] == "bound"
    new = second["bound"]["outputs"]["addresses"][0]["address"]
    assert new != old and 200 <= int(new.split("/")[0].split(".")[-1]) <= 250
    assert f"DHCPNAK(eth0) {old.split('/')[0]} " in log(server)
    assert second["finished"]["lease_file"] is True


def test_own_hostname_is_sent_and_no_hostname_requested(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    result = client(lan.nodes[0], "--hostname", "client1.lab.example")
    ip = result["bound"]["outputs"]["addresses"][0]["address"].split("/")[0]
    wait_for(lambda: f"DHCPACK(eth0) {ip} " in log(server), 5.0, 0.02, what="the DHCPACK")
    ack = next(line for line in log(server).splitlines() if f"DHCPACK(eth0) {ip} " in line)
    assert ack.rstrip().endswith("client1")
    requested = " ".join(line for line in log(server).splitlines() if "requested options" in line)
    assert "12:hostname" not in requested and "15:domain-name" not in requested
    assert result["bound"]["outputs"]["hostnames"] == [], "a server's hostname is not used when we sent ours"



def test_controller_runs_the_operator_and_releases_when_the_spec_goes(lab: Lab) -> None:
    lan = network(lab)
    server = serve(lab, lan)
    node = lan.nodes[0]
    script = Path(__file__).with_name("controller_node.py")
    out = json.loads(node.check([sys.executable, str(script), str(node.dir / "state")], timeout=60).stdout)
    ids = out["published"]
    [address_id] = ids["AddressSpec"]
    ip = address_id.split("/")[3]
    assert address_id.startswith("dhcp4/eth0/eth0/10.0.0.")
    assert ids["LinkSpec"] == ["dhcp4/eth0/eth0"]
    assert ids["HostnameSpec"] == ["dhcp4/eth0/hostname"]
    assert ids["ResolverSpec"] == ["dhcp4/eth0/resolvers"]
    assert ids["TimeServerSpec"] == ["dhcp4/eth0/timeservers"]
    assert "dhcp4/eth0/inet4/10.0.0.1//1024" in ids["RouteSpec"] and len(ids["RouteSpec"]) == 4
    assert not any(out["retired"].values())
    wait_for(lambda: f"DHCPRELEASE(eth0) {ip} " in log(server), 5.0, 0.02, what="DHCPRELEASE in dnsmasq's log")
    assert not (node.dir / "state" / "dhcp4-eth0.json").exists()


def test_link_down_at_start_then_up(lab: Lab) -> None:
    lan = network(lab)
    serve(lab, lan)
    node = lan.nodes[0]
    node.check(["ip", "link", "set", "eth0", "down"])
    out = node.dir / "out.json"
    proc = node.run([sys.executable, str(NODE_SCRIPT), "eth0", str(node.dir / "state")], stdout=out)
    time.sleep(1.0)  # its first DISCOVER fails and its packet socket reports ENETDOWN: both must be survived
    assert proc.poll() is None, out.read_text()
    node.check(["ip", "link", "set", "eth0", "up"])
    assert proc.wait(timeout=30) == 0, out.read_text()
    [bound] = [line["bound"] for line in map(json.loads, out.read_text().splitlines()) if "bound" in line]
    assert bound["states"][-1] == "bound" and bound["outputs"]["addresses"]
