"""RFC 5227 probe on a fake clock: no conflict then announcements, conflict by a reply, by another host's probe."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

import pytest

from operators.acd import (
    FAST,
    RFC5227,
    Action,
    Announced,
    ArmTimer,
    ArpDecodeError,
    ArpPacket,
    ArpReceived,
    Available,
    CancelTimer,
    Conflict,
    Event,
    Log,
    Op,
    Phase,
    Probe,
    ProbeTiming,
    SendArp,
    Start,
    TimerFired,
    decode,
    encode,
)

A = IPv4Address
OURS = bytes.fromhex("020000000001")
THEIRS = bytes.fromhex("020000000002")
ADDRESS = A("10.0.0.100")
ZERO_MAC = bytes(6)


class Bounds(random.Random):
    """uniform(a, b) returns a + fraction * (b - a): 0 is the earliest the RFC allows, 1 the latest."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + self.fraction * (b - a)


class Clock:
    """Drives a probe; keeps the time and the one timer, and checks every action is well-formed."""

    def __init__(self, timing: ProbeTiming = FAST, fraction: float = 0.5) -> None:
        self.probe = Probe(ADDRESS, OURS, Bounds(fraction), timing)
        self.now = 100.0
        self.timer: float | None = None
        self.sent: list[tuple[float, ArpPacket]] = []
        self.verdicts: list[tuple[float, Action]] = []

    def feed(self, event: Event) -> list[Action]:
        actions = self.probe.handle(event)
        for action in actions:
            if isinstance(action, ArmTimer):
                assert action.at >= self.now
                self.timer = action.at
            elif isinstance(action, CancelTimer):
                assert self.timer is not None, "cancelled an unarmed timer"
                self.timer = None
            elif isinstance(action, SendArp):
                assert decode(encode(action.packet)) == action.packet
                self.sent.append((self.now, action.packet))
            elif isinstance(action, Available | Conflict | Announced):
                self.verdicts.append((self.now, action))
        return actions

    def start(self) -> list[Action]:
        return self.feed(Start(self.now))

    def fire(self) -> list[Action]:
        assert self.timer is not None
        self.now, self.timer = self.timer, None
        return self.feed(TimerFired(self.now))

    def receive(self, packet: ArpPacket, after: float = 0.001) -> list[Action]:
        self.now += after
        return self.feed(ArpReceived(packet, self.now))

    def run(self) -> None:
        """Fire the timer until nothing is armed."""
        while self.timer is not None:
            self.fire()


def probe_of(mac: bytes, target: IPv4Address) -> ArpPacket:
    return ArpPacket(Op.REQUEST, mac, A(0), ZERO_MAC, target)


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_no_conflict_sends_three_probes_then_uses_and_announces_the_address(fraction: float) -> None:
    c = Clock(fraction=fraction)
    c.start()
    c.run()
    assert c.probe.phase is Phase.DONE
    probes = [(t, p) for t, p in c.sent if p.sender_ip == A(0)]
    announcements = [(t, p) for t, p in c.sent if p.sender_ip == ADDRESS]
    assert len(probes) == 3 and len(announcements) == 2 and len(c.sent) == 5
    for _, p in probes:  # RFC 5227 §2.1.1: sender IP 0, target hardware address 0, target IP ours
        assert (p.op, p.sender_mac, p.target_mac, p.target_ip) == (Op.REQUEST, OURS, ZERO_MAC, ADDRESS)
    for _, p in announcements:  # §2.3: sender and target IP both ours
        assert (p.op, p.sender_mac, p.target_mac, p.target_ip) == (Op.REQUEST, OURS, ZERO_MAC, ADDRESS)

    # FAST is RFC 5227 / 100: first probe within PROBE_WAIT (10 ms), then 10-20 ms apart
    start = 100.0
    t1, t2, t3 = (t for t, _ in probes)
    assert t1 - start == pytest.approx(0.010 * fraction)
    assert t2 - t1 == pytest.approx(0.010 + 0.010 * fraction)
    assert t3 - t2 == pytest.approx(0.010 + 0.010 * fraction)
    # usable ANNOUNCE_WAIT (20 ms) after the last probe, announced at once and again 2 s later
    (t_avail, available), (t_done, announced) = c.verdicts
    assert isinstance(available, Available) and isinstance(announced, Announced)
    assert t_avail - t3 == pytest.approx(0.020)
    assert 0.040 <= t_avail - start <= 0.070 + 1e-9
    assert announcements[0][0] == t_avail
    assert announcements[1][0] - announcements[0][0] == pytest.approx(2.0)
    assert t_done == announcements[1][0]


def test_rfc5227_timing_as_written() -> None:
    c = Clock(RFC5227, fraction=1.0)
    c.start()
    c.run()
    (t_avail, _), _ = c.verdicts
    assert t_avail - 100.0 == pytest.approx(1 + 2 + 2 + 2)  # the worst case: 7 s


@pytest.mark.parametrize("kind", ["reply", "request", "announcement", "gratuitous reply"])
def test_any_packet_from_the_address_is_a_conflict(kind: str) -> None:
    sender = {
        "reply": ArpPacket(Op.REPLY, THEIRS, ADDRESS, OURS, A(0)),  # the answer to our probe
        "request": ArpPacket(Op.REQUEST, THEIRS, ADDRESS, ZERO_MAC, A("10.0.0.1")),
        "announcement": ArpPacket(Op.REQUEST, THEIRS, ADDRESS, ZERO_MAC, ADDRESS),
        "gratuitous reply": ArpPacket(Op.REPLY, THEIRS, ADDRESS, bytes.fromhex("ffffffffffff"), ADDRESS),
    }[kind]
    c = Clock()
    c.start()
    c.fire()  # first probe out
    actions = c.receive(sender)
    assert actions == [CancelTimer(), Conflict(sender)]
    assert c.probe.phase is Phase.CONFLICT and c.timer is None
    assert [type(v) for _, v in c.verdicts] == [Conflict]
    assert len(c.sent) == 1  # no more probes, no announcement


def test_another_hosts_probe_for_the_same_address_is_a_conflict() -> None:
    c = Clock()
    c.start()
    c.fire()
    c.fire()
    rival = probe_of(THEIRS, ADDRESS)
    assert c.receive(rival) == [CancelTimer(), Conflict(rival)]
    assert c.probe.phase is Phase.CONFLICT and len(c.sent) == 2


def test_a_conflict_before_the_first_probe_counts() -> None:
    """RFC 5227: the period runs 'from the beginning of the probing process', PROBE_WAIT included."""
    c = Clock()
    c.start()
    reply = ArpPacket(Op.REPLY, THEIRS, ADDRESS, OURS, A(0))
    assert Conflict(reply) in c.receive(reply)
    assert c.sent == []


def test_a_conflict_during_announce_wait_counts() -> None:
    c = Clock()
    c.start()
    for _ in range(3):
        c.fire()
    assert c.probe.phase is Phase.PROBING and c.timer is not None  # ANNOUNCE_WAIT after the third probe
    reply = ArpPacket(Op.REPLY, THEIRS, ADDRESS, OURS, A(0))
    assert Conflict(reply) in c.receive(reply)
    assert not any(isinstance(v, Available) for _, v in c.verdicts)


@pytest.mark.parametrize(
    "packet",
    [
        probe_of(OURS, ADDRESS),  # our own probe, looped back
        ArpPacket(Op.REPLY, OURS, ADDRESS, THEIRS, A("10.0.0.1")),  # from our own MAC
        probe_of(THEIRS, A("10.0.0.101")),  # another host probing another address
        ArpPacket(Op.REQUEST, THEIRS, A("10.0.0.1"), ZERO_MAC, ADDRESS),  # someone asking who has it: not a claim
        ArpPacket(Op.REPLY, THEIRS, A("10.0.0.7"), OURS, ADDRESS),
    ],
    ids=["own probe", "own mac", "other address", "who-has from a holder", "reply for another"],
)
def test_unrelated_packets_change_nothing(packet: ArpPacket) -> None:
    c = Clock()
    c.start()
    c.fire()
    assert c.receive(packet) == []
    c.run()
    assert [type(v) for _, v in c.verdicts] == [Available, Announced]


def test_a_conflict_after_the_address_is_usable_is_only_logged() -> None:
    c = Clock()
    c.start()
    while not c.verdicts:
        c.fire()
    [log] = c.receive(ArpPacket(Op.REPLY, THEIRS, ADDRESS, OURS, A(0)))
    assert isinstance(log, Log) and "no address defence" in log.reason
    c.run()
    assert [type(v) for _, v in c.verdicts] == [Available, Announced]


def test_events_after_the_end_are_ignored() -> None:
    c = Clock()
    c.start()
    c.run()
    [log] = c.feed(TimerFired(c.now + 1))
    assert isinstance(log, Log)
    [log] = c.feed(Start(c.now + 1))
    assert isinstance(log, Log)


def test_no_announcements_ends_at_available() -> None:
    timing = ProbeTiming(0.0, 1, 0.0, 0.0, 0.0, 0, 2.0)
    c = Clock(timing)
    c.start()
    c.run()
    assert [type(v) for _, v in c.verdicts] == [Available, Announced]
    assert len(c.sent) == 1


def test_codec_golden_bytes() -> None:
    """A probe as tcpdump shows it: 'Request who-has 10.0.0.100 tell 0.0.0.0' (RFC 826 layout)."""
    wire = bytes.fromhex("0001 0800 06 04 0001 020000000001 00000000 000000000000 0a000064")
    packet = probe_of(OURS, ADDRESS)
    assert encode(packet) == wire
    assert decode(wire + bytes(18)) == packet  # Ethernet pads the 28 bytes to 46


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (bytes(27), "too short: 27 bytes"),
        (bytes.fromhex("0006 0800 06 04 0001") + bytes(20), "hardware type 6"),
        (bytes.fromhex("0001 86dd 06 04 0001") + bytes(20), "protocol 0x86dd"),
        (bytes.fromhex("0001 0800 06 10 0001") + bytes(20), "lengths 6/16"),
    ],
)
def test_codec_rejects_what_is_not_ethernet_ipv4_arp(wire: bytes, message: str) -> None:
    with pytest.raises(ArpDecodeError, match=message):
        decode(wire)


def test_bad_values_are_refused_with_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="sender_mac must be 6 bytes, got 5"):
        ArpPacket(Op.REQUEST, bytes(5), A(0), ZERO_MAC, ADDRESS)
    with pytest.raises(ValueError, match=r"probe_max 1\.0 is below probe_min 2\.0"):
        ProbeTiming(1.0, 3, 2.0, 1.0, 2.0, 2, 2.0)
    with pytest.raises(ValueError, match="probe_num must be >= 1"):
        ProbeTiming(1.0, 0, 1.0, 2.0, 2.0, 2, 2.0)
    with pytest.raises(ValueError, match="must not be negative"):
        ProbeTiming(-1.0, 3, 1.0, 2.0, 2.0, 2, 2.0)
    with pytest.raises(ValueError, match="scale factor must be positive"):
        RFC5227.scaled(0)
    with pytest.raises(ValueError, match="6 bytes, got 4"):
        Probe(ADDRESS, bytes(4), random.Random(0))
