"""TimeServerConfigController: TimeServerSpecs of the default, cmdline and configuration layers."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.config import MachineConfig
from networkd.controllers.config_common import KERNEL_CMDLINE, MACHINE_CONFIG, kernel_cmdline, machine_config
from networkd.resources.enums import ConfigLayer
from networkd.resources.ids import TIME_SERVER_ID, layered_id
from networkd.resources.network import NETWORK_CONFIG, TimeServerSpec
from networkd.runtime import Context, Controller, Input, Output, OutputKind

DEFAULT_TIME_SERVERS = ("pool.ntp.org",)
"""The seed's default (Talos 1.14: time.cloudflare.com with NTS)."""


class TimeServerConfigController(Controller):
    """The default pool; the `ip=` NTP servers; the configured servers (TimeSyncConfig NTP servers or PTP
    devices, else legacy `.machine.time.servers`)."""

    name = "network.TimeServerConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE]

    def outputs(self) -> Iterable[Output]:
        return [Output(TimeServerSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs = {layered_id(s.layer, TIME_SERVER_ID): s for s in self.specs(ctx)}
            ctx.publish(NETWORK_CONFIG, TimeServerSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[TimeServerSpec]:
        """The time servers of each layer that has some."""
        out = [TimeServerSpec(time_servers=DEFAULT_TIME_SERVERS, layer=ConfigLayer.DEFAULT)]
        ntp = kernel_cmdline(ctx).ntp_servers
        if ntp:
            out.append(TimeServerSpec(time_servers=tuple(str(a) for a in ntp), layer=ConfigLayer.CMDLINE))
        configured = _configured(machine_config(ctx))
        if configured is not None and configured.time_servers:
            out.append(configured)
        return out


def _configured(cfg: MachineConfig | None) -> TimeServerSpec | None:
    if cfg is None:
        return None
    doc = cfg.time_sync_config()
    if doc is not None:
        if doc.ntp is not None:
            return TimeServerSpec(time_servers=doc.ntp.servers, use_nts=doc.ntp.use_nts,
                                  layer=ConfigLayer.CONFIGURATION)
        return TimeServerSpec(time_servers=doc.ptp.devices if doc.ptp else (), layer=ConfigLayer.CONFIGURATION)
    if cfg.v1alpha1 is None or cfg.v1alpha1.time is None:
        return None
    return TimeServerSpec(time_servers=cfg.v1alpha1.time.servers, layer=ConfigLayer.CONFIGURATION)
