"""DHCP4Operator's driver on the real event loop, with scripted sockets and a scripted server."""

from __future__ import annotations

import asyncio
import json
import logging
import random
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
from operators.dhcpv4.client import ArmTimer, CancelTimer, State, Timer
from operators.dhcpv4.codec import Message, MessageType, Op, Options, decode, encode

A = IPv4Address
MAC = bytes.fromhex("0a1b2c3d4e5f")
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

    def kinds(self) -> list[tuple[str, MessageType | None]]:
        return [(via, m.message_type) for via, m, _ in self.sent]

    def receive(self, via: str, payload: bytes, dst: IPv4Address) -> None:
        msg = decode(payload)
        self.sent.append((via, msg, dst))
        kind = msg.message_type
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

    monkeypatch.setattr(dhcp4, "PacketSocket", PacketSocket)
    monkeypatch.setattr(dhcp4, "UDPSocket", UDPSocket)
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


async def until(pred: Callable[[], object], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.002)


@pytest.mark.anyio
async def test_acquires_saves_publishes_and_shutdown_keeps_the_lease(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: r.op.state is State.BOUND)
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
    await until(lambda: first.op.state is State.BOUND)
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    net.sent.clear()

    op = operator(tmp_path)
    assert str(op.outputs().addresses[0].address) == "10.0.0.100/24", "offered before the server confirms"
    second = start(op)
    await until(lambda: op.state is State.BOUND)
    [(via, request, dst)] = net.sent
    assert (via, request.message_type, dst) == ("raw", MessageType.REQUEST, A("255.255.255.255"))
    assert (request.options.requested_ip, request.options.server_id) == (A("10.0.0.100"), None)
    assert second.notified == [], "same lease, same outputs: nothing to tell"


@pytest.mark.anyio
async def test_nak_of_the_saved_lease_forgets_it_and_discovers(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: first.op.state is State.BOUND)
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)

    net.nak, net.offer = True, A("10.0.0.200")
    net.sent.clear()
    second = start(operator(tmp_path))
    await until(lambda: second.op.state is State.INIT)
    assert second.op.outputs().addresses == () and second.notified
    assert not (tmp_path / "dhcp4-eth0.json").exists()
    net.nak = False
    await until(lambda: second.op.state is State.BOUND)  # after the 1 s NAK delay
    assert str(second.op.outputs().addresses[0].address) == "10.0.0.200/24"
    assert [k for _, k in net.kinds()] == [MessageType.REQUEST, MessageType.DISCOVER, MessageType.REQUEST]


@pytest.mark.anyio
async def test_expired_saved_lease_is_only_a_hint(tmp_path: Path, net: Net, start: Any) -> None:
    first = start(operator(tmp_path))
    await until(lambda: first.op.state is State.BOUND)
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    path = tmp_path / "dhcp4-eth0.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc | {"obtained": doc["obtained"] - 7200}))
    net.sent.clear()

    op = operator(tmp_path)
    assert op.outputs().addresses == ()
    start(op)
    await until(lambda: op.state is State.BOUND)
    discover = net.sent[0][1]
    assert (discover.message_type, discover.options.requested_ip) == (MessageType.DISCOVER, A("10.0.0.100"))


@pytest.mark.anyio
async def test_release_unicasts_to_the_server_and_forgets(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: r.op.state is State.BOUND)
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
    await until(lambda: r.op.state is State.BOUND)
    first = json.loads((tmp_path / "dhcp4-eth0.json").read_text())["obtained"]
    await until(lambda: len(net.sent) == 3, timeout=8.0)
    via, renew, dst = net.sent[2]
    assert (via, renew.message_type, dst) == ("udp", MessageType.REQUEST, SERVER)
    assert (renew.ciaddr, renew.options.requested_ip, renew.options.server_id) == (A("10.0.0.100"), None, None)
    await until(lambda: r.op.state is State.BOUND)
    assert json.loads((tmp_path / "dhcp4-eth0.json").read_text())["obtained"] > first + 3


@pytest.mark.anyio
async def test_hostname_sent_and_not_requested(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, "node1.example.org",
                       client_identifier=ClientIdentifierSpec(client_identifier=ClientIdentifier.MAC)))
    await until(lambda: r.op.state is State.BOUND)
    discover = net.sent[0][1].options
    assert (discover.hostname, discover.domain_name) == ("node1", "example.org")
    assert 12 not in discover.parameter_request_list and 15 not in discover.parameter_request_list
    assert discover.client_id == b"\x01" + MAC
    assert r.op.outputs().hostnames == (), "the server's hostname is not used when we sent ours"


@pytest.mark.anyio
async def test_hostname_requested_and_used_when_we_have_none(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, None, client_identifier=ClientIdentifierSpec(
        client_identifier=ClientIdentifier.DUID, duid_raw_hex="0004aabbccdd")))
    await until(lambda: r.op.state is State.BOUND)
    discover = net.sent[0][1].options
    assert discover.hostname is None and {12, 15} <= set(discover.parameter_request_list)
    assert discover.client_id == bytes.fromhex("0004aabbccdd")
    assert [h.hostname for h in r.op.outputs().hostnames] == ["fromdhcp"]

    # restarted while that hostname is applied: it is ours from DHCP, so it is not announced back
    r.task.cancel()
    await asyncio.gather(r.task, return_exceptions=True)
    net.sent.clear()
    again = start(operator(tmp_path, "fromdhcp"))
    await until(lambda: again.op.state is State.BOUND)
    assert net.sent[0][1].options.hostname is None


@pytest.mark.anyio
async def test_skip_hostname_request_and_no_client_id(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path, None, skip_hostname_request=True))
    await until(lambda: r.op.state is State.BOUND)
    discover = net.sent[0][1].options
    assert 12 not in discover.parameter_request_list and discover.client_id is None
    assert r.op.outputs().hostnames == ()


@pytest.mark.anyio
async def test_failure_to_open_raises_and_keeps_outputs(tmp_path: Path, net: Net, start: Any) -> None:
    r = start(operator(tmp_path))
    await until(lambda: r.op.state is State.BOUND)
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
