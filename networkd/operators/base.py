"""What every operator offers its supervisor: a run loop, a release request and its current specs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from networkd.resources.base import Spec
from networkd.resources.ids import HOSTNAME_ID, RESOLVER_ID, TIME_SERVER_ID, address_id, link_id, route_id
from networkd.resources.link import LinkSpec
from networkd.resources.network import AddressSpec, HostnameSpec, ResolverSpec, RouteSpec, TimeServerSpec

__all__ = ["HostnameFn", "Notify", "Operator", "OperatorOutputs"]

Notify = Callable[[], None]
"""Called by an operator whenever its outputs may have changed."""

HostnameFn = Callable[[], str | None]
"""The node's current hostname (FQDN), or ``None`` when it has none to announce."""


@dataclass(frozen=True, slots=True)
class OperatorOutputs:
    """The specs an operator wants now, all at layer operator; empty when it holds nothing."""

    addresses: tuple[AddressSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    hostnames: tuple[HostnameSpec, ...] = ()
    resolvers: tuple[ResolverSpec, ...] = ()
    time_servers: tuple[TimeServerSpec, ...] = ()

    def items(self) -> Iterator[tuple[str, Spec]]:
        """Every spec with its id (without the operator prefix), as Talos keys them."""
        for a in self.addresses:
            yield address_id(a.link_name, a.address), a
        for link in self.links:
            yield link_id(link.name), link
        for r in self.routes:
            yield route_id(r.table, r.family, r.destination, r.gateway, r.priority, r.out_link_name), r
        for h in self.hostnames:
            yield HOSTNAME_ID, h
        for res in self.resolvers:
            yield RESOLVER_ID, res
        for t in self.time_servers:
            yield TIME_SERVER_ID, t


class Operator(Protocol):
    """A network operator (DHCPv4, later DHCPv6 and VIP) run by the OperatorSpecController.

    ``run`` returns when a requested release is done; cancelling it is a stop that keeps
    whatever the operator holds (daemon shutdown, link down, replacement) and sends nothing.
    It may raise: the supervisor restarts it with backoff, on the same object.
    """

    @property
    def prefix(self) -> str:
        """`<operator>/<link>`, prepended to the id of every output."""
        ...

    def outputs(self) -> OperatorOutputs:
        """The specs wanted now."""
        ...

    async def run(self, notify: Notify) -> None:
        """Operate until cancelled, or until a release requested by :meth:`release` is done."""
        ...

    def release(self) -> None:
        """Ask a running operator to give back what it holds (e.g. DHCPRELEASE) and return from run."""
        ...
