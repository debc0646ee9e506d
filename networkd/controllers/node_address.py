"""NodeAddressController: the node's address lists (default, current, routed, accumulative, and filtered ones)."""

from __future__ import annotations

import bisect
import functools
import ipaddress
from collections.abc import Callable, Iterable, Sequence

from networkd.resources.derived import NODE_ADDRESS_SORT_ALGORITHM_ID, NodeAddressSortAlgorithm
from networkd.resources.enums import AddressSortAlgorithm, OperationalState, Scope
from networkd.resources.ids import (
    NODE_ADDRESS_ACCUMULATIVE_ID,
    NODE_ADDRESS_CURRENT_ID,
    NODE_ADDRESS_DEFAULT_ID,
    NODE_ADDRESS_ROUTED_ID,
    filtered_node_address_id,
)
from networkd.resources.link import LinkStatus
from networkd.resources.network import NETWORK, AddressStatus, NodeAddress, NodeAddressFilter
from networkd.resources.values import IPInterface, IPPrefix
from networkd.runtime import Context, Controller, Input, Output

ADDRESS_STATUS_OWNER = "network.AddressStatusController"
"""Only addresses the kernel has (not platform external IPs) may become the default address."""

EXTERNAL_LINK = "external"
"""Link name of the platform's external IPs, which count as up."""

HOST_DNS_V6 = ipaddress.IPv6Address("fd54:616c:6f73::204f:5320:444e:531")

Compare = Callable[[IPInterface, IPInterface], int]


def _cmp(a: int, b: int) -> int:
    return (a > b) - (a < b)


def _addr_key(a: IPInterface) -> tuple[int, int]:
    """Go's netip.Addr.Compare order: IPv4 before IPv6, then numerically."""
    return (a.version, int(a.ip))


def compare_v1(a: IPInterface, b: IPInterface) -> int:
    """The legacy order: by address, then by prefix length."""
    ka, kb = _addr_key(a), _addr_key(b)
    if ka != kb:
        return -1 if ka < kb else 1
    return _cmp(a.network.prefixlen, b.network.prefixlen)


def compare_v2(a: IPInterface, b: IPInterface) -> int:
    """IPv4 first; the same address with the longer prefix first; a prefix after the ones it contains."""
    if a.version != b.version:
        return _cmp(a.version, b.version)
    if a.ip == b.ip:
        return -_cmp(a.network.prefixlen, b.network.prefixlen)
    a_contains_b = b.ip in a.network
    b_contains_a = a.ip in b.network
    if a_contains_b and not b_contains_a:
        return 1
    if b_contains_a and not a_contains_b:
        return -1
    return _cmp(int(a.ip), int(b.ip))


COMPARE: dict[AddressSortAlgorithm, Compare] = {
    AddressSortAlgorithm.V1: compare_v1,
    AddressSortAlgorithm.V2: compare_v2,
}


def deduplicate(addrs: Sequence[IPInterface]) -> list[IPInterface]:
    """Drop consecutive repeats of a sorted list."""
    out: list[IPInterface] = []
    for a in addrs:
        if not out or out[-1] != a:
            out.append(a)
    return out


def filter_ips(
    addrs: Iterable[IPInterface], include: Sequence[IPPrefix], exclude: Sequence[IPPrefix]
) -> list[IPInterface]:
    """Keep addresses inside one of `include` (if any given) and outside every `exclude` subnet."""
    return [a for a in addrs
            if (not include or any(a.ip in s for s in include)) and not any(a.ip in s for s in exclude)]


def accumulate(have: Sequence[IPInterface], new: Iterable[IPInterface], compare: Compare) -> tuple[IPInterface, ...]:
    """Insert each new address into the sorted `have` by binary search, skipping ones already there."""
    out = list(have)
    key = functools.cmp_to_key(compare)
    for a in new:
        pos = bisect.bisect_left(out, key(a), key=key)
        if pos < len(out) and compare(out[pos], a) == 0:
            continue
        out.insert(pos, a)
    return tuple(out)


def _sidero_link(a: IPInterface) -> bool:
    """A SideroLink ULA (fdXX:XXXX:XXXX:XX03::/64): point-to-point, never routed."""
    raw = a.ip.packed
    return a.version == 6 and raw[0] == 0xFD and raw[7] == 0x03


def _candidate(st: AddressStatus) -> bool:
    """Global or site scope, and not loopback, multicast, link-local or the host DNS address."""
    ip = st.address.ip
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # Go's netip unmaps before these checks
    return (st.scope < Scope.LINK and not ip.is_loopback and not ip.is_multicast and not ip.is_link_local
            and ip != HOST_DNS_V6)


def _up(link: LinkStatus) -> bool:
    """Operationally up (or unknown), and with carrier if physical."""
    return (link.operational_state in (OperationalState.UP, OperationalState.UNKNOWN)
            and (not link.physical() or link.link_state))


class NodeAddressController(Controller):
    """Computes the node's address lists from AddressStatus and LinkStatus, as Talos does.

    Waits for the sort algorithm. `default` is sticky while it stays in `current` and the algorithm is
    unchanged; `accumulative` lists only ever grow (and are re-sorted when the algorithm changes).
    """

    name = "network.NodeAddressController"

    def inputs(self) -> Iterable[Input]:
        return [
            Input(NETWORK, AddressStatus.TYPE),
            Input(NETWORK, LinkStatus.TYPE),
            Input(NETWORK, NodeAddressFilter.TYPE),
            Input(NETWORK, NodeAddressSortAlgorithm.TYPE, id=NODE_ADDRESS_SORT_ALGORITHM_ID),
        ]

    def outputs(self) -> Iterable[Output]:
        return [Output(NodeAddress.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            algo_res = ctx.get(NETWORK, NodeAddressSortAlgorithm.TYPE, NODE_ADDRESS_SORT_ALGORITHM_ID)
            if algo_res is None:
                continue
            assert isinstance(algo_res.spec, NodeAddressSortAlgorithm)
            self._reconcile(ctx, algo_res.spec.algorithm)

    def _reconcile(self, ctx: Context, algo: AddressSortAlgorithm) -> None:
        compare = COMPARE[algo]
        order = functools.cmp_to_key(compare)
        links_up = set()
        for res in ctx.list(NETWORK, LinkStatus.TYPE):
            assert isinstance(res.spec, LinkStatus)
            if _up(res.spec):
                links_up.add(res.spec.index)

        found: list[tuple[AddressStatus, str]] = []
        for res in ctx.list(NETWORK, AddressStatus.TYPE):
            assert isinstance(res.spec, AddressStatus)
            if _candidate(res.spec):
                found.append((res.spec, res.metadata.owner))
        found.sort(key=lambda f: (f[0].link_name, order(f[0].address)))  # by link, then by address

        default: IPInterface | None = None
        current: list[IPInterface] = []
        routed: list[IPInterface] = []
        accumulative: list[IPInterface] = []
        for st, owner in found:
            if default is None and owner == ADDRESS_STATUS_OWNER:
                default = st.address
            link_up = st.link_index in links_up
            external = st.link_name == EXTERNAL_LINK
            if link_up or external:
                current.append(st.address)
            if link_up and not external and not _sidero_link(st.address):
                routed.append(st.address)
            accumulative.append(st.address)
        current = deduplicate(sorted(current, key=order))
        routed = deduplicate(sorted(routed, key=order))

        keep: list[str] = []
        if default is not None:
            cur = ctx.get(NETWORK, NodeAddress.TYPE, NODE_ADDRESS_DEFAULT_ID)
            sticky = (cur is not None and isinstance(cur.spec, NodeAddress) and cur.spec.sort_algorithm == algo
                      and cur.spec.addresses and cur.spec.addresses[0] in current)
            if not sticky:
                ctx.put(NETWORK, NODE_ADDRESS_DEFAULT_ID, NodeAddress(addresses=(default,), sort_algorithm=algo))
            keep.append(NODE_ADDRESS_DEFAULT_ID)

        lists = {NODE_ADDRESS_CURRENT_ID: current, NODE_ADDRESS_ROUTED_ID: routed}
        grown = {NODE_ADDRESS_ACCUMULATIVE_ID: accumulative}
        for res in ctx.list(NETWORK, NodeAddressFilter.TYPE):
            f = res.spec
            assert isinstance(f, NodeAddressFilter)
            for kind, addrs in ((NODE_ADDRESS_CURRENT_ID, current), (NODE_ADDRESS_ROUTED_ID, routed)):
                lists[filtered_node_address_id(kind, res.metadata.id)] = filter_ips(
                    addrs, f.include_subnets, f.exclude_subnets)
            grown[filtered_node_address_id(NODE_ADDRESS_ACCUMULATIVE_ID, res.metadata.id)] = filter_ips(
                accumulative, f.include_subnets, f.exclude_subnets)

        for id, addrs in lists.items():
            ctx.put(NETWORK, id, NodeAddress(addresses=tuple(addrs), sort_algorithm=algo))
        for id, addrs in grown.items():
            cur = ctx.get(NETWORK, NodeAddress.TYPE, id)
            have: Sequence[IPInterface] = ()
            if cur is not None and isinstance(cur.spec, NodeAddress):
                have = cur.spec.addresses
                if cur.spec.sort_algorithm != algo:  # re-sort first, or the binary search would add duplicates
                    have = sorted(have, key=order)
            ctx.put(NETWORK, id, NodeAddress(addresses=accumulate(have, addrs, compare), sort_algorithm=algo))
        ctx.retire(NETWORK, NodeAddress.TYPE, [*keep, *lists, *grown])

