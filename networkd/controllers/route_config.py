"""RouteConfigController: RouteSpecs of the cmdline and configuration layers."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable

from cmdline import CmdlineResult, vlan_link_name
from networkd.config import MachineConfig
from networkd.config.v1alpha1 import Device
from networkd.controllers.config_common import (
    DEFAULT_ROUTE_METRIC,
    KERNEL_CMDLINE,
    LINK_STATUSES,
    MACHINE_CONFIG,
    Ignored,
    Links,
    family_of,
    kernel_cmdline,
    legacy_devices,
    machine_config,
)
from networkd.resources.enums import ConfigLayer, Family, RouteProtocol, RouteType, RoutingTable, Scope
from networkd.resources.ids import layered_id, route_id
from networkd.resources.network import NETWORK_CONFIG, RouteSpec
from networkd.resources.values import IPAddr, IPPrefix
from networkd.runtime import Context, Controller, Input, Output, OutputKind


class RouteConfigController(Controller):
    """Default routes of `ip=` gateways; legacy device and VLAN routes; LinkConfig-family routes.

    Routes via links a legacy device marks `ignore: true` come from no layer but the operators.
    """

    name = "network.RouteConfigController"

    def __init__(self) -> None:
        # the LinkConfig-family documents and the link names they resolved to, with the specs made of them and
        # their ids: link statuses wake this controller often, and a document may carry 10,000 routes
        self._documents: tuple[tuple[object, ...], tuple[str, ...], list[tuple[str, RouteSpec]]] | None = None

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, LINK_STATUSES]

    def outputs(self) -> Iterable[Output]:
        return [Output(RouteSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            ctx.publish(NETWORK_CONFIG, RouteSpec.TYPE, dict(self.specs(ctx)))

    def specs(self, ctx: Context) -> list[tuple[str, RouteSpec]]:
        """(id, spec) of every route of the layers this controller owns."""
        cfg = machine_config(ctx)
        links = Links(ctx)
        cmdline = kernel_cmdline(ctx)
        devices, _ = legacy_devices(cfg, links)
        ignored = Ignored.of(cmdline, devices, links)
        out = [r for r in cmdline_routes(cmdline) if r.out_link_name not in ignored.config]
        for device in devices:
            if not device.ignore and device.interface is not None:
                out += _device_routes(device, links)
        return [_with_id(r) for r in out] + self._document_routes(cfg, links)

    def _document_routes(self, cfg: MachineConfig | None, links: Links) -> list[tuple[str, RouteSpec]]:
        """The LinkConfig-family documents' routes with their ids; made again only when a document or the
        link one names changed."""
        docs = cfg.links() if cfg is not None else ()
        names = tuple(links.resolve(doc.name) for doc in docs)
        known = self._documents
        if known is None or known[1] != names or len(known[0]) != len(docs) or any(
                a is not b for a, b in zip(known[0], docs, strict=True)):
            known = self._documents = (docs, names, [_with_id(r) for r in _document_routes(cfg, links)])
        return known[2]


def _with_id(r: RouteSpec) -> tuple[str, RouteSpec]:
    """A spec with its `network-config` id."""
    return layered_id(r.layer, route_id(r.table, r.family, r.destination, r.gateway, r.priority, r.out_link_name)), r


def cmdline_routes(cmdline: CmdlineResult) -> list[RouteSpec]:
    """A default route per `ip=` gateway (metric 1024 + the argument's index), plus a link-scope route to
    an IPv4 gateway outside the address's prefix."""
    out = []
    for idx, lc in enumerate(cmdline.link_configs):
        if lc.gateway is None:
            continue
        default, _ = RouteSpec(family=family_of(lc.gateway), gateway=lc.gateway, out_link_name=lc.link_name,
                               table=RoutingTable.MAIN, priority=DEFAULT_ROUTE_METRIC + idx,
                               type=RouteType.UNICAST, protocol=RouteProtocol.BOOT,
                               layer=ConfigLayer.CMDLINE).normalize()
        out.append(default)
        if lc.gateway.version == 4 and (lc.address is None or lc.gateway not in lc.address.network):
            out.append(RouteSpec(family=Family.INET4, destination=ipaddress.ip_network(lc.gateway),
                                 source=None if lc.address is None else lc.address.ip, out_link_name=lc.link_name,
                                 table=RoutingTable.MAIN, priority=default.priority, scope=Scope.LINK,
                                 type=RouteType.UNICAST, protocol=RouteProtocol.BOOT, layer=ConfigLayer.CMDLINE))
    return out


def _device_routes(device: Device, links: Links) -> list[RouteSpec]:
    assert device.interface is not None
    metric = DEFAULT_ROUTE_METRIC
    out = [_static(links.resolve(device.interface), r.network, r.gateway, r.source, r.metric or metric, r.mtu, None)
           for r in device.routes]
    for vlan in device.vlans:
        name = vlan_link_name(device.interface, vlan.vlan_id)
        out += [_static(name, r.network, r.gateway, r.source, r.metric or metric, r.mtu, None) for r in vlan.routes]
    return out


def _document_routes(cfg: MachineConfig | None, links: Links) -> list[RouteSpec]:
    if cfg is None:
        return []
    return [_static(links.resolve(doc.name), r.destination, r.gateway, r.source,
                    DEFAULT_ROUTE_METRIC if r.metric is None else r.metric, r.mtu, r.table)
            for doc in cfg.links() for r in doc.routes]


def _static(link: str, dst: IPPrefix | None, gw: IPAddr | None, src: IPAddr | None, metric: int,
            mtu: int | None, table: int | None) -> RouteSpec:
    """A configured route as Talos builds it: normalized, the family from gateway, destination or zeros."""
    multicast = dst is not None and dst.network_address.is_multicast  # 0.0.0.0/0, cleared below, is not
    # the family: IPv6 when a gateway or destination that normalizing keeps is, else what its zeros say
    six = (gw is not None and gw.version == 6 and int(gw) != 0) or (
        dst is not None and dst.version == 6 and (dst.prefixlen != 0 or int(dst.network_address) != 0))
    route, zero_family = RouteSpec.normalized(
        family=Family.INET6 if six else Family.INET4, destination=dst, gateway=gw, source=src, priority=metric,
        mtu=mtu or 0, table=RoutingTable.MAIN if table is None else RoutingTable.of(table),
        protocol=RouteProtocol.STATIC, type=RouteType.MULTICAST if multicast else RouteType.UNICAST,
        out_link_name=link, layer=ConfigLayer.CONFIGURATION)
    if six or zero_family in (None, Family.INET4):
        return route
    return dataclasses.replace(route, family=zero_family)
