"""OperatorSpecController with fake operators on the real Runtime and State."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from networkd.controllers.operator_spec import OperatorSpecController
from networkd.operators.base import HostnameFn, Notify, OperatorOutputs
from networkd.resources.base import Resource, Spec
from networkd.resources.enums import ConfigLayer, Family, OperationalState, Operator, RoutingTable
from networkd.resources.link import LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressSpec,
    DHCP4OperatorSpec,
    HostnameStatus,
    NameServerSpec,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    VIPOperatorSpec,
)
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

CONTROLLER = "network.OperatorSpecController"


def outputs(ip: str = "10.0.0.5/24") -> OperatorOutputs:
    """Specs like those of a DHCP lease on eth0."""
    address = AddressSpec(address=ipaddress.ip_interface(ip), link_name="eth0", family=Family.INET4,
                          priority=1024, layer=ConfigLayer.OPERATOR)
    resolver = ResolverSpec(name_servers=(NameServerSpec(addr=ipaddress.ip_address("10.0.0.53")),),
                            layer=ConfigLayer.OPERATOR)
    return OperatorOutputs(addresses=(address,), resolvers=(resolver.convert(),))


@dataclass(eq=False)
class FakeOperator:
    """Publishes `outputs` while running; fails `fail` times first; records how it ended."""

    spec: OperatorSpec
    hostname_fn: HostnameFn
    current: OperatorOutputs = field(default_factory=outputs)
    fail: int = 0
    runs: int = 0
    released: bool = False
    cancelled: int = 0
    _release: anyio.Event = field(default_factory=anyio.Event)
    _notify: Notify | None = None

    @property
    def prefix(self) -> str:
        return f"{self.spec.operator}/{self.spec.link_name}"

    def outputs(self) -> OperatorOutputs:
        return self.current

    def release(self) -> None:
        self._release.set()

    def publish(self, new: OperatorOutputs) -> None:
        self.current = new
        assert self._notify is not None
        self._notify()

    async def run(self, notify: Notify) -> None:
        self.runs += 1
        if self.fail:
            self.fail -= 1
            raise RuntimeError("boom")
        self._notify = notify
        try:
            await self._release.wait()
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        self.released = True
        self.current = OperatorOutputs()
        notify()


@dataclass
class Harness:
    """A State, and the fakes the controller's factory made, in order."""

    st: State
    made: list[FakeOperator]
    fail_first: int = 0

    def factory(self, spec: OperatorSpec, hostname_fn: HostnameFn, logger: Any) -> FakeOperator | None:
        if spec.operator != Operator.DHCP4:
            return None
        op = FakeOperator(spec, hostname_fn, fail=self.fail_first)
        self.made.append(op)
        return op

    def put(self, namespace: str, id: str, spec: Spec) -> None:
        cur = self.st.find(namespace, type(spec).TYPE.type, id)
        if cur is None:
            self.st.create(type(spec).TYPE.new(namespace, id, spec), "test")
        else:
            self.st.update(Resource(cur.metadata, spec), "test")

    def link(self, state: OperationalState, name: str = "eth0") -> None:
        self.put(NETWORK, name, LinkStatus(operational_state=state))

    def operator(self, metric: int = 1024, *, require_up: bool = False, layer: ConfigLayer = ConfigLayer.DEFAULT,
                 link: str = "eth0") -> None:
        spec = OperatorSpec(operator=Operator.DHCP4, link_name=link, require_up=require_up,
                            dhcp4=DHCP4OperatorSpec(route_metric=metric), layer=layer)
        self.put(NETWORK, f"dhcp4/{link}", spec)

    def config_ids(self, rt: Any = AddressSpec.TYPE) -> list[str]:
        return [r.metadata.id for r in self.st.list(NETWORK_CONFIG, rt.type)]


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    st = State()
    harness = Harness(st, [])
    rt = Runtime(st)
    rt.register(OperatorSpecController(harness.factory, backoff_initial=0.01, backoff_max=0.05,
                                       release_timeout=1.0))
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        yield harness
        tg.cancel_scope.cancel()


ADDRESS_ID = "dhcp4/eth0/eth0/10.0.0.5/24"


@pytest.mark.anyio
async def test_starts_once_the_link_exists_and_publishes_outputs(h: Harness) -> None:
    h.operator()
    await anyio.sleep(0.05)
    assert h.made == []
    h.link(OperationalState.DOWN)  # requireUp is false: down is fine
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    res = h.st.get(NETWORK_CONFIG, AddressSpec.TYPE.type, ADDRESS_ID)
    assert res.metadata.owner == CONTROLLER and res.spec == h.made[0].current.addresses[0]
    assert h.config_ids(ResolverSpec.TYPE) == ["dhcp4/eth0/resolvers"]
    assert len(h.made) == 1 and h.made[0].runs == 1

    # a notify publishes new outputs and retires those no longer produced
    route = RouteSpec(family=Family.INET4, gateway=ipaddress.ip_address("10.0.0.1"), out_link_name="eth0",
                      table=RoutingTable.MAIN, priority=1024, layer=ConfigLayer.OPERATOR)
    h.made[0].publish(dataclasses.replace(outputs("10.0.0.6/24"), routes=(route,), resolvers=()))
    await until(lambda: h.config_ids() == ["dhcp4/eth0/eth0/10.0.0.6/24"])
    assert h.config_ids(RouteSpec.TYPE) == ["dhcp4/eth0/inet4/10.0.0.1//1024"]
    assert h.config_ids(ResolverSpec.TYPE) == []


@pytest.mark.anyio
async def test_require_up_follows_the_operational_state(h: Harness) -> None:
    h.operator(require_up=True)
    h.link(OperationalState.DOWN)
    await anyio.sleep(0.05)
    assert h.made == []
    h.link(OperationalState.UP)
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    h.link(OperationalState.LOWER_LAYER_DOWN)
    await until(lambda: h.config_ids() == [])
    first = h.made[0]
    assert (first.cancelled, first.released) == (1, False), "a link going down keeps the lease"
    h.link(OperationalState.UNKNOWN)  # e.g. a veth or tun without carrier reporting
    await until(lambda: len(h.made) == 2 and h.config_ids() == [ADDRESS_ID])


@pytest.mark.anyio
async def test_replaced_when_the_spec_changes_but_not_its_layer(h: Harness) -> None:
    h.link(OperationalState.UP)
    h.operator(1024)
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    h.operator(1024, layer=ConfigLayer.CMDLINE)
    await anyio.sleep(0.05)
    assert len(h.made) == 1 and h.made[0].cancelled == 0
    h.operator(2048)
    await until(lambda: len(h.made) == 2 and h.made[1].runs == 1)
    assert (h.made[0].cancelled, h.made[0].released) == (1, False)
    assert h.made[1].spec.dhcp4 == DHCP4OperatorSpec(route_metric=2048)
    assert h.config_ids() == [ADDRESS_ID]


@pytest.mark.anyio
async def test_removed_spec_releases_and_outputs_are_retired(h: Harness) -> None:
    h.link(OperationalState.UP)
    h.operator()
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    h.st.destroy(NETWORK, OperatorSpec.TYPE.type, "dhcp4/eth0", "test")
    await until(lambda: h.config_ids() == [] and h.config_ids(ResolverSpec.TYPE) == [])
    assert (h.made[0].released, h.made[0].cancelled) == (True, 0)


@pytest.mark.anyio
async def test_vanished_link_stops_without_release(h: Harness) -> None:
    h.link(OperationalState.UP)
    h.operator()
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    h.st.destroy(NETWORK, LinkStatus.TYPE.type, "eth0", "test")
    h.st.destroy(NETWORK, OperatorSpec.TYPE.type, "dhcp4/eth0", "test")
    await until(lambda: h.config_ids() == [])
    assert (h.made[0].released, h.made[0].cancelled) == (False, 1)


@pytest.mark.anyio
async def test_failing_operator_is_restarted_and_keeps_its_outputs(h: Harness) -> None:
    h.fail_first = 10**6
    h.link(OperationalState.UP)
    h.operator()
    await until(lambda: h.made and h.made[0].runs >= 3)
    assert len(h.made) == 1, "the same operator object is run again"
    assert h.config_ids() == [ADDRESS_ID], "outputs stay while it is restarted"
    h.made[0].fail = 0
    await until(lambda: h.made[0].runs >= 4 and h.made[0]._notify is not None)
    assert h.config_ids() == [ADDRESS_ID]


@pytest.mark.anyio
async def test_backoff_doubles_between_failures() -> None:
    st = State()
    harness = Harness(st, [], fail_first=4)
    rt = Runtime(st)
    rt.register(OperatorSpecController(harness.factory, backoff_initial=0.05, backoff_max=1.0))
    harness.link(OperationalState.UP)
    harness.operator()
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        started = anyio.current_time()
        await until(lambda: harness.made and harness.made[0].runs == 5, timeout=5.0)
        elapsed = anyio.current_time() - started
        tg.cancel_scope.cancel()
    assert 0.05 + 0.1 + 0.2 + 0.4 <= elapsed < 1.5


@pytest.mark.anyio
async def test_unsupported_kind_is_skipped_and_others_still_run(h: Harness) -> None:
    h.link(OperationalState.UP)
    vip = OperatorSpec(operator=Operator.VIP, link_name="eth0",
                       vip=VIPOperatorSpec(ip=ipaddress.ip_address("10.0.0.99")))
    h.put(NETWORK, "vip/eth0/10.0.0.99", vip)
    h.operator()
    await until(lambda: h.config_ids() == [ADDRESS_ID])
    assert [op.spec.operator for op in h.made] == [Operator.DHCP4]


@pytest.mark.anyio
async def test_hostname_comes_from_hostname_status(h: Harness) -> None:
    h.link(OperationalState.UP)
    h.operator()
    await until(lambda: h.made)
    assert h.made[0].hostname_fn() is None
    h.put(NETWORK, "hostname", HostnameStatus(hostname="node1", domainname="example.org"))
    assert h.made[0].hostname_fn() == "node1.example.org"


@pytest.mark.anyio
async def test_shutdown_cancels_operators_and_sends_nothing() -> None:
    st = State()
    harness = Harness(st, [])
    rt = Runtime(st)
    rt.register(OperatorSpecController(harness.factory))
    harness.link(OperationalState.UP)
    harness.operator()
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: harness.made and harness.made[0].runs == 1)
        tg.cancel_scope.cancel()
    assert (harness.made[0].cancelled, harness.made[0].released) == (1, False)
