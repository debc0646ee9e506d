"""HardwareAddrController with the real runtime: the first physical link by name, or nothing."""

from __future__ import annotations

import anyio
import pytest

from networkd.controllers.hardware_addr import HardwareAddrController
from networkd.resources.enums import LinkType
from networkd.resources.link import HardwareAddrSpec, LinkStatus
from networkd.resources.network import NETWORK
from networkd.resources.values import HardwareAddr
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

HW = HardwareAddrSpec.TYPE.type
OWNER = "network.LinkStatusController"


def link(st: State, name: str, mac: str, *, type: LinkType = LinkType.ETHER, kind: str = "") -> None:
    spec = LinkStatus(type=type, kind=kind, hardware_addr=HardwareAddr.parse(mac))
    st.create(LinkStatus.TYPE.new(NETWORK, name, spec), OWNER)


def first(st: State) -> tuple[str, str] | None:
    res = st.find(NETWORK, HW, "first")
    if res is None:
        return None
    assert isinstance(res.spec, HardwareAddrSpec)
    return (res.spec.name, str(res.spec.hardware_addr))


@pytest.mark.anyio
async def test_first_physical_link_by_name() -> None:
    st = State()
    rt = Runtime(st)
    rt.register(HardwareAddrController())
    link(st, "lo", "00:00:00:00:00:00", type=LinkType.LOOPBACK)
    link(st, "bond0", "02:00:00:00:00:01", kind="bond")  # ether, but not physical
    link(st, "eth1", "52:54:00:00:00:02")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: first(st) == ("eth1", "52:54:00:00:00:02"))
        assert st.get(NETWORK, HW, "first").metadata.owner == "network.HardwareAddrController"

        link(st, "eth0", "52:54:00:00:00:01")
        await until(lambda: first(st) == ("eth0", "52:54:00:00:00:01"))

        for name in ("eth0", "eth1"):
            st.destroy(NETWORK, LinkStatus.TYPE.type, name, OWNER)
        await until(lambda: first(st) is None)
        tg.cancel_scope.cancel()
