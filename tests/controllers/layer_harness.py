"""A State holding the inputs of the configuration-layer controllers, put in as their producers would,
and waits on what the controllers write into network-config."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio

from cmdline import LinkInfo, parse
from networkd.resources.base import ResourceType, Spec
from networkd.resources.config import CONFIG, MachineConfig
from networkd.resources.enums import LinkType
from networkd.resources.link import LinkSpec, LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressSpec,
    AddressStatus,
    HostnameSpec,
    HostnameStatus,
    NodeAddress,
    OperatorSpec,
    ProbeSpec,
    ResolverSpec,
    RouteSpec,
    RoutingRuleSpec,
    TimeServerSpec,
)
from networkd.resources.runtime import CMDLINE_ID, RUNTIME, KernelCmdlineSpec
from networkd.resources.values import HardwareAddr
from networkd.runtime import Controller, Runtime
from networkd.state import State
from tests.aio import running

OWNER = "test"


class Node:
    """The State a set of controllers runs against."""

    def __init__(self) -> None:
        self.st = State()

    def put(self, namespace: str, id: str, spec: Spec) -> None:
        """Create or update an input resource owned by the test."""
        cur = self.st.find(namespace, type(spec).TYPE.type, id)
        if cur is None:
            self.st.create(type(spec).TYPE.new(namespace, id, spec), OWNER)
        else:
            self.st.update(type(cur)(cur.metadata, spec), OWNER)

    def drop(self, namespace: str, rt: ResourceType, id: str) -> None:
        """Destroy an input resource."""
        self.st.destroy(namespace, rt.type, id, OWNER)

    def link(self, name: str, *, kind: str = "", type: LinkType = LinkType.ETHER, alias: str = "",
             alt_names: tuple[str, ...] = (), hw: str = "", driver: str = "", **more: Any) -> None:
        """A link as the link status controller reports it (physical unless it has a kind or is not ether)."""
        self.put(NETWORK, name, LinkStatus(kind=kind, type=type, alias=alias, alt_names=alt_names,
                                           hardware_addr=HardwareAddr.parse(hw), driver=driver, **more))

    def cmdline(self, text: str) -> None:
        """The KernelCmdline resource for `text`, parsed against the links put in so far."""
        links = []
        for res in self.st.list(NETWORK, LinkStatus.TYPE.type):
            assert isinstance(res.spec, LinkStatus)
            links.append(LinkInfo(res.id, str(res.spec.hardware_addr), res.spec.alias, res.spec.alt_names,
                                  res.spec.physical()))
        self.put(RUNTIME, CMDLINE_ID, KernelCmdlineSpec(text, parse(text, links)))

    def config(self, text: str | None) -> None:
        """The MachineConfig in force (None: no configuration)."""
        if text is None:
            self.drop(CONFIG, MachineConfig.TYPE, "v1alpha1")
        else:
            self.put(CONFIG, "v1alpha1", MachineConfig(text))

    def node_address(self, *cidrs: str) -> None:
        """NodeAddress `default`."""
        self.put(NETWORK, "default", NodeAddress(addresses=tuple(ipaddress.ip_interface(c) for c in cidrs)))

    def hostname_status(self, hostname: str, domainname: str = "") -> None:
        """HostnameStatus `hostname`."""
        self.put(NETWORK, "hostname", HostnameStatus(hostname=hostname, domainname=domainname))

    def specs(self, rt: ResourceType, namespace: str = NETWORK_CONFIG) -> dict[str, Any]:
        """id -> spec of every resource of a type in a namespace (network-config by default)."""
        return {r.id: r.spec for r in self.st.list(namespace, rt.type)}

    def ids(self, rt: ResourceType, namespace: str = NETWORK_CONFIG) -> set[str]:
        """The ids of every resource of a type in a namespace."""
        return set(self.specs(rt, namespace))

    def running(self, *controllers: Controller) -> AbstractAsyncContextManager[Runtime]:
        """Run the controllers against this node's State for the duration of the block."""
        return running(self.st, *controllers)


async def converge(get: Callable[[], object], expected: object, timeout: float = 2.0) -> None:
    """Wait until `get()` equals `expected`, then assert it (so a failure shows the difference)."""
    with anyio.move_on_after(timeout):
        while get() != expected:
            await anyio.sleep(0.005)
    assert get() == expected


async def settle(node: Node, rounds: int = 5) -> None:
    """Wait until the State has not changed for a few scheduler rounds (for absence checks)."""
    def fingerprint() -> tuple[tuple[str, str, int], ...]:
        return tuple((r.metadata.namespace, r.id, r.metadata.version)
                     for ns in (NETWORK, NETWORK_CONFIG, CONFIG, RUNTIME)
                     for t in _TYPES for r in node.st.list(ns, t))
    with anyio.fail_after(2.0):
        last, same = fingerprint(), 0
        while same < rounds:
            await anyio.sleep(0.005)
            now = fingerprint()
            same = same + 1 if now == last else 0
            last = now


_TYPES = tuple(t.TYPE.type for t in (AddressSpec, LinkSpec, RouteSpec, RoutingRuleSpec, HostnameSpec, ResolverSpec,
                                     TimeServerSpec, OperatorSpec, ProbeSpec, AddressStatus, MachineConfig))
