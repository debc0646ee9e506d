"""OperatorConfigController: OperatorSpecs (DHCPv4, DHCPv6, VIP) of the default, cmdline and configuration layers."""

from __future__ import annotations

from collections.abc import Iterable

from cmdline import CmdlineResult, vlan_link_name
from networkd.config import MachineConfig
from networkd.config.v1alpha1 import Device, DeviceVIPConfig, DHCPOptions
from networkd.controllers.config_common import (
    DEFAULT_ROUTE_METRIC,
    KERNEL_CMDLINE,
    LAYERED_LINK_SPECS,
    LINK_STATUSES,
    MACHINE_CONFIG,
    Ignored,
    Links,
    kernel_cmdline,
    legacy_devices,
    machine_config,
)
from networkd.resources.enums import ClientIdentifier, ConfigLayer, Operator
from networkd.resources.ids import layered_id, operator_id
from networkd.resources.link import LinkSpec
from networkd.resources.network import (
    NETWORK_CONFIG,
    ClientIdentifierSpec,
    DHCP4OperatorSpec,
    DHCP6OperatorSpec,
    OperatorSpec,
    VIPEquinixMetalSpec,
    VIPHCloudSpec,
    VIPOperatorSpec,
)
from networkd.resources.values import IPAddr
from networkd.runtime import Context, Controller, Input, Output, OutputKind

CONF = ConfigLayer.CONFIGURATION


class OperatorConfigController(Controller):
    """DHCP for `ip=<link>:dhcp` (and `dhcp6`); legacy `dhcp`/`dhcpOptions`/`vip` on devices and VLANs;
    DHCPv4Config, DHCPv6Config and Layer2VIPConfig documents; and, while the configuration allows it,
    default DHCPv4 (client identifier mac) on every physical link the cmdline, platform and configuration
    layers leave alone and nothing ignores.

    Talos splits the VIPs off into OperatorVIPConfigController; they are here, one controller per type.
    """

    name = "network.OperatorConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, LINK_STATUSES, LAYERED_LINK_SPECS]

    def outputs(self) -> Iterable[Output]:
        return [Output(OperatorSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs = {layered_id(s.layer, operator_id(s)): s for s in self.specs(ctx)}
            ctx.publish(NETWORK_CONFIG, OperatorSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[OperatorSpec]:
        """Every operator of the layers this controller owns."""
        cfg = machine_config(ctx)
        links = Links(ctx)
        cmdline = kernel_cmdline(ctx)
        devices, _ = legacy_devices(cfg, links)
        ignored = Ignored.of(cmdline, devices, links)
        out = cmdline_operators(cmdline)
        for device in devices:
            if device.interface is not None and links.resolve(device.interface) not in ignored:
                out += _device_operators(device, links)
        if cfg is not None:
            out += _documents(cfg, links)
        if cfg is None or cfg.run_default_dhcp_operators():
            configured = {links.resolve(res.spec.name) for res in ctx.list(NETWORK_CONFIG, LinkSpec.TYPE)
                          if isinstance(res.spec, LinkSpec) and res.spec.layer in _EXPLICIT}
            out += [_dhcp4(name, DEFAULT_ROUTE_METRIC, ConfigLayer.DEFAULT, client_id=ClientIdentifier.MAC)
                    for name in links.physical() if name not in configured and name not in ignored]
        return out


_EXPLICIT = (ConfigLayer.CMDLINE, ConfigLayer.PLATFORM, ConfigLayer.CONFIGURATION)


def cmdline_operators(cmdline: CmdlineResult) -> list[OperatorSpec]:
    """DHCPv4 (and DHCPv6) for each `ip=` asking for it, metric 1024, no client identifier (as Talos)."""
    out = []
    for lc in cmdline.link_configs:
        if lc.dhcp4:
            out.append(_dhcp4(lc.link_name, DEFAULT_ROUTE_METRIC, ConfigLayer.CMDLINE))
        if lc.dhcp6:
            out.append(_dhcp6(lc.link_name, DEFAULT_ROUTE_METRIC, ConfigLayer.CMDLINE))
    return out


def _device_operators(device: Device, links: Links) -> list[OperatorSpec]:
    assert device.interface is not None
    out = _legacy_dhcp(links.resolve(device.interface), device.dhcp, device.dhcp_options)
    if device.vip is not None:
        out.append(_legacy_vip(links.resolve(device.interface), device.vip))
    for vlan in device.vlans:
        name = vlan_link_name(device.interface, vlan.vlan_id)
        out += _legacy_dhcp(name, vlan.dhcp, vlan.dhcp_options)
        if vlan.vip is not None:
            out.append(_legacy_vip(name, vlan.vip))
    return out


def _legacy_dhcp(link: str, dhcp: bool, options: DHCPOptions) -> list[OperatorSpec]:
    if not dhcp:
        return []
    metric = options.route_metric or DEFAULT_ROUTE_METRIC
    out = []
    if options.ipv4:
        out.append(_dhcp4(link, metric, CONF))
    if options.ipv6:
        duid = options.duidv6.hex() if options.duidv6 else ""
        out.append(_dhcp6(link, metric, CONF, ClientIdentifier.DUID if duid else ClientIdentifier.NONE, duid))
    return out


def _legacy_vip(link: str, vip: DeviceVIPConfig) -> OperatorSpec:
    """A legacy VIP; with a cloud API token no gratuitous ARP (the IDs the cloud needs are not looked up)."""
    spec = VIPOperatorSpec(ip=vip.ip, gratuitous_arp=vip.equinix_metal is None and vip.hcloud is None,
                           equinix_metal=VIPEquinixMetalSpec(api_token=vip.equinix_metal.api_token)
                           if vip.equinix_metal else VIPEquinixMetalSpec(),
                           hcloud=VIPHCloudSpec(api_token=vip.hcloud.api_token) if vip.hcloud else VIPHCloudSpec())
    return OperatorSpec(operator=Operator.VIP, link_name=link, require_up=True, vip=spec, layer=CONF)


def _documents(cfg: MachineConfig, links: Links) -> list[OperatorSpec]:
    out = []
    for d4 in cfg.dhcpv4_configs():
        out.append(OperatorSpec(
            operator=Operator.DHCP4, link_name=links.resolve(d4.name), require_up=True, layer=CONF,
            dhcp4=DHCP4OperatorSpec(
                route_metric=DEFAULT_ROUTE_METRIC if d4.route_metric is None else d4.route_metric,
                skip_hostname_request=d4.ignore_hostname, skip_routes=d4.ignore_routes,
                client_identifier=_client_id(d4.client_identifier, d4.duid_raw))))
    for d6 in cfg.dhcpv6_configs():
        out.append(OperatorSpec(
            operator=Operator.DHCP6, link_name=links.resolve(d6.name), require_up=True, layer=CONF,
            dhcp6=DHCP6OperatorSpec(
                route_metric=DEFAULT_ROUTE_METRIC if d6.route_metric is None else d6.route_metric,
                skip_hostname_request=d6.ignore_hostname,
                client_identifier=_client_id(d6.client_identifier, d6.duid_raw))))
    for vip in cfg.layer2_vips():
        out.append(_vip(links.resolve(vip.link), vip.ip))
    return out


def _vip(link: str, ip: IPAddr) -> OperatorSpec:
    return OperatorSpec(operator=Operator.VIP, link_name=link, require_up=True,
                        vip=VIPOperatorSpec(ip=ip, gratuitous_arp=True), layer=CONF)


def _client_id(kind: ClientIdentifier, duid: bytes | None) -> ClientIdentifierSpec:
    return ClientIdentifierSpec(client_identifier=kind, duid_raw_hex=duid.hex() if duid else "")


def _dhcp4(link: str, metric: int, layer: ConfigLayer,
           client_id: ClientIdentifier = ClientIdentifier.NONE) -> OperatorSpec:
    return OperatorSpec(operator=Operator.DHCP4, link_name=link, require_up=True, layer=layer,
                        dhcp4=DHCP4OperatorSpec(route_metric=metric,
                                                client_identifier=ClientIdentifierSpec(client_identifier=client_id)))


def _dhcp6(link: str, metric: int, layer: ConfigLayer, client_id: ClientIdentifier = ClientIdentifier.NONE,
           duid: str = "") -> OperatorSpec:
    return OperatorSpec(operator=Operator.DHCP6, link_name=link, require_up=True, layer=layer,
                        dhcp6=DHCP6OperatorSpec(route_metric=metric, client_identifier=ClientIdentifierSpec(
                            client_identifier=client_id, duid_raw_hex=duid)))
