"""MergeController: one generic controller per spec type, folding network-config layers into network."""

from __future__ import annotations

from collections.abc import Iterable

from merge import MERGERS
from networkd.resources.base import ResourceType
from networkd.resources.network import NETWORK, NETWORK_CONFIG
from networkd.runtime import Context, Controller, Input, Output, OutputKind, tearing_down


class MergeController(Controller):
    """Merges every layered spec of one type into the final specs; tears down what no layer wants any more.

    A merged spec that is being torn down (its applier still holds a finalizer) is left alone until it is
    destroyed, then created afresh if a layer still wants it.
    """

    def __init__(self, rt: ResourceType) -> None:
        self.rt = rt
        self.merger = MERGERS[rt]
        self.name = f"network.{rt.display.removesuffix('Spec')}MergeController"

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK_CONFIG, self.rt), Input(NETWORK, self.rt)]

    def outputs(self) -> Iterable[Output]:
        return [Output(self.rt, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            layered = [(r.metadata.id, r.spec) for r in ctx.list(NETWORK_CONFIG, self.rt) if not tearing_down(r)]
            merged = self.merger(layered)
            for id, spec in merged.items():
                cur = ctx.get(NETWORK, self.rt, id)
                if cur is not None and tearing_down(cur):
                    if cur.metadata.finalizers:
                        continue  # recreated once its applier has let it go
                    ctx.destroy(NETWORK, self.rt, id)
                ctx.put(NETWORK, id, spec)
            ctx.retire(NETWORK, self.rt, merged)


def merge_controllers() -> list[Controller]:
    """One merge controller for every type that has a merge rule."""
    return [MergeController(rt) for rt in MERGERS]
