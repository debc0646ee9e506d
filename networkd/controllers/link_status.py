"""LinkStatusController: every link as a LinkStatus (id: the link name), from rtnetlink, ethtool and sysfs,
and WireGuard devices from UAPI (wireguard-go) or generic netlink (kernel)."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from networkd.controllers.observers import KernelObserver
from networkd.kernel.errors import KernelError
from networkd.kernel.genetlink import KernelWireguard, UnknownFamily
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import BondOptions, KernelLink
from networkd.kernel.wggo import WireguardGo
from networkd.kernel.wireguard import WIREGUARD_POLL, WireguardDevice, WireguardError
from networkd.resources.base import Spec
from networkd.resources.enums import (
    ADLACPActive,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    Duplex,
    FailOverMAC,
    LACPRate,
    LinkFlags,
    LinkType,
    OperationalState,
    Port,
    PrimaryReselect,
    VLANProtocol,
    XmitHashPolicy,
)
from networkd.resources.link import (
    BondMasterSpec,
    BridgeMasterSpec,
    BridgeVLANSpec,
    LinkStatus,
    STPSpec,
    VethSpec,
    VLANSpec,
    WireguardPeer,
    WireguardSpec,
)
from networkd.resources.network import NETWORK
from networkd.resources.values import Duration, HardwareAddr
from networkd.runtime import Context

if TYPE_CHECKING:
    from networkd.kernel.hub import KernelHub

# IFLA_OPERSTATE as pyroute2 names it, in the kernel's order (IF_OPER_*, RFC 2863).
_OPER_STATES = {name: OperationalState.of(n) for n, name in enumerate(
    ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"))}

# The legacy ethtool ioctl (linux/sockios.h, linux/ethtool.h): struct ifreq carries a pointer to the command.
SIOCETHTOOL = 0x8946
ETHTOOL_GSET = 0x01  # struct ethtool_cmd, 44 bytes (the kernel converts from its link ksettings)
ETHTOOL_GDRVINFO = 0x03  # struct ethtool_drvinfo, 196 bytes
ETHTOOL_GLINK = 0x0A  # struct ethtool_value, 8 bytes
SPEED_UNKNOWN = 0xFFFFFFFF
_IFREQ = struct.Struct("16sP16x")  # ifr_name, ifr_data; padded to sizeof(struct ifreq)
_SETTINGS = struct.Struct("=12xHBB12xH")  # speed, duplex, port, speed_hi of struct ethtool_cmd
_DRVINFO = struct.Struct("=4x32s32s32s32s")  # driver, version, fw_version, bus_info


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What ethtool and sysfs tell about a link; the defaults are Talos's when ethtool answers nothing."""

    link_state: bool = False
    speed_mbit: int = 0
    port: Port = Port.OTHER
    duplex: Duplex = Duplex.UNKNOWN
    driver: str = ""
    driver_version: str = ""
    firmware_version: str = ""
    bus_path: str = ""
    pci_id: str = ""
    vendor_id: str = ""
    product_id: str = ""


def _ethtool(sock: socket.socket, name: str, cmd: int, size: int) -> bytes | None:
    buf = ctypes.create_string_buffer(struct.pack("=I", cmd), size)
    try:
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, _IFREQ.pack(name.encode(), ctypes.addressof(buf)))
    except OSError:  # EOPNOTSUPP: not implemented by the driver; ENODEV: the link is gone
        return None
    return buf.raw


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def device_facts(name: str, sysfs: Path = Path("/sys")) -> DeviceFacts:
    """Link state, speed, port, duplex, driver and bus facts of link `name`, as Talos gathers them.

    ethtool is asked through an ioctl on a socket of the caller's namespace. Every read is
    best-effort: a link without the operation (lo has no ethtool settings) or gone since the dump
    reads as the defaults.
    """
    facts = DeviceFacts()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        link = _ethtool(sock, name, ETHTOOL_GLINK, 8)
        settings = _ethtool(sock, name, ETHTOOL_GSET, 44)
        drvinfo = _ethtool(sock, name, ETHTOOL_GDRVINFO, 196)
    if link is not None:
        facts = replace(facts, link_state=bool(struct.unpack_from("=I", link, 4)[0]))
    if settings is not None:
        speed, duplex, port, speed_hi = _SETTINGS.unpack_from(settings)
        speed |= speed_hi << 16
        facts = replace(facts, speed_mbit=0 if speed == SPEED_UNKNOWN else speed, port=Port.of(port),
                        duplex=Duplex.of(duplex))
    if drvinfo is not None:
        driver, version, firmware, bus = (s.split(b"\0", 1)[0].decode(errors="replace")
                                          for s in _DRVINFO.unpack_from(drvinfo))
        facts = replace(facts, driver=driver, driver_version=version, firmware_version=firmware, bus_path=bus)
    return with_sysfs(facts, name, sysfs)


def with_sysfs(facts: DeviceFacts, name: str, sysfs: Path) -> DeviceFacts:
    """`facts` completed from sysfs, which wins where it knows: the device's driver, PCI id and slot,
    and the PCI vendor and product ids. sysfs must be mounted for the caller's namespace (`ip netns
    exec` does so). The vendor and product names need a PCI database and are left empty.
    """
    uevent = dict(line.partition("=")[::2] for line in _read(sysfs / "class/net" / name / "device/uevent").splitlines())
    facts = replace(facts, driver=uevent.get("DRIVER") or facts.driver, pci_id=uevent.get("PCI_ID", ""),
                    bus_path=uevent.get("PCI_SLOT_NAME") or facts.bus_path)
    pci = sysfs / "bus/pci/devices" / facts.bus_path
    if facts.bus_path and "/" not in facts.bus_path and pci.is_dir():
        try:
            vendor, product = (f"0x{int(_read(pci / n), 0):04x}" for n in ("vendor", "device"))
        except ValueError:
            return facts
        facts = replace(facts, vendor_id=vendor, product_id=product)
    return facts


def _hardware_addr(text: str) -> HardwareAddr:
    try:
        return HardwareAddr.parse(text)
    except ValueError:  # not colon-separated hex: no address Talos could show either
        return HardwareAddr()


def _bond_master(bond: BondOptions) -> BondMasterSpec:
    """Talos's decoding of the bond attributes: absent ones are zero, the primary index None."""
    return BondMasterSpec(
        mode=BondMode.of(bond.mode or 0),
        hash_policy=XmitHashPolicy.of(bond.xmit_hash_policy or 0),
        lacp_rate=LACPRate.of(bond.lacp_rate or 0),
        arp_validate=ARPValidate.of(bond.arp_validate or 0),
        arp_all_targets=ARPAllTargets.of(bond.arp_all_targets or 0),
        primary_index=bond.primary,
        primary_reselect=PrimaryReselect.of(bond.primary_reselect or 0),
        fail_over_mac=FailOverMAC.of(bond.fail_over_mac or 0),
        ad_select=ADSelect.of(bond.ad_select or 0),
        mii_mon=bond.miimon or 0,
        up_delay=bond.updelay or 0,
        down_delay=bond.downdelay or 0,
        arp_interval=bond.arp_interval or 0,
        resend_igmp=bond.resend_igmp or 0,
        min_links=bond.min_links or 0,
        lp_interval=bond.lp_interval or 0,
        packets_per_slave=bond.packets_per_slave or 0,
        num_peer_notif=bond.num_peer_notif or 0,
        tlb_dynamic_lb=bond.tlb_dynamic_lb or 0,
        all_slaves_active=bond.all_slaves_active or 0,
        use_carrier=bool(bond.use_carrier),
        ad_actor_sys_prio=bond.ad_actor_sys_prio or 0,
        ad_user_port_key=bond.ad_user_port_key or 0,
        peer_notify_delay=bond.peer_notif_delay or 0,
        arp_ip_targets=bond.arp_ip_targets or (),
        ns_ip6_targets=bond.ns_ip6_targets or (),
        ad_lacp_active=None if bond.ad_lacp_active is None else ADLACPActive.of(bond.ad_lacp_active),
        missed_max=bond.missed_max or 0,
    )


def _veth_peer(link: KernelLink, by_index: Mapping[int, KernelLink]) -> str:
    """The name of the other end of a veth when it is in this namespace and points back, else ""."""
    peer = by_index.get(link.link_index) if link.link_netnsid is None else None
    if peer is None or peer.kind != "veth" or peer.link_index != link.index:
        return ""
    return peer.name


def link_status(link: KernelLink, by_index: Mapping[int, KernelLink], facts: DeviceFacts) -> LinkStatus:
    """The status of a dumped link; `by_index` is the whole dump (for a veth's peer).

    Kind-specific parts are set for their kind only: vlan, bridge and bond settings, a veth's peer.
    VRF tables and WireGuard state are not in the rtnetlink records and stay unset (see wireguard_status).
    """
    return LinkStatus(
        alias=link.alias,
        alt_names=link.altnames,
        index=link.index,
        type=LinkType.of(link.type),
        link_index=link.link_index,
        flags=LinkFlags.of(link.flags),
        hardware_addr=_hardware_addr(link.hw_addr),
        permanent_addr=_hardware_addr(link.perm_addr),
        broadcast_addr=_hardware_addr(link.broadcast_addr),
        mtu=link.mtu,
        queue_disc=link.qdisc,
        master_index=link.master_index,
        operational_state=_OPER_STATES.get(link.operstate, OperationalState.UNKNOWN),
        kind=link.kind,
        slave_kind=link.slave_kind,
        bus_path=facts.bus_path,
        pci_id=facts.pci_id,
        driver=facts.driver,
        driver_version=facts.driver_version,
        firmware_version=facts.firmware_version,
        product_id=facts.product_id,
        vendor_id=facts.vendor_id,
        link_state=facts.link_state,
        speed_mbit=facts.speed_mbit,
        port=facts.port,
        duplex=facts.duplex,
        vlan=None if link.vlan is None else VLANSpec(vid=link.vlan.id, protocol=VLANProtocol.of(link.vlan.protocol)),
        bridge_master=None if link.bridge is None else BridgeMasterSpec(
            stp=STPSpec(enabled=link.bridge.stp), vlan=BridgeVLANSpec(filtering_enabled=link.bridge.vlan_filtering)),
        bond_master=None if link.bond is None else _bond_master(link.bond),
        veth=VethSpec(peer_name=_veth_peer(link, by_index)) if link.kind == "veth" else None,
    )


def wireguard_status(device: WireguardDevice) -> WireguardSpec:
    """The public part of a WireGuard device's configuration (no private or preshared key)."""
    return WireguardSpec(
        public_key=device.public_key, listen_port=device.listen_port, firewall_mark=device.fwmark,
        peers=tuple(WireguardPeer(public_key=p.public_key, endpoint=p.endpoint,
                                  persistent_keepalive_interval=Duration(seconds=p.persistent_keepalive),
                                  allowed_ips=p.allowed_ips) for p in device.peers))



class LinkStatusController(KernelObserver):
    """Mirrors `ip link`; logs carrier changes of physical links, as Talos does.

    A WireGuard link also gets its public key, port, fwmark and peers, on every pass and every
    WIREGUARD_POLL seconds while such a link exists: a tun link served by wireguard-go read over UAPI,
    a kernel wireguard link over generic netlink (`KernelWireguard`, whose socket is opened only while
    there are wireguard links). A kernel device that cannot be read (no wireguard family, the link gone
    since the dump, an error) has no WireGuard part; the reason is logged once.
    """

    name = "network.LinkStatusController"
    kinds = ("link",)
    status = LinkStatus.TYPE

    def __init__(self, hub: KernelHub, kernel_wireguard: KernelWireguard | None = None) -> None:
        """`kernel_wireguard`: the generic netlink client of kernel wireguard devices (default: a new one)."""
        super().__init__(hub)
        self.wireguard = WireguardGo(logging.getLogger(self.name))  # only read: it starts no device
        self.kernel_wireguard = kernel_wireguard or KernelWireguard()  # no socket until a device is read
        self._said: set[str] = set()

    async def run(self, ctx: Context) -> None:
        async with self.kernel_wireguard:  # closes the generic netlink socket, if a wireguard link opened one
            await super().run(ctx)

    def _say_once(self, ctx: Context, level: int, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            ctx.logger.log(level, "%s", message)

    async def _kernel_device(self, ctx: Context, name: str) -> WireguardDevice | None:
        """Kernel wireguard device `name` as WG_CMD_GET_DEVICE reads it; None when it cannot be read."""
        try:
            return await self.kernel_wireguard.get(name)
        except UnknownFamily as e:
            self._say_once(ctx, logging.INFO, f"wireguard links have no WireGuard status: the kernel has no "
                           f"{e.name!r} generic netlink family")
        except KernelError as e:
            if e.errno == errno.ENODEV:
                self._say_once(ctx, logging.DEBUG, f"link {name}: gone before its WireGuard status was read")
            else:
                self._say_once(ctx, logging.WARNING, f"link {name}: no WireGuard status: {e}")
                await self.kernel_wireguard.close()  # the next read starts on a new socket
        except WireguardError as e:
            self._say_once(ctx, logging.WARNING, f"link {name}: no WireGuard status: {e}")
        return None

    async def observe(self, ctx: Context, nl: Netlink) -> dict[str, Spec]:
        links = await nl.links()
        by_index = {link.index: link for link in links}
        observed: dict[str, Spec] = {}
        for link in links:
            status = link_status(link, by_index, device_facts(link.name))
            device = None
            if link.kind == "tun" and self.wireguard.serving(link.name):
                ctx.wake_after(WIREGUARD_POLL)
                device = await self.wireguard.get(link.name)
            elif link.kind == "wireguard":
                ctx.wake_after(WIREGUARD_POLL)
                device = await self._kernel_device(ctx, link.name)
            if device is not None:
                status = replace(status, wireguard=wireguard_status(device))
            before = ctx.get(NETWORK, LinkStatus.TYPE, link.name)
            was_up = before is not None and isinstance(before.spec, LinkStatus) and before.spec.link_state
            if status.physical() and status.link_state != was_up:
                ctx.logger.info("link %s state changed: %s", link.name, "up" if status.link_state else "down")
            observed[link.name] = status
        if not any(link.kind == "wireguard" for link in links):
            await self.kernel_wireguard.close()  # the last one went: no generic netlink socket kept for nothing
        return observed
