"""AddressSpecController: adds and removes addresses, tagged IFA_PROTO 78, so that links carry the AddressSpecs."""

from __future__ import annotations

import contextlib
from typing import cast

from networkd.controllers.appliers import Applier, log_changes
from networkd.kernel.errors import KernelError
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import IFA_F_PERMANENT, RTPROT_NETWORKD, IPInterface, KernelAddress
from networkd.resources.enums import AddressFlags
from networkd.resources.network import AddressSpec
from networkd.runtime import Context

Key = tuple[int, IPInterface]


def matches(spec: AddressSpec, address: KernelAddress) -> bool:
    """Whether a kernel address already is what the spec asks, judged on the managed fields only.

    Managed flags (permanent, nodad, homeaddress, mngtmpaddr, noprefixroute, mcautojoin) and the prefix
    route metric; the scope for IPv4 only (the kernel derives an IPv6 address's scope from the address).
    Addresses are always installed without lifetimes, which the kernel reports as permanent.
    """
    want = int(spec.flags.managed()) | IFA_F_PERMANENT
    if int(AddressFlags.of(address.flags).managed()) != want or address.priority != spec.priority:
        return False
    return address.prefix.version == 6 or address.scope == int(spec.scope)


class AddressSpecController(Applier[Netlink]):
    """Makes link addresses match the AddressSpecs; only addresses tagged with our protocol are ever changed.

    An address a spec wants is added with IFA_PROTO 78 (and nodad, noprefixroute, ... as the spec's
    flags say, its metric as IFA_RT_PRIORITY, the IPv4 broadcast computed). One of ours that differs in a
    managed field is removed and added again. An address of the same key without our tag (added by
    `ip addr add`, or the kernel's own like 127.0.0.1 on lo) is left as it is, and so is every address
    without our tag that no spec names. Needs a kernel that keeps IFA_PROTO (6.1 and later).
    """

    name = "network.AddressSpecController"
    spec_type = AddressSpec.TYPE
    kinds = ("link", "address")

    async def open(self, stack: contextlib.AsyncExitStack) -> Netlink:
        return await stack.enter_async_context(await Netlink.open())

    async def reconcile(self, ctx: Context, kernel: Netlink, *, sweep: bool) -> list[KernelError]:
        live, dying = self.specs(ctx)
        index = {}
        for link in await kernel.links():
            index.update(dict.fromkeys(link.altnames, link.index))
            index[link.name] = link.index
        have: dict[Key, KernelAddress] = {a.key: a for a in await kernel.addresses()}
        want: dict[Key, AddressSpec] = {}
        for res in live:
            spec = cast(AddressSpec, res.spec)
            if spec.link_name in index:
                want[(index[spec.link_name], spec.address)] = spec
        dying_keys = {}
        for res in dying:
            spec = cast(AddressSpec, res.spec)
            if spec.link_name in index:
                dying_keys[(index[spec.link_name], spec.address)] = res
            else:
                self.release(ctx, res)  # the link is gone, and its addresses with it
        errors: list[KernelError] = []
        lines: list[str] = []

        for key, address in have.items():  # first the removals, so that the additions find their keys free
            if address.protocol != RTPROT_NETWORKD or key in want or not (sweep or key in dying_keys):
                continue
            try:
                if await kernel.address_del(address.index, address.prefix):
                    lines.append(f"removed address {address.prefix} from {address.link_name}")
            except KernelError as e:
                errors.append(e)
                dying_keys.pop(key, None)  # keep the finalizer: the next pass tries again
            self.applied(key, None)
        for res in dying_keys.values():
            self.release(ctx, res)

        for key, spec in want.items():
            current = have.get(key)
            where = f"{spec.address} on {spec.link_name}"
            if current is not None and current.protocol != RTPROT_NETWORKD:
                self.say(ctx, f"address {where} exists without our protocol tag (protocol {current.protocol}); "
                         "leaving it as it is")
                continue
            drift = "drift: " if self.drifted(key, spec) else ""
            try:
                if current is not None:
                    if matches(spec, current):
                        self.applied(key, spec)
                        continue
                    await kernel.address_del(*key)
                    lines.append(f"{drift}replacing address {where}: flags {AddressFlags.of(current.flags)} "
                                 f"metric {current.priority}")
                added = await kernel.address_add(
                    key[0], spec.address, flags=int(spec.flags.managed()), scope=int(spec.scope),
                    priority=spec.priority, protocol=RTPROT_NETWORKD,
                )
            except KernelError as e:
                errors.append(e)
                continue
            if added:
                lines.append(f"{drift}{'restored' if drift else 'added'} address {where}")
                self.applied(key, spec)
            else:
                self.say(ctx, f"address {where}: the kernel has it in another form (EEXIST); leaving it")
        log_changes(ctx, "address", lines)
        return errors
