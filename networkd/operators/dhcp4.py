"""The DHCPv4 operator: drives the sans-I/O client (``operators.dhcpv4``) on one link.

It maps the client's actions onto the link's sockets (:mod:`networkd.operators.rawsock`) and the
event loop's monotonic clock, keeps the lease in ``<state_dir>/dhcp4-<link>.json`` and resumes
from it by INIT-REBOOT, and offers the lease as network specs (Talos's dhcpparse rules). Outputs
follow the client: the saved lease while it is being re-requested (so that a restart does not
disturb the network), the held lease while bound, renewing or rebinding, nothing otherwise.

A newly acquired address is probed with ARP before any of it is offered (RFC 2131 §2.2: "the
client SHOULD probe the newly received address, e.g., with ARP"; RFC 5227 in ``operators.acd``,
:data:`operators.acd.FAST` timing by default): on a conflict the client DECLINEs it and starts
over 10 s later, and the lease never becomes specs. The lease file is written once the probe
passes. If the ARP socket cannot be opened the address is used unprobed, with a warning.

Not probed: a renewal that changes the address, and a lease resumed by INIT-REBOOT. RFC 2131 §3.2
(4) has the rebooting client do "a final check on the parameters (as in section 3.1)", i.e. the
ARP SHOULD, and systemd-networkd (with ``SendDecline=yes``) probes whenever it adds the address,
a restart included. Here the saved lease's specs are offered from the start, before the server
answers, so that a restart leaves the kernel untouched: the address is in use by us before any
probe could run, and probing before use no longer applies (RFC 5227 §2.4's ongoing detection
would; not implemented).

Not done: re-announcing a hostname that changes while a lease is held (the one at start is sent).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import anyio

from networkd.operators.base import HostnameFn, Notify, OperatorOutputs
from networkd.operators.rawsock import SERVER_PORT, ArpSocket, PacketSocket, UDPSocket
from networkd.resources.enums import (
    AddressFlags,
    ConfigLayer,
    Family,
    RouteProtocol,
    RouteType,
    RoutingTable,
    Scope,
)
from networkd.resources.link import LinkSpec
from networkd.resources.network import (
    AddressSpec,
    DHCP4OperatorSpec,
    HostnameSpec,
    NameServerSpec,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from operators import acd
from operators.dhcpv4.client import (
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
)
from operators.dhcpv4.codec import DHCPDecodeError, Message, decode, encode
from operators.dhcpv4.lease import Lease, lease_outputs

__all__ = ["ROUTE_PROTOCOL", "DHCP4Operator", "lease_specs"]

ROUTE_PROTOCOL = RouteProtocol.BOOT  # as Talos (dhcpparse); ours are tagged proto 78 in the kernel
"""Protocol of the routes a lease asks for (Talos's dhcpparse says boot; the kernel tags ours anyway)."""

_HOLDING = frozenset({State.BOUND, State.RENEWING, State.REBINDING})
_RELEASE = object()  # queued by release()


class _Slot(StrEnum):
    """The driver's own timer slot, beside the client's."""

    ACD = "acd"


@dataclass(frozen=True, slots=True)
class _Fired:
    """A timer came due; ``serial`` tells it from a later arming of the same slot."""

    timer: Timer | _Slot
    serial: int


def lease_specs(
    link_name: str, lease: Lease, *, route_metric: int, use_hostname: bool = True, use_routes: bool = True
) -> OperatorOutputs:
    """The specs a lease implies on ``link_name`` (Talos ParseDHCP4Ack), all at layer operator."""
    out = lease_outputs(lease, route_metric=route_metric, use_hostname=use_hostname, use_routes=use_routes)
    layer = ConfigLayer.OPERATOR
    address = AddressSpec(
        address=out.address,
        link_name=link_name,
        family=Family.INET4,
        scope=Scope.GLOBAL,
        flags=AddressFlags.PERMANENT,
        priority=route_metric,
        layer=layer,
    )
    routes = tuple(
        RouteSpec(
            family=Family.INET4,
            destination=r.destination,
            source=out.address.ip,
            gateway=r.gateway,
            out_link_name=link_name,
            table=RoutingTable.MAIN,
            priority=r.metric,
            scope=Scope.LINK if r.on_link_helper else Scope.GLOBAL,
            type=RouteType.UNICAST,
            protocol=ROUTE_PROTOCOL,
            layer=layer,
        ).normalize()[0]
        for r in out.routes
    )
    links = () if out.mtu is None else (LinkSpec(name=link_name, mtu=out.mtu, up=True, layer=layer),)
    hostnames = () if out.hostname is None else (
        HostnameSpec(hostname=out.hostname, domainname=out.domain or "", layer=layer),
    )
    resolvers: tuple[ResolverSpec, ...] = ()
    if out.resolvers or out.search_domains:
        resolver = ResolverSpec(
            name_servers=tuple(NameServerSpec(addr=a) for a in out.resolvers),
            search_domains=out.search_domains,
            layer=layer,
        )
        resolvers = (resolver.convert(),)
    time_servers = () if not out.time_servers else (
        TimeServerSpec(time_servers=tuple(str(a) for a in out.time_servers), layer=layer),
    )
    return OperatorOutputs(
        addresses=(address,),
        links=links,
        routes=routes,
        hostnames=hostnames,
        resolvers=resolvers,
        time_servers=time_servers,
    )


class DHCP4Operator:
    """DHCPv4 on one link, as told by an OperatorSpec; see the module docstring."""

    def __init__(
        self,
        link_name: str,
        spec: OperatorSpec,
        state_dir: Path,
        hostname_fn: HostnameFn,
        *,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
        rng: random.Random | None = None,
        probe_timing: acd.ProbeTiming | None = acd.FAST,
    ) -> None:
        """Load a saved lease, if any; its outputs are offered at once while it is still valid.

        ``probe_timing`` is the ARP probe's (``None``: use new addresses without probing).
        """
        self.link_name = link_name
        self._settings = spec.dhcp4 or DHCP4OperatorSpec()
        self._path = Path(state_dir) / f"dhcp4-{link_name}.json"
        self._hostname_fn = hostname_fn
        self._log = logger or logging.getLogger("networkd.operators.dhcp4")
        self._rng = rng or random.SystemRandom()
        self._use_hostname = not self._settings.skip_hostname_request
        self._client: Client | None = None
        self._events: asyncio.Queue[object] | None = None
        self._probe_timing = probe_timing
        self._probe: acd.Probe | None = None  # running from LeaseAcquired until announced or conflicting
        self._probed: Lease | None = None  # the lease whose address it probes
        self._saved = self._load()
        tentative = self._saved if self._saved is not None and self._saved.valid_at(time.monotonic()) else None
        self._outputs = self._specs(tentative)

    @property
    def prefix(self) -> str:
        """`dhcp4/<link>`."""
        return f"dhcp4/{self.link_name}"

    @property
    def state(self) -> State:
        """The client's state (STOPPED when not running)."""
        return State.STOPPED if self._client is None else self._client.state

    @property
    def lease_path(self) -> Path:
        """Where the lease is kept."""
        return self._path

    def outputs(self) -> OperatorOutputs:
        """The specs of the lease held, or being re-requested; empty otherwise."""
        return self._outputs

    def release(self) -> None:
        """Ask a running operator to send DHCPRELEASE, forget the lease and return from :meth:`run`."""
        if self._events is not None:
            self._events.put_nowait(_RELEASE)

    async def run(self, notify: Notify) -> None:
        """Run the client until cancelled (lease kept, nothing sent) or released."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[object] = asyncio.Queue()
        session = _Session(self.link_name, self._log, loop, events, PacketSocket(self.link_name))
        try:
            client = Client(self._config(session.packet.mac), self._rng)
            self._client, self._events = client, events
            self._step(session, Start(loop.time(), self._saved), notify)
            async with anyio.create_task_group() as tg:
                tg.start_soon(session.receive)
                while client.state is not State.STOPPED:
                    item = await events.get()
                    now = loop.time()
                    if item is _RELEASE:
                        self._step(session, Stop(now, release=True), notify)
                        self._forget()
                    elif isinstance(item, _Fired):
                        if not session.due(item):
                            continue
                        if isinstance(item.timer, Timer):
                            self._step(session, TimerFired(item.timer, now), notify)
                        elif self._probe is not None:
                            self._probe_step(session, acd.TimerFired(now), notify)
                    elif isinstance(item, Message):
                        self._step(session, PacketReceived(item, now), notify)
                    elif isinstance(item, acd.ArpPacket) and self._probe is not None:
                        self._probe_step(session, acd.ArpReceived(item, now), notify)
                tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                self._events = None
                self._client = None
                self._probe = self._probed = None
                session.close()

    # internals

    def _config(self, mac: bytes) -> ClientConfig:
        """Client settings; our hostname is announced unless it is the one DHCP gave us."""
        ident = self._settings.client_identifier
        client_id = client_identifier(str(ident.client_identifier), mac, bytes.fromhex(ident.duid_raw_hex))
        known = {h.fqdn() for h in self._outputs.hostnames}
        node = self._hostname_fn()
        host, _, domain = (node or "").partition(".") if node not in known else ("", "", "")
        config = ClientConfig(
            mac=mac,
            client_id=client_id,
            hostname=host or None,
            domain=domain or None,
            request_hostname=not self._settings.skip_hostname_request,
        )
        # Talos's anti-parroting rule: a server's hostname is used only when we asked for it.
        self._use_hostname = config.request_hostname and config.hostname is None
        return config

    def _step(self, session: _Session, event: Event, notify: Notify) -> None:
        client = self._client
        assert client is not None
        before = client.state
        for action in client.handle(event):
            if isinstance(action, LeaseAcquired | LeaseRenewed):
                verb = "acquired" if isinstance(action, LeaseAcquired) else "renewed"
                lease = action.lease
                duration = "ever" if lease.lease_time is None else f"{lease.lease_time}s"
                self._log.info("%s: lease %s %s from %s for %s", self.link_name, lease.address, verb,
                               lease.server_id, duration)
                if isinstance(action, LeaseAcquired) and before is not State.REBOOTING:
                    self._begin_probe(session, lease, event.now, notify)
                else:
                    self._save(lease)
            elif isinstance(action, LeaseLost):
                self._log.info("%s: lease %s lost (%s)", self.link_name, action.lease.address, action.reason)
                if action.reason is not LeaseLostReason.STOPPED:
                    self._forget()
            else:
                session.execute(action)
        if client.state is not before:
            self._log.debug("%s: %s -> %s", self.link_name, before, client.state)
        if self._probe is not None and client.lease is not self._probed:
            self._log.debug("%s: ARP probe of %s abandoned: the lease is gone", self.link_name, self._probe.address)
            self._end_probe(session)
        self._publish(notify)

    def _publish(self, notify: Notify) -> None:
        """Offer the specs of the lease held or being re-requested, unless its address is still being probed."""
        client = self._client
        assert client is not None
        current = client.lease if client.state in _HOLDING or client.state is State.REBOOTING else None
        if current is not None and current is self._probed and self._probe is not None:
            current = None if self._probe.phase is acd.Phase.PROBING else current
        outputs = self._specs(current)
        if outputs != self._outputs:
            self._outputs = outputs
            notify()

    def _begin_probe(self, session: _Session, lease: Lease, now: float, notify: Notify) -> None:
        """Start the ARP probe of a new lease's address; it is saved and offered once the probe passes."""
        if self._probe_timing is None:
            self._save(lease)
            return
        try:
            session.open_arp()
        except OSError as exc:
            self._log.warning("%s: cannot probe %s with ARP (%s): using it unprobed", self.link_name,
                              lease.address.ip, exc)
            self._save(lease)
            return
        self._probe = acd.Probe(lease.address.ip, session.packet.mac, self._rng, self._probe_timing)
        self._probed = lease
        self._probe_step(session, acd.Start(now), notify)

    def _probe_step(self, session: _Session, event: acd.Event, notify: Notify) -> None:
        probe, lease = self._probe, self._probed
        assert probe is not None and lease is not None
        for action in probe.handle(event):
            if isinstance(action, acd.SendArp):
                session.send_arp(action.packet)
            elif isinstance(action, acd.ArmTimer):
                session.arm(_Slot.ACD, action.at)
            elif isinstance(action, acd.CancelTimer):
                session.cancel(_Slot.ACD)
            elif isinstance(action, acd.Available):
                self._log.info("%s: no conflict for %s after ARP probes: using it", self.link_name, lease.address)
                self._save(lease)
                self._publish(notify)  # before the announcements go out
            elif isinstance(action, acd.Conflict):
                self._log.warning("%s: %s is in use by %s (%s): declining the lease", self.link_name,
                                  lease.address.ip, action.packet.sender_mac.hex(":"), action.packet)
                self._end_probe(session)
                self._step(session, AddressInUse(event.now), notify)
                return
            elif isinstance(action, acd.Announced):
                self._end_probe(session)
            else:
                self._log.debug("%s: ARP probe: %s", self.link_name, action.reason)
        self._publish(notify)

    def _end_probe(self, session: _Session) -> None:
        self._probe = self._probed = None
        session.close_arp()

    def _specs(self, lease: Lease | None) -> OperatorOutputs:
        if lease is None:
            return OperatorOutputs()
        return lease_specs(
            self.link_name,
            lease,
            route_metric=self._settings.route_metric,
            use_hostname=self._use_hostname,
            use_routes=not self._settings.skip_routes,
        )

    def _load(self) -> Lease | None:
        try:
            text = self._path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._log.warning("%s: cannot read %s: %s", self.link_name, self._path, exc)
            return None
        try:
            return Lease.from_json(text, wall_offset=time.time() - time.monotonic())
        except ValueError as exc:
            self._log.warning("%s: ignoring %s: %s", self.link_name, self._path, exc)
            return None

    def _save(self, lease: Lease) -> None:
        """Write the lease atomically (temporary file, fsync, rename)."""
        self._saved = lease
        tmp = self._path.with_name(self._path.name + ".tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w") as f:
                f.write(lease.to_json(wall_offset=time.time() - time.monotonic()))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError as exc:
            self._log.warning("%s: cannot save the lease to %s: %s", self.link_name, self._path, exc)

    def _forget(self) -> None:
        self._saved = None
        try:
            self._path.unlink(missing_ok=True)
        except OSError as exc:
            self._log.warning("%s: cannot remove %s: %s", self.link_name, self._path, exc)


class _Session:
    """One run's I/O: sockets, timers on the loop's monotonic clock, and the queue of what arrived."""

    def __init__(
        self,
        link_name: str,
        log: logging.Logger | logging.LoggerAdapter[Any],
        loop: asyncio.AbstractEventLoop,
        events: asyncio.Queue[object],
        packet: PacketSocket,
    ) -> None:
        self._link = link_name
        self._log = log
        self._loop = loop
        self._events = events
        self.packet = packet
        self._udp: UDPSocket | None = None
        self._arp: ArpSocket | None = None
        self._timers: dict[Timer | _Slot, tuple[int, asyncio.TimerHandle]] = {}
        self._serial = 0

    async def receive(self) -> None:
        """Queue every DHCP message that arrives from a server port."""
        while True:
            datagram = await self.packet.recv()
            if datagram.src_port != SERVER_PORT:
                continue
            try:
                self._events.put_nowait(decode(datagram.payload))
            except DHCPDecodeError as exc:
                self._log.debug("%s: undecodable DHCP message from %s: %s", self._link, datagram.src, exc)

    def execute(self, action: Action) -> None:
        """Carry out one transport or timer action."""
        if isinstance(action, Send):
            self._send(action)
        elif isinstance(action, ArmTimer):
            self.arm(action.timer, action.at)
        elif isinstance(action, CancelTimer):
            self.cancel(action.timer)
        elif isinstance(action, Log):
            self._log.debug("%s: %s", self._link, action.reason)

    def arm(self, timer: Timer | _Slot, at: float) -> None:
        """(Re)arm a slot: a :class:`_Fired` is queued at monotonic time ``at``."""
        self.cancel(timer)
        self._serial += 1
        fired = _Fired(timer, self._serial)
        self._timers[timer] = (self._serial, self._loop.call_at(at, self._events.put_nowait, fired))

    def open_arp(self) -> None:
        """Open the ARP socket; every ARP packet that arrives is queued, decoded."""
        arp = ArpSocket(self._link)
        self._arp = arp
        self._loop.add_reader(arp.fileno(), self._read_arp)

    def close_arp(self) -> None:
        """Close the ARP socket and disarm the probe's timer (idempotent)."""
        self.cancel(_Slot.ACD)
        arp, self._arp = self._arp, None
        if arp is not None:
            self._loop.remove_reader(arp.fileno())
            arp.close()

    def send_arp(self, packet: acd.ArpPacket) -> None:
        """Broadcast one ARP packet; a failure is logged (the probe goes on, as after a lost frame)."""
        if self._arp is None:
            return
        try:
            self._arp.send(acd.encode(packet))
        except OSError as exc:
            self._log.warning("%s: cannot send %s: %s", self._link, packet, exc)

    def _read_arp(self) -> None:
        if self._arp is None:
            return
        try:
            payloads = self._arp.drain()
        except OSError as exc:
            # Stop reading rather than fail on every wake-up; the probe then ends as if unanswered.
            self._log.warning("%s: ARP socket failed, no more ARP read: %s", self._link, exc)
            self._loop.remove_reader(self._arp.fileno())
            payloads = []
        for payload in payloads:
            try:
                self._events.put_nowait(acd.decode(payload))
            except acd.ArpDecodeError as exc:
                self._log.debug("%s: %s", self._link, exc)

    def _send(self, action: Send) -> None:
        payload = encode(action.message)
        kind = action.message.message_type
        try:
            if action.via is Via.RAW:
                self.packet.send(payload, dst=action.destination)
            else:
                if self._udp is None:
                    self._udp = UDPSocket(self._link)
                self._udp.send(payload, action.destination)
        except OSError as exc:
            name = kind.name if kind is not None else "message"
            self._log.warning("%s: cannot send %s to %s: %s", self._link, name, action.destination, exc)

    def due(self, fired: _Fired) -> bool:
        """Whether ``fired`` is the slot's current arming (not one re-armed or cancelled while queued)."""
        armed = self._timers.get(fired.timer)
        if armed is None or armed[0] != fired.serial:
            return False
        del self._timers[fired.timer]
        return True

    def cancel(self, timer: Timer | _Slot) -> None:
        """Disarm a slot (nothing if it is not armed)."""
        armed = self._timers.pop(timer, None)
        if armed is not None:
            armed[1].cancel()

    def close(self) -> None:
        """Disarm every timer and close the sockets."""
        for timer in list(self._timers):
            self.cancel(timer)
        self.close_arp()
        self.packet.close()
        if self._udp is not None:
            self._udp.close()

