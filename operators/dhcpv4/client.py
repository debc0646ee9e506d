"""DHCPv4 client state machine (RFC 2131 §4.4), sans I/O.

The caller feeds :data:`Event` values to :meth:`Client.handle` and carries out the returned
:data:`Action` values: it owns the sockets, the clock (``now`` is monotonic seconds), the timers
(one per :class:`Timer` slot; arming an armed slot replaces it) and the ARP probing. Randomness
(xid, jitter) comes from the injected ``random.Random``. Every transition is in ``_TRANSITIONS``
at the bottom of this file; anything not listed there is dropped with a :class:`Log`.

Not implemented: the optional 1-10 s random delay before the first DISCOVER (RFC 2131 §4.4.1),
collecting several offers before choosing, DHCPINFORM, FORCERENEW, and BOOTP-only servers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address
from types import MappingProxyType
from typing import Any

from .codec import Message, MessageType, Op, OptionCode, Options
from .lease import DEFAULT_LEASE_TIME, Lease

__all__ = [
    "BROADCAST",
    "Action",
    "AddressInUse",
    "ArmTimer",
    "CancelTimer",
    "Client",
    "ClientConfig",
    "Event",
    "LeaseAcquired",
    "LeaseLost",
    "LeaseLostReason",
    "LeaseRenewed",
    "Log",
    "PacketReceived",
    "Send",
    "Start",
    "State",
    "Stop",
    "Timer",
    "TimerFired",
    "Via",
    "client_identifier",
    "parameter_request_list",
]

BROADCAST = IPv4Address("255.255.255.255")
_ZERO = IPv4Address(0)
_MAX_BACKOFF = 64.0
_NAK_DELAY_MIN = 1.0
_DECLINE_DELAY = 10.0
_RENEW_RETRY_MIN = 60.0


class State(StrEnum):
    """RFC 2131 Figure 5 states, plus STOPPED (not started, or stopped).

    INIT-REBOOT is the transition that sends the REBOOTING state's first REQUEST; INIT is
    the wait before (re)starting discovery after a NAK or a DECLINE.
    """

    STOPPED = "stopped"
    INIT = "init"
    SELECTING = "selecting"
    REQUESTING = "requesting"
    REBOOTING = "rebooting"
    BOUND = "bound"
    RENEWING = "renewing"
    REBINDING = "rebinding"


class Timer(StrEnum):
    """Named timer slots."""

    RESEND = "resend"
    T1 = "t1"
    T2 = "t2"
    EXPIRY = "expiry"


class Via(StrEnum):
    """How to send: RAW = link-layer broadcast from 0.0.0.0; UDP = a socket on the leased address."""

    RAW = "raw"
    UDP = "udp"


class LeaseLostReason(StrEnum):
    """Why a lease is gone. STOPPED keeps it usable for INIT-REBOOT; RELEASED does not."""

    EXPIRED = "expired"
    NAK = "nak"
    DECLINED = "declined"
    RELEASED = "released"
    STOPPED = "stopped"


# Events ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """Begin; with a saved lease still valid at ``now``, by INIT-REBOOT."""

    now: float
    lease: Lease | None = None


@dataclass(frozen=True, slots=True)
class PacketReceived:
    """A decoded message arrived (any source; the client does its own filtering)."""

    message: Message
    now: float


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A slot armed by :class:`ArmTimer` came due."""

    timer: Timer
    now: float


@dataclass(frozen=True, slots=True)
class AddressInUse:
    """The driver's ARP probe found the leased address taken: DECLINE it."""

    now: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop; a held lease is RELEASEd unless ``release`` is false (e.g. the link is gone)."""

    now: float
    release: bool = True


Event = Start | PacketReceived | TimerFired | AddressInUse | Stop


# Actions -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Transmit ``message`` to ``destination`` (:data:`BROADCAST` or a server) on port 67."""

    message: Message
    destination: IPv4Address
    via: Via


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """(Re)arm a slot to fire at monotonic time ``at``."""

    timer: Timer
    at: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Disarm a slot."""

    timer: Timer


@dataclass(frozen=True, slots=True)
class LeaseAcquired:
    """A new lease: probe the address, then apply the configuration and save the lease."""

    lease: Lease


@dataclass(frozen=True, slots=True)
class LeaseRenewed:
    """The lease was extended; its contents (even the address) may have changed."""

    lease: Lease


@dataclass(frozen=True, slots=True)
class LeaseLost:
    """Remove the configuration of ``lease``.

    Also sent (reason NAK) when a server refuses the saved lease offered by INIT-REBOOT, which
    was never acquired in this run: the driver should then drop its lease file.
    """

    lease: Lease
    reason: LeaseLostReason


@dataclass(frozen=True, slots=True)
class Log:
    """Something worth a log line: a dropped message, a give-up, a stale timer."""

    reason: str


Action = Send | ArmTimer | CancelTimer | LeaseAcquired | LeaseRenewed | LeaseLost | Log


# Configuration -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Per-link settings.

    ``hostname``/``domain`` are sent as options 12/15. ``request_attempts`` bounds REQUESTs in
    REQUESTING before discovery restarts; ``reboot_attempts`` the same for INIT-REBOOT.
    ``broadcast_flag`` asks servers to broadcast replies (needed only by a UDP-socket receiver).
    """

    mac: bytes
    client_id: bytes | None = None
    hostname: str | None = None
    domain: str | None = None
    request_hostname: bool = True
    request_mtu: bool = True
    broadcast_flag: bool = False
    request_attempts: int = 5
    reboot_attempts: int = 2
    default_lease_time: int = DEFAULT_LEASE_TIME


def client_identifier(kind: str, mac: bytes, duid: bytes = b"") -> bytes | None:
    """Option 61 for Talos' ``clientIdentifier``: ``none``, ``mac`` (0x01 + MAC), ``duid`` (raw)."""
    if kind == "none":
        return None
    if kind == "mac":
        # RFC 2132 §9.14: the type octet is the ARP hardware type, 1 for Ethernet.
        return b"\x01" + mac
    if kind == "duid":
        if len(duid) < 2:
            raise ValueError("a DUID client identifier needs at least 2 bytes")
        return duid
    raise ValueError(f"unknown client identifier kind {kind!r}")


def parameter_request_list(config: ClientConfig) -> tuple[int, ...]:
    """Option 55 for ``config``.

    RFC 3442: "The Classless Static Routes option code MUST appear in the parameter request
    list prior to both the Router option code and the Static Routes option code, if present."
    Hostname and domain (12, 15) are asked for only when we do not send our own hostname, so
    the server cannot hand ours back to us (Talos' anti-"parroting" rule).
    """
    codes = [OptionCode.SUBNET_MASK, OptionCode.CLASSLESS_ROUTES, OptionCode.ROUTER, OptionCode.DNS_SERVERS]
    if config.request_hostname and config.hostname is None:
        codes += [OptionCode.HOSTNAME, OptionCode.DOMAIN_NAME]
    if config.request_mtu:
        codes.append(OptionCode.INTERFACE_MTU)
    codes += [OptionCode.BROADCAST_ADDRESS, OptionCode.NTP_SERVERS, OptionCode.DOMAIN_SEARCH]
    return tuple(int(c) for c in codes)


class _Kind(StrEnum):
    START = "start"
    STOP = "stop"
    ADDRESS_IN_USE = "address-in-use"


_Trigger = _Kind | Timer | MessageType
_KINDS: dict[type, _Kind] = {Start: _Kind.START, Stop: _Kind.STOP, AddressInUse: _Kind.ADDRESS_IN_USE}
_HOLDING = frozenset({State.BOUND, State.RENEWING, State.REBINDING})


class Client:
    """One DHCPv4 client on one link. Not thread-safe; feed events in time order."""

    def __init__(self, config: ClientConfig, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._prl = parameter_request_list(config)
        self._state = State.STOPPED
        self._timers: dict[Timer, float] = {}
        self._xid = 0
        self._attempt = 0  # transmissions of the current message so far, minus one
        self._process_start = 0.0  # for 'secs': start of acquisition or renewal
        self._secs = 0  # 'secs' of the last DISCOVER, repeated in the REQUEST
        self._request_sent_at = 0.0  # first transmission of the REQUEST being answered
        self._offer: tuple[IPv4Address, IPv4Address] | None = None  # (address, server id)
        self._lease: Lease | None = None  # held lease, or the saved one while REBOOTING
        self._hint: IPv4Address | None = None  # option 50 for DISCOVER
        self._nak_delay = _NAK_DELAY_MIN

    @property
    def state(self) -> State:
        """Current state."""
        return self._state

    @property
    def lease(self) -> Lease | None:
        """The lease held (BOUND/RENEWING/REBINDING), or being re-requested (REBOOTING)."""
        return self._lease

    @property
    def xid(self) -> int:
        """Transaction id of the current exchange."""
        return self._xid

    @property
    def timers(self) -> Mapping[Timer, float]:
        """Armed slots and their deadlines."""
        return MappingProxyType(self._timers)

    def handle(self, event: Event) -> list[Action]:
        """Process one event; return what the driver must do, in order."""
        trigger: _Trigger
        if isinstance(event, PacketReceived):
            problem = self._reject_reason(event.message)
            if problem is not None:
                return [Log(f"dropped {_describe(event.message)} in {self._state}: {problem}")]
            assert event.message.message_type is not None
            trigger = event.message.message_type
        elif isinstance(event, TimerFired):
            if self._timers.pop(event.timer, None) is None:
                return [Log(f"ignored {event.timer} timer: not armed")]
            trigger = event.timer
        else:
            trigger = _KINDS[type(event)]
        handler = _TRANSITIONS.get((self._state, trigger))
        if handler is None:
            return [Log(f"ignored {_trigger_name(trigger)} in {self._state}")]
        return handler(self, event)

    # Filtering -----------------------------------------------------------------------------------

    def _reject_reason(self, msg: Message) -> str | None:
        if msg.op != Op.BOOTREPLY:
            return "not a BOOTREPLY"
        if msg.xid != self._xid:
            return f"xid {msg.xid:#010x} does not match {self._xid:#010x}"
        if msg.chaddr != self._config.mac:
            return f"chaddr {msg.chaddr.hex(':')} is not ours"
        # RFC 6842 §3: "If the 'client identifier' option is present in a message received from
        # a server, the client MUST compare the 'client identifier' option to its own ... If
        # the two client identifiers do not match, the client MUST silently discard the message."
        if msg.options.client_id is not None and msg.options.client_id != self._config.client_id:
            return "client identifier is not ours"
        if msg.message_type is None:
            return "no DHCP message type (BOOTP is not supported)"
        expected = self._expected_server()
        server = msg.options.server_id
        if expected is not None and server not in (None, _ZERO) and server != expected:
            return f"server id {server} is not the selected server {expected}"
        return None

    def _expected_server(self) -> IPv4Address | None:
        """The only server whose replies count now, or ``None`` for any."""
        if self._state is State.REQUESTING and self._offer is not None:
            return self._offer[1]
        if self._state is State.RENEWING and self._lease is not None:
            return self._lease.server_id  # RENEW went by unicast to this server
        return None

    # Transitions ---------------------------------------------------------------------------------

    def _start(self, event: Start) -> list[Action]:
        saved = event.lease
        self._nak_delay = _NAK_DELAY_MIN
        if saved is None or not saved.valid_at(event.now):
            self._hint = None if saved is None else saved.address.ip
            return self._discover(event.now)
        # RFC 2131 §3.2: "The client broadcasts a DHCPREQUEST message on its local physical
        # network. The DHCPREQUEST message MUST include the client's network address in the
        # 'requested IP address' option."
        self._state = State.REBOOTING
        self._lease = saved
        self._new_transaction(event.now)
        self._request_sent_at = event.now
        return self._transmit(event.now)

    def _restart(self, event: TimerFired) -> list[Action]:
        return self._discover(event.now)

    def _retransmit(self, event: TimerFired) -> list[Action]:
        limit = {State.REQUESTING: self._config.request_attempts, State.REBOOTING: self._config.reboot_attempts}
        if self._state in limit and self._attempt + 1 >= limit[self._state]:
            # RFC 2131 §3.1: "a client retransmitting as described in section 4.1 might
            # retransmit the DHCPREQUEST message four times ... If the client receives neither a
            # DHCPACK or a DHCPNAK message after employing the retransmission algorithm, the
            # client reverts to INIT state and restarts the initialization process." §3.2 says
            # the same for INIT-REBOOT, where we give up sooner (a saved lease is only a hint).
            log = Log(f"no reply to {self._attempt + 1} REQUESTs in {self._state}; restarting discovery")
            if self._state is State.REBOOTING and self._lease is not None:
                self._hint = self._lease.address.ip
                self._lease = None
            return [log, *self._discover(event.now)]
        self._attempt += 1
        return self._transmit(event.now)

    def _select(self, event: PacketReceived) -> list[Action]:
        offer = event.message
        server = offer.options.server_id
        if offer.yiaddr == _ZERO or server is None or server == _ZERO:
            return [Log(f"dropped {_describe(offer)}: no address or no server id")]
        # RFC 2131 §4.4.1: "The DHCPREQUEST message MUST use the same value in the DHCP message
        # header's 'secs' field and be sent to the same IP broadcast address as the original
        # DHCPDISCOVER message." The first acceptable offer wins (RFC 2131 §4.2 leaves the
        # strategy to the client); later ones meet REQUESTING and are dropped.
        self._offer = (offer.yiaddr, server)
        self._state = State.REQUESTING
        self._attempt = 0
        self._request_sent_at = event.now
        return self._transmit(event.now)

    def _ack(self, event: PacketReceived) -> list[Action]:
        ack = event.message
        server = ack.options.server_id
        if server is None or server == _ZERO:
            server = self._expected_server() or (self._lease.server_id if self._lease else None)
        if ack.yiaddr == _ZERO or server is None:
            return [Log(f"dropped {_describe(ack)}: no address or no server id")]
        # RFC 2131 §4.4.1: "the client records the lease expiration time as the sum of the
        # time at which the original request was sent and the duration of the lease".
        lease = Lease.from_ack(
            ack,
            obtained=self._request_sent_at,
            server_id=server,
            default_lease_time=self._config.default_lease_time,
        )
        renewed = self._state in _HOLDING
        actions = self._bind(lease)
        actions.append(LeaseRenewed(lease) if renewed else LeaseAcquired(lease))
        return actions

    def _nak(self, event: PacketReceived) -> list[Action]:
        # RFC 2131 §3.1 (5): "If the client receives a DHCPNAK message, the client restarts
        # the configuration process." A short, growing delay stops a NAK loop from flooding.
        text = event.message.options.message or "no message"
        actions: list[Action] = [Log(f"{_describe(event.message)} in {self._state}: {text!r}")]
        lost = self._lease
        if lost is not None:
            actions.append(LeaseLost(lost, LeaseLostReason.NAK))
        delay = self._nak_delay
        self._nak_delay = min(2 * delay, _MAX_BACKOFF)
        self._hint = None
        return actions + self._reset(State.INIT) + [self._arm(Timer.RESEND, event.now + delay)]

    def _renew(self, event: TimerFired) -> list[Action]:
        # RFC 2131 §4.4.5: "At time T1 the client moves to RENEWING state and sends (via
        # unicast) a DHCPREQUEST message to the server to extend its lease."
        self._state = State.RENEWING
        self._new_transaction(event.now)
        self._request_sent_at = event.now
        return self._transmit(event.now)

    def _rebind(self, event: TimerFired) -> list[Action]:
        # RFC 2131 §4.4.5: "If no DHCPACK arrives before time T2, the client moves to REBINDING
        # state and sends (via broadcast) a DHCPREQUEST message to extend its lease."
        if self._state is State.BOUND:  # T1 and T2 fell together: start the renewal process
            self._new_transaction(event.now)
            self._request_sent_at = event.now
        self._state = State.REBINDING
        self._attempt = 0
        return [*self._cancel(Timer.T1, Timer.RESEND), *self._transmit(event.now)]

    def _expire(self, event: TimerFired) -> list[Action]:
        # RFC 2131 §4.4.5: "If the lease expires before the client receives a DHCPACK, the
        # client moves to INIT state, MUST immediately stop any other network processing and
        # requests network initialization parameters as if the client were uninitialized."
        lost = self._lease
        assert lost is not None
        self._hint = lost.address.ip
        return [LeaseLost(lost, LeaseLostReason.EXPIRED), *self._reset(State.INIT), *self._discover(event.now)]

    def _decline(self, event: AddressInUse) -> list[Action]:
        # RFC 2131 §3.1 (5): "If the client detects that the address is already in use (e.g.,
        # through the use of ARP), the client MUST send a DHCPDECLINE message to the server and
        # restarts the configuration process. The client SHOULD wait a minimum of ten seconds
        # before restarting the configuration process to avoid excessive network traffic in
        # case of looping." §4.4.4: "the client broadcasts DHCPDECLINE messages."
        lost = self._lease
        assert lost is not None
        self._xid = self._rng.getrandbits(32)
        decline = self._message(MessageType.DECLINE, requested_ip=lost.address.ip, server_id=lost.server_id, secs=0)
        self._hint = None
        return [
            Send(decline, BROADCAST, Via.RAW),
            LeaseLost(lost, LeaseLostReason.DECLINED),
            *self._reset(State.INIT),
            self._arm(Timer.RESEND, event.now + _DECLINE_DELAY),
        ]

    def _stop(self, event: Stop) -> list[Action]:
        actions: list[Action] = []
        lost = self._lease if self._state in _HOLDING else None
        if lost is not None and event.release:
            # RFC 2131 §4.4.4: "The client unicasts DHCPRELEASE messages to the server."
            # Table 5: 'ciaddr' is the client's address, option 54 MUST, 'secs' 0.
            self._xid = self._rng.getrandbits(32)
            release = self._message(MessageType.RELEASE, ciaddr=lost.address.ip, server_id=lost.server_id, secs=0)
            actions.append(Send(release, lost.server_id, Via.UDP))
            actions.append(LeaseLost(lost, LeaseLostReason.RELEASED))
        elif lost is not None:
            actions.append(LeaseLost(lost, LeaseLostReason.STOPPED))
        return actions + self._reset(State.STOPPED)

    # Helpers -------------------------------------------------------------------------------------

    def _discover(self, now: float) -> list[Action]:
        self._state = State.SELECTING
        self._offer = None
        self._lease = None
        self._new_transaction(now)
        return self._transmit(now)

    def _new_transaction(self, now: float) -> None:
        self._xid = self._rng.getrandbits(32)
        self._attempt = 0
        self._process_start = now

    def _bind(self, lease: Lease) -> list[Action]:
        self._state = State.BOUND
        self._lease = lease
        self._offer = None
        self._hint = None
        self._nak_delay = _NAK_DELAY_MIN
        actions = self._cancel(Timer.RESEND)
        expires, renew_at, rebind_at = lease.expires_at, lease.renew_at, lease.rebind_at
        if expires is None or renew_at is None or rebind_at is None:
            return actions + self._cancel(Timer.T1, Timer.T2, Timer.EXPIRY)  # infinite lease
        # RFC 2131 §4.4.5: "Times T1 and T2 SHOULD be chosen with some random "fuzz" around a
        # fixed value, to avoid synchronization of client reacquisition."
        t1 = max(lease.obtained, renew_at + self._rng.uniform(-1.0, 1.0))
        t2 = min(expires, max(t1, rebind_at + self._rng.uniform(-1.0, 1.0)))
        return [*actions, self._arm(Timer.T1, t1), self._arm(Timer.T2, t2), self._arm(Timer.EXPIRY, expires)]

    def _reset(self, state: State) -> list[Action]:
        """Enter ``state`` holding nothing, with every timer disarmed."""
        self._state = state
        self._offer = None
        self._lease = None
        return self._cancel(*Timer)

    def _transmit(self, now: float) -> list[Action]:
        """(Re)send the current state's message and arm the resend slot."""
        lease = self._lease
        since_start = min(max(int(now - self._process_start), 0), 0xFFFF)
        # RFC 2131 Table 5, DHCPREQUEST: option 50 "MUST (in SELECTING or INIT-REBOOT), MUST
        # NOT (in BOUND or RENEWING)"; option 54 "MUST (after SELECTING), MUST NOT (after
        # INIT-REBOOT, BOUND, RENEWING or REBINDING)"; 'ciaddr' "0 or client's network address
        # (BOUND/RENEW/REBIND)".
        if self._state is State.SELECTING:
            self._secs = since_start
            msg = self._message(MessageType.DISCOVER, requested_ip=self._hint, secs=since_start)
            send = Send(msg, BROADCAST, Via.RAW)
        elif self._state is State.REQUESTING and self._offer is not None:
            address, server = self._offer
            msg = self._message(MessageType.REQUEST, requested_ip=address, server_id=server, secs=self._secs)
            send = Send(msg, BROADCAST, Via.RAW)
        elif self._state is State.REBOOTING and lease is not None:
            msg = self._message(MessageType.REQUEST, requested_ip=lease.address.ip, secs=since_start)
            send = Send(msg, BROADCAST, Via.RAW)
        elif self._state in (State.RENEWING, State.REBINDING) and lease is not None:
            msg = self._message(MessageType.REQUEST, ciaddr=lease.address.ip, secs=since_start)
            # Renewal goes to the server id, never to 0.0.0.0 (cf. Talos bug #7263).
            renewing = self._state is State.RENEWING
            send = Send(msg, lease.server_id if renewing else BROADCAST, Via.UDP)
            deadline = self._timers.get(Timer.T2 if renewing else Timer.EXPIRY)
            return [send, *self._arm_renewal_resend(now, deadline)]
        else:
            raise AssertionError(f"nothing to transmit in {self._state}")
        # RFC 2131 §4.1: "the delay before the first retransmission SHOULD be 4 seconds
        # randomized by the value of a uniform random number chosen from the range -1 to +1.
        # ... The retransmission delay SHOULD be doubled with subsequent retransmissions up to
        # a maximum of 64 seconds."
        delay = min(4.0 * 2**self._attempt, _MAX_BACKOFF) + self._rng.uniform(-1.0, 1.0)
        return [send, self._arm(Timer.RESEND, now + delay)]

    def _arm_renewal_resend(self, now: float, deadline: float | None) -> list[Action]:
        # RFC 2131 §4.4.5: "In both RENEWING and REBINDING states, if the client receives no
        # response to its DHCPREQUEST message, the client SHOULD wait one-half of the remaining
        # time until T2 (in RENEWING state) and one-half of the remaining lease time (in
        # REBINDING state), down to a minimum of 60 seconds, before retransmitting".
        if deadline is None:
            return []
        at = now + max((deadline - now) / 2, _RENEW_RETRY_MIN)
        return [self._arm(Timer.RESEND, at)] if at < deadline else self._cancel(Timer.RESEND)

    def _message(
        self,
        kind: MessageType,
        *,
        secs: int,
        ciaddr: IPv4Address = _ZERO,
        requested_ip: IPv4Address | None = None,
        server_id: IPv4Address | None = None,
    ) -> Message:
        cfg = self._config
        asking = kind in (MessageType.DISCOVER, MessageType.REQUEST)
        options = Options(
            message_type=kind,
            client_id=cfg.client_id,
            requested_ip=requested_ip,
            server_id=server_id,
            parameter_request_list=self._prl if asking else (),
            hostname=cfg.hostname if asking else None,
            domain_name=cfg.domain if asking and cfg.hostname else None,
        )
        # RFC 2131 §4.1: a client that cannot receive unicast datagrams before it has an
        # address "SHOULD set the BROADCAST bit ... in any DHCPDISCOVER or DHCPREQUEST".
        broadcast = asking and cfg.broadcast_flag and ciaddr == _ZERO
        return Message(
            op=Op.BOOTREQUEST,
            xid=self._xid,
            chaddr=cfg.mac,
            options=options,
            secs=secs,
            flags=Message.BROADCAST_FLAG if broadcast else 0,
            ciaddr=ciaddr,
        )

    def _arm(self, timer: Timer, at: float) -> ArmTimer:
        self._timers[timer] = at
        return ArmTimer(timer, at)

    def _cancel(self, *timers: Timer) -> list[Action]:
        return [CancelTimer(t) for t in timers if self._timers.pop(t, None) is not None]


def _describe(msg: Message) -> str:
    kind = msg.message_type.name if msg.message_type is not None else "BOOTP"
    return f"{kind} xid={msg.xid:#010x} from server {msg.options.server_id}"


def _trigger_name(trigger: _Trigger) -> str:
    return trigger.name if isinstance(trigger, MessageType) else str(trigger)


_Handler = Callable[[Client, Any], list[Action]]

# (state, trigger) -> handler. A trigger is an event kind, a timer slot or a message type.
_TRANSITIONS: dict[tuple[State, _Trigger], _Handler] = {
    (State.STOPPED, _Kind.START): Client._start,
    (State.INIT, Timer.RESEND): Client._restart,
    (State.SELECTING, MessageType.OFFER): Client._select,
    (State.SELECTING, Timer.RESEND): Client._retransmit,
    (State.REQUESTING, MessageType.ACK): Client._ack,
    (State.REQUESTING, MessageType.NAK): Client._nak,
    (State.REQUESTING, Timer.RESEND): Client._retransmit,
    (State.REBOOTING, MessageType.ACK): Client._ack,
    (State.REBOOTING, MessageType.NAK): Client._nak,
    (State.REBOOTING, Timer.RESEND): Client._retransmit,
    (State.BOUND, Timer.T1): Client._renew,
    (State.BOUND, Timer.T2): Client._rebind,
    (State.BOUND, Timer.EXPIRY): Client._expire,
    (State.BOUND, _Kind.ADDRESS_IN_USE): Client._decline,
    (State.RENEWING, MessageType.ACK): Client._ack,
    (State.RENEWING, MessageType.NAK): Client._nak,
    (State.RENEWING, Timer.RESEND): Client._retransmit,
    (State.RENEWING, Timer.T2): Client._rebind,
    (State.RENEWING, Timer.EXPIRY): Client._expire,
    (State.RENEWING, _Kind.ADDRESS_IN_USE): Client._decline,
    (State.REBINDING, MessageType.ACK): Client._ack,
    (State.REBINDING, MessageType.NAK): Client._nak,
    (State.REBINDING, Timer.RESEND): Client._retransmit,
    (State.REBINDING, Timer.EXPIRY): Client._expire,
    (State.REBINDING, _Kind.ADDRESS_IN_USE): Client._decline,
    **{(state, _Kind.STOP): Client._stop for state in State if state is not State.STOPPED},
}
