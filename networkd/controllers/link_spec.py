"""LinkSpecController: creates, configures and deletes links so that the kernel matches the merged LinkSpecs."""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Any, cast

from networkd.controllers.appliers import Applier, log_changes
from networkd.kernel.errors import KernelError
from networkd.kernel.genetlink import KernelWireguard, UnknownFamily
from networkd.kernel.messages import (
    BOND_ATTRS,
    BOND_OPTION_MODES,
    BOND_OPTIONS_DOWN,
    BOND_OPTIONS_NO_PORTS,
    LINK_KINDS,
)
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import BOND_MODE_ROUNDROBIN, BondOptions, BridgeInfo, KernelLink
from networkd.kernel.wggo import WireguardGo, resolve_endpoints
from networkd.kernel.wireguard import WIREGUARD_POLL, differences, uapi_set, validate
from networkd.resources.base import Resource, Spec
from networkd.resources.enums import LinkType
from networkd.resources.link import BondMasterSpec, BridgeMasterSpec, LinkSpec, WireguardSpec
from networkd.runtime import Context


def find_link(links: Sequence[KernelLink], name: str, *, aliases: bool) -> KernelLink | None:
    """The link called `name`; with `aliases`, also one with that alias or alternative name (as Talos)."""
    if not name:
        return None
    for link in links:
        if link.name == name:
            return link
    if aliases:
        for link in links:
            if link.alias == name or name in link.altnames:
                return link
    return None


def bond_options(spec: BondMasterSpec, links: Sequence[KernelLink]) -> BondOptions:
    """The kernel's bond options for a BondMasterSpec: enums always, other values when not zero.

    Zero means "not set" for the numbers (the kernel refuses 0 for some, e.g. lp_interval); the primary
    is resolved from its name (or taken from primary_index) and left out while it does not exist.
    """
    primary = find_link(links, spec.primary, aliases=True) if spec.primary else None
    targets4 = tuple(IPv4Address(int(a)) for a in spec.arp_ip_targets if a.version == 4)
    targets6 = tuple(IPv6Address(int(a)) for a in spec.ns_ip6_targets if a.version == 6)
    return BondOptions(
        mode=int(spec.mode),
        xmit_hash_policy=int(spec.hash_policy),
        lacp_rate=int(spec.lacp_rate),
        arp_validate=int(spec.arp_validate),
        arp_all_targets=int(spec.arp_all_targets),
        primary=primary.index if primary is not None else spec.primary_index,
        primary_reselect=int(spec.primary_reselect),
        fail_over_mac=int(spec.fail_over_mac),
        ad_select=int(spec.ad_select),
        miimon=spec.mii_mon or None,
        updelay=spec.up_delay or None,
        downdelay=spec.down_delay or None,
        arp_interval=spec.arp_interval or None,
        resend_igmp=spec.resend_igmp or None,
        min_links=spec.min_links or None,
        lp_interval=spec.lp_interval or None,
        packets_per_slave=spec.packets_per_slave or None,
        num_peer_notif=spec.num_peer_notif or None,
        tlb_dynamic_lb=spec.tlb_dynamic_lb or None,
        all_slaves_active=spec.all_slaves_active or None,
        use_carrier=True if spec.use_carrier else None,
        ad_actor_sys_prio=spec.ad_actor_sys_prio or None,
        ad_user_port_key=spec.ad_user_port_key or None,
        peer_notif_delay=spec.peer_notify_delay or None,
        arp_ip_targets=targets4 or None,
        ns_ip6_targets=targets6 or None,
        ad_lacp_active=int(spec.ad_lacp_active) if spec.ad_lacp_active is not None else None,
        missed_max=spec.missed_max or None,
    )


def changed_bond_options(want: BondOptions, have: BondOptions) -> tuple[str, ...]:
    """Names of the options set in `want` (and sent in its mode) that the kernel reports with another value."""
    mode = BOND_MODE_ROUNDROBIN if want.mode is None else want.mode
    out = []
    for name, _ in BOND_ATTRS:
        value, current = getattr(want, name), getattr(have, name)
        allowed = BOND_OPTION_MODES.get(name)
        if value is None or current is None or (allowed is not None and mode not in allowed):
            continue
        if value != current:
            out.append(name)
    return tuple(out)


def bond_differences(want: BondOptions, have: BondOptions) -> list[str]:
    """`changed_bond_options` as "name current -> wanted"."""
    return [f"{name} {getattr(have, name)} -> {getattr(want, name)}" for name in changed_bond_options(want, have)]


def bridge_changes(spec: LinkSpec, have: BridgeInfo) -> dict[str, bool]:
    """The bridge settings of `spec` the kernel reports otherwise, as `Netlink.link_change` arguments."""
    master = spec.bridge_master or BridgeMasterSpec()
    want = {"stp": master.stp.enabled, "vlan_filtering": master.vlan.filtering_enabled}
    return {name: value for name, value in want.items() if getattr(have, name) != value}


def _parent(spec: LinkSpec, links: Sequence[KernelLink]) -> KernelLink | None:
    return find_link(links, spec.parent_name, aliases=True)


def _create_args(spec: LinkSpec, links: Sequence[KernelLink]) -> dict[str, Any] | None:
    """The `Netlink.link_add` keyword arguments of a logical link; None while its parent does not exist."""
    kind = spec.kind
    if kind in ("vlan", "macvlan"):
        parent = _parent(spec, links)
        if parent is None:
            return None
        if kind == "macvlan":
            return {"parent": parent.index}
        if spec.vlan is None:
            raise ValueError(f"vlan link {spec.name} has no vlan settings")
        return {"parent": parent.index, "vlan_id": spec.vlan.vid, "vlan_protocol": int(spec.vlan.protocol)}
    if kind == "veth":
        return {"peer": spec.veth.peer_name if spec.veth is not None else None}
    if kind == "bridge" and spec.bridge_master is not None:
        # only what differs from the kernel's defaults: a kernel without bridge vlan filtering refuses
        # IFLA_BR_VLAN_FILTERING whatever its value
        master = spec.bridge_master
        return {"stp": master.stp.enabled or None, "vlan_filtering": master.vlan.filtering_enabled or None}
    if kind == "bond":
        return {"bond": bond_options(spec.bond_master or BondMasterSpec(), links)}
    return {}


def _mismatch(spec: LinkSpec, link: KernelLink, links: Sequence[KernelLink]) -> str:
    """Why an existing link of the spec's name must be deleted and created again ("" if it need not).

    Only what the kernel fixes when it creates a link: its kind and type (an rtnl_link_ops of its own);
    a VLAN's id, protocol and parent (vlan_changelink changes only flags and QoS maps); a macvlan's parent
    (IFLA_LINK is read only at creation); a veth's peer (created with it). Bridge and bond settings never
    re-create the link: the kernel changes every one the spec carries on the existing link
    (`LinkSpecController._sync_bridge`, `_sync_bond`).
    """
    if link.kind != spec.kind:
        return f"kind {link.kind} -> {spec.kind}"
    if spec.type and link.type != spec.type:
        return f"type {LinkType.of(link.type)} -> {spec.type}"
    parent = _parent(spec, links)
    if spec.kind == "vlan" and spec.vlan is not None and link.vlan is not None:
        want = (spec.vlan.vid, int(spec.vlan.protocol))
        if (link.vlan.id, link.vlan.protocol) != want:
            return f"vlan {link.vlan.id}/{link.vlan.protocol:#x} -> {want[0]}/{want[1]:#x}"
    if spec.kind in ("vlan", "macvlan") and parent is not None and link.link_index != parent.index:
        return f"parent index {link.link_index} -> {parent.index}"
    if spec.kind == "veth" and spec.veth is not None and link.link_netnsid is None:
        peer = next((other for other in links if other.index == link.link_index), None)
        if peer is not None and peer.name != spec.veth.peer_name:
            return f"peer {peer.name} -> {spec.veth.peer_name}"
    return ""


def _order(res: Resource[Spec]) -> tuple[int, str]:
    """Masters first (their ports need them), then links without a parent, then links on a parent."""
    spec = cast(LinkSpec, res.spec)
    if spec.kind in ("bond", "bridge", "vrf"):
        return (0, spec.name)
    return (2 if spec.parent_name else 1, spec.name)


def _master_name(spec: LinkSpec) -> str:
    for slave in (spec.bond_slave, spec.bridge_slave, spec.vrf_slave):
        if slave is not None and slave.master_name:
            return slave.master_name
    return ""


class LinkSpecController(Applier[Netlink]):
    """Makes links match the LinkSpecs: logical links created, re-created and deleted; settings on all links.

    Logical specs (`logical: true`) own the link of their name: it is created with its kind's settings,
    re-created when its kind, type or fixed settings differ (see `_mismatch`), and deleted when the spec
    is torn down. A link of that name without a kind (a physical link) is never deleted. Links carry no
    protocol tag, so a logical link whose spec is gone after a restart is left alone.

    On every link the spec's settings are applied: the master (bond, bridge or vrf port; a link is brought
    down before it joins a bond), the MTU and hardware address when the spec sets them, the multicast
    flag when the spec sets it (`multicast` None leaves it as it is, as in Talos), and up/down.
    A physical link's master is only changed when the spec names one, or to release it from the master
    this process put it in; a logical link's master always follows its spec. Physical specs may also name
    a link by its alias or alternative name.

    Bridge and bond settings change on the existing link, so its index, its ports and its addresses
    stay: a bridge's STP and VLAN filtering live; a bond's options live where the kernel allows it,
    otherwise the bond is brought down for the change and up again (BOND_OPTIONS_DOWN), and for mode
    and fail_over_mac it also loses its ports first (BOND_OPTIONS_NO_PORTS; the ports' specs enslave
    them again in the same pass, as Talos does).

    WireGuard: the link is created over netlink; when the kernel has no wireguard kind (EOPNOTSUPP), a
    wireguard-go process serves it instead (a tun link, see `networkd.kernel.wggo`), and its keys, port,
    fwmark and peers are applied over UAPI, in place (unchanged peers keep their sessions); an endpoint
    given by name (legacy configs) is resolved on every pass. The device is compared with its spec on
    every pass and every WIREGUARD_POLL seconds; a difference is put back and logged ("drift: configured
    wireguard wg0: missing peer ..."). A restarted daemon adopts a running wireguard-go device as it is;
    deleting the spec deletes the link, which stops wireguard-go. A kernel wireguard device is read and
    configured over generic netlink (`networkd.kernel.genetlink.KernelWireguard`), compared and repaired
    the same way, its peers also changed in place (removed with WGPEER_F_REMOVE_ME, added or updated;
    unchanged ones are not sent). A kernel without the wireguard generic netlink family is said once, and
    the other links are applied all the same.
    """

    name = "network.LinkSpecController"
    spec_type = LinkSpec.TYPE
    kinds = ("link",)

    def __init__(self, *args: Any, wireguard_go: WireguardGo | None = None,
                 kernel_wireguard: KernelWireguard | None = None, **kwargs: Any) -> None:
        """`wireguard_go`: the userspace fallback for wireguard links (None: a refused kind is an error);
        `kernel_wireguard`: the generic netlink client of kernel wireguard devices (default: a new one)."""
        super().__init__(*args, **kwargs)
        self._enslaved: set[str] = set()  # links this process put in a master
        self._wg = wireguard_go
        self._kernel_wg = kernel_wireguard or KernelWireguard()

    async def open(self, stack: contextlib.AsyncExitStack) -> Netlink:
        await stack.enter_async_context(self._kernel_wg)  # closes its socket, if a kernel wireguard device opened one
        return await stack.enter_async_context(await Netlink.open())

    def _userspace(self, spec: LinkSpec, link: KernelLink | None) -> bool:
        """Whether `link` is the wireguard-go device of a wireguard spec."""
        return (self._wg is not None and spec.kind == "wireguard" and link is not None and link.kind == "tun"
                and self._wg.serving(spec.name))

    async def reconcile(self, ctx: Context, kernel: Netlink, *, sweep: bool) -> list[KernelError]:
        live, dying = self.specs(ctx)
        links = await kernel.links()
        errors: list[KernelError] = []
        lines: list[str] = []
        for res in dying:
            spec = cast(LinkSpec, res.spec)
            link = find_link(links, spec.name, aliases=False)
            try:
                if spec.logical and link is not None and link.kind:
                    await self._delete(kernel, spec, link, f"deleted link {spec.name} ({spec.kind})", lines)
                    links = await kernel.links()
            except KernelError as e:
                errors.append(e)
                continue
            self.applied(spec.name, None)
            self.release(ctx, res)
        for res in sorted(live, key=_order):
            spec = cast(LinkSpec, res.spec)
            try:
                links = await self._sync(ctx, kernel, links, spec, lines)
            except KernelError as e:
                errors.append(e)
            except ValueError as e:  # WireguardError too
                self.say(ctx, f"link {spec.name}: {e}", logging.WARNING)
        log_changes(ctx, "link", lines)
        if any(cast(LinkSpec, res.spec).kind == "wireguard" for res in live):
            ctx.wake_after(WIREGUARD_POLL)
        return errors

    async def _delete(self, kernel: Netlink, spec: LinkSpec, link: KernelLink, line: str, lines: list[str]) -> None:
        """Delete a logical link (and wait for the wireguard-go serving it to exit)."""
        wg = self._wg if self._userspace(spec, link) else None
        pid = wg.pid(spec.name) if wg is not None else None
        if await kernel.link_del(link.index):
            lines.append(line)
            self._forget_dependents(spec.name)
        if wg is not None:
            await wg.stopped(spec.name, pid)

    async def _create(self, kernel: Netlink, spec: LinkSpec, args: dict[str, Any], wg_want: WireguardSpec | None
                      ) -> str:
        """Create a logical link; a wireguard link falls back to wireguard-go. Returns what was made ("" if
        the link existed)."""
        if wg_want is not None:
            validate(wg_want)  # a bad key makes no link at all
        try:
            return f"({spec.kind})" if await kernel.link_add(spec.name, spec.kind, **args) else ""
        except KernelError as e:
            if spec.kind != "wireguard" or e.errno != errno.EOPNOTSUPP or self._wg is None:
                raise
        pid = await self._wg.start(spec.name)
        return f"(wireguard, userspace: wireguard-go pid {pid})"

    async def _configure_wireguard(self, ctx: Context, spec: LinkSpec, link: KernelLink, want: WireguardSpec,
                                   drift: str, lines: list[str]) -> bool:
        """Make a wireguard device's keys, port, fwmark and peers match the spec; False while it cannot."""
        wg = self._wg
        if wg is None or not self._userspace(spec, link):
            return await self._configure_kernel_wireguard(ctx, spec, want, drift, lines)
        device = await wg.get(spec.name)
        if device is None:
            self.say(ctx, f"link {spec.name}: wireguard-go does not answer on {wg.socket(spec.name)}")
            return False
        adopted = wg.adopt(spec.name)
        if adopted is not None:
            lines.append(f"adopted wireguard-go device {spec.name} (pid {adopted})")
        changed = differences(want, device)
        if changed:
            await wg.set(spec.name, uapi_set(want, present=[p.public_key for p in device.peers]))
            lines.append(f"{drift}configured wireguard {spec.name}: {', '.join(changed)}")
        return True

    async def _configure_kernel_wireguard(self, ctx: Context, spec: LinkSpec, want: WireguardSpec, drift: str,
                                          lines: list[str]) -> bool:
        """The kernel device's part of `_configure_wireguard`, over generic netlink; False while it cannot."""
        try:
            device = await self._kernel_wg.get(spec.name)
        except UnknownFamily as e:
            self.say(ctx, f"link {spec.name}: keys and peers not applied: the kernel has no {e.name!r} generic "
                     "netlink family (its module is not loaded or not built)", logging.WARNING)
            return False
        changed = differences(want, device)
        if changed:
            await self._kernel_wg.set(want, spec.name, device)
            lines.append(f"{drift}configured wireguard {spec.name}: {', '.join(changed)}")
        return True

    def _forget_dependents(self, name: str) -> None:
        """After deleting link `name` or releasing its ports: they and links on it lose it through us, not by drift."""
        for key, spec in list(self._applied.items()):
            if isinstance(spec, LinkSpec) and name in (_master_name(spec), spec.parent_name):
                self.applied(key, None)

    async def _sync(
        self, ctx: Context, kernel: Netlink, links: list[KernelLink], spec: LinkSpec, lines: list[str]
    ) -> list[KernelLink]:
        """Apply one live spec; returns the links, dumped again when they changed."""
        name = spec.name
        drift = "drift: " if self.drifted(name, spec) else ""
        verb = "drift: restored" if drift else "set"
        link = find_link(links, name, aliases=not spec.logical)
        if spec.logical and spec.kind not in LINK_KINDS:
            raise ValueError(f"link kind {spec.kind!r} is not supported")
        wg_want = None
        if spec.logical and spec.kind == "wireguard":
            wg_want = await resolve_endpoints(spec.wireguard or WireguardSpec())
        if link is not None and spec.logical and not self._userspace(spec, link):
            if not link.kind:
                self.say(ctx, f"link {name}: a physical link has this name; not turning it into a {spec.kind}")
                return links
            why = _mismatch(spec, link, links)
            if why:
                await self._delete(kernel, spec, link, f"{drift}re-creating link {name}: {why}", lines)
                link = None
        if link is None:
            if not spec.logical:
                return links  # a physical link that is not there (yet): the next link event retries
            args = _create_args(spec, links)
            if args is None:
                self.say(ctx, f"link {name}: waiting for its parent {spec.parent_name or '(none given)'}")
                return links
            made = await self._create(kernel, spec, args, wg_want)
            if made:
                lines.append(f"{drift}created link {name} {made}")
            links = await kernel.links()
            link = find_link(links, name, aliases=False)
            if link is None:
                return links  # deleted again at once: the link event of that wakes the next pass
        if spec.logical and spec.kind == "bridge" and link.bridge is not None:
            await self._sync_bridge(kernel, link.index, link.bridge, spec, verb, lines)
        if spec.logical and spec.kind == "bond" and link.bond is not None:
            links = await self._sync_bond(kernel, links, link, link.bond, spec, verb, lines)
            link = find_link(links, name, aliases=False) or link
        up = link.up
        done = True
        master_name = _master_name(spec)
        master = find_link(links, master_name, aliases=False)
        if master_name and master is None:
            self.say(ctx, f"link {name}: waiting for master {master_name}")
            done = False
        want_master = master.index if master is not None else None
        if want_master is None and not master_name and (spec.logical or link.name in self._enslaved):
            want_master = 0
        if want_master is not None and link.master_index != want_master:
            if want_master and spec.bond_slave is not None and up:
                await kernel.link_set(link.index, up=False)  # the kernel refuses to enslave an up link
                up = False
            await kernel.link_set(link.index, master=want_master)
            if want_master:
                self._enslaved.add(link.name)
                lines.append(f"{drift}enslaved link {name} to {master_name}")
            else:
                self._enslaved.discard(link.name)
                lines.append(f"{drift}released link {name} from its master")
        if spec.mtu and link.mtu != spec.mtu:
            await kernel.link_set(link.index, mtu=spec.mtu)
            lines.append(f"{drift}{'restored' if drift else 'set'} mtu {spec.mtu} on {name} (was {link.mtu})")
        if spec.hardware_addr is not None and link.hw_addr != str(spec.hardware_addr):
            await kernel.link_set(link.index, address=str(spec.hardware_addr))
            lines.append(f"{drift}{'restored' if drift else 'set'} hardware address {spec.hardware_addr} on {name}")
        if spec.multicast is not None and link.multicast != spec.multicast:
            await kernel.link_set(link.index, multicast=spec.multicast)
            lines.append(f"{verb} link {name} multicast {_on(spec.multicast)}")
        if up != spec.up:
            await kernel.link_set(link.index, up=spec.up)
            lines.append(f"{drift}brought link {name} {'up' if spec.up else 'down'}")
        if wg_want is not None:
            done = await self._configure_wireguard(ctx, spec, link, wg_want, drift, lines) and done
        if done:
            self.applied(name, spec)
        return links

    @staticmethod
    async def _sync_bridge(kernel: Netlink, index: int, have: BridgeInfo, spec: LinkSpec, verb: str,
                           lines: list[str]) -> None:
        """Change the bridge settings that differ on bridge `index`, in place, and only those (a kernel
        without bridge VLAN filtering refuses IFLA_BR_VLAN_FILTERING whatever its value)."""
        change = bridge_changes(spec, have)
        if change:
            await kernel.link_change(index, "bridge", stp=change.get("stp"),
                                     vlan_filtering=change.get("vlan_filtering"))
            lines.append(f"{verb} bridge {spec.name} " + ", ".join(f"{key} {_on(on)}" for key, on in change.items()))

    async def _sync_bond(self, kernel: Netlink, links: list[KernelLink], link: KernelLink, have: BondOptions,
                         spec: LinkSpec, verb: str, lines: list[str]) -> list[KernelLink]:
        """Change the bond options that differ on the existing bond; returns the links, dumped again if so.

        Options the kernel changes only on a bond that is down bring it down for the change and up again;
        mode and fail_over_mac also release its ports first (the ports' specs enslave them again). A new
        mode is sent with every option of the spec valid in it; otherwise only the options that differ.
        """
        want = bond_options(spec.bond_master or BondMasterSpec(), links)
        changed = changed_bond_options(want, have)
        if not changed:
            return links
        what = ", ".join(bond_differences(want, have))
        down = link.up and not BOND_OPTIONS_DOWN.isdisjoint(changed)
        if down:
            await kernel.link_set(link.index, up=False)
        ports = [port for port in links if port.master_index == link.index]
        if ports and not BOND_OPTIONS_NO_PORTS.isdisjoint(changed):
            for port in ports:
                await kernel.link_set(port.index, master=0)
                self._enslaved.discard(port.name)
            self._forget_dependents(spec.name)
            what += f" (released {', '.join(port.name for port in ports)} for it)"
        try:
            if "mode" in changed:
                await kernel.link_change(link.index, "bond", bond=want)
            else:
                only = BondOptions(**{name: getattr(want, name) for name in changed})
                await kernel.link_change(link.index, "bond", bond=only, bond_mode=want.mode)
        finally:
            if down:
                await kernel.link_set(link.index, up=True)
        lines.append(f"{verb} bond {spec.name} {what}")
        return await kernel.links()


def _on(value: bool) -> str:
    return "on" if value else "off"
