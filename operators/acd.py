"""IPv4 Address Conflict Detection (RFC 5227): the ARP probe of an address before using it, sans I/O.

A :class:`Probe` takes :data:`Event` values (start, an ARP packet seen on the link, its one timer
firing; ``now`` is monotonic seconds) and returns :data:`Action` values: send an ARP packet
(always to the Ethernet broadcast address), arm or cancel its one timer, and the verdicts
:class:`Available` (the address may be used now; the announcements follow) or :class:`Conflict`.
Randomness comes from the injected ``random.Random``. The ARP codec (:func:`encode`,
:func:`decode`) covers Ethernet/IPv4 ARP payloads, without the Ethernet header.

Timing. RFC 5227's constants make a probe last 4 to 7 s before the address may be used
(PROBE_WAIT 1 s, then 3 probes PROBE_MIN..PROBE_MAX = 1..2 s apart, then ANNOUNCE_WAIT 2 s);
dhcpcd and systemd's sd-ipv4acd (used by systemd-networkd only with ``SendDecline=yes``, off
by default) keep them. n-acd, NetworkManager's ACD library, scales them instead, because "timeouts
in the hundreds of milliseconds range should be more than enough for any modern network". The
default here, :data:`FAST`, is RFC 5227 divided by 100: the address may be used 40 to 70 ms
after the probe starts. That is still at least 20 ms after the last probe and 40 ms after the
first, against ARP round trips well under a millisecond on a LAN (and a veth). The two
announcements keep RFC 5227's 2 s spacing, as n-acd does: they cost no waiting.

Not implemented: defending the address once in use (RFC 5227 §2.4). Conflicting packets that
arrive during the announcements are only logged.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from ipaddress import IPv4Address

__all__ = [
    "FAST",
    "RFC5227",
    "Action",
    "Announced",
    "ArmTimer",
    "ArpDecodeError",
    "ArpPacket",
    "ArpReceived",
    "Available",
    "CancelTimer",
    "Conflict",
    "Event",
    "Log",
    "Op",
    "Phase",
    "Probe",
    "ProbeTiming",
    "SendArp",
    "Start",
    "TimerFired",
    "announcement",
    "decode",
    "encode",
    "probe",
]

_ZERO_IP = IPv4Address(0)
_ZERO_MAC = bytes(6)
_HTYPE_ETHERNET = 1
_PTYPE_IPV4 = 0x0800
_ARP = struct.Struct("!HHBBH6s4s6s4s")


# The ARP codec -----------------------------------------------------------------------------------


class Op(IntEnum):
    """ARP operation codes (RFC 826)."""

    REQUEST = 1
    REPLY = 2


class ArpDecodeError(ValueError):
    """Bytes that are not an Ethernet/IPv4 ARP packet."""


@dataclass(frozen=True, slots=True)
class ArpPacket:
    """An Ethernet/IPv4 ARP packet (RFC 826); ``op`` may be a code other than request and reply."""

    op: int
    sender_mac: bytes
    sender_ip: IPv4Address
    target_mac: bytes
    target_ip: IPv4Address

    def __post_init__(self) -> None:
        for name in ("sender_mac", "target_mac"):
            if len(getattr(self, name)) != 6:
                raise ValueError(f"ARP {name} must be 6 bytes, got {len(getattr(self, name))}")
        if not 0 <= self.op <= 0xFFFF:
            raise ValueError(f"ARP op must fit 16 bits, got {self.op}")

    def __str__(self) -> str:
        kind = {1: "request", 2: "reply"}.get(self.op, f"op {self.op}")
        return f"ARP {kind} from {self.sender_mac.hex(':')} ({self.sender_ip}) for {self.target_ip}"


def encode(packet: ArpPacket) -> bytes:
    """The 28-byte ARP payload of ``packet``."""
    return _ARP.pack(
        _HTYPE_ETHERNET,
        _PTYPE_IPV4,
        6,
        4,
        packet.op,
        packet.sender_mac,
        packet.sender_ip.packed,
        packet.target_mac,
        packet.target_ip.packed,
    )


def decode(data: bytes) -> ArpPacket:
    """Parse an ARP payload (trailing Ethernet padding allowed); raise :class:`ArpDecodeError` if it is not one."""
    if len(data) < _ARP.size:
        raise ArpDecodeError(f"ARP packet too short: {len(data)} bytes, need {_ARP.size}")
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
    if (htype, ptype, hlen, plen) != (_HTYPE_ETHERNET, _PTYPE_IPV4, 6, 4):
        raise ArpDecodeError(
            f"not Ethernet/IPv4 ARP: hardware type {htype}, protocol {ptype:#06x}, lengths {hlen}/{plen}"
        )
    return ArpPacket(op, sha, IPv4Address(spa), tha, IPv4Address(tpa))


def probe(mac: bytes, address: IPv4Address) -> ArpPacket:
    """RFC 5227 §2.1.1: an ARP Request with sender IP 0 and target hardware address 0."""
    return ArpPacket(Op.REQUEST, mac, _ZERO_IP, _ZERO_MAC, address)


def announcement(mac: bytes, address: IPv4Address) -> ArpPacket:
    """RFC 5227 §2.3: an ARP Request with sender and target IP both ``address``."""
    return ArpPacket(Op.REQUEST, mac, address, _ZERO_MAC, address)


# Timing ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeTiming:
    """RFC 5227 §1.1 constants, in seconds and counts; see the module docstring for the values."""

    probe_wait: float
    probe_num: int
    probe_min: float
    probe_max: float
    announce_wait: float
    announce_num: int
    announce_interval: float

    def __post_init__(self) -> None:
        if self.probe_num < 1 or self.announce_num < 0:
            raise ValueError(f"probe_num must be >= 1 and announce_num >= 0, got {self.probe_num}, {self.announce_num}")
        if min(self.probe_wait, self.probe_min, self.announce_wait, self.announce_interval) < 0:
            raise ValueError("ARP probe delays must not be negative")
        if self.probe_max < self.probe_min:
            raise ValueError(f"probe_max {self.probe_max} is below probe_min {self.probe_min}")

    def scaled(self, factor: float) -> ProbeTiming:
        """These timings with every probing delay multiplied by ``factor`` (announcements kept)."""
        if factor <= 0:
            raise ValueError(f"scale factor must be positive, got {factor}")
        return ProbeTiming(
            probe_wait=self.probe_wait * factor,
            probe_num=self.probe_num,
            probe_min=self.probe_min * factor,
            probe_max=self.probe_max * factor,
            announce_wait=self.announce_wait * factor,
            announce_num=self.announce_num,
            announce_interval=self.announce_interval,
        )


RFC5227 = ProbeTiming(
    probe_wait=1.0, probe_num=3, probe_min=1.0, probe_max=2.0, announce_wait=2.0, announce_num=2, announce_interval=2.0
)
"""RFC 5227 §1.1 as written."""

FAST = RFC5227.scaled(0.01)
"""The default: probing 100 times faster than RFC 5227 (usable after 40-70 ms), announcements as the RFC."""


# Events and actions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """Begin probing."""

    now: float


@dataclass(frozen=True, slots=True)
class ArpReceived:
    """An ARP packet arrived on the link (the driver leaves out the ones it sent)."""

    packet: ArpPacket
    now: float


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The timer armed by :class:`ArmTimer` came due."""

    now: float


Event = Start | ArpReceived | TimerFired


@dataclass(frozen=True, slots=True)
class SendArp:
    """Broadcast ``packet`` on the link."""

    packet: ArpPacket


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """(Re)arm the one timer to fire at monotonic time ``at``."""

    at: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Disarm the timer."""


@dataclass(frozen=True, slots=True)
class Available:
    """No conflict: the address may be used from now on."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """Another host has the address, or is probing for it: do not use it. ``packet`` tells who."""

    packet: ArpPacket


@dataclass(frozen=True, slots=True)
class Announced:
    """The last announcement went out: the probe is over and needs the link no more."""


@dataclass(frozen=True, slots=True)
class Log:
    """Something worth a debug line."""

    reason: str


Action = SendArp | ArmTimer | CancelTimer | Available | Conflict | Announced | Log


class Phase(StrEnum):
    """Where a probe is."""

    IDLE = "idle"
    PROBING = "probing"  # from Start until ANNOUNCE_WAIT after the last probe
    ANNOUNCING = "announcing"
    DONE = "done"
    CONFLICT = "conflict"


class Probe:
    """Conflict detection for one address on one link. Feed events in time order."""

    def __init__(self, address: IPv4Address, mac: bytes, rng: random.Random, timing: ProbeTiming = FAST) -> None:
        if len(mac) != 6:
            raise ValueError(f"an Ethernet address has 6 bytes, got {len(mac)}")
        self.address = address
        self._mac = mac
        self._rng = rng
        self._timing = timing
        self._phase = Phase.IDLE
        self._probes = 0  # probes sent
        self._announcements = 0  # announcements sent

    @property
    def phase(self) -> Phase:
        """Current phase."""
        return self._phase

    def handle(self, event: Event) -> list[Action]:
        """Process one event; return what the driver must do, in order."""
        if isinstance(event, Start):
            return self._start(event.now)
        if isinstance(event, TimerFired):
            return self._tick(event.now)
        return self._received(event.packet)

    def _start(self, now: float) -> list[Action]:
        if self._phase is not Phase.IDLE:
            return [Log(f"ignored start in {self._phase}")]
        # RFC 5227 §2.1.1: "the host should first wait for a random time interval selected
        # uniformly in the range zero to PROBE_WAIT seconds".
        self._phase = Phase.PROBING
        return [ArmTimer(now + self._rng.uniform(0.0, self._timing.probe_wait))]

    def _tick(self, now: float) -> list[Action]:
        t = self._timing
        if self._phase is Phase.PROBING and self._probes < t.probe_num:
            # "and should then send PROBE_NUM probe packets, each of these probe packets spaced
            # randomly and uniformly, PROBE_MIN to PROBE_MAX seconds apart."
            self._probes += 1
            send = SendArp(probe(self._mac, self.address))
            if self._probes < t.probe_num:
                return [send, ArmTimer(now + self._rng.uniform(t.probe_min, t.probe_max))]
            return [send, ArmTimer(now + t.announce_wait)]
        if self._phase is Phase.PROBING:
            # "If, by ANNOUNCE_WAIT seconds after the transmission of the last ARP Probe no
            # conflicting ARP Reply or ARP Probe has been received, then the host has
            # successfully determined that the desired IP address may be used."
            self._phase = Phase.ANNOUNCING
            return [Available(), *self._announce(now)]
        if self._phase is Phase.ANNOUNCING:
            return self._announce(now)
        return [Log(f"ignored timer in {self._phase}")]

    def _announce(self, now: float) -> list[Action]:
        # RFC 5227 §2.3: "a host ... MUST then announce that it is commencing to use this address
        # by broadcasting ANNOUNCE_NUM ARP Announcements, spaced ANNOUNCE_INTERVAL seconds apart."
        t = self._timing
        if self._announcements >= t.announce_num:
            self._phase = Phase.DONE
            return [Announced()]
        self._announcements += 1
        send = SendArp(announcement(self._mac, self.address))
        if self._announcements < t.announce_num:
            return [send, ArmTimer(now + t.announce_interval)]
        self._phase = Phase.DONE
        return [send, Announced()]

    def _received(self, packet: ArpPacket) -> list[Action]:
        if packet.sender_mac == self._mac or not self._conflicts(packet):
            return []
        if self._phase is not Phase.PROBING:
            return [Log(f"{packet} conflicts in {self._phase}: ignored (no address defence)")]
        self._phase = Phase.CONFLICT
        return [CancelTimer(), Conflict(packet)]

    def _conflicts(self, packet: ArpPacket) -> bool:
        # RFC 5227 §2.1.1: "If during this period, from the beginning of the probing process until
        # ANNOUNCE_WAIT seconds after the last probe packet is sent, the host receives any ARP
        # packet (Request *or* Reply) on the interface where the probe is being performed, where
        # the packet's 'sender IP address' is the address being probed for, then the host MUST
        # treat this address as being in use by some other host ... In addition, if during this
        # period the host receives any ARP Probe where the packet's 'target IP address' is the
        # address being probed for, and the packet's 'sender hardware address' is not the
        # hardware address of any of the host's interfaces, then the host MUST similarly treat
        # this as an address conflict".
        if packet.sender_ip == self.address:
            return True
        return packet.op == Op.REQUEST and packet.sender_ip == _ZERO_IP and packet.target_ip == self.address
