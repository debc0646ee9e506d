"""What the `*_config` controllers share: their inputs, link-name resolution and the legacy devices.

Each controller declares the inputs it reads (`MACHINE_CONFIG`, `KERNEL_CMDLINE`, `LINK_STATUSES`, ...)
and, on every pass, reads them through the helpers here: the parsed machine configuration in force
(parsed once per text), the parsed kernel command line, and `Links` (link statuses with Talos's
name/alias/altname resolution). `legacy_devices` expands `.machine.network.interfaces`, resolving
`deviceSelector`s and bond `deviceSelectors` against the links as Talos's DeviceConfigController does.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cmdline import CmdlineResult
from networkd.config import ConfigError, MachineConfig, load
from networkd.config.v1alpha1 import Device, DeviceSelector
from networkd.resources.config import CONFIG
from networkd.resources.config import MachineConfig as MachineConfigSpec
from networkd.resources.enums import BondMode, Family
from networkd.resources.ids import MACHINE_CONFIG_ID
from networkd.resources.link import BondMasterSpec, LinkSpec, LinkStatus
from networkd.resources.network import NETWORK, NETWORK_CONFIG
from networkd.resources.runtime import CMDLINE_ID, RUNTIME, KernelCmdlineSpec
from networkd.resources.values import IPAddr
from networkd.runtime import Context, Input

DEFAULT_ROUTE_METRIC = 1024
"""Metric of routes (and DHCP routes) nobody gave one (Talos `DefaultRouteMetric`)."""

MACHINE_CONFIG = Input(CONFIG, MachineConfigSpec.TYPE, id=MACHINE_CONFIG_ID)
KERNEL_CMDLINE = Input(RUNTIME, KernelCmdlineSpec.TYPE, id=CMDLINE_ID)
LINK_STATUSES = Input(NETWORK, LinkStatus.TYPE)
LAYERED_LINK_SPECS = Input(NETWORK_CONFIG, LinkSpec.TYPE)


def family_of(ip: IPAddr) -> Family:
    """inet4 or inet6."""
    return Family.INET4 if ip.version == 4 else Family.INET6


@functools.lru_cache(maxsize=4)
def _parse(text: str) -> MachineConfig | ConfigError:
    try:
        return load(text, source="MachineConfig v1alpha1")
    except ConfigError as exc:
        return exc


def machine_config(ctx: Context) -> MachineConfig | None:
    """The machine configuration in force, parsed; None when there is none (or it is not valid)."""
    res = ctx.get(CONFIG, MachineConfigSpec.TYPE, MACHINE_CONFIG_ID)
    if res is None:
        return None
    assert isinstance(res.spec, MachineConfigSpec)
    parsed = _parse(res.spec.text)
    if isinstance(parsed, ConfigError):
        ctx.logger.warning("ignoring the published machine configuration: %s", parsed)
        return None
    return parsed


def kernel_cmdline(ctx: Context) -> CmdlineResult:
    """The network settings of the kernel command line (empty until KernelCmdline is published)."""
    res = ctx.get(RUNTIME, KernelCmdlineSpec.TYPE, CMDLINE_ID)
    if res is None:
        return CmdlineResult()
    assert isinstance(res.spec, KernelCmdlineSpec)
    return res.spec.network


class Links:
    """The observed links, sorted by name, and Talos's LinkResolver over them."""

    def __init__(self, ctx: Context) -> None:
        self.statuses: dict[str, LinkStatus] = {}
        for res in ctx.list(NETWORK, LinkStatus.TYPE):
            assert isinstance(res.spec, LinkStatus)
            self.statuses[res.id] = res.spec
        self._lookup: dict[str, str] = {}
        for name, st in self.statuses.items():
            for alias in (st.alias, *st.alt_names):
                if alias:
                    self._lookup[alias] = name
        for name in self.statuses:
            self._lookup[name] = name  # real names win over aliases

    def resolve(self, name: str) -> str:
        """The link a name, alias or altname refers to; an unknown name is returned as is."""
        return self._lookup.get(name, name)

    def physical(self) -> list[str]:
        """Names of the physical links."""
        return [name for name, st in self.statuses.items() if st.physical()]


def glob_match(pattern: str, text: str) -> bool:
    """Talos's glob (ryanuber/go-glob): `*` matches any run of characters, everything else itself."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text, re.DOTALL) is not None


def select_links(selector: DeviceSelector, links: Links) -> list[str]:
    """Links a deviceSelector picks: every given glob matches, and `physical` if given agrees."""
    picked = []
    for name, st in links.statuses.items():
        match: bool | None = None
        for pattern, value in ((selector.hardware_addr, str(st.hardware_addr)),
                               (selector.permanent_addr, str(st.permanent_addr)),
                               (selector.pci_id, st.pci_id), (selector.driver, st.driver),
                               (selector.bus_path, st.bus_path)):
            if not pattern:
                continue
            match = glob_match(pattern, value)
            if not match:
                break
        if selector.physical is not None and match is not False:
            match = selector.physical == st.physical()
        if match:
            picked.append(name)
    return picked


def legacy_devices(cfg: MachineConfig | None, links: Links) -> tuple[list[Device], list[str]]:
    """`.machine.network.interfaces` with selectors resolved, ordered as Talos orders DeviceConfigSpecs.

    A `deviceSelector` entry becomes one device per matching link; a bond's `deviceSelectors` become its
    interfaces. An entry whose selectors match nothing is skipped, with a problem saying so.
    """
    network = cfg.v1alpha1.network if cfg is not None and cfg.v1alpha1 is not None else None
    if network is None:
        return [], []
    keyed: list[tuple[str, int, int, Device]] = []
    problems: list[str] = []
    for index, device in enumerate(network.interfaces):
        out = [device]
        if device.device_selector is not None:
            names = select_links(device.device_selector, links)
            if not names:
                problems.append(f"no link matches the deviceSelector of machine.network.interfaces[{index}] "
                                f"({_selector_text(device.device_selector)})")
                continue
            out = [dataclasses.replace(device, interface=name, device_selector=None) for name in names]
        elif device.bond is not None and device.bond.device_selectors:
            members = [name for sel in device.bond.device_selectors for name in select_links(sel, links)
                       if name != device.interface]
            if not members:
                problems.append(f"no link matches the bond deviceSelectors of machine.network.interfaces[{index}] "
                                f"({device.interface})")
                continue
            bond = dataclasses.replace(device.bond, interfaces=tuple(members), device_selectors=())
            out = [dataclasses.replace(device, bond=bond)]
        keyed += [(d.interface or "", index, j, d) for j, d in enumerate(out)]
    return [d for *_key, d in sorted(keyed, key=lambda k: k[:3])], problems


def _selector_text(selector: DeviceSelector) -> str:
    return ", ".join(f"{f.name}={getattr(selector, f.name)!r}" for f in dataclasses.fields(selector)
                     if getattr(selector, f.name) is not None)


@dataclass(frozen=True, slots=True)
class Ignored:
    """Links no layer but the operators may configure: cmdline `talos.network.interface.ignore=` and
    legacy devices with `ignore: true` (both resolved to link names)."""

    cmdline: frozenset[str]
    config: frozenset[str]

    @classmethod
    def of(cls, cmdline: CmdlineResult, devices: Iterable[Device], links: Links) -> Ignored:
        """The ignored links of this pass."""
        return cls(frozenset(cmdline.ignore_interfaces),
                   frozenset(links.resolve(d.interface) for d in devices if d.ignore and d.interface))

    def __contains__(self, name: object) -> bool:
        return name in self.cmdline or name in self.config


def fill_bond_defaults(bond: BondMasterSpec) -> BondMasterSpec:
    """Talos's BondMasterSpec.FillDefaults: kernel defaults for zero fields; use_carrier always on."""
    tlb_alb = bond.mode in (BondMode.BALANCE_TLB, BondMode.BALANCE_ALB)
    lacp = bond.mode == BondMode.IEEE8023AD
    changes: dict[str, Any] = {
        "use_carrier": True,
        "resend_igmp": bond.resend_igmp or 1,
        "lp_interval": bond.lp_interval or 1,
        "packets_per_slave": bond.packets_per_slave or 1,
        "num_peer_notif": bond.num_peer_notif or 1,
    }
    if not tlb_alb:
        changes["tlb_dynamic_lb"] = 1
    if lacp and not bond.ad_actor_sys_prio:
        changes["ad_actor_sys_prio"] = 65535
    if not (lacp or tlb_alb) and not bond.missed_max:
        changes["missed_max"] = 2
    return dataclasses.replace(bond, **changes)
