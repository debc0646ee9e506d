"""HardwareAddrController: the MAC address of the first physical link (HardwareAddress `first`)."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.resources.ids import FIRST_HARDWARE_ADDR_ID
from networkd.resources.link import HardwareAddrSpec, LinkStatus
from networkd.resources.network import NETWORK
from networkd.runtime import Context, Controller, Input, Output


class HardwareAddrController(Controller):
    """Publishes the name and MAC of the first physical link by name; nothing when there is none."""

    name = "network.HardwareAddrController"

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, LinkStatus.TYPE)]

    def outputs(self) -> Iterable[Output]:
        return [Output(HardwareAddrSpec.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            keep = []
            for res in ctx.list(NETWORK, LinkStatus.TYPE):  # sorted by name
                link = res.spec
                assert isinstance(link, LinkStatus)
                if link.physical():
                    ctx.put(NETWORK, FIRST_HARDWARE_ADDR_ID, HardwareAddrSpec(name=res.id,
                                                                                hardware_addr=link.hardware_addr))
                    keep.append(FIRST_HARDWARE_ADDR_ID)
                    break
            ctx.retire(NETWORK, HardwareAddrSpec.TYPE, keep)
