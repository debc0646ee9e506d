"""HostnameConfigController: HostnameSpecs of the default, cmdline and configuration layers."""

from __future__ import annotations

from collections.abc import Iterable

from networkd.config import MachineConfig
from networkd.config.enums import AutoHostname
from networkd.controllers.config_common import KERNEL_CMDLINE, MACHINE_CONFIG, kernel_cmdline, machine_config
from networkd.resources.enums import ConfigLayer
from networkd.resources.ids import HOSTNAME_ID, NODE_ADDRESS_DEFAULT_ID, layered_id
from networkd.resources.network import NETWORK, NETWORK_CONFIG, HostnameSpec, NodeAddress
from networkd.runtime import Context, Controller, Input, Output, OutputKind

MAX_HOSTNAME = 63
MAX_FQDN = 253


def parse_fqdn(fqdn: str, layer: ConfigLayer) -> HostnameSpec | None:
    """Talos ParseFQDN: the first label is the hostname, the rest the domain; None if too long or empty."""
    hostname, _, domainname = fqdn.partition(".")
    spec = HostnameSpec(hostname=hostname, domainname=domainname, layer=layer)
    if not 1 <= len(hostname) <= MAX_HOSTNAME or len(spec.fqdn()) > MAX_FQDN:
        return None
    return spec


def default_hostname(node_address: NodeAddress) -> HostnameSpec | None:
    """`talos-<address>` with dots as dashes and colons dropped, when there is exactly one default address."""
    if len(node_address.addresses) != 1:
        return None
    ip = str(node_address.addresses[0].ip)
    return HostnameSpec(hostname="talos-" + ip.replace(":", "").replace(".", "-"), layer=ConfigLayer.DEFAULT)


class HostnameConfigController(Controller):
    """The `talos.hostname=` (else `ip=`) hostname; the configured hostname (HostnameConfig, else legacy
    `.machine.network.hostname`); and `talos-<default address>` when the configuration asks for it.

    As in Talos the address-derived default needs a configuration whose automatic hostname is `talos-addr`
    (legacy v1alpha1 without `stableHostname`). The `stable` kind needs the node identity networkd does
    not have, so it yields no default hostname.
    """

    name = "network.HostnameConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, Input(NETWORK, NodeAddress.TYPE, id=NODE_ADDRESS_DEFAULT_ID)]

    def outputs(self) -> Iterable[Output]:
        return [Output(HostnameSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs = {layered_id(s.layer, HOSTNAME_ID): s for s in self.specs(ctx)}
            ctx.publish(NETWORK_CONFIG, HostnameSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[HostnameSpec]:
        """The hostname of each layer that has one."""
        out = []
        wanted = kernel_cmdline(ctx).hostname
        if wanted:
            out += self._valid(ctx, wanted, ConfigLayer.CMDLINE)
        cfg = machine_config(ctx)
        configured = _configured(cfg)
        if configured is not None:
            hostname, auto = configured
            if hostname:
                out += self._valid(ctx, hostname, ConfigLayer.CONFIGURATION)
            if auto == _TALOS_ADDR:
                res = ctx.get(NETWORK, NodeAddress.TYPE, NODE_ADDRESS_DEFAULT_ID)
                if res is not None and isinstance(res.spec, NodeAddress):
                    out += [s for s in (default_hostname(res.spec),) if s is not None]
        return out

    @staticmethod
    def _valid(ctx: Context, fqdn: str, layer: ConfigLayer) -> list[HostnameSpec]:
        spec = parse_fqdn(fqdn, layer)
        if spec is None:
            ctx.logger.warning("ignoring %s hostname %r: a hostname is 1 to 63 characters, an FQDN at most 253",
                               layer, fqdn[:80])
            return []
        return [spec]


_TALOS_ADDR = "talos-addr"


def _configured(cfg: MachineConfig | None) -> tuple[str, str] | None:
    """(hostname, automatic kind) from the HostnameConfig document, else the v1alpha1 document, else None."""
    if cfg is None:
        return None
    doc = cfg.hostname_config()
    if doc is not None:
        return doc.hostname or "", str(doc.auto or AutoHostname.OFF)
    if cfg.v1alpha1 is None:
        return None
    hostname = cfg.v1alpha1.network.hostname if cfg.v1alpha1.network else None
    return hostname or "", str(AutoHostname.STABLE) if cfg.v1alpha1.features.stable_hostname else _TALOS_ADDR
