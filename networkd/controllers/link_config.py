"""LinkConfigController: LinkSpecs of the default, cmdline and configuration layers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

import cmdline as cl
from networkd.config import (
    BondConfig,
    BridgeConfig,
    DummyLinkConfig,
    LinkConfig,
    MachineConfig,
    VLANConfig,
    WireguardConfig,
)
from networkd.config.v1alpha1 import Bond, Device, DeviceWireguardConfig
from networkd.controllers.config_common import (
    KERNEL_CMDLINE,
    LAYERED_LINK_SPECS,
    LINK_STATUSES,
    MACHINE_CONFIG,
    Ignored,
    Links,
    fill_bond_defaults,
    kernel_cmdline,
    legacy_devices,
    machine_config,
)
from networkd.resources.enums import (
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    ConfigLayer,
    FailOverMAC,
    LACPRate,
    LinkType,
    PrimaryReselect,
    TalosEnum,
    XmitHashPolicy,
)
from networkd.resources.ids import layered_id, link_id
from networkd.resources.link import (
    BondMasterSpec,
    BondSlave,
    BridgeMasterSpec,
    BridgeSlave,
    BridgeVLANSpec,
    LinkSpec,
    STPSpec,
    VLANSpec,
    WireguardPeer,
    WireguardSpec,
)
from networkd.resources.network import NETWORK_CONFIG
from networkd.resources.values import Duration, HardwareAddr
from networkd.runtime import Context, Controller, Input, Output, OutputKind

CONF = ConfigLayer.CONFIGURATION

E = TypeVar("E", bound=TalosEnum)


class LinkConfigController(Controller):
    """`lo` up; links of the kernel command line; legacy devices and the LinkConfig-family documents; and,
    while the configuration allows default DHCP, every physical link no layer configures brought up.

    A link counts as configured by the command line (links, ignored links), the platform layer, or a
    legacy device (including ignored ones and bond and bridge members).
    """

    name = "network.LinkConfigController"

    def __init__(self) -> None:
        self._reported: set[str] = set()

    def inputs(self) -> Iterable[Input]:
        return [MACHINE_CONFIG, KERNEL_CMDLINE, LINK_STATUSES, LAYERED_LINK_SPECS]

    def outputs(self) -> Iterable[Output]:
        return [Output(LinkSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            specs = {layered_id(s.layer, link_id(s.name)): s for s in self.specs(ctx)}
            ctx.publish(NETWORK_CONFIG, LinkSpec.TYPE, specs)

    def specs(self, ctx: Context) -> list[LinkSpec]:
        """Every link spec of the layers this controller owns."""
        cfg = machine_config(ctx)
        links = Links(ctx)
        cmdline = kernel_cmdline(ctx)
        devices, problems = legacy_devices(cfg, links)
        for problem in problems:
            if problem not in self._reported:
                ctx.logger.warning("%s", problem)
        self._reported = set(problems)
        ignored = Ignored.of(cmdline, devices, links)
        out = [LinkSpec(name="lo", up=True, layer=ConfigLayer.DEFAULT)]
        cmdline_links = [s for s in cmdline_link_specs(cmdline) if s.name not in ignored.config]
        out += cmdline_links
        configured: dict[str, LinkSpec] = {}
        _devices(configured, devices, links, ctx)
        if cfg is not None:
            _documents(configured, cfg, links)
        out += configured.values()
        if cfg is None or cfg.run_default_dhcp_operators():
            taken = {*ignored.cmdline, *(s.name for s in cmdline_links), *_platform_links(ctx, links)}
            for d in devices:
                if d.interface:
                    taken.add(links.resolve(d.interface))
                taken.update(links.resolve(n) for n in (d.bond.interfaces if d.bond else ()))
                taken.update(links.resolve(n) for n in (d.bridge.interfaces if d.bridge else ()))
            out += [LinkSpec(name=n, up=True, layer=ConfigLayer.DEFAULT) for n in links.physical() if n not in taken]
        return out


def _platform_links(ctx: Context, links: Links) -> set[str]:
    return {links.resolve(res.spec.name) for res in ctx.list(NETWORK_CONFIG, LinkSpec.TYPE)
            if isinstance(res.spec, LinkSpec) and res.spec.layer == ConfigLayer.PLATFORM}


def cmdline_link_specs(cmdline: cl.CmdlineResult) -> list[LinkSpec]:
    """The command line's links (a later spec for a name replaces an earlier one, as in Talos), with the MTU
    and MAC address of `ip=<device>:<autoconf>:<mtu>:<mac>` forms."""
    specs: dict[str, LinkSpec] = {}
    for s in cmdline.link_specs:
        specs[s.name] = LinkSpec(
            name=s.name, logical=s.logical, up=s.up, mtu=s.mtu or 0, kind=s.kind,
            type=LinkType.parse(s.type) if s.type else LinkType.NETROM, parent_name=s.parent_name,
            bond_slave=None if s.bond_slave is None else BondSlave(master_name=s.bond_slave.master_name,
                                                                   slave_index=s.bond_slave.slave_index),
            vlan=None if s.vlan is None else VLANSpec(vid=s.vlan.vid, protocol=s.vlan.protocol),
            bond_master=None if s.bond_master is None else _cmdline_bond(s.bond_master),
            layer=ConfigLayer.CMDLINE)
    for lc in cmdline.link_configs:
        if lc.link_name in specs and (lc.mtu or lc.mac):
            specs[lc.link_name] = dataclasses.replace(
                specs[lc.link_name], mtu=lc.mtu or specs[lc.link_name].mtu,
                hardware_addr=HardwareAddr.parse(lc.mac) if lc.mac else specs[lc.link_name].hardware_addr)
    return list(specs.values())


def _cmdline_bond(b: cl.BondMaster) -> BondMasterSpec:
    return BondMasterSpec(
        mode=b.mode, hash_policy=b.hash_policy, lacp_rate=b.lacp_rate, arp_validate=b.arp_validate,
        arp_all_targets=b.arp_all_targets, primary=b.primary, primary_reselect=b.primary_reselect,
        fail_over_mac=b.fail_over_mac, ad_select=b.ad_select, mii_mon=b.miimon, up_delay=b.up_delay,
        down_delay=b.down_delay, arp_interval=b.arp_interval, resend_igmp=b.resend_igmp, min_links=b.min_links,
        lp_interval=b.lp_interval, packets_per_slave=b.packets_per_slave, num_peer_notif=b.num_peer_notif,
        tlb_dynamic_lb=b.tlb_dynamic_lb, all_slaves_active=b.all_slaves_active, use_carrier=b.use_carrier,
        ad_actor_sys_prio=b.ad_actor_sys_prio, missed_max=b.missed_max, arp_ip_targets=b.arp_ip_targets)


def _or_zero(tp: type[E], value: E | None) -> E:
    """The configured member, or the zero member (Go's zero value) when the configuration leaves it unset."""
    return tp.of(0) if value is None else value


def _new(specs: dict[str, LinkSpec], name: str, up: bool = True) -> LinkSpec:
    return specs.setdefault(name, LinkSpec(name=name, up=up, layer=CONF))


def _update(specs: dict[str, LinkSpec], name: str, **changes: Any) -> None:
    specs[name] = dataclasses.replace(specs[name], **changes)


def _devices(specs: dict[str, LinkSpec], devices: list[Device], links: Links, ctx: Context) -> None:
    """Legacy `.machine.network.interfaces` (Talos processDevicesConfiguration)."""
    bonded: dict[str, tuple[str, int]] = {}
    bridged: dict[str, str] = {}
    active = [d for d in devices if not d.ignore and d.interface]
    for d in active:
        iface = links.resolve(d.interface or "")
        for idx, member in enumerate(links.resolve(n) for n in (d.bond.interfaces if d.bond else ())):
            if member in bonded and bonded[member][0] != iface:
                ctx.logger.warning("link %r is in both bonds %r and %r", member, bonded[member][0], iface)
            if member in bridged:
                ctx.logger.warning("link %r is in both bond %r and bridge %r", member, iface, bridged[member])
            bonded[member] = (iface, idx)
        for member in (links.resolve(n) for n in (d.bridge.interfaces if d.bridge else ())):
            if member in bridged and bridged[member] != iface:
                ctx.logger.warning("link %r is in both bridges %r and %r", member, bridged[member], iface)
            if member in bonded:
                ctx.logger.warning("link %r is in both bond %r and bridge %r", member, bonded[member][0], iface)
            bridged[member] = iface
        if d.bridge_port is not None:
            bridged[iface] = links.resolve(d.bridge_port.master)
    for d in active:
        raw = d.interface or ""
        iface = links.resolve(raw)
        _new(specs, iface)
        if d.mtu:
            _update(specs, iface, mtu=d.mtu)
        if d.bond is not None:
            _update(specs, iface, logical=True, kind="bond", type=LinkType.ETHER,
                    bond_master=_legacy_bond(d.bond, links))
        if d.bridge is not None:
            _update(specs, iface, logical=True, kind="bridge", type=LinkType.ETHER, bridge_master=BridgeMasterSpec(
                stp=STPSpec(enabled=d.bridge.stp.enabled),
                vlan=BridgeVLANSpec(filtering_enabled=d.bridge.vlan.vlan_filtering)))
        if d.wireguard is not None:
            _update(specs, iface, logical=True, kind="wireguard", type=LinkType.NOHDR,
                    wireguard=_legacy_wireguard(d.wireguard))
        if d.dummy:
            _update(specs, iface, logical=True, kind="dummy", type=LinkType.ETHER)
        for vlan in d.vlans:
            name = cl.vlan_link_name(raw, vlan.vlan_id)  # Talos names it after the interface as written
            specs[name] = LinkSpec(name=name, logical=True, up=True, mtu=vlan.mtu or 0, kind="vlan",
                                   type=LinkType.ETHER, parent_name=iface, vlan=VLANSpec(vid=vlan.vlan_id),
                                   layer=CONF)
    for member, (master, idx) in bonded.items():
        _new(specs, member)
        _update(specs, member, bond_slave=BondSlave(master_name=master, slave_index=idx))
    for member, master in bridged.items():
        _new(specs, member)
        _update(specs, member, bridge_slave=BridgeSlave(master_name=master))


def _legacy_bond(b: Bond, links: Links) -> BondMasterSpec:
    return fill_bond_defaults(BondMasterSpec(
        mode=_or_zero(BondMode, b.mode), hash_policy=_or_zero(XmitHashPolicy, b.xmit_hash_policy),
        lacp_rate=_or_zero(LACPRate, b.lacp_rate), arp_validate=_or_zero(ARPValidate, b.arp_validate),
        arp_all_targets=_or_zero(ARPAllTargets, b.arp_all_targets),
        primary=links.resolve(b.primary) if b.primary else "",
        primary_reselect=_or_zero(PrimaryReselect, b.primary_reselect),
        fail_over_mac=_or_zero(FailOverMAC, b.fail_over_mac), ad_select=_or_zero(ADSelect, b.ad_select),
        mii_mon=b.miimon or 0, up_delay=b.updelay or 0,
        down_delay=b.downdelay or 0, arp_interval=b.arp_interval or 0, resend_igmp=b.resend_igmp or 0,
        min_links=b.min_links or 0, lp_interval=b.lp_interval or 0, packets_per_slave=b.packets_per_slave or 0,
        num_peer_notif=b.num_peer_notif or 0, tlb_dynamic_lb=b.tlb_dynamic_lb or 0,
        all_slaves_active=b.all_slaves_active or 0, ad_actor_sys_prio=b.ad_actor_sys_prio or 0,
        ad_user_port_key=b.ad_user_port_key or 0, peer_notify_delay=b.peer_notify_delay or 0))


def _legacy_wireguard(w: DeviceWireguardConfig) -> WireguardSpec:
    return WireguardSpec(
        private_key=w.private_key, listen_port=w.listen_port or 0, firewall_mark=w.firewall_mark or 0,
        peers=tuple(WireguardPeer(public_key=p.public_key, endpoint=p.endpoint or "",
                                  persistent_keepalive_interval=_duration(p.persistent_keepalive_interval),
                                  allowed_ips=p.allowed_ips) for p in w.peers))


def _duration(seconds: float | None) -> Duration:
    return Duration(seconds=seconds or 0)


def _documents(specs: dict[str, LinkSpec], cfg: MachineConfig, links: Links) -> None:
    """The LinkConfig-family documents, then the links DHCP documents bring up (Talos processLinkConfigs)."""
    for doc in cfg.links():
        name = links.resolve(doc.name)
        _new(specs, name, up=False)
        hw = getattr(doc, "hardware_addr", None)
        _update(specs, name, up=doc.up, mtu=doc.mtu or specs[name].mtu,
                hardware_addr=HardwareAddr.parse(hw) if hw else
                specs[name].hardware_addr if isinstance(doc, DummyLinkConfig | BondConfig | BridgeConfig) else None,
                multicast=specs[name].multicast if doc.multicast is None else doc.multicast)
        if isinstance(doc, DummyLinkConfig):
            _update(specs, name, logical=True, kind="dummy", type=LinkType.ETHER)
        elif isinstance(doc, VLANConfig):  # `up` honoured (Talos forces VLANConfig links up)
            _update(specs, name, logical=True, kind="vlan", type=LinkType.ETHER, parent_name=links.resolve(doc.parent),
                    vlan=VLANSpec(vid=doc.vlan_id, protocol=doc.vlan_mode))
        elif isinstance(doc, BondConfig):
            _update(specs, name, logical=True, kind="bond", type=LinkType.ETHER, bond_master=_bond(doc, links))
            for idx, member in enumerate(links.resolve(n) for n in doc.links):
                _new(specs, member)
                _update(specs, member, bond_slave=BondSlave(master_name=name, slave_index=idx))
        elif isinstance(doc, BridgeConfig):
            _update(specs, name, logical=True, kind="bridge", type=LinkType.ETHER, bridge_master=BridgeMasterSpec(
                stp=STPSpec(enabled=doc.stp.enabled), vlan=BridgeVLANSpec(filtering_enabled=doc.vlan.filtering)))
            for member in (links.resolve(n) for n in doc.links):
                _new(specs, member)
                _update(specs, member, bridge_slave=BridgeSlave(master_name=name))
        elif isinstance(doc, WireguardConfig):
            _update(specs, name, logical=True, kind="wireguard", type=LinkType.NOHDR, wireguard=_wireguard(doc))
        else:
            assert isinstance(doc, LinkConfig)
    for name in [d.name for d in cfg.dhcpv4_configs()] + [d.name for d in cfg.dhcpv6_configs()]:
        _new(specs, links.resolve(name))


def _bond(b: BondConfig, links: Links) -> BondMasterSpec:
    return fill_bond_defaults(BondMasterSpec(
        mode=b.bond_mode, mii_mon=b.miimon or 0, up_delay=b.updelay or 0,
        down_delay=b.downdelay or 0, hash_policy=_or_zero(XmitHashPolicy, b.xmit_hash_policy),
        arp_interval=b.arp_interval or 0, arp_ip_targets=b.arp_ip_targets, ns_ip6_targets=b.ns_ip6_targets,
        arp_validate=_or_zero(ARPValidate, b.arp_validate), arp_all_targets=_or_zero(ARPAllTargets, b.arp_all_targets),
        lacp_rate=_or_zero(LACPRate, b.lacp_rate), fail_over_mac=_or_zero(FailOverMAC, b.fail_over_mac),
        ad_select=_or_zero(ADSelect, b.ad_select), ad_actor_sys_prio=b.ad_actor_sys_prio or 0,
        ad_user_port_key=b.ad_user_port_key or 0,
        ad_lacp_active=b.ad_lacp_active,
        primary=links.resolve(b.primary) if b.primary else "",
        primary_reselect=_or_zero(PrimaryReselect, b.primary_reselect), resend_igmp=b.resend_igmp or 0,
        min_links=b.min_links or 0, lp_interval=b.lp_interval or 0, packets_per_slave=b.packets_per_slave or 0,
        num_peer_notif=b.num_peer_notif or 0, tlb_dynamic_lb=b.tlb_logical_lb or 0,
        all_slaves_active=b.all_slaves_active or 0, peer_notify_delay=b.peer_notif_delay or 0,
        missed_max=b.missed_max or 0))


def _wireguard(w: WireguardConfig) -> WireguardSpec:
    peers = []
    for p in w.peers:
        endpoint = ""
        if p.endpoint is not None:
            host = str(p.endpoint.address) if p.endpoint.address.version == 4 else f"[{p.endpoint.address}]"
            endpoint = f"{host}:{p.endpoint.port}"
        peers.append(WireguardPeer(public_key=p.public_key, preshared_key=p.preshared_key or "", endpoint=endpoint,
                                   persistent_keepalive_interval=_duration(p.persistent_keepalive_interval),
                                   allowed_ips=p.allowed_ips))
    return WireguardSpec(private_key=w.private_key, listen_port=w.listen_port or 0,
                         firewall_mark=w.firewall_mark or 0, peers=tuple(peers))

