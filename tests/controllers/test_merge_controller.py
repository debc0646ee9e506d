"""MergeController with the real runtime: layers fold into network; teardown waits for the applier's finalizer."""

from __future__ import annotations

import ipaddress

import anyio
import pytest

from networkd.controllers.merge import MergeController
from networkd.resources.base import Phase
from networkd.resources.enums import ConfigLayer, Family
from networkd.resources.network import NETWORK, NETWORK_CONFIG, AddressSpec, HostnameSpec
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until


def addr(cidr: str, layer: ConfigLayer, link: str = "eth0") -> AddressSpec:
    return AddressSpec(address=ipaddress.ip_interface(cidr), link_name=link, family=Family.INET4, layer=layer)


@pytest.mark.anyio
async def test_layers_merge_and_retire_with_finalizers() -> None:
    st = State()
    rt = Runtime(st)
    rt.register(MergeController(AddressSpec.TYPE))
    t = AddressSpec.TYPE
    st.create(t.new(NETWORK_CONFIG, "default/eth0/10.0.0.1/24", addr("10.0.0.1/24", ConfigLayer.DEFAULT)), "p")
    st.create(t.new(NETWORK_CONFIG, "configuration/eth0/10.0.0.1/24",
                    addr("10.0.0.1/24", ConfigLayer.CONFIGURATION)), "p")
    st.create(t.new(NETWORK_CONFIG, "cmdline/eth0/10.0.0.2/24", addr("10.0.0.2/24", ConfigLayer.CMDLINE)), "p")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: len(st.list(NETWORK, t.type)) == 2)
        merged = {r.id: r for r in st.list(NETWORK, t.type)}
        assert merged["eth0/10.0.0.1/24"].spec.layer is ConfigLayer.CONFIGURATION
        assert merged["eth0/10.0.0.1/24"].metadata.owner == "network.AddressMergeController"

        # an applier holds a finalizer: removal waits for it
        st.add_finalizers(NETWORK, t.type, "eth0/10.0.0.2/24", "network.AddressSpecController")
        st.destroy(NETWORK_CONFIG, t.type, "cmdline/eth0/10.0.0.2/24", "p")
        await until(lambda: st.get(NETWORK, t.type, "eth0/10.0.0.2/24").metadata.phase is Phase.TEARING_DOWN)
        await anyio.sleep(0.05)
        assert st.find(NETWORK, t.type, "eth0/10.0.0.2/24") is not None
        st.remove_finalizers(NETWORK, t.type, "eth0/10.0.0.2/24", "network.AddressSpecController")
        await until(lambda: st.find(NETWORK, t.type, "eth0/10.0.0.2/24") is None)

        # the higher layer goes: the lower one takes over, same id
        st.destroy(NETWORK_CONFIG, t.type, "configuration/eth0/10.0.0.1/24", "p")
        await until(lambda: st.get(NETWORK, t.type, "eth0/10.0.0.1/24").spec.layer is ConfigLayer.DEFAULT)
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_torn_down_spec_is_recreated_when_wanted_again() -> None:
    st = State()
    rt = Runtime(st)
    rt.register(MergeController(HostnameSpec.TYPE))
    t = HostnameSpec.TYPE
    st.create(t.new(NETWORK_CONFIG, "default/hostname", HostnameSpec(hostname="a")), "p")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: st.find(NETWORK, t.type, "hostname") is not None)
        st.add_finalizers(NETWORK, t.type, "hostname", "applier")
        st.destroy(NETWORK_CONFIG, t.type, "default/hostname", "p")
        await until(lambda: st.get(NETWORK, t.type, "hostname").metadata.phase is Phase.TEARING_DOWN)
        st.create(t.new(NETWORK_CONFIG, "platform/hostname", HostnameSpec(hostname="b", layer=ConfigLayer.PLATFORM)),
                  "p")
        await anyio.sleep(0.05)
        assert st.get(NETWORK, t.type, "hostname").metadata.phase is Phase.TEARING_DOWN
        st.remove_finalizers(NETWORK, t.type, "hostname", "applier")
        await until(lambda: (r := st.find(NETWORK, t.type, "hostname")) is not None
                    and r.metadata.phase is Phase.RUNNING and r.spec.hostname == "b")
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_merge_is_reused_only_while_the_layered_specs_are_the_same() -> None:
    st = State()
    rt = Runtime(st)
    ctl = MergeController(AddressSpec.TYPE)
    calls: list[int] = []
    merger = ctl.merger
    ctl.merger = lambda layered: calls.append(len(layered)) or merger(layered)  # type: ignore[assignment,func-returns-value]
    rt.register(ctl)
    t = AddressSpec.TYPE
    st.create(t.new(NETWORK_CONFIG, "cmdline/eth0/10.0.0.1/24", addr("10.0.0.1/24", ConfigLayer.CMDLINE)), "p")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: st.find(NETWORK, t.type, "eth0/10.0.0.1/24") is not None)
        # an applier's finalizer wakes the controller: same layered specs, no second merge
        st.add_finalizers(NETWORK, t.type, "eth0/10.0.0.1/24", "applier")
        await anyio.sleep(0.05)
        assert calls == [1]
        # the same id with a new spec is merged again and reaches network
        cur = st.get(NETWORK_CONFIG, t.type, "cmdline/eth0/10.0.0.1/24")
        st.update(type(cur)(cur.metadata, addr("10.0.0.1/24", ConfigLayer.PLATFORM)), "p")
        await until(lambda: st.get(NETWORK, t.type, "eth0/10.0.0.1/24").spec.layer is ConfigLayer.PLATFORM)
        assert calls == [1, 1]
        tg.cancel_scope.cancel()


class CountingState(State):
    """A State that counts lookups in `network` (the merge controller's per-spec work)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def find(self, namespace: str, type: str, id: str):  # type: ignore[no-untyped-def]
        self.lookups += namespace == NETWORK
        return super().find(namespace, type, id)


@pytest.mark.anyio
async def test_a_pass_woken_by_its_own_writes_only_does_nothing() -> None:
    st = CountingState()
    rt = Runtime(st)
    rt.register(MergeController(AddressSpec.TYPE))
    t = AddressSpec.TYPE
    for i in range(3):
        st.create(t.new(NETWORK_CONFIG, f"cmdline/eth0/10.0.0.{i}/24", addr(f"10.0.0.{i}/24", ConfigLayer.CMDLINE)),
                  "p")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: len(st.list(NETWORK, t.type)) == 3)
        await anyio.sleep(0.05)  # the wakeup its own three creates queued has run
        assert st.lookups == 2 * 3  # one pass: a get and a put per spec
        # a change by someone else in network (an applier's finalizer) is looked at again
        st.add_finalizers(NETWORK, t.type, "eth0/10.0.0.0/24", "applier")
        await until(lambda: st.lookups == 4 * 3)
        await anyio.sleep(0.05)
        assert st.lookups == 4 * 3
        tg.cancel_scope.cancel()
