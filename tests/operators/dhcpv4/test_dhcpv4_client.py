"""State machine tests on a fake clock: every transition and timer slot."""

from __future__ import annotations

import random
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Interface
from typing import Any

import pytest

from operators.dhcpv4.client import (
    BROADCAST,
    Action,
    AddressInUse,
    ArmTimer,
    CancelTimer,
    Client,
    ClientConfig,
    Event,
    LeaseAcquired,
    LeaseLost,
    LeaseLostReason,
    LeaseRenewed,
    Log,
    PacketReceived,
    Send,
    Start,
    State,
    Stop,
    Timer,
    TimerFired,
    Via,
    client_identifier,
    parameter_request_list,
)
from operators.dhcpv4.codec import Message, MessageType, Op, Options, decode, encode
from operators.dhcpv4.lease import Lease

A = IPv4Address
MAC = bytes.fromhex("020000000001")
SERVER = A("192.168.1.1")
OTHER_SERVER = A("192.168.1.2")
ADDRESS = A("192.168.1.50")
CONFIG = ClientConfig(mac=MAC, client_id=client_identifier("mac", MAC))


class FixedRandom(random.Random):
    """Jitter is a chosen constant; xids count up from 0x1001."""

    def __init__(self, jitter: float = 0.0) -> None:
        super().__init__(0)
        self.jitter = jitter
        self.xids = 0x1000

    def uniform(self, a: float, b: float) -> float:
        assert a <= self.jitter <= b
        return self.jitter

    def getrandbits(self, k: int) -> int:
        self.xids += 1
        return self.xids


class Harness:
    """Drives a client; keeps the clock and an independent record of armed timers."""

    def __init__(self, config: ClientConfig = CONFIG, rng: random.Random | None = None) -> None:
        self.client = Client(config, rng or FixedRandom())
        self.now = 0.0
        self.timers: dict[Timer, float] = {}
        self.log: list[Action] = []

    def feed(self, event: Event) -> list[Action]:
        actions = self.client.handle(event)
        for action in actions:
            if isinstance(action, ArmTimer):
                self.timers[action.timer] = action.at
            elif isinstance(action, CancelTimer):
                assert action.timer in self.timers, f"cancelled an unarmed {action.timer}"
                del self.timers[action.timer]
            elif isinstance(action, Send):
                assert decode(encode(action.message)) == action.message
        assert dict(self.client.timers) == self.timers
        self.log += actions
        return actions

    def start(self, lease: Lease | None = None) -> list[Action]:
        return self.feed(Start(self.now, lease))

    def fire(self, timer: Timer) -> list[Action]:
        self.now = self.timers.pop(timer)
        return self.feed(TimerFired(timer, self.now))

    def receive(self, message: Message, after: float = 0.1) -> list[Action]:
        self.now += after
        return self.feed(PacketReceived(message, self.now))

    def last_sent(self) -> Send:
        return [a for a in self.log if isinstance(a, Send)][-1]


def reply(
    request: Message,
    kind: MessageType,
    *,
    server: IPv4Address | None = SERVER,
    yiaddr: IPv4Address = ADDRESS,
    lease_time: int | None = 600,
    **changes: Any,
) -> Message:
    opts = Options(
        message_type=kind,
        server_id=server,
        lease_time=lease_time if kind is not MessageType.NAK else None,
        subnet_mask=A("255.255.255.0") if kind is not MessageType.NAK else None,
        routers=(SERVER,) if kind is not MessageType.NAK else (),
    )
    message = Message(
        op=Op.BOOTREPLY,
        xid=request.xid,
        chaddr=request.chaddr,
        yiaddr=yiaddr if kind is not MessageType.NAK else A(0),
        options=opts,
    )
    return replace(message, **changes)


def only(actions: list[Action], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def sent(actions: list[Action]) -> Send:
    (send,) = only(actions, Send)
    assert isinstance(send, Send)
    return send


def first_xid(h: Harness) -> int:
    """xid of the first message the harness saw sent."""
    return next(a.message.xid for a in h.log if isinstance(a, Send))


def bound(h: Harness | None = None) -> Harness:
    """A harness in BOUND: DISCOVER at 0, OFFER at 0.1 (REQUEST sent), ACK at 0.2."""
    h = h or Harness()
    discover = sent(h.start()).message
    request = sent(h.receive(reply(discover, MessageType.OFFER))).message
    h.receive(reply(request, MessageType.ACK))
    assert h.client.state is State.BOUND
    return h


# INIT -> SELECTING -> REQUESTING -> BOUND ---------------------------------------------------------


def test_start_broadcasts_discover_on_raw_socket() -> None:
    h = Harness()
    actions = h.start()
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.RAW)
    msg = send.message
    assert (msg.op, msg.xid, msg.chaddr, msg.secs, msg.ciaddr, msg.flags) == (Op.BOOTREQUEST, 0x1001, MAC, 0, A(0), 0)
    opts = msg.options
    assert opts.message_type is MessageType.DISCOVER
    assert opts.client_id == b"\x01" + MAC
    assert opts.parameter_request_list == (1, 121, 3, 6, 12, 15, 26, 28, 42, 119)
    assert opts.requested_ip is None and opts.server_id is None and opts.hostname is None
    assert only(actions, ArmTimer) == [ArmTimer(Timer.RESEND, 4.0)]
    assert h.client.state is State.SELECTING


@pytest.mark.parametrize("jitter", [-1.0, 0.0, 1.0])
def test_discover_backoff_doubles_to_64_with_jitter(jitter: float) -> None:
    h = Harness(rng=FixedRandom(jitter))
    h.start()
    delays = []
    for _ in range(8):
        before = h.now
        at = h.timers[Timer.RESEND]
        send = sent(h.fire(Timer.RESEND))
        delays.append(at - before)
        assert send.message.xid == 0x1001  # retransmissions keep the xid
        assert send.message.secs == int(h.now)  # RFC 2131: seconds since the process began
    assert delays == [d + jitter for d in (4, 8, 16, 32, 64, 64, 64, 64)]


def test_backoff_with_a_real_rng_stays_within_one_second() -> None:
    h = Harness(rng=random.Random(7))
    h.start()
    for nominal in (4, 8, 16, 32, 64, 64):
        before = h.now
        h.fire(Timer.RESEND)
        assert nominal - 1 <= h.now - before <= nominal + 1


def test_offer_selected_and_request_broadcast_with_discover_secs() -> None:
    h = Harness()
    h.start()
    h.fire(Timer.RESEND)  # DISCOVER again at t=4, secs 4
    discover = h.last_sent().message
    actions = h.receive(reply(discover, MessageType.OFFER), after=2.5)
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.RAW)
    req = send.message
    assert req.options.message_type is MessageType.REQUEST
    assert (req.xid, req.secs, req.ciaddr) == (discover.xid, 4, A(0))
    assert (req.options.requested_ip, req.options.server_id) == (ADDRESS, SERVER)
    assert req.options.parameter_request_list == discover.options.parameter_request_list
    assert only(actions, ArmTimer) == [ArmTimer(Timer.RESEND, h.now + 4)]  # backoff restarts
    assert h.client.state is State.REQUESTING


def test_request_retransmits_keep_secs_then_restart_discovery() -> None:
    h = Harness(ClientConfig(mac=MAC, request_attempts=3))
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    for _ in range(2):
        again = sent(h.fire(Timer.RESEND)).message
        assert again == request
    actions = h.fire(Timer.RESEND)
    assert "no reply to 3 REQUESTs" in only(actions, Log)[0].reason
    discover = sent(actions).message
    assert discover.options.message_type is MessageType.DISCOVER and discover.xid != request.xid
    assert h.client.state is State.SELECTING


def test_ack_binds_and_arms_t1_t2_expiry_from_request_time() -> None:
    h = Harness(rng=FixedRandom(0.5))
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER), after=1.0)).message
    actions = h.receive(reply(request, MessageType.ACK), after=2.0)
    (acquired,) = only(actions, LeaseAcquired)
    lease = acquired.lease
    # RFC 2131 §4.4.1: the lease starts when the original REQUEST was sent (t=1), not at the ACK.
    assert (lease.address.with_prefixlen, lease.server_id, lease.obtained) == ("192.168.1.50/24", SERVER, 1.0)
    assert actions[:1] == [CancelTimer(Timer.RESEND)]
    assert h.timers == {Timer.T1: 1 + 300.5, Timer.T2: 1 + 525.5, Timer.EXPIRY: 601.0}
    assert h.client.lease == lease and h.client.state is State.BOUND


def test_ack_without_server_id_uses_the_selected_server() -> None:
    h = Harness()
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    (acquired,) = only(h.receive(reply(request, MessageType.ACK, server=None)), LeaseAcquired)
    assert acquired.lease.server_id == SERVER


def test_infinite_lease_arms_no_timers() -> None:
    h = Harness()
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    h.receive(reply(request, MessageType.ACK, lease_time=0xFFFFFFFF))
    assert h.client.state is State.BOUND and h.timers == {}


def test_server_t1_t2_options_are_used() -> None:
    h = Harness()
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    ack = reply(request, MessageType.ACK)
    ack = replace(ack, options=replace(ack.options, renewal_time=100, rebinding_time=200))
    h.receive(ack)
    assert h.timers == {Timer.T1: 100.1, Timer.T2: 200.1, Timer.EXPIRY: 600.1}


# Filtering -----------------------------------------------------------------------------------------


def test_wrong_xid_is_dropped_with_a_reason() -> None:
    h = Harness()
    discover = sent(h.start()).message
    actions = h.receive(reply(discover, MessageType.OFFER, xid=discover.xid + 1))
    assert len(actions) == 1 and "xid" in only(actions, Log)[0].reason
    assert h.client.state is State.SELECTING


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"chaddr": bytes.fromhex("020000000002")}, "chaddr"),
        ({"op": Op.BOOTREQUEST}, "BOOTREPLY"),
        ({"options": Options(server_id=SERVER)}, "BOOTP"),
        ({"options": Options(message_type=MessageType.OFFER, server_id=SERVER, client_id=b"\x01abcdef")}, "identifier"),
    ],
)
def test_foreign_replies_are_dropped(changes: dict[str, Any], reason: str) -> None:
    h = Harness()
    actions = h.receive(reply(sent(h.start()).message, MessageType.OFFER, **changes))
    assert len(actions) == 1 and reason in only(actions, Log)[0].reason
    assert h.client.state is State.SELECTING


def test_offer_without_address_or_server_id_is_dropped() -> None:
    h = Harness()
    discover = sent(h.start()).message
    for bad in (reply(discover, MessageType.OFFER, server=None), reply(discover, MessageType.OFFER, yiaddr=A(0))):
        assert "no address or no server id" in only(h.receive(bad), Log)[0].reason
    assert h.client.state is State.SELECTING


def test_second_server_offer_ignored_after_selection() -> None:
    h = Harness()
    discover = sent(h.start()).message
    h.receive(reply(discover, MessageType.OFFER))
    actions = h.receive(reply(discover, MessageType.OFFER, server=OTHER_SERVER, yiaddr=A("192.168.1.99")))
    assert len(actions) == 1 and "not the selected server" in only(actions, Log)[0].reason
    actions = h.receive(reply(discover, MessageType.OFFER))  # the same server's duplicate
    assert len(actions) == 1 and "ignored OFFER in requesting" in only(actions, Log)[0].reason
    assert h.client.state is State.REQUESTING


def test_ack_and_nak_from_another_server_in_requesting_are_dropped() -> None:
    h = Harness()
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    for kind in (MessageType.ACK, MessageType.NAK):
        actions = h.receive(reply(request, kind, server=OTHER_SERVER))
        assert len(actions) == 1 and "not the selected server" in only(actions, Log)[0].reason
    assert h.client.state is State.REQUESTING


def test_duplicate_ack_in_bound_is_logged() -> None:
    h = bound()
    actions = h.receive(reply(h.last_sent().message, MessageType.ACK))
    assert actions == [Log("ignored ACK in bound")]


def test_unexpected_events_and_stale_timers_are_logged() -> None:
    h = Harness()
    assert h.feed(AddressInUse(0.0)) == [Log("ignored address-in-use in stopped")]
    assert h.feed(TimerFired(Timer.T1, 0.0)) == [Log("ignored t1 timer: not armed")]
    h.start()
    assert h.start() == [Log("ignored start in selecting")]
    assert h.feed(AddressInUse(0.0)) == [Log("ignored address-in-use in selecting")]


# NAK -----------------------------------------------------------------------------------------------


def test_nak_in_requesting_restarts_after_growing_delay() -> None:
    h = Harness()
    request = sent(h.receive(reply(sent(h.start()).message, MessageType.OFFER))).message
    nak = reply(request, MessageType.NAK, options=Options(message_type=MessageType.NAK, server_id=SERVER, message="no"))
    actions = h.receive(nak)
    assert not only(actions, LeaseLost) and not only(actions, Send)
    assert "'no'" in only(actions, Log)[0].reason
    assert h.client.state is State.INIT and h.timers == {Timer.RESEND: h.now + 1}
    delays = []
    for _ in range(8):
        discover = sent(h.fire(Timer.RESEND)).message
        assert discover.options.message_type is MessageType.DISCOVER and discover.options.requested_ip is None
        request = sent(h.receive(reply(discover, MessageType.OFFER), after=0)).message
        h.receive(reply(request, MessageType.NAK), after=0)
        delays.append(h.timers[Timer.RESEND] - h.now)
    assert delays == pytest.approx([2, 4, 8, 16, 32, 64, 64, 64])
    # a successful lease resets the delay
    request = sent(h.receive(reply(sent(h.fire(Timer.RESEND)).message, MessageType.OFFER), after=0)).message
    h.receive(reply(request, MessageType.ACK), after=0)
    h.fire(Timer.T1)
    h.receive(reply(h.last_sent().message, MessageType.NAK), after=0)
    assert h.timers[Timer.RESEND] - h.now == 1


def test_nak_in_renewing_loses_the_lease() -> None:
    h = bound()
    lease = h.client.lease
    renew = sent(h.fire(Timer.T1)).message
    actions = h.receive(reply(renew, MessageType.NAK))
    assert lease is not None and only(actions, LeaseLost) == [LeaseLost(lease, LeaseLostReason.NAK)]
    assert h.client.state is State.INIT and h.client.lease is None
    assert h.timers == {Timer.RESEND: h.now + 1}


def test_nak_in_rebinding_from_any_server_loses_the_lease() -> None:
    h = bound()
    h.fire(Timer.T1)
    rebind = sent(h.fire(Timer.T2)).message
    actions = h.receive(reply(rebind, MessageType.NAK, server=OTHER_SERVER))
    assert [a.reason for a in only(actions, LeaseLost)] == [LeaseLostReason.NAK]
    assert h.client.state is State.INIT


# RENEWING / REBINDING / expiry ---------------------------------------------------------------------


def test_t1_renews_by_unicast_to_the_server_id() -> None:
    h = bound()
    lease = h.client.lease
    assert lease is not None
    actions = h.fire(Timer.T1)
    send = sent(actions)
    assert (send.destination, send.via) == (SERVER, Via.UDP)  # never 0.0.0.0 (Talos #7263)
    msg = send.message
    assert msg.options.message_type is MessageType.REQUEST
    assert (msg.ciaddr, msg.options.requested_ip, msg.options.server_id, msg.secs) == (ADDRESS, None, None, 0)
    assert msg.xid != first_xid(h)
    assert h.client.state is State.RENEWING
    # RFC 2131 §4.4.5: retransmit after half the time left until T2, at least 60 s.
    t2 = h.timers[Timer.T2]
    assert h.timers[Timer.RESEND] == pytest.approx(h.now + (t2 - h.now) / 2)


def test_renewing_retransmits_halving_down_to_60s_then_stops_before_t2() -> None:
    h = bound()
    h.fire(Timer.T1)
    t2 = h.timers[Timer.T2]  # 525.1; T1 fired at 300.1 (REQUEST sent at 0.1)
    waits = []
    while Timer.RESEND in h.timers:
        before = h.now
        send = sent(h.fire(Timer.RESEND))
        assert (send.destination, send.via) == (SERVER, Via.UDP)
        assert send.message.secs == int(h.now - 300.1)
        waits.append(round(h.now - before, 3))
    assert waits == [112.5, 60.0]  # 225/2, then max(56.25, 60); the next would pass T2
    assert h.now + 60 >= t2


def test_renew_ack_renews_lease_and_rearms() -> None:
    h = bound()
    h.fire(Timer.T1)
    renew_sent_at = h.now
    actions = h.receive(reply(h.last_sent().message, MessageType.ACK, lease_time=1200), after=3)
    (renewed,) = only(actions, LeaseRenewed)
    assert renewed.lease.obtained == renew_sent_at and renewed.lease.lease_time == 1200
    assert h.client.state is State.BOUND
    assert h.timers == {
        Timer.T1: renew_sent_at + 600,
        Timer.T2: renew_sent_at + 1050,
        Timer.EXPIRY: renew_sent_at + 1200,
    }


def test_renew_ack_from_another_server_is_dropped() -> None:
    h = bound()
    renew = sent(h.fire(Timer.T1)).message
    actions = h.receive(reply(renew, MessageType.ACK, server=OTHER_SERVER))
    assert len(actions) == 1 and "not the selected server" in only(actions, Log)[0].reason


def test_t2_rebinds_by_broadcast_and_accepts_any_server() -> None:
    h = bound()
    renew = sent(h.fire(Timer.T1)).message
    actions = h.fire(Timer.T2)
    assert CancelTimer(Timer.RESEND) in actions
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.UDP)
    assert (send.message.ciaddr, send.message.xid) == (ADDRESS, renew.xid)
    assert send.message.options.server_id is None and send.message.options.requested_ip is None
    assert h.client.state is State.REBINDING
    expiry = h.timers[Timer.EXPIRY]
    assert h.timers[Timer.RESEND] == pytest.approx(h.now + max((expiry - h.now) / 2, 60))
    (renewed,) = only(h.receive(reply(send.message, MessageType.ACK, server=OTHER_SERVER)), LeaseRenewed)
    assert renewed.lease.server_id == OTHER_SERVER


def test_rebind_ack_without_server_id_keeps_the_old_one() -> None:
    h = bound()
    h.fire(Timer.T1)
    rebind = sent(h.fire(Timer.T2)).message
    (renewed,) = only(h.receive(reply(rebind, MessageType.ACK, server=None)), LeaseRenewed)
    assert renewed.lease.server_id == SERVER


def test_t2_in_bound_goes_straight_to_rebinding() -> None:
    h = bound()
    del h.timers[Timer.T2]
    actions = h.feed(TimerFired(Timer.T2, 530.0))
    assert CancelTimer(Timer.T1) in actions and h.client.state is State.REBINDING
    assert sent(actions).message.xid != first_xid(h)


def test_expiry_loses_lease_and_rediscovers_with_the_old_address_as_hint() -> None:
    h = bound()
    lease = h.client.lease
    h.fire(Timer.T1)
    h.fire(Timer.T2)
    while Timer.RESEND in h.timers:
        h.fire(Timer.RESEND)
    actions = h.fire(Timer.EXPIRY)
    assert lease is not None and actions[0] == LeaseLost(lease, LeaseLostReason.EXPIRED)
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.RAW)
    assert send.message.options.message_type is MessageType.DISCOVER
    assert send.message.options.requested_ip == ADDRESS
    assert h.client.state is State.SELECTING and h.client.lease is None
    assert set(h.timers) == {Timer.RESEND}


def test_expiry_while_renewing() -> None:
    h = bound()
    h.fire(Timer.T1)
    del h.timers[Timer.EXPIRY]
    actions = h.feed(TimerFired(Timer.EXPIRY, 601.0))
    assert [a.reason for a in only(actions, LeaseLost)] == [LeaseLostReason.EXPIRED]
    assert h.client.state is State.SELECTING and set(h.timers) == {Timer.RESEND}


# INIT-REBOOT ---------------------------------------------------------------------------------------


def saved_lease(obtained: float = -100.0, lease_time: int = 600) -> Lease:
    return Lease(
        address=IPv4Interface("192.168.1.50/24"),
        server_id=SERVER,
        obtained=obtained,
        lease_time=lease_time,
        renewal_time=lease_time / 2,
        rebinding_time=lease_time * 0.875,
    )


def test_init_reboot_success() -> None:
    h = Harness()
    actions = h.start(saved_lease())
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.RAW)
    msg = send.message
    assert msg.options.message_type is MessageType.REQUEST
    assert (msg.ciaddr, msg.options.requested_ip, msg.options.server_id) == (A(0), ADDRESS, None)
    assert h.client.state is State.REBOOTING
    actions = h.receive(reply(msg, MessageType.ACK))
    (acquired,) = only(actions, LeaseAcquired)
    assert acquired.lease.obtained == 0.0 and acquired.lease.server_id == SERVER
    assert h.client.state is State.BOUND


def test_init_reboot_nak_falls_back_to_init_without_hint() -> None:
    h = Harness()
    old = saved_lease()
    request = sent(h.start(old)).message
    actions = h.receive(reply(request, MessageType.NAK, server=OTHER_SERVER))
    assert only(actions, LeaseLost) == [LeaseLost(old, LeaseLostReason.NAK)]
    assert h.client.state is State.INIT
    discover = sent(h.fire(Timer.RESEND)).message
    assert discover.options.message_type is MessageType.DISCOVER and discover.options.requested_ip is None


def test_init_reboot_without_answer_falls_back_to_discover_with_hint() -> None:
    h = Harness(ClientConfig(mac=MAC, reboot_attempts=2))
    request = sent(h.start(saved_lease())).message
    assert sent(h.fire(Timer.RESEND)).message == replace(request, secs=4)
    actions = h.fire(Timer.RESEND)
    assert only(actions, Log) and not only(actions, LeaseLost)
    discover = sent(actions).message
    assert discover.options.message_type is MessageType.DISCOVER and discover.options.requested_ip == ADDRESS
    assert h.client.state is State.SELECTING and h.client.lease is None


def test_expired_saved_lease_goes_to_discover_with_hint() -> None:
    h = Harness()
    h.now = 1000.0
    discover = sent(h.start(saved_lease(obtained=0.0, lease_time=600))).message
    assert discover.options.message_type is MessageType.DISCOVER and discover.options.requested_ip == ADDRESS


def test_init_reboot_ack_without_server_id_uses_the_saved_one() -> None:
    h = Harness()
    request = sent(h.start(saved_lease())).message
    (acquired,) = only(h.receive(reply(request, MessageType.ACK, server=None)), LeaseAcquired)
    assert acquired.lease.server_id == SERVER


# DECLINE / RELEASE / stop --------------------------------------------------------------------------


def test_address_in_use_declines_and_restarts_after_ten_seconds() -> None:
    h = bound(Harness(ClientConfig(mac=MAC, client_id=b"\x01" + MAC, hostname="node1")))
    lease = h.client.lease
    actions = h.feed(AddressInUse(h.now))
    send = sent(actions)
    assert (send.destination, send.via) == (BROADCAST, Via.RAW)
    msg = send.message
    assert msg.options.message_type is MessageType.DECLINE
    assert (msg.ciaddr, msg.secs, msg.options.requested_ip, msg.options.server_id) == (A(0), 0, ADDRESS, SERVER)
    assert msg.options.client_id == b"\x01" + MAC
    assert msg.options.parameter_request_list == () and msg.options.hostname is None
    assert lease is not None and only(actions, LeaseLost) == [LeaseLost(lease, LeaseLostReason.DECLINED)]
    assert h.client.state is State.INIT and h.timers == {Timer.RESEND: h.now + 10}
    discover = sent(h.fire(Timer.RESEND)).message
    assert discover.options.message_type is MessageType.DISCOVER and discover.options.requested_ip is None


def test_stop_releases_by_unicast() -> None:
    h = bound()
    lease = h.client.lease
    actions = h.feed(Stop(h.now))
    send = sent(actions)
    assert (send.destination, send.via) == (SERVER, Via.UDP)
    msg = send.message
    assert msg.options.message_type is MessageType.RELEASE
    assert (msg.ciaddr, msg.secs, msg.options.server_id, msg.options.requested_ip) == (ADDRESS, 0, SERVER, None)
    assert lease is not None and only(actions, LeaseLost) == [LeaseLost(lease, LeaseLostReason.RELEASED)]
    assert h.timers == {} and h.client.state is State.STOPPED


def test_stop_without_release_keeps_the_lease_reusable() -> None:
    h = bound()
    h.fire(Timer.T1)
    actions = h.feed(Stop(h.now, release=False))
    assert not only(actions, Send)
    assert [a.reason for a in only(actions, LeaseLost)] == [LeaseLostReason.STOPPED]
    assert h.timers == {} and h.client.state is State.STOPPED


@pytest.mark.parametrize("steps", [0, 1])
def test_stop_before_a_lease_only_cancels_timers(steps: int) -> None:
    h = Harness()
    discover = sent(h.start()).message
    if steps:
        h.receive(reply(discover, MessageType.OFFER))
    assert h.feed(Stop(h.now)) == [CancelTimer(Timer.RESEND)]
    assert h.client.state is State.STOPPED


def test_stop_while_rebooting_sends_nothing() -> None:
    h = Harness()
    h.start(saved_lease())
    assert h.feed(Stop(h.now)) == [CancelTimer(Timer.RESEND)]


def test_restart_after_stop() -> None:
    h = bound()
    h.feed(Stop(h.now))
    discover = sent(h.start()).message
    assert discover.options.message_type is MessageType.DISCOVER and h.client.state is State.SELECTING


# Options we send -----------------------------------------------------------------------------------


def test_parameter_request_list_rules() -> None:
    assert parameter_request_list(ClientConfig(mac=MAC)) == (1, 121, 3, 6, 12, 15, 26, 28, 42, 119)
    assert parameter_request_list(ClientConfig(mac=MAC, hostname="me")) == (1, 121, 3, 6, 26, 28, 42, 119)
    no_ask = ClientConfig(mac=MAC, request_hostname=False, request_mtu=False)
    assert parameter_request_list(no_ask) == (1, 121, 3, 6, 28, 42, 119)


def test_hostname_and_domain_are_sent_but_not_requested() -> None:
    h = Harness(ClientConfig(mac=MAC, hostname="node1", domain="example.com"))
    opts = sent(h.start()).message.options
    assert (opts.hostname, opts.domain_name) == ("node1", "example.com")
    assert 12 not in opts.parameter_request_list and 15 not in opts.parameter_request_list
    assert opts.client_id is None


def test_broadcast_flag_only_before_an_address() -> None:
    h = bound(Harness(ClientConfig(mac=MAC, broadcast_flag=True)))
    first = [a for a in h.log if isinstance(a, Send)]
    assert all(s.message.flags == Message.BROADCAST_FLAG for s in first)
    assert sent(h.fire(Timer.T1)).message.flags == 0


def test_client_identifier_kinds() -> None:
    assert client_identifier("none", MAC) is None
    assert client_identifier("mac", MAC) == b"\x01" + MAC
    assert client_identifier("duid", MAC, bytes.fromhex("000100012345")) == bytes.fromhex("000100012345")
    with pytest.raises(ValueError):
        client_identifier("duid", MAC)
    with pytest.raises(ValueError):
        client_identifier("iaid", MAC)
