"""AddressStatusController: every IPv4 and IPv6 address of every link as an AddressStatus (`link/prefix`)."""

from __future__ import annotations

from networkd.controllers.observers import KernelObserver
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import KernelAddress
from networkd.resources.base import Spec
from networkd.resources.enums import AddressFlags, Family, Scope
from networkd.resources.ids import address_id
from networkd.resources.network import AddressStatus
from networkd.runtime import Context, OutputKind


def address_status(address: KernelAddress) -> tuple[str, AddressStatus] | None:
    """The id and status of a dumped address; None when its link was gone from the link dump.

    The address is the local one (IFA_LOCAL, else IFA_ADDRESS): the same for every address but a
    point-to-point one, where Talos shows the peer (IFA_ADDRESS). Flags are the full IFA_FLAGS, the
    kernel-owned ones (tentative, dadfailed, ...) included.
    """
    if not address.link_name:
        return None  # its link went away between the dumps; the address change wakes us again
    status = AddressStatus(
        address=address.prefix,
        local=address.local,
        broadcast=address.broadcast,
        anycast=address.anycast,
        multicast=address.multicast,
        link_index=address.index,
        link_name=address.link_name,
        family=Family.of(address.family),
        scope=Scope.of(address.scope),
        flags=AddressFlags.of(address.flags),
        priority=address.priority,
    )
    return address_id(address.link_name, address.prefix), status


class AddressStatusController(KernelObserver):
    """Mirrors `ip address`; link renames arrive as link changes, so links are watched too.

    The output is shared, as in Talos: the platform's external IPs are AddressStatuses too.
    """

    name = "network.AddressStatusController"
    kinds = ("address", "link")
    status = AddressStatus.TYPE
    output_kind = OutputKind.SHARED

    async def observe(self, ctx: Context, nl: Netlink) -> dict[str, Spec]:
        observed: dict[str, Spec] = {}
        for address in await nl.addresses():
            found = address_status(address)
            if found is not None:
                observed[found[0]] = found[1]
        return observed
