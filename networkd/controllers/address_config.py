"""AddressConfigController: AddressSpecs of the default, cmdline and configuration layers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from cmdline import vlan_link_name
from networkd.config import MachineConfig
from networkd.controllers.config_common import (
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
from networkd.resources.enums import AddressFlags, ConfigLayer, Scope
from networkd.resources.ids import address_id, layered_id
from networkd.resources.network import NETWORK_CONFIG, AddressSpec
from networkd.resources.values import IPInterface
from networkd.runtime import Context, Controller, Input, Output, OutputKind

LOOPBACK = (ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128"))


class AddressConfigController(Controller):
    """Loopback addresses; `ip=` addresses; legacy device, VLAN and LinkConfig-family addresses.

    Addresses on links a legacy device marks `ignore: true` come from no layer but the operators.
    """

    name = "network.AddressConfigController"

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, LINK_STATUSES]

    def outputs(self) -> Iterable[Output]:
        return [Output(AddressSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs: dict[str, AddressSpec] = {}
            for spec in self.specs(ctx):
                specs[layered_id(spec.layer, address_id(spec.link_name, spec.address))] = spec
            ctx.publish(NETWORK_CONFIG, AddressSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[AddressSpec]:
        """Every address of every layer this controller owns, in Talos's order (later wins on equal ids)."""
        cfg = machine_config(ctx)
        links = Links(ctx)
        cmdline = kernel_cmdline(ctx)
        devices, _ = legacy_devices(cfg, links)
        ignored = Ignored.of(cmdline, devices, links)
        out = [_address(a, "lo", ConfigLayer.DEFAULT, scope=Scope.HOST) for a in LOOPBACK]
        for lc in cmdline.link_configs:
            if lc.address is not None and lc.link_name not in ignored.config:
                out.append(_address(lc.address, lc.link_name, ConfigLayer.CMDLINE))
        for device in devices:
            if device.ignore or device.interface is None:
                continue
            out += [_address(a, links.resolve(device.interface), ConfigLayer.CONFIGURATION) for a in device.addresses]
            for vlan in device.vlans:
                name = vlan_link_name(device.interface, vlan.vlan_id)
                out += [_address(a, name, ConfigLayer.CONFIGURATION) for a in vlan.addresses]
        out += _documents(cfg, links)
        return out


def _documents(cfg: MachineConfig | None, links: Links) -> list[AddressSpec]:
    if cfg is None:
        return []
    return [_address(a.address, links.resolve(doc.name), ConfigLayer.CONFIGURATION, priority=a.route_priority or 0)
            for doc in cfg.links() for a in doc.addresses]


def _address(address: IPInterface, link: str, layer: ConfigLayer, *, scope: Scope = Scope.GLOBAL,
             priority: int = 0) -> AddressSpec:
    return AddressSpec(address=address, link_name=link, family=family_of(address.ip), scope=scope,
                       flags=AddressFlags.PERMANENT, priority=priority, layer=layer)
