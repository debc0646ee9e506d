"""MergeController: one generic controller per spec type, folding network-config layers into network."""

from __future__ import annotations

from collections.abc import Iterable

from merge import MERGERS
from networkd.resources.base import ResourceType, Spec
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
        # the last merge's inputs (id, spec object) and result: its own puts and the appliers' finalizers
        # wake this controller again with the same 10,000 layered routes, which need no second merge
        self._last: tuple[list[tuple[str, Spec]], dict[str, Spec]] | None = None
        # the merge last written to `network` and the stamp of `network` right after: a pass woken only by
        # its own writes has nothing to do
        self._written: tuple[dict[str, Spec], int] | None = None

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK_CONFIG, self.rt), Input(NETWORK, self.rt)]

    def outputs(self) -> Iterable[Output]:
        return [Output(self.rt, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            layered = [(r.metadata.id, r.spec) for r in ctx.list(NETWORK_CONFIG, self.rt) if not tearing_down(r)]
            merged = self._merge(layered)
            if self._written is not None and self._written[0] is merged and \
                    self._written[1] == ctx.changes(NETWORK, self.rt):
                continue
            held: set[str] = set()  # being torn down, still held by their applier: recreated once it has let them go
            for id in merged:
                cur = ctx.get(NETWORK, self.rt, id)
                if cur is not None and tearing_down(cur):
                    if cur.metadata.finalizers:
                        held.add(id)
                    else:
                        ctx.destroy(NETWORK, self.rt, id)
            ctx.put_all(NETWORK, self.rt, {id: spec for id, spec in merged.items() if id not in held}
                        if held else merged)
            ctx.retire(NETWORK, self.rt, merged)
            self._written = (merged, ctx.changes(NETWORK, self.rt))

    def _merge(self, layered: list[tuple[str, Spec]]) -> dict[str, Spec]:
        """The merger's result, reused while the layered ids and spec objects are the same (mergers are pure)."""
        last = self._last
        if last is not None and len(last[0]) == len(layered) and all(
                a[1] is b[1] and a[0] == b[0] for a, b in zip(last[0], layered, strict=True)):
            return last[1]
        merged = self.merger(layered)
        self._last = (layered, merged)
        return merged


def merge_controllers() -> list[Controller]:
    """One merge controller for every type that has a merge rule."""
    return [MergeController(rt) for rt in MERGERS]
