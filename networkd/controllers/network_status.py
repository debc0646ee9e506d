"""StatusController: network readiness (NetworkStatus `status`) from addresses, routes, probes, names, files."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.resources.files import FILES, EtcFileStatus
from networkd.resources.ids import HOSTNAME_ID, NETWORK_STATUS_ID, NODE_ADDRESS_CURRENT_ID
from networkd.resources.network import (
    NETWORK,
    HostnameStatus,
    NetworkStatus,
    NodeAddress,
    ProbeStatus,
    RouteStatus,
)
from networkd.runtime import Context, Controller, Input, Output

REQUIRED_ETC_FILES = ("hosts", "resolv.conf")


class StatusController(Controller):
    """Readiness as Talos computes it.

    address: NodeAddress `current` is not empty. connectivity: every probe succeeds when there are
    probes, else some route has no destination (a default route). hostname: HostnameStatus exists.
    etc files: hosts and resolv.conf were written.
    """

    name = "network.StatusController"

    def inputs(self) -> Iterable[Input]:
        return [
            Input(NETWORK, NodeAddress.TYPE, id=NODE_ADDRESS_CURRENT_ID),
            Input(NETWORK, RouteStatus.TYPE),
            Input(NETWORK, HostnameStatus.TYPE),
            Input(FILES, EtcFileStatus.TYPE),
            Input(NETWORK, ProbeStatus.TYPE),
        ]

    def outputs(self) -> Iterable[Output]:
        return [Output(NetworkStatus.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            current = ctx.get(NETWORK, NodeAddress.TYPE, NODE_ADDRESS_CURRENT_ID)
            address_ready = current is not None and isinstance(current.spec, NodeAddress) and bool(
                current.spec.addresses)

            probes = [r.spec for r in ctx.list(NETWORK, ProbeStatus.TYPE) if isinstance(r.spec, ProbeStatus)]
            if probes:
                connectivity_ready = all(p.success for p in probes)
            else:
                connectivity_ready = any(isinstance(r.spec, RouteStatus) and r.spec.destination is None
                                         for r in ctx.list(NETWORK, RouteStatus.TYPE))

            ctx.put(NETWORK, NETWORK_STATUS_ID, NetworkStatus(
                address_ready=address_ready,
                connectivity_ready=connectivity_ready,
                hostname_ready=ctx.get(NETWORK, HostnameStatus.TYPE, HOSTNAME_ID) is not None,
                etc_files_ready=all(ctx.get(FILES, EtcFileStatus.TYPE, f) is not None for f in REQUIRED_ETC_FILES),
            ))
