"""OperatorSpecController: runs an operator per OperatorSpec and writes its specs at layer operator.

Inputs: OperatorSpec and LinkStatus (which operators may run), HostnameStatus (the hostname a
DHCP client announces). Outputs, shared with the config controllers: Address/Link/Route/Hostname/
Resolver/TimeServer specs in `network-config`, with ids `<operator>/<link>/<spec id>`.

An operator runs while its spec exists and its link exists (and, with requireUp, is operationally
up or unknown); it is replaced when its spec changes other than in layer. Stopping sends nothing
and keeps what the operator holds (a DHCP lease to resume by INIT-REBOOT), except when the spec
itself is gone while the link is still there: then the operator is asked to release first. An
operator that fails is restarted with backoff, keeping its outputs meanwhile.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from anyio.abc import TaskGroup

from networkd.operators.base import HostnameFn, Operator
from networkd.operators.dhcp4 import DHCP4Operator
from networkd.resources.base import ResourceType
from networkd.resources.enums import ConfigLayer, OperationalState
from networkd.resources.enums import Operator as OperatorKind
from networkd.resources.ids import HOSTNAME_ID
from networkd.resources.link import LinkSpec, LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressSpec,
    HostnameSpec,
    HostnameStatus,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from networkd.runtime import Context, Controller, Input, Output, OutputKind, tearing_down
from operators import acd

if TYPE_CHECKING:
    from networkd.daemon import Options

__all__ = ["OUTPUT_TYPES", "OperatorFactory", "OperatorSpecController", "operator_controllers"]

OUTPUT_TYPES: tuple[ResourceType, ...] = (
    AddressSpec.TYPE, LinkSpec.TYPE, RouteSpec.TYPE, HostnameSpec.TYPE, ResolverSpec.TYPE, TimeServerSpec.TYPE,
)  # fmt: skip

Logger = logging.LoggerAdapter[Any]
OperatorFactory = Callable[[OperatorSpec, HostnameFn, Logger], Operator | None]
"""Builds the operator for a spec, or returns None for a kind not supported."""

_UP = (OperationalState.UP, OperationalState.UNKNOWN)
_T = TypeVar("_T")


@dataclass(eq=False)
class _Running:
    """One operator under supervision."""

    id: str
    spec: OperatorSpec
    operator: Operator
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    done: anyio.Event = field(default_factory=anyio.Event)
    in_run: bool = False


def _same(a: OperatorSpec, b: OperatorSpec) -> bool:
    """Equal but for the layer."""
    return dataclasses.replace(a, layer=ConfigLayer.DEFAULT) == dataclasses.replace(b, layer=ConfigLayer.DEFAULT)


def _runnable(spec: OperatorSpec, links: dict[str, LinkStatus]) -> bool:
    link = links.get(spec.link_name)
    return link is not None and (not spec.require_up or link.operational_state in _UP)


class OperatorSpecController(Controller):
    """Starts, replaces, stops and restarts operators; publishes what they produce."""

    name = "network.OperatorSpecController"

    def __init__(
        self,
        factory: OperatorFactory,
        *,
        backoff_initial: float = 0.5,
        backoff_max: float = 60.0,
        release_timeout: float = 5.0,
    ) -> None:
        self._factory = factory
        self._backoff = (backoff_initial, backoff_max)
        self._release_timeout = release_timeout

    def inputs(self) -> Iterable[Input]:
        return [
            Input(NETWORK, OperatorSpec.TYPE),
            Input(NETWORK, LinkStatus.TYPE),
            Input(NETWORK, HostnameStatus.TYPE, id=HOSTNAME_ID),
        ]

    def outputs(self) -> Iterable[Output]:
        return [Output(rt, OutputKind.SHARED) for rt in OUTPUT_TYPES]

    async def run(self, ctx: Context) -> None:
        running: dict[str, _Running] = {}
        unsupported: set[str] = set()
        async with anyio.create_task_group() as tg:
            while True:
                await ctx.wait()
                await self._reconcile(ctx, tg, running, unsupported)
                self._publish(ctx, running)

    async def _reconcile(
        self, ctx: Context, tg: TaskGroup, running: dict[str, _Running], unsupported: set[str]
    ) -> None:
        links = {r.metadata.id: _typed(r.spec, LinkStatus) for r in ctx.list(NETWORK, LinkStatus.TYPE)}
        specs = {
            r.metadata.id: _typed(r.spec, OperatorSpec)
            for r in ctx.list(NETWORK, OperatorSpec.TYPE)
            if not tearing_down(r)
        }
        wanted = {id: spec for id, spec in specs.items() if _runnable(spec, links)}
        for id, op in list(running.items()):
            spec = wanted.get(id)
            if spec is not None and _same(spec, op.spec):
                continue
            # Only a spec that is gone from a link still there is given back; a link that goes
            # away or down, or a changed spec, keeps the lease for the next run to resume.
            release = id not in specs and op.spec.link_name in links
            why = "replaced" if spec is not None else "spec removed" if id not in specs else "link unavailable"
            ctx.logger.info("stopping operator %s (%s%s)", id, why, ", releasing" if release else "")
            await self._stop(op, release=release)
            del running[id]
        unsupported.intersection_update(specs)
        for id, spec in wanted.items():
            if id in running or id in unsupported:
                continue
            extra = {**(ctx.logger.extra or {}), "operator": id}
            operator = self._factory(spec, lambda: _hostname(ctx), logging.LoggerAdapter(ctx.logger.logger, extra))
            if operator is None:
                ctx.logger.warning("operator %s: %s operators are not supported", id, spec.operator)
                unsupported.add(id)
                continue
            ctx.logger.info("starting operator %s", id)
            running[id] = _Running(id, spec, operator)
            tg.start_soon(self._supervise, ctx, running[id], name=f"operator {id}")

    async def _supervise(self, ctx: Context, op: _Running) -> None:
        """Run the operator; restart it with exponential backoff when it fails."""
        initial, ceiling = self._backoff
        backoff = initial
        try:
            with op.scope:
                while True:
                    started = anyio.current_time()
                    op.in_run = True
                    try:
                        await op.operator.run(ctx.queue_reconcile)
                        ctx.logger.info("operator %s finished", op.id)
                        return
                    except Exception:
                        ctx.logger.warning("operator %s failed, restarting in %.1fs", op.id, backoff, exc_info=True)
                    finally:
                        op.in_run = False
                    if anyio.current_time() - started > 10 * backoff:
                        backoff = initial
                    await anyio.sleep(backoff)
                    backoff = min(2 * backoff, ceiling)
        finally:
            op.done.set()

    async def _stop(self, op: _Running, *, release: bool) -> None:
        if release and op.in_run:
            op.operator.release()
            with anyio.move_on_after(self._release_timeout):
                await op.done.wait()
        op.scope.cancel()
        await op.done.wait()

    def _publish(self, ctx: Context, running: dict[str, _Running]) -> None:
        """Write every running operator's outputs; retire the ones no operator produces any more."""
        keep: dict[str, set[str]] = {rt.type: set() for rt in OUTPUT_TYPES}
        for op in running.values():
            for id, spec in op.operator.outputs().items():
                full = f"{op.operator.prefix}/{id}"
                ctx.put(NETWORK_CONFIG, full, spec)
                keep[type(spec).TYPE.type].add(full)
        for rt in OUTPUT_TYPES:
            ctx.retire(NETWORK_CONFIG, rt, keep[rt.type])


def _typed(spec: object, cls: type[_T]) -> _T:
    assert isinstance(spec, cls)
    return spec


def _hostname(ctx: Context) -> str | None:
    """The applied hostname (FQDN), if any."""
    res = ctx.get(NETWORK, HostnameStatus.TYPE, HOSTNAME_ID)
    return _typed(res.spec, HostnameStatus).fqdn() or None if res is not None else None


def operator_controllers(opts: Options) -> list[Controller]:
    """The operator controller of the daemon: DHCPv4 with leases kept in the state directory, new addresses
    ARP-probed with `--dhcp4-probe`."""
    probe = acd.FAST if opts.dhcp4_probe else None

    def factory(spec: OperatorSpec, hostname_fn: HostnameFn, logger: Logger) -> Operator | None:
        if spec.operator == OperatorKind.DHCP4:
            return DHCP4Operator(spec.link_name, spec, opts.state_dir, hostname_fn, logger=logger, probe_timing=probe)
        return None

    return [OperatorSpecController(factory)]
