"""LinkStatusController: links in a lab node checked against `ip -j -d link`; the mapping on kernel records;
the WireGuard part of kernel wireguard links in memory (this kernel may lack the module).

The observers run inside the node (observers_in_node.py); the test process only runs `ip` there.
"""

from __future__ import annotations

import errno
import logging
import socket
import subprocess
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import anyio
import pytest
from nslab import Lab, Node
from observer_lab import index_of, ip, observe, timed
from pyroute2.netlink.generic.wireguard import wgmsg

from networkd.controllers import link_status as link_status_module
from networkd.controllers import observers
from networkd.controllers.link_status import DeviceFacts, LinkStatusController, link_status, with_sysfs
from networkd.kernel import genetlink
from networkd.kernel.errors import KernelError
from networkd.kernel.genetlink import GenericNetlink, KernelWireguard, UnknownFamily
from networkd.kernel.hub import KernelHub
from networkd.kernel.types import ETH_P_8021AD, BondOptions, KernelLink, VlanInfo
from networkd.kernel.wireguard import WireguardDevice, decode_get_device
from networkd.resources.base import to_plain
from networkd.resources.enums import BondMode, Duplex, LinkType, OperationalState, Port
from networkd.resources.link import LinkStatus
from networkd.resources.network import NETWORK
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

OPER_STATES = {"UNKNOWN": "unknown", "NOTPRESENT": "notPresent", "DOWN": "down", "LOWERLAYERDOWN": "lowerLayerDown",
               "TESTING": "testing", "DORMANT": "dormant", "UP": "up"}
# LinkStatus fields as rendered when zero (omitempty ones are absent)
DEFAULTS = {"masterIndex": 0, "alias": "", "altNames": []}


def ip_flags(link: dict[str, Any]) -> list[str]:
    """ip's flag list in LinkFlags words: ip hides RUNNING (NO-CARRIER marks an up link without it)."""
    flags = {"POINTTOPOINT" if f == "POINTOPOINT" else f for f in link["flags"]} - {"NO-CARRIER", "M-DOWN"}
    if "UP" in flags and "NO-CARRIER" not in link["flags"]:
        flags.add("RUNNING")
    return sorted(flags)


def expected_links(node: Node) -> dict[str, Any]:
    """What `ip -j -d link` says of every link, in LinkStatus field names."""
    links = node.ip_json("-d", "link", "show")
    by_name = {link["ifname"]: link for link in links}
    out = {}
    for link in links:
        info = link.get("linkinfo", {})
        out[link["ifname"]] = {
            "index": link["ifindex"],
            "type": link["link_type"],
            "flags": ip_flags(link),
            "mtu": link["mtu"],
            "queueDisc": link["qdisc"],
            "operationalState": OPER_STATES[link["operstate"]],
            "hardwareAddr": link.get("address", ""),
            "broadcastAddr": link.get("broadcast", ""),
            "kind": info.get("info_kind", ""),
            "slaveKind": info.get("info_slave_kind", ""),
            "masterIndex": by_name[link["master"]]["ifindex"] if "master" in link else 0,
            "linkIndex": by_name[link["link"]]["ifindex"] if "link" in link else link.get("link_index", 0),
            "alias": link.get("ifalias", ""),
            "altNames": link.get("altnames", []),
        }
    return out


def view(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The statuses restricted to what `expected_links` knows, flags as a sorted list."""
    out = {}
    for name, status in statuses.items():
        fields = {key: status.get(key, DEFAULTS.get(key)) for key in (
            "index", "type", "mtu", "queueDisc", "operationalState", "hardwareAddr", "broadcastAddr", "kind",
            "slaveKind", "masterIndex", "linkIndex", "alias", "altNames")}
        fields["flags"] = sorted(f for f in status["flags"].split(",") if f)
        out[name] = fields
    return out


@pytest.fixture
def node(lab: Lab) -> Node:
    """A node with veth v0 to a peer node, a bridge br0 with the veth w0 as its port (w1 the other end),
    and a macvlan on v0."""
    node, peer = lab.add_node("k"), lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24"], b_addrs=["10.0.0.2/24"])
    ip(node, "link", "add", "br0", "type", "bridge")
    ip(node, "link", "add", "w0", "type", "veth", "peer", "name", "w1")
    ip(node, "link", "set", "w0", "master", "br0")
    ip(node, "link", "add", "mv0", "link", "v0", "type", "macvlan", "mode", "bridge")
    for link in ("br0", "w0", "w1", "mv0"):
        ip(node, "link", "set", link, "up")
    return node


def test_links_match_ip(node: Node) -> None:
    with observe(node) as observed:
        links = observed.converged("LinkStatus", lambda: expected_links(node), view)
    assert set(links) == {"lo", "v0", "br0", "w0", "w1", "mv0"}
    assert links["lo"]["type"] == "loopback"
    assert links["w0"]["veth"] == {"peerName": "w1"}
    assert links["w1"]["veth"] == {"peerName": "w0"}
    assert "veth" not in links["v0"], "the peer of v0 is in another namespace"
    assert links["w0"]["masterIndex"] == index_of(node, "br0")
    assert (links["w0"]["kind"], links["w0"]["slaveKind"], links["br0"]["kind"]) == ("veth", "bridge", "bridge")
    assert links["mv0"]["linkIndex"] == index_of(node, "v0")
    assert "bridgeMaster" not in links["br0"], "STP and VLAN filtering off: Go's omitempty drops it"
    # ethtool facts of the kernel's virtual drivers
    assert (links["v0"]["driver"], links["br0"]["driver"], links["mv0"]["driver"]) == ("veth", "bridge", "macvlan")
    assert (links["v0"]["speedMbit"], links["v0"]["duplex"], links["v0"]["port"]) == (10000, "Full", "TwistedPair")
    assert links["v0"]["linkState"] is True
    assert "driver" not in links["lo"] and links["lo"]["port"] == "Other" and links["lo"]["duplex"] == "Unknown"


def test_changes_show_up_within_a_second(node: Node) -> None:
    with observe(node) as observed:
        links = observed.converged("LinkStatus", lambda: expected_links(node), view)

        def link(name: str) -> dict[str, Any]:
            return observed.statuses("LinkStatus").get(name, {})

        timed(lambda: ip(node, "link", "set", "v0", "down"),
              lambda: link("v0")["operationalState"] == "down" and "UP" not in link("v0")["flags"], what="v0 down")
        assert link("v0")["linkState"] is False
        timed(lambda: ip(node, "link", "set", "v0", "up"),
              lambda: link("v0")["operationalState"] == "up" and link("v0")["linkState"], what="v0 up")
        timed(lambda: ip(node, "link", "set", "v0", "mtu", "1400"), lambda: link("v0")["mtu"] == 1400, what="mtu")
        timed(lambda: ip(node, "link", "set", "v0", "alias", "uplink"), lambda: link("v0").get("alias") == "uplink",
              what="alias")
        timed(lambda: ip(node, "link", "property", "add", "dev", "v0", "altname", "uplink0"),
              lambda: link("v0").get("altNames") == ["uplink0"], what="altname")
        timed(lambda: ip(node, "link", "set", "br0", "type", "bridge", "stp_state", "1"),
              lambda: link("br0").get("bridgeMaster") == {"stp": {"enabled": True}}, what="STP on")
        timed(lambda: ip(node, "link", "set", "w0", "nomaster"),
              lambda: "masterIndex" not in link("w0") and link("w0")["slaveKind"] == "", what="w0 leaves br0")
        timed(lambda: ip(node, "link", "del", "w0"), lambda: "w0" not in observed.statuses("LinkStatus")
              and "w1" not in observed.statuses("LinkStatus"), what="both ends of the veth gone")
        timed(lambda: ip(node, "link", "add", "d0", "type", "bridge"), lambda: link("d0").get("kind") == "bridge",
              what="new bridge")
        links = observed.converged("LinkStatus", lambda: expected_links(node), view)
    assert set(links) == {"lo", "v0", "br0", "d0", "mv0"}


def test_links_coming_and_going_during_dumps(node: Node) -> None:
    """Links created and deleted in a burst while the observers dump: no failure, the end state matches."""
    batch = "".join(f"link add t{i} type veth peer name u{i}\nlink set t{i} up\naddress add 10.9.{i}.1/24 dev t{i}\n"
                    + (f"link del t{i - 1}\n" if i % 2 else "") for i in range(60))
    with observe(node) as observed:
        observed.converged("LinkStatus", lambda: expected_links(node), view)
        for _ in range(3):
            subprocess.run(node.command(["ip", "-batch", "-"], uts_mount=False), input=batch, text=True, check=True)
            for i in range(60):
                subprocess.run(node.command(["ip", "link", "del", f"t{i}"], uts_mount=False), capture_output=True,
                               check=False)
        links = observed.converged("LinkStatus", lambda: expected_links(node), view)
        assert set(links) == {"lo", "v0", "br0", "w0", "w1", "mv0"}
        assert not [a for a in observed.statuses("AddressStatus") if a.startswith(("t", "u"))]


# the mapping, on kernel records


def test_bond_vlan_and_veth_mapping() -> None:
    bond = KernelLink(index=5, name="bond0", kind="bond", bond=BondOptions(
        mode=4, xmit_hash_policy=1, lacp_rate=1, miimon=100, primary=7, use_carrier=True,
        arp_ip_targets=(IPv4Address("10.0.0.1"),), ad_lacp_active=1, missed_max=2))
    status = link_status(bond, {}, DeviceFacts())
    assert status.bond_master is not None
    assert status.bond_master.mode == BondMode.IEEE8023AD
    assert to_plain(status.bond_master) == {
        "mode": "802.3ad", "xmitHashPolicy": "layer3+4", "lacpRate": "fast", "arpValidate": "none",
        "arpAllTargets": "any", "primaryIndex": 7, "primaryReselect": "always", "failOverMac": "none",
        "miimon": 100, "useCarrier": True, "arpIpTargets": ["10.0.0.1"], "adLacpActive": "on", "missedMax": 2}
    assert link_status(KernelLink(index=5, name="b", kind="bond", bond=BondOptions()), {}, DeviceFacts()) \
        .bond_master.ad_lacp_active is None  # type: ignore[union-attr]

    vlan = link_status(KernelLink(index=6, name="v.10", kind="vlan", link_index=2, vlan=VlanInfo(10, ETH_P_8021AD)),
                       {}, DeviceFacts())
    assert to_plain(vlan.vlan) == {"vlanID": 10, "vlanProtocol": "802.1ad"}
    assert vlan.link_index == 2 and vlan.bond_master is None and vlan.veth is None

    a = KernelLink(index=3, name="a", kind="veth", link_index=4)
    b = KernelLink(index=4, name="b", kind="veth", link_index=3)
    elsewhere = KernelLink(index=8, name="c", kind="veth", link_index=3, link_netnsid=0)
    links = {link.index: link for link in (a, b, elsewhere)}
    assert link_status(a, links, DeviceFacts()).veth.peer_name == "b"  # type: ignore[union-attr]
    assert link_status(elsewhere, links, DeviceFacts()).veth.peer_name == ""  # type: ignore[union-attr]


def test_plain_link_fields() -> None:
    link = KernelLink(index=2, name="eth0", type=1, flags=0x11043, operstate="LOWERLAYERDOWN", mtu=9000,
                      hw_addr="AA:bb:cc:dd:ee:ff", perm_addr="aa:bb:cc:dd:ee:00", broadcast_addr="ff:ff:ff:ff:ff:ff",
                      qdisc="fq_codel", master_index=9, altnames=("enp0s1",))
    facts = DeviceFacts(link_state=True, speed_mbit=1000, port=Port.FIBRE, duplex=Duplex.FULL, driver="e1000")
    status = link_status(link, {}, facts)
    assert status.physical()
    assert (status.type, status.operational_state) == (LinkType.ETHER, OperationalState.LOWER_LAYER_DOWN)
    plain = to_plain(status)
    assert plain["flags"] == "UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP"
    assert (plain["hardwareAddr"], plain["permanentAddr"]) == ("aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:00")
    assert (plain["speedMbit"], plain["port"], plain["duplex"], plain["driver"]) == (1000, "Fibre", "Full", "e1000")
    assert plain["altNames"] == ["enp0s1"] and plain["masterIndex"] == 9
    assert to_plain(link_status(KernelLink(index=7, name="tun0", type=65534, hw_addr=""), {}, facts))[
        "hardwareAddr"] == ""


def test_sysfs_facts(tmp_path: Path) -> None:
    device = tmp_path / "class/net/eth0/device"
    device.mkdir(parents=True)
    (device / "uevent").write_text("DRIVER=virtio_net\nPCI_CLASS=20000\nPCI_ID=1AF4:1041\nPCI_SLOT_NAME=0000:00:03.0\n")
    pci = tmp_path / "bus/pci/devices/0000:00:03.0"
    pci.mkdir(parents=True)
    (pci / "vendor").write_text("0x1af4\n")
    (pci / "device").write_text("0x1041\n")
    facts = with_sysfs(DeviceFacts(driver="virtio", bus_path="0000:00:03.0", driver_version="1.0.0"), "eth0", tmp_path)
    assert facts == DeviceFacts(driver="virtio_net", bus_path="0000:00:03.0", pci_id="1AF4:1041",
                                driver_version="1.0.0", vendor_id="0x1af4", product_id="0x1041")
    assert with_sysfs(DeviceFacts(driver="veth"), "veth0", tmp_path) == DeviceFacts(driver="veth")
    bridge = DeviceFacts(driver="bridge", bus_path="N/A")
    assert with_sysfs(bridge, "br0", tmp_path) == bridge


# kernel wireguard devices, in memory: a fake rtnetlink dump and generic netlink client, the real runtime

PRIV = "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="  # wg pubkey: Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0=
PEER = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
LINKS = [KernelLink(index=1, name="lo", type=772, flags=1, mtu=65536),
         KernelLink(index=2, name="eth0", type=1, mtu=1500, hw_addr="52:54:00:00:00:01")]


class FakeNetlink:
    """Answers link dumps from `now`, which the test edits."""

    now: list[KernelLink] = []

    @classmethod
    async def open(cls) -> FakeNetlink:
        return cls()

    async def __aenter__(self) -> FakeNetlink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def links(self) -> list[KernelLink]:
        return list(FakeNetlink.now)


def get_device_answer() -> bytes:
    """A WG_CMD_GET_DEVICE answer of wg0 with one peer, as pyroute2 encodes it."""
    msg = wgmsg()
    msg["cmd"], msg["version"] = 0, 1
    msg["header"].update({"type": 0x1d, "flags": 2})
    msg["attrs"] = [
        ["WGDEVICE_A_LISTEN_PORT", 51820], ["WGDEVICE_A_FWMARK", 7], ["WGDEVICE_A_IFNAME", "wg0"],
        ["WGDEVICE_A_PRIVATE_KEY", PRIV], ["WGDEVICE_A_PUBLIC_KEY", "Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0="],
        ["WGDEVICE_A_PEERS", [{"attrs": [
            ["WGPEER_A_PUBLIC_KEY", PEER], ["WGPEER_A_PRESHARED_KEY", PRIV],
            ["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", 25], ["WGPEER_A_ENDPOINT", {"addr": "192.0.2.7", "port": 4500}],
            ["WGPEER_A_ALLOWEDIPS", [{"attrs": [["WGALLOWEDIP_A_FAMILY", socket.AF_INET],
                                                ["WGALLOWEDIP_A_IPADDR", IPv4Address("10.7.0.0").packed],
                                                ["WGALLOWEDIP_A_CIDR_MASK", 24]]}]],
        ]}]],
    ]
    msg.encode()
    return bytes(msg.data)


class FakeKernelWireguard(KernelWireguard):
    """wg0 answers with `get_device_answer()`; any other name is not (or no longer) a device: ENODEV."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []
        self.closes = 0

    async def get(self, ifname: str) -> WireguardDevice:
        self.gets.append(ifname)
        if ifname != "wg0":
            raise KernelError(errno.ENODEV, "wireguard get", ifname)
        return decode_get_device([get_device_answer()])

    async def close(self) -> None:
        self.closes += 1


@pytest.fixture
def fake_links(monkeypatch: pytest.MonkeyPatch) -> type[FakeNetlink]:
    monkeypatch.setattr(observers, "Netlink", FakeNetlink)
    monkeypatch.setattr(link_status_module, "device_facts", lambda name: DeviceFacts())  # no ethtool on the host
    monkeypatch.setattr(link_status_module, "WIREGUARD_POLL", 0.02)
    FakeNetlink.now = list(LINKS)
    return FakeNetlink


@pytest.mark.anyio
async def test_kernel_wireguard_links_get_their_wireguard_status(
        fake_links: type[FakeNetlink], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake_links.now += [KernelLink(index=5, name="wg0", kind="wireguard", type=65534, mtu=1420),
                       KernelLink(index=6, name="wg1", kind="wireguard", type=65534, mtu=1420)]
    kwg = FakeKernelWireguard()
    state, hub = State(), KernelHub()
    runtime = Runtime(state)
    runtime.register(LinkStatusController(hub, kernel_wireguard=kwg))
    async with anyio.create_task_group() as tg:
        tg.start_soon(runtime.run)
        await until(lambda: kwg.gets.count("wg0") >= 3)  # read on every pass, polled without link events
        tg.cancel_scope.cancel()
    statuses = {r.id: to_plain(r.spec) for r in state.list(NETWORK, LinkStatus.TYPE.type)}
    assert statuses["wg0"]["wireguard"] == {
        "publicKey": "Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0=", "listenPort": 51820, "firewallMark": 7,
        "peers": [{"publicKey": PEER, "presharedKey": "", "endpoint": "192.0.2.7:4500",
                   "persistentKeepaliveInterval": "25s", "allowedIPs": ["10.7.0.0/24"]}]}  # no private or shared key
    assert "wireguard" not in statuses["wg1"] and "wireguard" not in statuses["eth0"]  # wg1 gone: ENODEV
    gone = [r for r in caplog.records if r.getMessage() == "link wg1: gone before its WireGuard status was read"]
    assert [r.levelname for r in gone] == ["DEBUG"] and kwg.gets.count("wg1") >= 3  # said once
    assert runtime.restarts == {} and kwg.closes >= 1  # closed with the controller


@pytest.mark.anyio
async def test_no_generic_netlink_socket_without_wireguard_links(
        fake_links: type[FakeNetlink], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sockets: list[str] = []  # "open" / "close" of the real KernelWireguard's generic netlink socket

    class NoWireguardFamily(GenericNetlink):
        """A kernel without the wireguard module."""

        @classmethod
        async def open(cls) -> GenericNetlink:
            sockets.append("open")
            return cls(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))  # never sent to

        async def family(self, name: str) -> int:
            raise UnknownFamily(name)

        async def close(self) -> None:
            sockets.append("close")
            await super().close()

    monkeypatch.setattr(genetlink, "GenericNetlink", NoWireguardFamily)
    state, hub = State(), KernelHub()
    runtime = Runtime(state)
    runtime.register(LinkStatusController(hub))

    def names() -> list[str]:
        return sorted(r.id for r in state.list(NETWORK, LinkStatus.TYPE.type))

    async with anyio.create_task_group() as tg:
        tg.start_soon(runtime.run)
        await until(lambda: names() == ["eth0", "lo"])
        for _ in range(3):
            hub.notify(["link"])
            await anyio.sleep(0.02)
        assert sockets == []  # no wireguard link: no socket

        fake_links.now = [*LINKS, KernelLink(index=5, name="wg0", kind="wireguard", type=65534, mtu=1420)]
        hub.notify(["link"])
        await until(lambda: "wg0" in names())
        await anyio.sleep(0.1)  # a few polls
        assert sockets == ["open"]  # kept open while the link exists
        assert state.get(NETWORK, LinkStatus.TYPE.type, "wg0").spec.wireguard is None  # type: ignore[attr-defined]

        fake_links.now = list(LINKS)
        hub.notify(["link"])
        await until(lambda: "wg0" not in names())
        assert sockets == ["open", "close"]  # the last wireguard link went
        tg.cancel_scope.cancel()
    message = "wireguard links have no WireGuard status: the kernel has no 'wireguard' generic netlink family"
    assert [r.levelname for r in caplog.records if r.getMessage() == message] == ["INFO"]
    assert runtime.restarts == {}
