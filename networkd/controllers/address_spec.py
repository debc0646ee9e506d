"""AddressSpecController: adds and removes addresses, tagged IFA_PROTO 78, so that links carry the AddressSpecs."""

from __future__ import annotations

import contextlib
import errno
from typing import cast

from networkd.controllers.appliers import Applier, log_changes
from networkd.kernel.batch import AddressChange, RouteSocket
from networkd.kernel.errors import NOT_FOUND, KernelError
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


class AddressSpecController(Applier[tuple[Netlink, RouteSocket]]):
    """Makes link addresses match the AddressSpecs; only addresses tagged with our protocol are ever changed.

    An address a spec wants is added with IFA_PROTO 78 (and nodad, noprefixroute, ... as the spec's
    flags say, its metric as IFA_RT_PRIORITY, the IPv4 broadcast computed). One of ours that differs in a
    managed field is removed and added again. An address of the same key without our tag (added by
    `ip addr add`, or the kernel's own like 127.0.0.1 on lo) is left as it is, and so is every address
    without our tag that no spec names. Needs a kernel that keeps IFA_PROTO (6.1 and later). Changes go
    to the kernel in batches (`RouteSocket.apply_addresses`): first every removal, then every addition.
    """

    name = "network.AddressSpecController"
    spec_type = AddressSpec.TYPE
    kinds = ("link", "address")

    async def open(self, stack: contextlib.AsyncExitStack) -> tuple[Netlink, RouteSocket]:
        netlink = await stack.enter_async_context(await Netlink.open())
        return netlink, await stack.enter_async_context(await RouteSocket.open())

    async def reconcile(self, ctx: Context, handles: tuple[Netlink, RouteSocket], *, sweep: bool) -> list[KernelError]:
        kernel, batches = handles
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

        # First the removals, so that the additions find their keys free. Each phase goes out in batches
        # (answers matched by sequence number): one request at a time, every round trip would wait for
        # whatever else the event loop runs meanwhile (with 10,000 routes, the route passes each address
        # change sets off), and 200 addresses took 45 s instead of 0.1 s.
        removals = [(key, address) for key, address in have.items()
                    if address.protocol == RTPROT_NETWORKD and key not in want and (sweep or key in dying_keys)]
        gone = await batches.apply_addresses([AddressChange("address del", address.index, address.prefix)
                                              for _, address in removals])
        for (key, address), refusal in zip(removals, gone, strict=True):
            if refusal is not None and refusal.errno not in NOT_FOUND:
                errors.append(refusal)
                dying_keys.pop(key, None)  # keep the finalizer: the next pass tries again
            elif refusal is None:
                lines.append(f"removed address {address.prefix} from {address.link_name}")
            self.applied(key, None)
        for res in dying_keys.values():
            self.release(ctx, res)

        changes: list[tuple[Key, AddressSpec, KernelAddress | None]] = []
        for key, spec in want.items():
            current = have.get(key)
            if current is not None and current.protocol != RTPROT_NETWORKD:
                self.say(ctx, f"address {spec.address} on {spec.link_name} exists without our protocol tag "
                         f"(protocol {current.protocol}); leaving it as it is")
            elif current is not None and matches(spec, current):
                self.applied(key, spec)
            else:
                changes.append((key, spec, current))
        done = await self._change(batches, changes)
        for (key, spec, current), result in zip(changes, done, strict=True):
            where = f"{spec.address} on {spec.link_name}"
            drift = "drift: " if self.drifted(key, spec) else ""
            if isinstance(result, KernelError):
                errors.append(result)
                continue
            replaced, added = result
            if replaced and current is not None:
                lines.append(f"{drift}replacing address {where}: flags {AddressFlags.of(current.flags)} "
                             f"metric {current.priority}")
            if isinstance(added, KernelError):
                errors.append(added)
            elif added:
                lines.append(f"{drift}{'restored' if drift else 'added'} address {where}")
                self.applied(key, spec)
            else:
                self.say(ctx, f"address {where}: the kernel has it in another form (EEXIST); leaving it")
        log_changes(ctx, "address", lines)
        return errors

    @staticmethod
    async def _change(batches: RouteSocket, changes: list[tuple[Key, AddressSpec, KernelAddress | None]]
                      ) -> list[tuple[bool, bool | KernelError] | KernelError]:
        """Remove each change's current address (if any), then add the spec's: per change (removed, added or
        the add's refusal), or the refusal of a removal (then nothing was changed)."""
        replaced = [i for i, (_, _, current) in enumerate(changes) if current is not None]
        removed = await batches.apply_addresses([AddressChange("address del", *changes[i][0]) for i in replaced])
        results: list[tuple[bool, bool | KernelError] | KernelError] = [(False, False)] * len(changes)
        for i, refusal in zip(replaced, removed, strict=True):
            results[i] = refusal if refusal is not None and refusal.errno not in NOT_FOUND else (True, False)
        adding = [i for i, result in enumerate(results) if not isinstance(result, KernelError)]
        added = await batches.apply_addresses([_addition(*changes[i][:2]) for i in adding])
        for i, refusal in zip(adding, added, strict=True):
            outcome = True if refusal is None else False if refusal.errno == errno.EEXIST else refusal
            results[i] = (changes[i][2] is not None, outcome)
        return results


def _addition(key: Key, spec: AddressSpec) -> AddressChange:
    """The add of a spec's address on link `key[0]`, tagged with our protocol."""
    return AddressChange("address add", key[0], spec.address, flags=int(spec.flags.managed()),
                         scope=int(spec.scope), priority=spec.priority, protocol=RTPROT_NETWORKD)
