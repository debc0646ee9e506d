"""DHCP4Operator's driver on the real event loop, with scripted sockets and a scripted server."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from networkd.operators import dhcp4
from networkd.operators.dhcp4 import DHCP4Operator
from networkd.operators.rawsock import Datagram
from networkd.resources.enums import ClientIdentifier, Operator
from networkd.resources.network import ClientIdentifierSpec, DHCP4OperatorSpec, OperatorSpec
from operators import acd
from operators.dhcpv4 import client
from operators.dhcpv4.client import ArmTimer, CancelTimer, State, Timer
from operators.dhcpv4.codec import Message, MessageType, Op, Options, decode, encode

A = IPv4Address
MAC = bytes.fromhex("0a1b2c3d4e5f")
SQUATTER_MAC = bytes.fromhex("02000000beef")
SERVER = A("10.0.0.1")


@dataclass
class Net:
    """A scripted link: what the client sent, and a server answering DISCOVER/REQUEST."""

    sent: list[tuple[str, Message, IPv4Address]] = field(default_factory=list)
    inbox: asyncio.Queue[Datagram] = field(default_factory=asyncio.Queue)
    offer: IPv4Address = A("10.0.0.100")
    lease_time: int = 3600
    nak: bool = False
    silent: bool = False
    opened: int = 0
    closed: int = 0
    fail_open: bool = False
    taken: set[IPv4Address] = field(default_factory=set)  # a squatter answers ARP probes for these
    arp: list[tuple[acd.ArpPacket, object]] = field(default_factory=list)  # (sent, what observe() said then)
    observe: Callable[[], object] = lambda: None
    arp_opened: int = 0
    arp_closed: int = 0
    arp_fail: bool = False
    arp_broken: bool = False  # reading the ARP socket fails
    declined: list[IPv4Address] = field(default_factory=list)

    def kinds(self) -> list[tuple[str, MessageType | None]]:
        return [(via, m.message_type) for via, m, _ in self.sent]

    def receive(self, via: str, payload: bytes, dst: IPv4Address) -> None:
        msg = decode(payload)
        self.sent.append((via, msg, dst))
        kind = msg.message_type
        if kind is MessageType.DECLINE and msg.options.requested_ip is not None:
            self.declined.append(msg.options.requested_ip)
            self.offer = A(int(self.offer) + 1)  # as dnsmasq: a declined address is not offered again
        if self.silent or kind not in (MessageType.DISCOVER, MessageType.REQUEST):
            return
        if kind is MessageType.REQUEST and self.nak:
            reply = MessageType.NAK
        else:
            reply = MessageType.OFFER if kind is MessageType.DISCOVER else MessageType.ACK
        opts = Options(message_type=reply, server_id=SERVER)
        if reply is not MessageType.NAK:
            opts = Options(message_type=reply, server_id=SERVER, lease_time=self.lease_time,
                           subnet_mask=A("255.255.255.0"), routers=(SERVER,), dns_servers=(A("10.0.0.53"),),
                           hostname="fromdhcp")
        yiaddr = A(0) if reply is MessageType.NAK else msg.options.requested_ip or self.offer
        answer = Message(op=Op.BOOTREPLY, xid=msg.xid, chaddr=msg.chaddr, yiaddr=yiaddr, options=opts)
        self.inbox.put_nowait(Datagram(b"\x02" * 6, SERVER, A("255.255.255.255"), 67, encode(answer)))


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Net:
    net = Net()

    class PacketSocket:
        def __init__(self, link_name: str) -> None:
            if net.fail_open:
                raise OSError(19, "No such device")
            net.opened += 1
            self.mac = MAC

        def send(self, payload: bytes, *, dst: IPv4Address, **_: Any) -> None:
            net.receive("raw", payload, dst)

        async def recv(self) -> Datagram:
            return await net.inbox.get()

        def close(self) -> None:
            net.closed += 1

    class UDPSocket:
        def __init__(self, link_name: str) -> None:
            pass

        def send(self, payload: bytes, dst: IPv4Address) -> None:
            net.receive("udp", payload, dst)

        def close(self) -> None:
            net.closed += 1

    class ArpSocket:
        """A socket pair stands in for the link, so that the driver's add_reader works as on a real one."""

        def __init__(self, link_name: str) -> None:
            if net.arp_fail:
                raise OSError(93, "Protocol not supported")
            net.arp_opened += 1
            self._rx, self._tx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._rx.setblocking(False)

        def fileno(self) -> int:
            return self._rx.fileno()

        def send(self, payload: bytes) -> None:
            packet = acd.decode(payload)
            net.arp.append((packet, net.observe()))
            if packet.sender_ip == A(0) and (packet.target_ip in net.taken or net.arp_broken):
                answer = acd.ArpPacket(acd.Op.REPLY, SQUATTER_MAC, packet.target_ip, packet.sender_mac, A(0))
                self._tx.send(acd.encode(answer))

        def drain(self) -> list[bytes]:
            if net.arp_broken:
                raise OSError(100, "Network is down")
            out = []
            while True:
                try:
                    out.append(self._rx.recv(100))
                except BlockingIOError:
                    return out

        def close(self) -> None:
            net.arp_closed += 1
            self._rx.close()
            self._tx.close()

    monkeypatch.setattr(dhcp4, "PacketSocket", PacketSocket)
    monkeypatch.setattr(dhcp4, "UDPSocket", UDPSocket)
    monkeypatch.setattr(dhcp4, "ArpSocket", ArpSocket)  # never a real ARP socket in the host namespace
    return net


def operator(state_dir: Path, hostname: str | None = None, **settings: Any) -> DHCP4Operator:
    spec = OperatorSpec(operator=Operator.DHCP4, link_name="eth0", dhcp4=DHCP4OperatorSpec(**settings))
    return DHCP4Operator("eth0", spec, state_dir, lambda: hostname, rng=random.Random(1))


@dataclass
class Running:
    op: DHCP4Operator
    task: asyncio.Task[None]
    notified: list[float]


@pytest.fixture
async def start() -> AsyncIterator[Callable[[DHCP4Operator], Running]]:
    tasks: list[asyncio.Task[None]] = []

    def start(op: DHCP4Operator) -> Running:
        notified: list[float] = []
        task = asyncio.create_task(op.run(lambda: notified.append(time.monotonic())))
        tasks.append(task)
        return Running(op, task, notified)

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def bound(op: DHCP4Operator) -> bool:
    """BOUND and the lease offered (a new address only after its ARP probe)."""
    return op.state is State.BOUND and bool(op.outputs().addresses)


async def until(pred: Callable[[], object], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.002)


@pytest.mark.anyio
async def test_acquires_saves_publishes_and_shutdown_keeps_the_lease(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    assert net.kinds() == [("raw", MessageType.DISCOVER), ("raw", MessageType.REQUEST)]
    assert str(r.op.outputs().addresses[0].address) == "10.0.0.100/24"
    assert r.notified, "outputs changed: the supervisor was told"
    saved = json.loads((tmp_path / "dhcp4-eth0.json").read_text())
    assert (saved["address"], saved["server_id"]) == ("10.0.0.100/24", "10.0.0.1")

    r.task.cancel()
    await asyncio.gather(r.task, return_exceptions=True)
    assert len(net.sent) == 2, "a shutdown sends nothing"
    assert (tmp_path / "dhcp4-eth0.json").exists()
    assert net.closed == 1 and r.op.state is State.STOPPED


@pytest.mark.anyio
async def test_restart_offers_the_saved_lease_and_init_reboots(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: bound(first.op))
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    net.sent.clear()

    op = operator(tmp_path)
    assert str(op.outputs().addresses[0].address) == "10.0.0.100/24", "offered before the server confirms"
    second = start(op)
    await until(lambda: bound(op))
    [(via, request, dst)] = net.sent
    assert (via, request.message_type, dst) == ("raw", MessageType.REQUEST, A("255.255.255.255"))
    assert (request.options.requested_ip, request.options.server_id) == (A("10.0.0.100"), None)
    assert second.notified == [], "same lease, same outputs: nothing to tell"


@pytest.mark.anyio
async def test_nak_of_the_saved_lease_forgets_it_and_discovers(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: bound(first.op))
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)

    net.nak, net.offer = True, A("10.0.0.200")
    net.sent.clear()
    second = start(operator(tmp_path))
    await until(lambda: second.op.state is State.INIT)
    assert second.op.outputs().addresses == () and second.notified
    assert not (tmp_path / "dhcp4-eth0.json").exists()
    net.nak = False
    await until(lambda: bound(second.op))  # after the 1 s NAK delay
    assert str(second.op.outputs().addresses[0].address) == "10.0.0.200/24"
    assert [k for _, k in net.kinds()] == [MessageType.REQUEST, MessageType.DISCOVER, MessageType.REQUEST]


@pytest.mark.anyio
async def test_expired_saved_lease_is_only_a_hint(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: bound(first.op))
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    path = tmp_path / "dhcp4-eth0.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc | {"obtained": doc["obtained"] - 7200}))
    net.sent.clear()

    op = operator(tmp_path)
    assert op.outputs().addresses == ()
    start(op)
    await until(lambda: bound(op))
    discover = net.sent[0][1]
    assert (discover.message_type, discover.options.requested_ip) == (MessageType.DISCOVER, A("10.0.0.100"))


@pytest.mark.anyio
async def test_release_unicasts_to_the_server_and_forgets(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    r.op.release()
    await asyncio.wait_for(r.task, 1)
    via, release, dst = net.sent[-1]
    assert (via, release.message_type, dst) == ("udp", MessageType.RELEASE, SERVER)
    assert (release.ciaddr, release.options.server_id) == (A("10.0.0.100"), SERVER)
    assert r.op.outputs().addresses == () and not (tmp_path / "dhcp4-eth0.json").exists()
    assert net.closed == 2, "packet and UDP sockets closed"


@pytest.mark.slow
@pytest.mark.anyio
async def test_renewal_at_t1_is_unicast_from_the_leased_address(tmp_path: Path, net: Net, start: Any) -> None:
    net.lease_time = 10  # the shortest the client accepts: T1 at 5 s (+-1 s)
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    first = json.loads((tmp_path / "dhcp4-eth0.json").read_text())["obtained"]
    await until(lambda: len(net.sent) == 3, timeout=8.0)
    via, renew, dst = net.sent[2]
    assert (via, renew.message_type, dst) == ("udp", MessageType.REQUEST, SERVER)
    assert (renew.ciaddr, renew.options.requested_ip, renew.options.server_id) == (A("10.0.0.100"), None, None)
    await until(lambda: bound(r.op))
    assert json.loads((tmp_path / "dhcp4-eth0.json").read_text())["obtained"] > first + 3


@pytest.mark.anyio
async def test_hostname_sent_and_not_requested(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, "node1.example.org",
                       client_identifier=ClientIdentifierSpec(client_identifier=ClientIdentifier.MAC)))
    await until(lambda: bound(r.op))
    discover = net.sent[0][1].options
    assert (discover.hostname, discover.domain_name) == ("node1", "example.org")
    assert 12 not in discover.parameter_request_list and 15 not in discover.parameter_request_list
    assert discover.client_id == b"\x01" + MAC
    assert r.op.outputs().hostnames == (), "the server's hostname is not used when we sent ours"


@pytest.mark.anyio
async def test_hostname_requested_and_used_when_we_have_none(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, None, client_identifier=ClientIdentifierSpec(
        client_identifier=ClientIdentifier.DUID, duid_raw_hex="0004aabbccdd")))
    await until(lambda: bound(r.op))
    discover = net.sent[0][1].options
    assert discover.hostname is None and {12, 15} <= set(discover.parameter_request_list)
    assert discover.client_id == bytes.fromhex("0004aabbccdd")
    assert [h.hostname for h in r.op.outputs().hostnames] == ["fromdhcp"]

    # restarted while that hostname is applied: it is ours from DHCP, so it is not announced back
    r.task.cancel()
    await asyncio.gather(r.task, return_exceptions=True)
    net.sent.clear()
    again = start(operator(tmp_path, "fromdhcp"))
    await until(lambda: bound(again.op))
    assert net.sent[0][1].options.hostname is None


@pytest.mark.anyio
async def test_skip_hostname_request_and_no_client_id(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, None, skip_hostname_request=True))
    await until(lambda: bound(r.op))
    discover = net.sent[0][1].options
    assert 12 not in discover.parameter_request_list and discover.client_id is None
    assert r.op.outputs().hostnames == ()


@pytest.mark.anyio
async def test_failure_to_open_raises_and_keeps_outputs(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    r.task.cancel()
    await asyncio.gather(r.task, return_exceptions=True)
    op = operator(tmp_path)
    before = op.outputs()
    net.fail_open = True
    with pytest.raises(OSError):
        await op.run(lambda: None)
    assert op.outputs() == before and before.addresses


def test_unreadable_lease_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "dhcp4-eth0.json").write_text("{not json")
    assert operator(tmp_path).outputs().addresses == ()


@pytest.mark.anyio
async def test_a_timer_queued_before_being_rearmed_is_stale() -> None:
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[object] = asyncio.Queue()
    session = dhcp4._Session("eth0", logging.getLogger("test"), loop, events, packet=None)  # type: ignore[arg-type]
    session.execute(ArmTimer(Timer.RESEND, loop.time()))
    fired = await asyncio.wait_for(events.get(), 1)
    session.execute(ArmTimer(Timer.RESEND, loop.time() + 100))  # e.g. an OFFER handled first re-armed it
    assert not session.due(fired)
    session.execute(CancelTimer(Timer.RESEND))
    session.execute(ArmTimer(Timer.T1, loop.time()))
    assert session.due(await asyncio.wait_for(events.get(), 1))


# ARP probe of a new address (RFC 2131 §2.2, RFC 5227) -----------------------------------------------


def addresses(op: DHCP4Operator) -> list[str]:
    return [str(a.address) for a in op.outputs().addresses]


@pytest.mark.anyio
async def test_a_new_address_is_probed_before_it_is_offered_or_saved(tmp_path: Path, net: Net, start: Any) -> None:
    path = tmp_path / "dhcp4-eth0.json"
    op = operator(tmp_path)
    net.observe = lambda: (op.state, addresses(op), path.exists())
    start(op)
    await until(lambda: net.arp_closed == 1)
    probes = [(p, seen) for p, seen in net.arp if p.sender_ip == A(0)]
    announcements = [(p, seen) for p, seen in net.arp if p.sender_ip != A(0)]
    assert [p.target_ip for p, _ in probes] == [A("10.0.0.100")] * 3
    assert all(p.sender_mac == MAC and p.target_mac == bytes(6) for p, _ in probes)
    # bound with the server, but nothing offered and nothing saved while probing
    assert [seen for _, seen in probes] == [(State.BOUND, [], False)] * 3
    # announced once usable: offered and saved by then
    assert [(p.sender_ip, p.target_ip) for p, _ in announcements] == [(A("10.0.0.100"), A("10.0.0.100"))] * 2
    assert announcements[0][1] == (State.BOUND, ["10.0.0.100/24"], True)
    assert net.arp_opened == 1 and addresses(op) == ["10.0.0.100/24"]


@pytest.mark.anyio
async def test_a_taken_address_is_declined_and_never_offered(
    tmp_path: Path, net: Net, start: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(client, "_DECLINE_DELAY", 0.2)  # RFC 2131: 10 s; shortened for the test
    net.taken = {A("10.0.0.100")}
    op = operator(tmp_path)
    offered: list[list[str]] = []
    task = asyncio.create_task(op.run(lambda: offered.append(addresses(op))))
    try:
        await until(lambda: net.declined)
        assert op.state is State.INIT and op.outputs().addresses == ()
        assert not (tmp_path / "dhcp4-eth0.json").exists()
        via, decline, dst = next(s for s in net.sent if s[1].message_type is MessageType.DECLINE)
        assert (via, dst) == ("raw", A("255.255.255.255"))  # RFC 2131 §4.4.4: broadcast
        assert (decline.options.requested_ip, decline.options.server_id, decline.ciaddr) == (
            A("10.0.0.100"), SERVER, A(0))
        assert "10.0.0.100 is in use by 02:00:00:00:be:ef" in caplog.text
        await until(lambda: addresses(op) == ["10.0.0.101/24"])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert net.declined == [A("10.0.0.100")]
    assert all("10.0.0.100/24" not in o for o in offered), offered
    assert [k for _, k in net.kinds()] == [MessageType.DISCOVER, MessageType.REQUEST, MessageType.DECLINE,
                                           MessageType.DISCOVER, MessageType.REQUEST]
    assert json.loads((tmp_path / "dhcp4-eth0.json").read_text())["address"] == "10.0.0.101/24"
    assert net.arp_opened == net.arp_closed == 2


@pytest.mark.anyio
async def test_init_reboot_of_a_saved_lease_does_not_probe(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: bound(first.op))
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    net.arp.clear()
    net.taken = {A("10.0.0.100")}  # even a conflict would not be seen: there is no probe

    second = start(operator(tmp_path))
    await until(lambda: bound(second.op) and net.sent[-1][1].message_type is MessageType.REQUEST)
    await asyncio.sleep(0.2)  # longer than a probe
    assert net.arp == [] and net.arp_opened == 1
    assert addresses(second.op) == ["10.0.0.100/24"] and second.notified == []


@pytest.mark.anyio
async def test_without_an_arp_socket_the_address_is_used_unprobed(
    tmp_path: Path, net: Net, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    net.arp_fail = True
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    assert "cannot probe 10.0.0.100 with ARP" in caplog.text
    assert (tmp_path / "dhcp4-eth0.json").exists()


@pytest.mark.anyio
async def test_probing_can_be_turned_off(tmp_path: Path, net: Net, start: Any) -> None:
    spec = OperatorSpec(operator=Operator.DHCP4, link_name="eth0", dhcp4=DHCP4OperatorSpec())
    op = DHCP4Operator("eth0", spec, tmp_path, lambda: None, rng=random.Random(1), probe_timing=None)
    start(op)
    await until(lambda: bound(op))
    assert net.arp_opened == 0


@pytest.mark.anyio
async def test_a_release_while_probing_abandons_the_probe(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: r.op.state is State.BOUND)
    assert r.op.outputs().addresses == () and net.arp_opened == 1
    r.op.release()
    await asyncio.wait_for(r.task, 1)
    assert net.arp_closed == 1 and r.op.outputs().addresses == ()
    assert not (tmp_path / "dhcp4-eth0.json").exists()


@pytest.mark.anyio
async def test_an_arp_socket_that_fails_to_read_is_read_no_more(
    tmp_path: Path, net: Net, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    net.arp_broken = True  # every probe is answered, but the read fails
    r = start(operator(tmp_path))
    await until(lambda: bound(r.op))
    assert caplog.text.count("ARP socket failed, no more ARP read") == 1
    assert len([p for p, _ in net.arp if p.sender_ip == A(0)]) == 3  # the probe ran its course, unanswered
