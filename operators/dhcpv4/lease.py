"""A DHCPv4 lease (what an ACK granted) and the neutral configuration it implies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from .codec import ClasslessRoute, Message

__all__ = [
    "DEFAULT_LEASE_TIME",
    "INFINITE_LEASE",
    "MIN_LEASE_TIME",
    "MIN_MTU",
    "Lease",
    "LeaseOutputs",
    "Route",
    "lease_outputs",
]

# Talos (operator/dhcp4.go) assumes 30 minutes when the server sends no option 51.
DEFAULT_LEASE_TIME = 1800
# RFC 2131 §3.3: "The value 0xffffffff is reserved to represent 'infinity'."
INFINITE_LEASE = 0xFFFFFFFF
MIN_LEASE_TIME = 10
# RFC 2131 §2: every host must accept 576-octet datagrams; a smaller option 26 is ignored.
MIN_MTU = 576

_JSON_VERSION = 1
_DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")
_ZERO = IPv4Address(0)


@dataclass(frozen=True, slots=True)
class Lease:
    """What the server granted, as received (strings untrimmed); times in the client's clock.

    ``obtained`` is when the REQUEST that earned the ACK was first sent; ``lease_time``,
    ``renewal_time`` (T1) and ``rebinding_time`` (T2) are durations in seconds from then, all
    ``None`` for an infinite lease. T1/T2 are already sanitised, without random fuzz.
    """

    address: IPv4Interface
    server_id: IPv4Address
    obtained: float
    lease_time: int | None
    renewal_time: float | None
    rebinding_time: float | None
    routers: tuple[IPv4Address, ...] = ()
    classless_routes: tuple[ClasslessRoute, ...] = ()
    dns_servers: tuple[IPv4Address, ...] = ()
    domain_name: str | None = None
    domain_search: tuple[str, ...] = ()
    ntp_servers: tuple[IPv4Address, ...] = ()
    mtu: int | None = None
    hostname: str | None = None
    broadcast_address: IPv4Address | None = None

    @classmethod
    def from_ack(
        cls,
        ack: Message,
        *,
        obtained: float,
        server_id: IPv4Address,
        default_lease_time: int = DEFAULT_LEASE_TIME,
    ) -> Lease:
        """Build a lease from an ACK; ``server_id`` is the one the caller validated."""
        opts = ack.options
        lease_time = default_lease_time if opts.lease_time is None else opts.lease_time
        # Not an RFC rule: a floor so that a server granting 0 s cannot make the client loop.
        lease_time = max(lease_time, MIN_LEASE_TIME)
        t1, t2 = _sanitise_timers(lease_time, opts.renewal_time, opts.rebinding_time)
        return cls(
            address=IPv4Interface((ack.yiaddr, _prefixlen(ack.yiaddr, opts.subnet_mask))),
            server_id=server_id,
            obtained=obtained,
            lease_time=None if lease_time == INFINITE_LEASE else lease_time,
            renewal_time=t1,
            rebinding_time=t2,
            routers=opts.routers,
            classless_routes=opts.classless_routes,
            dns_servers=opts.dns_servers,
            domain_name=opts.domain_name,
            domain_search=opts.domain_search,
            ntp_servers=opts.ntp_servers,
            mtu=opts.interface_mtu,
            hostname=opts.hostname,
            broadcast_address=opts.broadcast_address,
        )

    @property
    def renew_at(self) -> float | None:
        """When T1 falls (no fuzz), or ``None`` for an infinite lease."""
        return None if self.renewal_time is None else self.obtained + self.renewal_time

    @property
    def rebind_at(self) -> float | None:
        """When T2 falls (no fuzz), or ``None`` for an infinite lease."""
        return None if self.rebinding_time is None else self.obtained + self.rebinding_time

    @property
    def expires_at(self) -> float | None:
        """When the lease ends, or ``None`` if it never does."""
        return None if self.lease_time is None else self.obtained + self.lease_time

    def valid_at(self, now: float) -> bool:
        """Whether the lease has not expired at ``now``."""
        expires = self.expires_at
        return expires is None or now < expires

    def to_json(self, *, wall_offset: float) -> str:
        """Serialise for the lease file; ``obtained + wall_offset`` is written as wall-clock time.

        A driver on a monotonic clock passes ``time.time() - time.monotonic()``.
        """
        doc: dict[str, Any] = {
            "version": _JSON_VERSION,
            "address": str(self.address),
            "server_id": str(self.server_id),
            "obtained": self.obtained + wall_offset,
            "lease_time": self.lease_time,
            "renewal_time": self.renewal_time,
            "rebinding_time": self.rebinding_time,
            "routers": [str(a) for a in self.routers],
            "classless_routes": [[str(r.destination), str(r.router)] for r in self.classless_routes],
            "dns_servers": [str(a) for a in self.dns_servers],
            "domain_name": self.domain_name,
            "domain_search": list(self.domain_search),
            "ntp_servers": [str(a) for a in self.ntp_servers],
            "mtu": self.mtu,
            "hostname": self.hostname,
            "broadcast_address": None if self.broadcast_address is None else str(self.broadcast_address),
        }
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, wall_offset: float) -> Lease:
        """Inverse of :meth:`to_json`; raises ``ValueError`` on anything unexpected."""
        try:
            doc = json.loads(text)
            if doc.get("version") != _JSON_VERSION:
                raise ValueError(f"unsupported lease file version {doc.get('version')!r}")
            broadcast = doc["broadcast_address"]
            return cls(
                address=IPv4Interface(doc["address"]),
                server_id=IPv4Address(doc["server_id"]),
                obtained=float(doc["obtained"]) - wall_offset,
                lease_time=None if doc["lease_time"] is None else int(doc["lease_time"]),
                renewal_time=None if doc["renewal_time"] is None else float(doc["renewal_time"]),
                rebinding_time=None if doc["rebinding_time"] is None else float(doc["rebinding_time"]),
                routers=tuple(IPv4Address(a) for a in doc["routers"]),
                classless_routes=tuple(
                    ClasslessRoute(IPv4Network(d), IPv4Address(g)) for d, g in doc["classless_routes"]
                ),
                dns_servers=tuple(IPv4Address(a) for a in doc["dns_servers"]),
                domain_name=_str_or_none(doc["domain_name"]),
                domain_search=tuple(str(d) for d in doc["domain_search"]),
                ntp_servers=tuple(IPv4Address(a) for a in doc["ntp_servers"]),
                mtu=None if doc["mtu"] is None else int(doc["mtu"]),
                hostname=_str_or_none(doc["hostname"]),
                broadcast_address=None if broadcast is None else IPv4Address(broadcast),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed lease file: {exc!r}") from exc


def _str_or_none(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {value!r}")


def _prefixlen(address: IPv4Address, mask: IPv4Address | None) -> int:
    """Option 1, else the classful default (as systemd and dhclient do)."""
    if mask is not None:
        return IPv4Network(f"0.0.0.0/{mask}").prefixlen
    first = address.packed[0]
    return 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32


def _sanitise_timers(lease_time: int, t1: int | None, t2: int | None) -> tuple[float | None, float | None]:
    """RFC 2131 §4.4.5 defaults, with systemd's sanity rules for inconsistent server values.

    "T1 defaults to (0.5 * duration_of_lease). T2 defaults to (0.875 * duration_of_lease)."
    """
    if lease_time == INFINITE_LEASE:
        return None, None
    default_t1, default_t2 = 0.5 * lease_time, 0.875 * lease_time
    rebind = float(t2) if t2 and t2 < lease_time else default_t2
    renew = float(t1) if t1 and t1 < rebind else default_t1
    if renew >= rebind:
        rebind = default_t2
    return renew, rebind


@dataclass(frozen=True, slots=True)
class Route:
    """A route the lease asks for; ``gateway`` ``None`` means on-link (scope link).

    ``on_link_helper`` marks the /32 route added so that a gateway outside the leased prefix is
    reachable; a kernel applier must install it before the routes that use the gateway.
    """

    destination: IPv4Network
    gateway: IPv4Address | None
    metric: int
    on_link_helper: bool = False


@dataclass(frozen=True, slots=True)
class LeaseOutputs:
    """Configuration implied by a lease, independent of any spec/resource model.

    Routes use ``address.ip`` as preferred source. ``mtu`` is ``None`` unless option 26 gave at
    least :data:`MIN_MTU`. ``hostname``/``domain`` are validated DNS names or ``None``.
    """

    address: IPv4Interface
    metric: int
    routes: tuple[Route, ...]
    mtu: int | None
    hostname: str | None
    domain: str | None
    resolvers: tuple[IPv4Address, ...]
    search_domains: tuple[str, ...]
    time_servers: tuple[IPv4Address, ...]


def lease_outputs(
    lease: Lease, *, route_metric: int = 1024, use_hostname: bool = True, use_routes: bool = True
) -> LeaseOutputs:
    """Turn a lease into address, routes, MTU, hostname, resolvers and time servers (Talos rules)."""
    hostname, domain = _hostname(lease) if use_hostname else (None, None)
    return LeaseOutputs(
        address=lease.address,
        metric=route_metric,
        routes=_routes(lease, route_metric) if use_routes else (),
        mtu=lease.mtu if lease.mtu is not None and lease.mtu >= MIN_MTU else None,
        hostname=hostname,
        domain=domain,
        resolvers=lease.dns_servers,
        search_domains=_search_domains(lease),
        time_servers=lease.ntp_servers,
    )


def _routes(lease: Lease, metric: int) -> tuple[Route, ...]:
    # RFC 3442: "If the DHCP server returns both a Classless Static Routes option and a Router
    # option, the DHCP client MUST ignore the Router option."
    if lease.classless_routes:
        wanted = [(r.destination, r.router) for r in lease.classless_routes]
    else:
        wanted = [(_DEFAULT_ROUTE, router) for router in lease.routers]
    routes: list[Route] = []
    helped: set[IPv4Address] = set()
    for destination, router in wanted:
        gateway = None if router == _ZERO else router
        route = Route(destination, gateway, metric)
        if route in routes:
            continue
        routes.append(route)
        # A gateway outside the leased prefix gets an on-link /32 right after its first use
        # (the order Talos' dhcpparse produces).
        if gateway is not None and gateway not in lease.address.network and gateway not in helped:
            helped.add(gateway)
            routes.append(Route(IPv4Network((gateway, 32)), None, metric, on_link_helper=True))
    return tuple(routes)


_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _clean_domain(value: str | None) -> str | None:
    """NUL-trimmed domain without its trailing dot, or ``None`` if it is not a valid name.

    Validation also keeps a hostile option 15 out of resolv.conf (no spaces, no newlines).
    """
    if value is None:
        return None
    name = value.strip("\0").removesuffix(".")
    if not name or len(name) > 253:
        return None
    return name if all(_DOMAIN_LABEL.fullmatch(label) for label in name.split(".")) else None


def _hostname(lease: Lease) -> tuple[str | None, str | None]:
    """Option 12 split as an FQDN; option 15, when present and valid, overrides the domain."""
    if lease.hostname is None:
        return None, None
    host, _, domain = lease.hostname.strip("\0").removesuffix(".").partition(".")
    if not _HOST_LABEL.fullmatch(host):
        return None, None
    return host, _clean_domain(lease.domain_name) or _clean_domain(domain)


def _search_domains(lease: Lease) -> tuple[str, ...]:
    """Option 119 names, then option 15 if not already listed."""
    names = map(_clean_domain, (*lease.domain_search, lease.domain_name))
    return tuple(dict.fromkeys(name for name in names if name is not None))
