"""ResolverConfigController: ResolverSpecs of the default, cmdline and configuration layers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from networkd.config import MachineConfig
from networkd.controllers.config_common import KERNEL_CMDLINE, MACHINE_CONFIG, kernel_cmdline, machine_config
from networkd.resources.enums import ConfigLayer
from networkd.resources.ids import HOSTNAME_ID, RESOLVER_ID, layered_id
from networkd.resources.network import NETWORK, NETWORK_CONFIG, HostnameStatus, NameServerSpec, ResolverSpec
from networkd.runtime import Context, Controller, Input, Output, OutputKind

DEFAULT_RESOLVERS = (ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("1.1.1.1"))
"""The seed's defaults, in the seed's order (Talos 1.14 has 1.1.1.1 first)."""


class ResolverConfigController(Controller):
    """Default resolvers (searching the node's domain when the configuration allows it); the `ip=` DNS
    servers; configured nameservers and search domains (ResolverConfig, else legacy `.machine.network`).

    Configured search domains, even an empty list, replace those of lower layers at merge time.
    """

    name = "network.ResolverConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, Input(NETWORK, HostnameStatus.TYPE, id=HOSTNAME_ID)]

    def outputs(self) -> Iterable[Output]:
        return [Output(ResolverSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs = {layered_id(s.layer, RESOLVER_ID): s for s in self.specs(ctx)}
            ctx.publish(NETWORK_CONFIG, ResolverSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[ResolverSpec]:
        """The resolvers of each layer that has some."""
        cfg = machine_config(ctx)
        configured = _configured(cfg)
        search: tuple[str, ...] = ()
        status = ctx.get(NETWORK, HostnameStatus.TYPE, HOSTNAME_ID)
        if configured is not None and not configured[2] and status is not None:
            assert isinstance(status.spec, HostnameStatus)
            search = (status.spec.domainname,) if status.spec.domainname else ()
        out = [ResolverSpec(name_servers=tuple(NameServerSpec(addr=a) for a in DEFAULT_RESOLVERS),
                            search_domains=search, layer=ConfigLayer.DEFAULT)]
        cmdline = kernel_cmdline(ctx)
        if cmdline.dns_servers:
            out.append(ResolverSpec(name_servers=tuple(NameServerSpec(addr=a) for a in cmdline.dns_servers),
                                    layer=ConfigLayer.CMDLINE))
        if configured is not None:
            servers, domains, _ = configured
            if servers or domains is not None:
                out.append(ResolverSpec(name_servers=servers, search_domains=domains or (),
                                        search_domains_overridden=domains is not None,
                                        layer=ConfigLayer.CONFIGURATION))
        return out


def _configured(
    cfg: MachineConfig | None,
) -> tuple[tuple[NameServerSpec, ...], tuple[str, ...] | None, bool] | None:
    """(nameservers, search domains or None when not given, default search domain disabled) of the
    ResolverConfig document, else of the v1alpha1 document, else None."""
    if cfg is None:
        return None
    doc = cfg.resolver_config()
    if doc is not None:
        servers = tuple(NameServerSpec(addr=ns.address, protocol=ns.protocol,
                                       tls_server_name=ns.tls_server_name or "") for ns in doc.nameservers)
        return servers, doc.search_domains.domains, doc.search_domains.disable_default
    if cfg.v1alpha1 is None:
        return None
    network = cfg.v1alpha1.network
    if network is None:
        return (), None, False
    return (tuple(NameServerSpec(addr=a) for a in network.nameservers), network.search_domains or None,
            network.disable_search_domain)
