"""The route and address path: hand-written RTM_NEWROUTE/RTM_DELROUTE and RTM_NEWADDR/RTM_DELADDR encoders
and a socket that sends them in batches.

pyroute2 spends ~270 µs of Python per route (field-notes.md: 10,000 adds in 2.7 s against 0.13 s for
`ip -batch`). Here a KernelRoute or an AddressChange is packed with `struct` straight into the bytes the
kernel reads (tests/kernel/test_batch.py checks them against pyroute2's encoding of the same messages,
described in tests/kernel/reference_messages.py), and hundreds of requests go in one sendmsg. rtnetlink
handles the messages of one sendmsg one after the other, in the sender's context. It answers a request that
fails with an error carrying its sequence number whatever its flags, and one that succeeds only when it asks
for an ACK (NLM_F_ACK). So only the last request of a sendmsg asks: once its answer is read, every failure
before it has been read too (10,000 ACK datagrams fewer to receive for 10,000 routes), and each request
still gets its own result.

`RouteSocket.routes()` dumps only the routes of one protocol: the socket turns on
NETLINK_GET_STRICT_CHK, so the kernel filters the dump by rtm_protocol itself, and the decoder also
skips other protocols (for a kernel that would ignore the filter). Other protocols' routes are never
decoded, which keeps a pass over our own 10,000 routes cheap.

Like `netlink.Netlink`, the socket works in the network namespace of the process that opens it.
"""

from __future__ import annotations

import errno
import functools
import socket
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import ClassVar, Generic, Literal, Self, TypeVar, cast

import anyio
import anyio.lowlevel

from networkd.kernel.closing import SocketHolder
from networkd.kernel.errors import KernelError
from networkd.kernel.messages import (
    CREATE,
    NLM_F_ACK,
    NLM_F_DUMP,
    NLM_F_DUMP_INTR,
    NLM_F_REQUEST,
    REPLACE,
    REQ,
    ROUTE_TYPES_WITHOUT_NEXTHOP,
    RT_TABLE_COMPAT,
    RTM_DELADDR,
    RTM_DELROUTE,
    RTM_GETROUTE,
    RTM_NEWADDR,
    RTM_NEWROUTE,
)
from networkd.kernel.types import (
    AF_INET,
    AF_INET6,
    RT_SCOPE_NOWHERE,
    RTPROT_NETWORKD,
    IPAddress,
    IPInterface,
    KernelRoute,
    NextHop,
)

T = TypeVar("T")
Op = Literal["route add", "route replace", "route del"]
ADD: Op = "route add"  # NLM_F_CREATE|NLM_F_EXCL: EEXIST when a route holds the key
REPLACE_OP: Op = "route replace"
DELETE: Op = "route del"

BATCH = 256  # requests per sendmsg (about 20 KiB of routes; even all their errors fit the receive buffer easily)
RCVBUF = 4 << 20  # bytes asked for the receive buffer (dump parts, ACKs and errors)
ANSWER_TIMEOUT = 5.0  # seconds to wait for an answer not there yet (a batch's are, once sendmsg returns)
DUMP_ATTEMPTS = 5  # a dump flagged NLM_F_DUMP_INTR (routes changed while dumping) is retried

# netlink.h / rtnetlink.h numbers.
NLMSG_ERROR, NLMSG_DONE = 2, 3
SOL_NETLINK = 270
NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK = 10, 11, 12
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
SO_RCVBUFFORCE = 33
RTA_DST, RTA_SRC, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC = 1, 2, 4, 5, 6, 7
RTA_METRICS, RTA_MULTIPATH, RTA_TABLE, RTA_VIA = 8, 9, 15, 18
RTAX_MTU = 2
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS, IFA_RT_PRIORITY, IFA_PROTO = 1, 2, 4, 8, 9, 11
NLA_TYPE_MASK = 0x3FFF  # strips NLA_F_NESTED / NLA_F_NET_BYTEORDER

_FLAGS: dict[Op, tuple[int, int]] = {
    ADD: (RTM_NEWROUTE, CREATE),
    REPLACE_OP: (RTM_NEWROUTE, REPLACE),
    DELETE: (RTM_DELROUTE, REQ),
}

_HDR = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, seq, pid
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_RTA = struct.Struct("=HH")  # rtattr: length, type
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_U32 = struct.Struct("=HHI")  # a u32 attribute, whole
_NEXTHOP = struct.Struct("=HBBi")  # rtnexthop: length, flags, hops (weight - 1), ifindex
_ERR = struct.Struct("=i")
_ADDR_LEN = {AF_INET: 4, AF_INET6: 16}
_NO_NAMES: Mapping[int, str] = {}


def _u32(code: int, value: int) -> bytes:
    return _U32.pack(8, code, value)


def _attr(code: int, payload: bytes) -> bytes:
    size = _RTA.size + len(payload)
    return _RTA.pack(size, code) + payload + b"\0" * (-size & 3)


def _address_attr(code: int, packed: bytes) -> bytes:
    """`_attr` of a packed address (4 or 16 bytes: never padded)."""
    return _RTA.pack(_RTA.size + len(packed), code) + packed


def _gateway(version: int, gateway: IPAddress) -> bytes:
    if gateway.version == version:
        return _address_attr(RTA_GATEWAY, gateway.packed)
    family = AF_INET if gateway.version == 4 else AF_INET6
    return _attr(RTA_VIA, struct.pack("=H", family) + gateway.packed)


def _obj(route: KernelRoute) -> str:
    via = f" via {route.gateway}" if route.gateway is not None else ""
    return f"{route.dst}{via} table {route.table} metric {route.priority}"


def encode_route(route: KernelRoute, op: Op, seq: int, *, ack: bool = True) -> bytes:
    """One RTM_NEWROUTE (add or replace) or RTM_DELROUTE for `route`, with sequence number `seq`; without
    NLM_F_ACK if not `ack` (the kernel then answers only a failure).

    ValueError for a route the kernel would refuse: a blackhole, unreachable, prohibit or throw route with a
    gateway, oif or nexthops, nexthops together with a gateway or oif, a nexthop weight outside 1-256.
    """
    msg_type, flags = _FLAGS[op]
    dst = route.dst
    version = dst.version
    delete = op == DELETE
    gateway = route.gateway
    if not delete:
        if route.type in ROUTE_TYPES_WITHOUT_NEXTHOP and (gateway or route.oif or route.nexthops):
            raise ValueError(f"route {dst} of type {route.type} cannot have a gateway, oif or nexthops")
        if route.nexthops and (gateway or route.oif):
            raise ValueError(f"route {dst}: give either nexthops or gateway/oif, not both")
    table = route.table
    body = [
        _RTMSG.pack(
            AF_INET if version == 4 else AF_INET6,
            dst.prefixlen,
            route.src.prefixlen if route.src is not None else 0,
            route.tos,
            table if table < 256 else RT_TABLE_COMPAT,
            route.protocol,
            RT_SCOPE_NOWHERE if delete else route.scope,
            route.type,
            route.flags,
        ),
        _U32.pack(8, RTA_TABLE, table),
    ]
    if dst.prefixlen:
        body.append(_address_attr(RTA_DST, dst.network_address.packed))
    if route.src is not None:
        body.append(_address_attr(RTA_SRC, route.src.network_address.packed))
    if route.priority:
        body.append(_U32.pack(8, RTA_PRIORITY, route.priority))
    if not delete:
        if route.oif:
            body.append(_U32.pack(8, RTA_OIF, route.oif))
        if gateway is not None:
            body.append(_gateway(version, gateway))
        if route.pref_src is not None:
            body.append(_address_attr(RTA_PREFSRC, route.pref_src.packed))
        if route.mtu:
            body.append(_attr(RTA_METRICS, _u32(RTAX_MTU, route.mtu)))
        if route.nexthops:
            body.append(_attr(RTA_MULTIPATH, b"".join(_nexthop(version, hop) for hop in route.nexthops)))
    payload = b"".join(body)
    return _HDR.pack(_HDR.size + len(payload), msg_type, flags if ack else flags & ~NLM_F_ACK, seq, 0) + payload


AddressOp = Literal["address add", "address del"]


@dataclass(frozen=True, slots=True)
class AddressChange:
    """An address to add (NLM_F_CREATE|NLM_F_EXCL: EEXIST when the kernel has it) or delete on link `index`."""

    op: AddressOp
    index: int
    prefix: IPInterface
    flags: int = 0  # IFA_F_*
    scope: int = 0
    priority: int = 0  # metric of the prefix route (IFA_RT_PRIORITY)
    protocol: int = RTPROT_NETWORKD  # IFA_PROTO


def encode_address(change: AddressChange, seq: int, ack: bool = True) -> bytes:
    """The RTM_NEWADDR or RTM_DELADDR of `change` (IPv4 broadcast computed below /31, all flags in IFA_FLAGS,
    their low 8 in the header); without NLM_F_ACK if not `ack`."""
    prefix = change.prefix
    ip = prefix.ip
    packed = ip.packed
    network = prefix.network
    add = change.op == "address add"
    head = _IFADDRMSG.pack(AF_INET if ip.version == 4 else AF_INET6, network.prefixlen,
                           change.flags & 0xFF if add else 0, change.scope if add else 0, change.index)
    parts = [b"", head, _attr(IFA_LOCAL, packed), _attr(IFA_ADDRESS, packed)]
    if add:
        if ip.version == 4 and network.prefixlen < 31:
            parts.append(_attr(IFA_BROADCAST, network.broadcast_address.packed))
        parts.append(_u32(IFA_FLAGS, change.flags))
        if change.priority:
            parts.append(_u32(IFA_RT_PRIORITY, change.priority))
        if change.protocol:
            parts.append(_attr(IFA_PROTO, bytes((change.protocol,))))
    size = _HDR.size + sum(len(p) for p in parts)
    flags = CREATE if add else REQ
    parts[0] = _HDR.pack(size, RTM_NEWADDR if add else RTM_DELADDR, flags if ack else flags & ~NLM_F_ACK, seq, 0)
    return b"".join(parts)


def _nexthop(version: int, hop: NextHop) -> bytes:
    if not 1 <= hop.weight <= 256:
        raise ValueError(f"nexthop weight {hop.weight} not in 1-256")
    attrs = _gateway(version, hop.gateway) if hop.gateway is not None else b""
    return _NEXTHOP.pack(_NEXTHOP.size + len(attrs), hop.flags, hop.weight - 1, hop.oif) + attrs


def encode_dump(family: int, protocol: int, seq: int) -> bytes:
    """RTM_GETROUTE dumping the routes of `family` and `protocol` (filtered by the kernel under strict checking)."""
    body = _RTMSG.pack(family, 0, 0, 0, 0, protocol, 0, 0, 0)
    return _HDR.pack(_HDR.size + len(body), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def _attrs(data: memoryview, offset: int, end: int) -> Iterator[tuple[int, memoryview]]:
    while offset + _RTA.size <= end:
        size, code = _RTA.unpack_from(data, offset)
        if size < _RTA.size:
            return
        yield code & NLA_TYPE_MASK, data[offset + _RTA.size : offset + size]
        offset += (size + 3) & ~3


def _address(family: int, raw: memoryview) -> IPAddress:
    return _shared_address(family, bytes(raw))


@functools.lru_cache(maxsize=4096)
def _shared_address(family: int, packed: bytes) -> IPAddress:
    """One (immutable) address object for the many routes through the same gateway or from the same source."""
    return IPv4Address(packed) if family == AF_INET else IPv6Address(packed)


def _via(raw: memoryview) -> IPAddress:
    (family,) = struct.unpack_from("=H", raw)
    return _address(family, raw[2 : 2 + _ADDR_LEN[family]])


def _network(family: int, raw: memoryview | None, length: int) -> IPv4Network | IPv6Network:
    if family == AF_INET:
        return IPv4Network((int.from_bytes(raw, "big") if raw is not None else 0, length), strict=False)
    return IPv6Network((int.from_bytes(raw, "big") if raw is not None else 0, length), strict=False)


def _nexthops(family: int, raw: memoryview, names: Mapping[int, str]) -> tuple[NextHop, ...]:
    hops = []
    offset = 0
    while offset + _NEXTHOP.size <= len(raw):
        size, flags, weight, oif = _NEXTHOP.unpack_from(raw, offset)
        if size < _NEXTHOP.size:
            break
        gateway = None
        for code, value in _attrs(raw, offset + _NEXTHOP.size, offset + size):
            if code == RTA_GATEWAY:
                gateway = _address(family, value)
            elif code == RTA_VIA:
                gateway = _via(value)
        hops.append(NextHop(oif=oif, gateway=gateway, weight=weight + 1, flags=flags, oif_name=names.get(oif, "")))
        offset += (size + 3) & ~3
    return tuple(hops)


def decode_route(
    data: memoryview, protocol: int | None = None, names: Mapping[int, str] = _NO_NAMES
) -> KernelRoute | None:
    """A KernelRoute from one RTM_NEWROUTE message (header included); None for other families or protocols.

    Output link names (`oif_name`, also of next hops) come from `names` (ifindex → name), "" when missing.
    """
    family, dst_len, src_len, tos, table, proto, scope, rtype, flags = _RTMSG.unpack_from(data, _HDR.size)
    if (protocol is not None and proto != protocol) or family not in _ADDR_LEN:
        return None
    dst = src = gateway = pref_src = None
    oif = priority = mtu = 0
    nexthops: tuple[NextHop, ...] = ()
    for code, value in _attrs(data, _HDR.size + _RTMSG.size, len(data)):
        if code == RTA_TABLE:
            (table,) = struct.unpack_from("=I", value)
        elif code == RTA_DST:
            dst = value
        elif code == RTA_OIF:
            (oif,) = struct.unpack_from("=i", value)
        elif code == RTA_GATEWAY:
            gateway = _address(family, value)
        elif code == RTA_PRIORITY:
            (priority,) = struct.unpack_from("=I", value)
        elif code == RTA_PREFSRC:
            pref_src = _address(family, value)
        elif code == RTA_SRC:
            src = value
        elif code == RTA_VIA:
            gateway = _via(value)
        elif code == RTA_METRICS:
            for metric, raw in _attrs(value, 0, len(value)):
                if metric == RTAX_MTU:
                    (mtu,) = struct.unpack_from("=I", raw)
        elif code == RTA_MULTIPATH:
            nexthops = _nexthops(family, value, names)
    return KernelRoute(
        dst=_network(family, dst, dst_len),
        table=table,
        gateway=gateway,
        oif=oif,
        oif_name=names.get(oif, ""),
        priority=priority,
        src=_network(family, src, src_len) if src is not None else None,
        pref_src=pref_src,
        scope=scope,
        type=rtype,
        protocol=proto,
        flags=flags,
        tos=tos,
        mtu=mtu,
        nexthops=nexthops,
    )


def split_messages(datagram: memoryview) -> Iterator[tuple[int, int, int, memoryview]]:
    """(type, flags, seq, message) of each netlink message in a datagram; `message` includes its header."""
    offset = 0
    while offset + _HDR.size <= len(datagram):
        size, msg_type, flags, seq, _ = _HDR.unpack_from(datagram, offset)
        if size < _HDR.size or offset + size > len(datagram):
            return
        yield msg_type, flags, seq, datagram[offset : offset + size]
        offset += (size + 3) & ~3


def ack_error(message: memoryview) -> tuple[int, str]:
    """(errno, extended-ack text) of an NLMSG_ERROR message; errno 0 is a success ACK."""
    _, _, flags, _, _ = _HDR.unpack_from(message)
    (error,) = _ERR.unpack_from(message, _HDR.size)
    text = ""
    if flags & NLM_F_ACK_TLVS:
        offset = _HDR.size + _ERR.size + _HDR.size
        if not flags & NLM_F_CAPPED:
            (inner,) = struct.unpack_from("=I", message, _HDR.size + _ERR.size)
            offset = _HDR.size + _ERR.size + ((inner + 3) & ~3)
        for code, value in _attrs(message, offset, len(message)):
            if code == NLMSGERR_ATTR_MSG:
                text = bytes(value).rstrip(b"\0").decode(errors="replace")
    return -error, text


class Memo(Generic[T]):
    """The records of one kind of dump by message body (the bytes after the netlink header), kept from the last
    dump to the next: a kernel object that did not change is not decoded again, and comes back as the same
    record object. `key` is what the decoding also depended on (the link names): a different key starts afresh.
    """

    def __init__(self) -> None:
        """An empty memo."""
        self.key: object = None
        self.last: dict[bytes, object] = {}
        self.next: dict[bytes, object] = {}

    def rekey(self, key: object) -> None:
        """Forget everything when the decoding now depends on a different `key`."""
        if key != self.key:
            self.key, self.last = key, {}


class RawNetlink(SocketHolder):
    """A raw netlink socket with capped and extended ACKs, in the network namespace of the caller: `await
    X.open()`. One request at a time; its answers are read from the socket by the caller."""

    protocol: ClassVar[int]
    what: ClassVar[str]  # names the socket in errors
    options: ClassVar[tuple[int, ...]] = (NETLINK_CAP_ACK, NETLINK_EXT_ACK)
    rcvbuf: ClassVar[int | None] = None  # bytes asked for the receive buffer (None: the default)

    def __init__(self, sock: socket.socket) -> None:
        """Wrap a configured socket; use `open()`."""
        self._sock: socket.socket | None = sock
        self._seq = 0
        self._buffer = bytearray(1 << 16)

    @classmethod
    async def open(cls) -> Self:
        """Open the socket, non-blocking and bound."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, cls.protocol)
        except OSError as e:
            raise KernelError(e.errno or errno.EIO, "open", cls.what) from e
        try:
            if cls.rcvbuf is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, cls.rcvbuf)
                except PermissionError:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, cls.rcvbuf)
            for option in cls.options:
                sock.setsockopt(SOL_NETLINK, option, 1)
            sock.setblocking(False)
            sock.bind((0, 0))
        except OSError as e:
            sock.close()
            raise KernelError(e.errno or errno.EIO, "open", cls.what) from e
        return cls(sock)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise KernelError(errno.EBADF, "use", f"closed {self.what}")
        return self._sock

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1
        return self._seq

    async def _recv(self, op: str, what: str) -> memoryview:
        """The next datagram (waiting up to ANSWER_TIMEOUT for one); errors name `op` and `what`."""
        sock = self._socket()
        while True:
            try:
                size = sock.recv_into(self._buffer)
            except BlockingIOError:
                with anyio.move_on_after(ANSWER_TIMEOUT) as scope:
                    await anyio.wait_readable(sock)
                if scope.cancelled_caught:
                    raise KernelError(errno.ETIMEDOUT, op, what, f"no answer in {ANSWER_TIMEOUT:g}s") from None
                continue
            except OSError as e:
                raise KernelError(e.errno or errno.EIO, op, what) from e
            return memoryview(self._buffer)[:size]


class RouteSocket(RawNetlink):
    """A raw rtnetlink socket for route and address batches and protocol-filtered route dumps (strict
    checking on): `await RouteSocket.open()`."""

    protocol = socket.NETLINK_ROUTE
    what = "rtnetlink route socket"
    options = (NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK)
    rcvbuf = RCVBUF

    def __init__(self, sock: socket.socket) -> None:
        """Wrap a configured socket; use `open()`."""
        super().__init__(sock)
        self._memos: dict[int, Memo[KernelRoute]] = {AF_INET: Memo(), AF_INET6: Memo()}

    async def routes(self, protocol: int = RTPROT_NETWORKD) -> list[KernelRoute]:
        """IPv4 and IPv6 routes of `protocol`, every table, without cached/cloned entries."""
        routes: list[KernelRoute] = []
        for family in (AF_INET, AF_INET6):
            routes += await self._dump(family, protocol)
        return routes

    async def _dump(self, family: int, protocol: int) -> list[KernelRoute]:
        request = encode_dump(family, protocol, 0)[_HDR.size :]
        memo = self._memos[family]
        memo.rekey(protocol)
        return await self.dump(RTM_GETROUTE, request, lambda message: decode_route(message, protocol),
                               f"routes of protocol {protocol}", memo=memo)

    async def dump(
        self,
        msg_type: int,
        body: bytes,
        decode: Callable[[memoryview], T | None],
        what: str,
        *,
        memo: Memo[T] | None = None,
    ) -> list[T]:
        """Dump request `msg_type` with `body` (the family header, kernel-checked filters); each answer decoded.

        `decode` gets every answer message (header included) and returns None for those to skip; with a
        `memo`, only messages the last dump did not carry are decoded. A dump the kernel flags NLM_F_DUMP_INTR
        (changed meanwhile) is retried, and raises EINTR after DUMP_ATTEMPTS.
        """
        sock = self._socket()
        for _ in range(DUMP_ATTEMPTS):
            if memo is not None:
                memo.next = {}
            seq = self._next_seq()
            try:
                sock.send(_HDR.pack(_HDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body)
            except OSError as e:
                raise KernelError(e.errno or errno.EIO, "dump", what) from e
            found: list[T] = []
            interrupted = done = False
            while not done:
                await anyio.lowlevel.checkpoint()  # one datagram at a time: other controllers run between them
                datagram = await self._recv("dump", what)
                for answer_type, flags, answer_seq, message in split_messages(datagram):
                    if answer_seq != seq:
                        continue  # the tail of an abandoned request
                    interrupted |= bool(flags & NLM_F_DUMP_INTR)
                    if answer_type == NLMSG_DONE:
                        done = True
                    elif answer_type == NLMSG_ERROR:
                        code, text = ack_error(message)
                        raise KernelError(code, "dump", what, text)
                    elif answer_type == msg_type - 2:  # RTM_NEW*
                        item = decode(message) if memo is None else self._recall(memo, message, decode)
                        if item is not None:
                            found.append(item)
            if not interrupted:
                if memo is not None:
                    memo.last, memo.next = memo.next, {}
                return found
        raise KernelError(errno.EINTR, "dump", what, f"interrupted {DUMP_ATTEMPTS} times by changes")

    @staticmethod
    def _recall(memo: Memo[T], message: memoryview, decode: Callable[[memoryview], T | None]) -> T | None:
        body = bytes(message[_HDR.size :])
        item = memo.last.get(body, memo)
        if item is memo:
            item = decode(message)
        memo.next[body] = item
        return cast("T | None", item)

    async def apply(self, ops: Sequence[tuple[Op, KernelRoute]]) -> list[KernelError | None]:
        """Send every (op, route), BATCH per sendmsg; one result per op, in order: None or the kernel's refusal.

        Idempotence is the caller's: an add of a taken key answers EEXIST, a delete of a missing route
        ESRCH. A socket failure raises KernelError (the ops of that batch may or may not have been done).
        """
        return await self.send(ops, _encode_op, _describe_op)

    async def apply_addresses(self, changes: Sequence[AddressChange]) -> list[KernelError | None]:
        """`apply` for addresses: an add of an address the link has answers EEXIST, a delete of a missing one
        EADDRNOTAVAIL."""
        return await self.send(changes, encode_address, _describe_address)

    async def send(self, items: Sequence[T], encode: Callable[[T, int, bool], bytes],
                   describe: Callable[[T], tuple[str, str]]) -> list[KernelError | None]:
        """Send the requests `encode(item, seq, ack)` makes, BATCH per sendmsg; one result per item, in order.
        `describe(item)` gives the (operation, object) a refusal names."""
        results: list[KernelError | None] = []
        for start in range(0, len(items), BATCH):
            results += await self._send_batch(items[start : start + BATCH], encode, describe)
            await anyio.lowlevel.checkpoint()
        return results

    async def _send_batch(self, items: Sequence[T], encode: Callable[[T, int, bool], bytes],
                          describe: Callable[[T], tuple[str, str]]) -> list[KernelError | None]:
        sock = self._socket()
        seqs: dict[int, int] = {}
        chunks = []
        final = len(items) - 1
        for i, item in enumerate(items):
            seq = self._next_seq()
            seqs[seq] = i
            chunks.append(encode(item, seq, i == final))  # only the last request asks for an ACK
        try:
            sock.send(b"".join(chunks))
        except OSError as e:
            raise KernelError(e.errno or errno.EIO, "batch", f"{len(items)} requests") from e
        results: list[KernelError | None] = [None] * len(items)
        last = self._seq
        while last in seqs:
            datagram = await self._recv("batch", f"the answers to {len(items)} requests")
            for msg_type, _, answer_seq, message in split_messages(datagram):
                index = seqs.pop(answer_seq, None) if msg_type == NLMSG_ERROR else None
                if index is None:
                    continue
                code, text = ack_error(message)
                if code:
                    op, obj = describe(items[index])
                    results[index] = KernelError(code, op, obj, text)
        return results


def _encode_op(op: tuple[Op, KernelRoute], seq: int, ack: bool) -> bytes:
    return encode_route(op[1], op[0], seq, ack=ack)


def _describe_op(op: tuple[Op, KernelRoute]) -> tuple[str, str]:
    return op[0], _obj(op[1])


def _describe_address(change: AddressChange) -> tuple[str, str]:
    return change.op, f"{change.prefix} on index {change.index}"
