"""KernelCmdlineController: parses the kernel command line into the KernelCmdline resource."""

from __future__ import annotations

from collections.abc import Iterable

from cmdline import LinkInfo, parse
from networkd.resources.link import LinkStatus
from networkd.resources.network import NETWORK
from networkd.resources.runtime import CMDLINE_ID, RUNTIME, KernelCmdlineSpec
from networkd.runtime import Context, Controller, Input, Output


class KernelCmdlineController(Controller):
    """Re-parses when links change, since `ip=` without a device and link aliases resolve against them."""

    name = "network.KernelCmdlineController"

    def __init__(self, cmdline: str) -> None:
        self.cmdline = cmdline

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, LinkStatus.TYPE)]

    def outputs(self) -> Iterable[Output]:
        return [Output(KernelCmdlineSpec.TYPE)]

    async def run(self, ctx: Context) -> None:
        reported: set[tuple[str, str, str]] = set()
        while True:
            await ctx.wait()
            links = []
            for res in ctx.list(NETWORK, LinkStatus.TYPE):
                st = res.spec
                assert isinstance(st, LinkStatus)
                links.append(LinkInfo(name=res.metadata.id, hardware_addr=str(st.hardware_addr), alias=st.alias,
                                      alt_names=tuple(st.alt_names), physical=st.physical()))
            result = parse(self.cmdline, links)
            for e in result.errors:
                key = (e.argument, e.field, e.reason)
                if key not in reported:
                    reported.add(key)
                    ctx.logger.warning("kernel argument %r ignored: %s: %s", e.argument, e.field, e.reason)
            ctx.put(RUNTIME, CMDLINE_ID, KernelCmdlineSpec(self.cmdline, result))
