"""PlatformConfigApplyController: the `--platform-config` file as specs of the platform layer."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from networkd.controllers.config_common import fill_bond_defaults
from networkd.platform import PlatformConfig, PlatformConfigError, load
from networkd.resources.base import Spec
from networkd.resources.enums import ConfigLayer, Family, Scope
from networkd.resources.ids import (
    HOSTNAME_ID,
    RESOLVER_ID,
    TIME_SERVER_ID,
    address_id,
    layered_id,
    link_id,
    operator_id,
    probe_id,
    route_id,
)
from networkd.resources.link import BondMasterSpec, LinkSpec
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressSpec,
    AddressStatus,
    HostnameSpec,
    OperatorSpec,
    ProbeSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from networkd.runtime import Context, Controller, Output, OutputKind

PLATFORM = ConfigLayer.PLATFORM
EXTERNAL_LINK = "external"
TYPES = (AddressSpec, LinkSpec, RouteSpec, HostnameSpec, ResolverSpec, TimeServerSpec, OperatorSpec, ProbeSpec)


def platform_specs(config: PlatformConfig) -> dict[str, Spec]:
    """Layered id -> spec for every entry, moved to the platform layer (a later entry wins on equal ids).

    As Talos: bonds get the kernel defaults filled in; there is one hostname, resolver and time server
    spec, the last of each list.
    """
    out: dict[str, Spec] = {}
    for a in config.addresses:
        out[layered_id(PLATFORM, address_id(a.link_name, a.address))] = dataclasses.replace(a, layer=PLATFORM)
    for link in config.links:
        if link.kind == "bond":
            link = dataclasses.replace(link, bond_master=fill_bond_defaults(link.bond_master or BondMasterSpec()))
        out[layered_id(PLATFORM, link_id(link.name))] = dataclasses.replace(link, layer=PLATFORM)
    for r in config.routes:
        rid = route_id(r.table, r.family, r.destination, r.gateway, r.priority, r.out_link_name)
        out[layered_id(PLATFORM, rid)] = dataclasses.replace(r, layer=PLATFORM)
    for h in config.hostnames:
        out[layered_id(PLATFORM, HOSTNAME_ID)] = dataclasses.replace(h, layer=PLATFORM)
    for res in config.resolvers:
        out[layered_id(PLATFORM, RESOLVER_ID)] = dataclasses.replace(res, layer=PLATFORM)
    for ts in config.time_servers:
        out[layered_id(PLATFORM, TIME_SERVER_ID)] = dataclasses.replace(ts, layer=PLATFORM)
    for op in config.operators:
        out[layered_id(PLATFORM, operator_id(op))] = dataclasses.replace(op, layer=PLATFORM)
    for probe in config.probes:
        pid = probe_id(probe)
        if pid is not None:
            out[layered_id(PLATFORM, pid)] = dataclasses.replace(probe, layer=PLATFORM)
    return out


def external_addresses(config: PlatformConfig) -> list[AddressStatus]:
    """The external IPs as full-length addresses on the virtual link `external`."""
    return [AddressStatus(address=ipaddress.ip_interface(f"{ip}/{ip.max_prefixlen}"), link_name=EXTERNAL_LINK,
                          family=Family.INET4 if ip.version == 4 else Family.INET6, scope=Scope.GLOBAL)
            for ip in config.external_ips]


class PlatformConfigApplyController(Controller):
    """Reads the platform configuration file once and keeps its specs in network-config, and its
    `externalIPs` as AddressStatuses on link `external` in network (as Talos; NodeAddress counts them).

    An invalid file is logged with every field error and contributes nothing.
    """

    name = "network.PlatformConfigApplyController"

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def outputs(self) -> Iterable[Output]:
        return [*(Output(t.TYPE, OutputKind.SHARED) for t in TYPES), Output(AddressStatus.TYPE, OutputKind.SHARED)]

    def read(self, ctx: Context) -> PlatformConfig:
        """The platform configuration, or an empty one when there is none or it is unusable."""
        if self.path is None:
            return PlatformConfig()
        try:
            return load(self.path.read_text(), source=str(self.path))
        except OSError as exc:
            ctx.logger.error("cannot read the platform configuration %s: %s", self.path, exc.strerror or exc)
        except PlatformConfigError as exc:
            ctx.logger.error("platform configuration not applied: %s", exc)
        return PlatformConfig()

    async def run(self, ctx: Context) -> None:
        config = self.read(ctx)
        specs = platform_specs(config)
        external = {address_id(EXTERNAL_LINK, a.address): a for a in external_addresses(config)}
        while True:
            await ctx.wait()
            for id, spec in specs.items():
                ctx.put(NETWORK_CONFIG, id, spec)
            for t in TYPES:
                ctx.retire(NETWORK_CONFIG, t.TYPE, (id for id, s in specs.items() if isinstance(s, t)))
            ctx.publish(NETWORK, AddressStatus.TYPE, external)
