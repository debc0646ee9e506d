"""KernelObserver and observer_controllers without a kernel: a fake Netlink, the real hub, runtime and state."""

from __future__ import annotations

import errno
from ipaddress import ip_interface, ip_network
from types import TracebackType

import anyio
import pytest

from networkd.controllers import observers
from networkd.controllers.address_status import AddressStatusController
from networkd.controllers.observers import observer_controllers
from networkd.controllers.routing_rule_status import RoutingRuleStatusController
from networkd.kernel.errors import KernelError
from networkd.kernel.hub import KernelHub
from networkd.kernel.types import AF_INET, KernelAddress, KernelRule
from networkd.resources.enums import Family
from networkd.resources.network import NETWORK, AddressStatus, RoutingRuleStatus
from networkd.runtime import OutputKind, Runtime
from networkd.state import State
from tests.aio import until

NAME = "network.RoutingRuleStatusController"
TYPE = RoutingRuleStatus.TYPE.type


class FakeNetlink:
    """Answers rule dumps from a list the test edits; `fail` raises the next dump's error instead."""

    rules_now: list[KernelRule] = []
    addresses_now: list[KernelAddress] = []
    fail: list[KernelError] = []
    dumps = 0
    open_sockets = 0

    @classmethod
    async def open(cls) -> FakeNetlink:
        FakeNetlink.open_sockets += 1
        return cls()

    async def __aenter__(self) -> FakeNetlink:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        FakeNetlink.open_sockets -= 1

    async def rules(self) -> list[KernelRule]:
        FakeNetlink.dumps += 1
        if FakeNetlink.fail:
            raise FakeNetlink.fail.pop(0)
        return list(FakeNetlink.rules_now)

    async def addresses(self) -> list[KernelAddress]:
        return list(FakeNetlink.addresses_now)


def rule(priority: int, table: int = 100) -> KernelRule:
    return KernelRule(family=AF_INET, priority=priority, table=table, src=ip_network("10.0.0.0/8"))


@pytest.fixture
def fake_netlink(monkeypatch: pytest.MonkeyPatch) -> type[FakeNetlink]:
    monkeypatch.setattr(observers, "Netlink", FakeNetlink)
    FakeNetlink.rules_now, FakeNetlink.addresses_now, FakeNetlink.fail = [], [], []
    FakeNetlink.dumps = FakeNetlink.open_sockets = 0
    return FakeNetlink


def test_observer_controllers_are_the_four_exclusive_writers() -> None:
    controllers = observer_controllers(None, KernelHub())  # type: ignore[arg-type]
    assert [c.name for c in controllers] == ["network.LinkStatusController", "network.AddressStatusController",
                                             "network.RouteStatusController", "network.RoutingRuleStatusController"]
    assert [[(o.type.display, o.kind) for o in c.outputs()] for c in controllers] == [
        [("LinkStatus", OutputKind.EXCLUSIVE)], [("AddressStatus", OutputKind.SHARED)],
        [("RouteStatus", OutputKind.EXCLUSIVE)], [("RoutingRuleStatus", OutputKind.EXCLUSIVE)]]
    runtime = Runtime(State())
    for c in controllers:
        runtime.register(c)


@pytest.mark.anyio
async def test_converges_on_hub_wakeups_retries_interrupted_dumps_and_unsubscribes(
        fake_netlink: type[FakeNetlink]) -> None:
    state = State()
    runtime = Runtime(state, backoff_initial=0.01)
    hub = KernelHub()
    runtime.register(RoutingRuleStatusController(hub))
    fake_netlink.rules_now = [rule(500), rule(501)]

    def ids() -> list[str]:
        return [r.id for r in state.list(NETWORK, TYPE)]

    async with anyio.create_task_group() as tg:
        tg.start_soon(runtime.run)
        await until(lambda: ids() == ["inet4/00500", "inet4/00501"])
        assert state.get(NETWORK, TYPE, "inet4/00500").metadata.owner == NAME

        # an unchanged dump leaves the versions alone; a change updates, a missing rule is destroyed
        version = state.get(NETWORK, TYPE, "inet4/00500").metadata.version
        dumps = fake_netlink.dumps
        hub.notify(["rule"])
        await until(lambda: fake_netlink.dumps > dumps)
        assert state.get(NETWORK, TYPE, "inet4/00500").metadata.version == version
        fake_netlink.rules_now = [rule(500, table=200)]
        hub.notify(["link", "address", "route"])  # not ours: no dump
        await anyio.sleep(0.05)
        assert ids() == ["inet4/00500", "inet4/00501"]
        hub.notify(["rule"])
        await until(lambda: ids() == ["inet4/00500"])
        assert str(state.get(NETWORK, TYPE, "inet4/00500").spec.table) == "200"  # type: ignore[attr-defined]

        # a dump the kernel kept interrupting is retried shortly, without a restart
        fake_netlink.fail = [KernelError(errno.EINTR, "dump", "rules", "interrupted 5 times by changes")]
        fake_netlink.rules_now = [rule(500, table=200), rule(502)]
        hub.notify(["rule"])
        await until(lambda: ids() == ["inet4/00500", "inet4/00502"])
        assert runtime.restarts == {}

        # any other failure is the runtime's: the controller restarts with a new socket and converges again
        fake_netlink.fail = [KernelError(errno.EPERM, "dump", "rules")]
        fake_netlink.rules_now = [rule(503)]
        hub.notify(["rule"])
        await until(lambda: ids() == ["inet4/00503"])
        assert runtime.restarts == {NAME: 1}
        assert fake_netlink.open_sockets == 1
        tg.cancel_scope.cancel()
    assert fake_netlink.open_sockets == 0
    assert all(not subscribers for subscribers in hub._subs.values()), "the subscription went with the controller"


@pytest.mark.anyio
async def test_address_statuses_of_another_owner_are_left_alone(fake_netlink: type[FakeNetlink]) -> None:
    """AddressStatus is shared with the platform controller (external IPs): its statuses are never touched."""
    platform = "network.PlatformConfigApplyController"
    state = State()
    for address, link in (("203.0.113.7/32", "external"), ("10.0.0.1/24", "eth0")):
        spec = AddressStatus(address=ip_interface(address), link_name=link, family=Family.INET4)
        state.create(AddressStatus.TYPE.new(NETWORK, f"{link}/{address}", spec), platform)
    fake_netlink.addresses_now = [KernelAddress(index=1, prefix=ip_interface("127.0.0.1/8"), link_name="lo"),
                                  KernelAddress(index=2, prefix=ip_interface("10.0.0.1/24"), link_name="eth0")]
    runtime = Runtime(state)
    runtime.register(AddressStatusController(KernelHub()))
    address_type = AddressStatus.TYPE.type
    async with anyio.create_task_group() as tg:
        tg.start_soon(runtime.run)
        await until(lambda: state.find(NETWORK, address_type, "lo/127.0.0.1/8") is not None)
        tg.cancel_scope.cancel()
    owners = {r.id: r.metadata.owner for r in state.list(NETWORK, address_type)}
    assert owners == {"eth0/10.0.0.1/24": platform, "external/203.0.113.7/32": platform,
                      "lo/127.0.0.1/8": "network.AddressStatusController"}
    assert runtime.restarts == {}
