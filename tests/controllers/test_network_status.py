"""StatusController with the real runtime: the Talos status_test.go vectors (other_cases §6), then transitions."""

from __future__ import annotations

import ipaddress

import anyio
import pytest

from networkd.controllers.network_status import StatusController
from networkd.resources.base import Spec
from networkd.resources.enums import Family
from networkd.resources.files import FILES, EtcFileStatus
from networkd.resources.network import NETWORK, HostnameStatus, NetworkStatus, NodeAddress, ProbeStatus, RouteStatus
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

FAKE = "test.fake-owner"


def put(st: State, namespace: str, id: str, spec: Spec) -> None:
    cur = st.find(namespace, type(spec).TYPE.type, id)
    if cur is None:
        st.create(type(spec).TYPE.new(namespace, id, spec), FAKE)
    else:
        st.update(type(cur)(cur.metadata, spec), FAKE)


def default_route(gw: str = "10.0.0.1") -> RouteStatus:
    return RouteStatus(family=Family.INET4, gateway=ipaddress.ip_address(gw), priority=1024)


def status(st: State) -> NetworkStatus | None:
    res = st.find(NETWORK, NetworkStatus.TYPE.type, "status")
    if res is None:
        return None
    assert isinstance(res.spec, NetworkStatus)
    return res.spec


def current(*cidrs: str) -> NodeAddress:
    return NodeAddress(addresses=tuple(ipaddress.ip_interface(c) for c in cidrs))


VECTORS: list[tuple[str, list[tuple[str, str, Spec]], NetworkStatus]] = [
    ("none", [], NetworkStatus()),
    ("address", [(NETWORK, "current", current("10.0.0.1/24"))], NetworkStatus(address_ready=True)),
    ("default route", [(NETWORK, "inet4/10.0.0.1//1024", default_route())], NetworkStatus(connectivity_ready=True)),
    ("probe success", [(NETWORK, "tcp:proxy:3128", ProbeStatus(success=True))],
     NetworkStatus(connectivity_ready=True)),
    ("a failing probe beats a default route",
     [(NETWORK, "inet4/10.0.0.1//1024", default_route()), (NETWORK, "tcp:a:1", ProbeStatus(success=True)),
      (NETWORK, "tcp:b:1", ProbeStatus(success=False, last_error="timeout"))], NetworkStatus()),
    ("hostname", [(NETWORK, "hostname", HostnameStatus(hostname="foo"))], NetworkStatus(hostname_ready=True)),
    ("etc files", [(FILES, "hosts", EtcFileStatus(spec_version="1")),
                   (FILES, "resolv.conf", EtcFileStatus(spec_version="2"))], NetworkStatus(etc_files_ready=True)),
    ("hosts alone", [(FILES, "hosts", EtcFileStatus(spec_version="1"))], NetworkStatus()),
    ("empty current", [(NETWORK, "current", current())], NetworkStatus()),
    ("other node address ids", [(NETWORK, "accumulative", current("10.0.0.1/24")),
                                (NETWORK, "default", current("10.0.0.1/24"))], NetworkStatus()),
    ("route with a destination", [(NETWORK, "inet4//10.0.0.0/8/1024", RouteStatus(
        family=Family.INET4, destination=ipaddress.ip_network("10.0.0.0/8")))], NetworkStatus()),
]


@pytest.mark.parametrize(("name", "resources", "want"), VECTORS, ids=[v[0] for v in VECTORS])
@pytest.mark.anyio
async def test_vectors(name: str, resources: list[tuple[str, str, Spec]], want: NetworkStatus) -> None:
    st = State()
    for namespace, id, spec in resources:
        put(st, namespace, id, spec)
    rt = Runtime(st)
    rt.register(StatusController())
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: status(st) is not None)
        await anyio.sleep(0.02)
        assert status(st) == want
        assert st.get(NETWORK, NetworkStatus.TYPE.type, "status").metadata.owner == "network.StatusController"
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_follows_its_inputs() -> None:
    st = State()
    rt = Runtime(st)
    rt.register(StatusController())
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: status(st) == NetworkStatus())
        put(st, NETWORK, "current", current("10.0.0.1/24"))
        put(st, NETWORK, "inet4/10.0.0.1//1024", default_route())
        put(st, NETWORK, "hostname", HostnameStatus(hostname="foo"))
        put(st, FILES, "hosts", EtcFileStatus(spec_version="1"))
        put(st, FILES, "resolv.conf", EtcFileStatus(spec_version="1"))
        every = NetworkStatus(address_ready=True, connectivity_ready=True, hostname_ready=True, etc_files_ready=True)
        await until(lambda: status(st) == every)

        put(st, NETWORK, "tcp:a:1", ProbeStatus(success=False))
        await until(lambda: status(st) == NetworkStatus(address_ready=True, hostname_ready=True,
                                                        etc_files_ready=True))
        put(st, NETWORK, "tcp:a:1", ProbeStatus(success=True))
        await until(lambda: status(st) == every)

        put(st, NETWORK, "current", current())
        st.destroy(NETWORK, HostnameStatus.TYPE.type, "hostname", FAKE)
        st.destroy(FILES, EtcFileStatus.TYPE.type, "resolv.conf", FAKE)
        await until(lambda: status(st) == NetworkStatus(connectivity_ready=True))
        tg.cancel_scope.cancel()
