"""TimeServerSpecController: publishes the merged TimeServerSpec as the applied TimeServerStatus."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.resources.network import NETWORK, TimeServerSpec, TimeServerStatus
from networkd.runtime import Context, Controller, Input, InputKind, Output, tearing_down


class TimeServerSpecController(Controller):
    """Copies each live TimeServerSpec into TimeServerStatus, holding a finalizer on the spec meanwhile.

    The time sync service, not this controller, uses the servers. A torn-down spec loses its status and
    then its finalizer.
    """

    name = "network.TimeServerSpecController"

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, TimeServerSpec.TYPE, InputKind.STRONG)]

    def outputs(self) -> Iterable[Output]:
        return [Output(TimeServerStatus.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            live = []
            for res in ctx.list(NETWORK, TimeServerSpec.TYPE):
                spec = res.spec
                assert isinstance(spec, TimeServerSpec)
                if tearing_down(res):
                    ctx.remove_finalizer(NETWORK, TimeServerSpec.TYPE, res.id)
                    continue
                ctx.add_finalizer(NETWORK, TimeServerSpec.TYPE, res.id)
                status = TimeServerStatus(time_servers=spec.time_servers, use_nts=spec.use_nts)
                cur = ctx.get(NETWORK, TimeServerStatus.TYPE, res.id)
                if cur is None or cur.spec != status:
                    ctx.logger.info("setting time servers %s, NTS %s", list(spec.time_servers), spec.use_nts)
                ctx.put(NETWORK, res.id, status)
                live.append(res.id)
            ctx.retire(NETWORK, TimeServerStatus.TYPE, live)
