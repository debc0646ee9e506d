"""ResolverSpecController: publishes the merged ResolverSpec as the applied ResolverStatus."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.resources.enums import DNSProtocol
from networkd.resources.network import NETWORK, NameServerSpec, ResolverSpec, ResolverStatus
from networkd.runtime import Context, Controller, Input, InputKind, Output, tearing_down


class ResolverSpecController(Controller):
    """Copies each live ResolverSpec into ResolverStatus, holding a finalizer on the spec meanwhile.

    There is nothing to apply in the kernel: /etc/resolv.conf is rendered from the status. A torn-down
    spec loses its status and then its finalizer.
    """

    name = "network.ResolverSpecController"

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, ResolverSpec.TYPE, InputKind.STRONG)]

    def outputs(self) -> Iterable[Output]:
        return [Output(ResolverStatus.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            live = []
            for res in ctx.list(NETWORK, ResolverSpec.TYPE):
                spec = res.spec
                assert isinstance(spec, ResolverSpec)
                if tearing_down(res):
                    ctx.remove_finalizer(NETWORK, ResolverSpec.TYPE, res.id)
                    continue
                ctx.add_finalizer(NETWORK, ResolverSpec.TYPE, res.id)
                status = ResolverStatus(dns_servers=spec.dns_servers, name_servers=spec.name_servers,
                                        search_domains=spec.search_domains)
                cur = ctx.get(NETWORK, ResolverStatus.TYPE, res.id)
                if cur is None or cur.spec != status:
                    ctx.logger.info("setting resolvers %s, search domains %s",
                                    [_describe(ns) for ns in spec.convert().name_servers], list(spec.search_domains))
                ctx.put(NETWORK, res.id, status)
                live.append(res.id)
            ctx.retire(NETWORK, ResolverStatus.TYPE, live)


def _describe(ns: NameServerSpec) -> str:
    """As Talos logs a name server: the address, and for DoT/DoH the protocol and TLS server name."""
    if ns.protocol is DNSProtocol.DO53:
        return str(ns.addr)
    return f"{ns.addr} ({ns.protocol}, TLS Server Name: {ns.tls_server_name})"
