"""The async rtnetlink client: dumps into kernel records, idempotent mutations, errors as KernelError.

It must run in the network namespace it manages (the daemon runs inside its node's namespace): the
sockets are opened in the caller's namespace. One pyroute2 socket serves concurrent requests (pyroute2
matches answers by sequence number). Links, addresses and routes, which the observers and appliers dump on
every pass, are read through a second, raw socket with the hand-written decoders of `dumps` and `batch`
(one dump at a time on it); addresses and routes with a `Memo`, so that what did not change since the
last dump is not decoded again (link messages carry counters, which always change). Rules still go
through pyroute2.

Mutations here are links and rules; addresses and routes are sent in batches on `batch.RouteSocket`.
Idempotence, as in systemd-networkd: an add answered EEXIST returns False ("already there"), a delete
answered ENOENT, ESRCH, EADDRNOTAVAIL or ENODEV returns False ("already gone"); any other refusal
raises KernelError naming the object.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
from pyroute2.iproute.linux import AsyncIPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

from networkd.kernel.batch import Memo, RouteSocket, decode_route
from networkd.kernel.closing import AsyncClosing
from networkd.kernel.codec import rule_from_msg, to_nlmsg
from networkd.kernel.dumps import ADDRESS_REQUEST, LINK_REQUEST, decode_address, decode_link, decode_link_name
from networkd.kernel.errors import NOT_FOUND, KernelError
from networkd.kernel.messages import (
    NLM_F_DUMP_INTR,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETROUTE,
    RTM_GETRULE,
    Request,
    build_dump,
    build_link_add,
    build_link_change,
    build_link_del,
    build_link_set,
    build_rule_add,
    build_rule_del,
)
from networkd.kernel.types import (
    ETH_P_8021Q,
    RTM_F_CLONED,
    BondOptions,
    KernelAddress,
    KernelLink,
    KernelRoute,
    KernelRule,
)

log = logging.getLogger("networkd.kernel")
T = TypeVar("T")

YIELD_EVERY = 64
"""Messages of a dump decoded between two yields to the event loop: pyroute2 decodes a dump without ever
suspending when the answer is already queued, and a dump of 10,000 routes (~1 s) held up every other
controller, such as an applier repairing a deleted address, for all of that time."""
ROUTE_REQUEST = bytes(12)  # struct rtmsg of zeros: every family, table and protocol
DUMP_ATTEMPTS = 5  # a dump the kernel flags NLM_F_DUMP_INTR (changed while dumping) is retried


class Netlink(AsyncClosing):
    """An rtnetlink socket (pyroute2.AsyncIPRoute): `await Netlink.open()` or `async with await Netlink.open()`."""

    def __init__(self, ipr: AsyncIPRoute, raw: RouteSocket) -> None:
        """Wrap an open AsyncIPRoute and a raw socket for dumps; use `open()`."""
        self._ipr = ipr
        self._raw = raw
        self._raw_lock = anyio.Lock()
        self._address_memo: Memo[KernelAddress] = Memo()
        self._route_memo: Memo[KernelRoute] = Memo()

    @classmethod
    async def open(cls) -> Netlink:
        """Open the sockets in the current network namespace (extended acks on, for kernel messages)."""
        raw = await RouteSocket.open()
        ipr = AsyncIPRoute(ext_ack=True)
        try:
            await ipr.setup_endpoint()
        except OSError as e:
            ipr.close()
            await raw.close()
            raise KernelError(e.errno or errno.EIO, "open", "rtnetlink socket") from e
        return cls(ipr, raw)

    async def close(self) -> None:
        """Close the sockets; idempotent."""
        self._ipr.close()
        await self._raw.close()

    # dumps

    async def _dump(self, msg_type: int) -> list[Any]:
        request = build_dump(msg_type)
        for _ in range(DUMP_ATTEMPTS):
            try:
                answer = await self._ipr.nlm_request(to_nlmsg(request), request.type, request.flags)
                messages = []
                async for msg in answer:
                    messages.append(msg)
                    if len(messages) % YIELD_EVERY == 0:
                        await anyio.lowlevel.checkpoint()
            except NetlinkError as e:
                raise KernelError(e.code, request.op, request.obj, _detail(e)) from e
            except OSError as e:
                raise KernelError(e.errno or errno.EIO, request.op, request.obj) from e
            if not any(msg["header"]["flags"] & NLM_F_DUMP_INTR for msg in messages):
                return messages
            log.debug("dump of %s interrupted by a change, retrying", request.obj)
        raise KernelError(errno.EINTR, request.op, request.obj, f"interrupted {DUMP_ATTEMPTS} times by changes")

    async def _raw_dump(
        self, msg_type: int, body: bytes, decode: Callable[[memoryview], T | None], what: str, memo: Memo[T] | None
    ) -> list[T]:
        async with self._raw_lock:
            return await self._raw.dump(msg_type, body, decode, what, memo=memo)

    async def _names(self) -> dict[int, str]:
        return dict(await self._raw_dump(RTM_GETLINK, LINK_REQUEST, decode_link_name, "link names", None))

    async def links(self) -> list[KernelLink]:
        """Every link in the namespace."""
        return await self._raw_dump(RTM_GETLINK, LINK_REQUEST, decode_link, "links", None)

    async def addresses(self) -> list[KernelAddress]:
        """Every IPv4 and IPv6 address, with its link name."""
        names = await self._names()
        self._address_memo.rekey(names)
        return await self._raw_dump(
            RTM_GETADDR, ADDRESS_REQUEST, lambda msg: decode_address(msg, names), "addresses", self._address_memo
        )

    async def routes(self, table: int | None = None) -> list[KernelRoute]:
        """IPv4 and IPv6 routes of `table` (None: all tables), without cached/cloned entries."""
        names = await self._names()
        self._route_memo.rekey(names)
        found = await self._raw_dump(
            RTM_GETROUTE, ROUTE_REQUEST, lambda msg: decode_route(msg, names=names), "routes", self._route_memo
        )
        return [r for r in found if not r.flags & RTM_F_CLONED and (table is None or r.table == table)]

    async def rules(self) -> list[KernelRule]:
        """Every IPv4 and IPv6 routing rule."""
        found = (rule_from_msg(msg) for msg in await self._dump(RTM_GETRULE))
        return [rule for rule in found if rule is not None]

    # mutations

    async def _send(self, request: Request) -> None:
        log.debug("%s %s", request.op, request.obj)
        try:
            async for _ in await self._ipr.nlm_request(to_nlmsg(request), request.type, request.flags):
                pass
        except NetlinkError as e:
            raise KernelError(e.code, request.op, request.obj, _detail(e)) from e
        except OSError as e:
            raise KernelError(e.errno or errno.EIO, request.op, request.obj) from e

    async def _add(self, request: Request) -> bool:
        try:
            await self._send(request)
        except KernelError as e:
            if e.errno == errno.EEXIST:
                log.debug("%s %s: already there", request.op, request.obj)
                return False
            raise
        return True

    async def _delete(self, request: Request) -> bool:
        try:
            await self._send(request)
        except KernelError as e:
            if e.errno in NOT_FOUND:
                log.debug("%s %s: already gone", request.op, request.obj)
                return False
            raise
        return True

    async def link_add(
        self,
        name: str,
        kind: str,
        *,
        peer: str | None = None,
        parent: int | None = None,
        vlan_id: int | None = None,
        vlan_protocol: int = ETH_P_8021Q,
        stp: bool | None = None,
        vlan_filtering: bool | None = None,
        bond: BondOptions | None = None,
        macvlan_mode: int | None = None,
    ) -> bool:
        """Create link `name` of `kind`; False if a link of that name exists. See `build_link_add`."""
        return await self._add(
            build_link_add(
                name,
                kind,
                peer=peer,
                parent=parent,
                vlan_id=vlan_id,
                vlan_protocol=vlan_protocol,
                stp=stp,
                vlan_filtering=vlan_filtering,
                bond=bond,
                macvlan_mode=macvlan_mode,
            )
        )

    async def link_set(
        self,
        index: int,
        *,
        up: bool | None = None,
        multicast: bool | None = None,
        mtu: int | None = None,
        address: str | None = None,
        master: int | None = None,
        alias: str | None = None,
    ) -> None:
        """Change what is not None on link `index`; `master=0` detaches it, `alias=""` clears the alias."""
        await self._send(
            build_link_set(index, up=up, multicast=multicast, mtu=mtu, address=address, master=master, alias=alias)
        )

    async def link_change(
        self,
        index: int,
        kind: str,
        *,
        stp: bool | None = None,
        vlan_filtering: bool | None = None,
        bond: BondOptions | None = None,
        bond_mode: int | None = None,
    ) -> None:
        """Change a bridge's or bond's settings in place; see `build_link_change`."""
        await self._send(
            build_link_change(index, kind, stp=stp, vlan_filtering=vlan_filtering, bond=bond, bond_mode=bond_mode)
        )

    async def link_del(self, index: int) -> bool:
        """Delete link `index` (a veth takes its peer along); False if there is no such link."""
        return await self._delete(build_link_del(index))

    async def rule_add(self, rule: KernelRule) -> bool:
        """Add `rule`; False if an identical rule exists."""
        return await self._add(build_rule_add(rule))

    async def rule_del(self, rule: KernelRule) -> bool:
        """Delete the rule matching `rule`; False if there is none."""
        return await self._delete(build_rule_del(rule))


def _detail(error: NetlinkError) -> str:
    """The kernel's extended-ack message (pyroute2 puts it, or strerror, in args[1])."""
    return str(error.args[1]) if len(error.args) > 1 else ""
