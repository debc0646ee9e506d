"""Generic netlink without pyroute2: family ids by name, requests with their ACK, dumps; kernel WireGuard on top.

`GenericNetlink` is a raw NETLINK_GENERIC socket in the style of `batch.RouteSocket`: a family's id is asked
of the controller (CTRL_CMD_GETFAMILY) once and cached; a family the kernel lacks raises UnknownFamily
(ENOENT: the module is not loaded or not built). One request at a time; answers are matched by sequence
number. `KernelWireguard` reads and configures kernel wireguard devices with the codecs of
`networkd.kernel.wireguard`; it opens its socket on first use, in the caller's network namespace.
"""

from __future__ import annotations

import errno
import socket
import struct

import anyio
import anyio.lowlevel

from networkd.kernel.batch import (
    _HDR,
    DUMP_ATTEMPTS,
    NLMSG_DONE,
    NLMSG_ERROR,
    RawNetlink,
    _attr,
    _attrs,
    ack_error,
    split_messages,
)
from networkd.kernel.closing import AsyncClosing
from networkd.kernel.errors import KernelError
from networkd.kernel.messages import NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST
from networkd.kernel.wireguard import (
    WG_GENL_NAME,
    WireguardDevice,
    build_get_device,
    build_set_device,
    decode_get_device,
)
from networkd.resources.link import WireguardSpec

NETLINK_GENERIC = 16
GENL_ID_CTRL = 16  # the controller family's fixed id
CTRL_CMD_GETFAMILY = 3
CTRL_VERSION = 2
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLM_F_ACK = 0x4
_GENL = struct.Struct("=BBH")  # genlmsghdr: cmd, version, reserved


class UnknownFamily(KernelError):
    """The kernel has no generic netlink family of that name (its module is not loaded, or not built)."""

    def __init__(self, name: str) -> None:
        super().__init__(errno.ENOENT, "resolve", f"generic netlink family {name!r}",
                         f"the kernel has no {name} family (module not loaded or not built)")
        self.name = name


class GenericNetlink(RawNetlink):
    """A raw generic netlink socket: `async with await GenericNetlink.open() as genl: ...`."""

    protocol = NETLINK_GENERIC
    what = "generic netlink socket"

    def __init__(self, sock: socket.socket) -> None:
        """Wrap a configured socket; use `open()`."""
        super().__init__(sock)
        self._families: dict[str, int] = {}

    def _send(self, message: bytes, op: str, what: str) -> int:
        """Send `message` under a new sequence number (written into its header); returns that number."""
        seq = self._next_seq()
        data = bytearray(message)
        struct.pack_into("=I", data, 8, seq)
        try:
            self._socket().send(data)
        except OSError as e:
            raise KernelError(e.errno or errno.EIO, op, what) from e
        return seq

    async def _exchange(self, message: bytes, op: str, what: str) -> tuple[list[bytes], bool]:
        """Send `message` and collect its answers up to the ACK or NLMSG_DONE; (answers, dump interrupted).

        A refusal (an error ACK, or an error in NLMSG_DONE) raises KernelError with the kernel's errno.
        """
        seq = self._send(message, op, what)
        found: list[bytes] = []
        interrupted = False
        while True:
            await anyio.lowlevel.checkpoint()
            for msg_type, flags, answer_seq, answer in split_messages(await self._recv(op, what)):
                if answer_seq != seq:
                    continue  # the tail of an abandoned request
                interrupted |= bool(flags & NLM_F_DUMP_INTR)
                if msg_type == NLMSG_ERROR:
                    code, text = ack_error(answer)
                    if code:
                        raise KernelError(code, op, what, text)
                    return found, interrupted
                if msg_type == NLMSG_DONE:
                    (code,) = struct.unpack_from("=i", answer, _HDR.size) if len(answer) >= _HDR.size + 4 else (0,)
                    if code < 0:
                        raise KernelError(-code, op, what)
                    return found, interrupted
                found.append(bytes(answer))

    async def family(self, name: str) -> int:
        """The id of family `name` (asked once, then cached); UnknownFamily when the kernel has none."""
        known = self._families.get(name)
        if known is not None:
            return known
        body = _GENL.pack(CTRL_CMD_GETFAMILY, CTRL_VERSION, 0) + _attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        request = _HDR.pack(_HDR.size + len(body), GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 0, 0) + body
        try:
            answers, _ = await self._exchange(request, "resolve", f"generic netlink family {name!r}")
        except KernelError as e:
            if e.errno == errno.ENOENT:
                raise UnknownFamily(name) from None
            raise
        for answer in answers:
            view = memoryview(answer)
            for code, value in _attrs(view, _HDR.size + _GENL.size, len(view)):
                if code == CTRL_ATTR_FAMILY_ID:
                    self._families[name] = family = int(struct.unpack_from("=H", value)[0])
                    return family
        raise KernelError(errno.EPROTO, "resolve", f"generic netlink family {name!r}", "no family id in the answer")

    async def request(self, message: bytes, op: str, what: str) -> None:
        """Send one request that asks for an ACK (its sequence number is set here) and wait for the ACK."""
        await self._exchange(message, op, what)

    async def dump(self, message: bytes, op: str, what: str) -> list[bytes]:
        """Send a dump request (its sequence number is set here); its answer messages, headers included.

        A dump the kernel flags NLM_F_DUMP_INTR (changed meanwhile) is asked again, and raises EINTR after
        DUMP_ATTEMPTS.
        """
        flags = struct.unpack_from("=H", message, 6)[0]
        if flags & NLM_F_DUMP != NLM_F_DUMP:
            raise ValueError(f"{op} {what}: not a dump request (flags {flags:#x})")
        for _ in range(DUMP_ATTEMPTS):
            answers, interrupted = await self._exchange(message, op, what)
            if not interrupted:
                return answers
        raise KernelError(errno.EINTR, op, what, f"interrupted {DUMP_ATTEMPTS} times by changes")


class KernelWireguard(AsyncClosing):
    """Kernel wireguard devices over generic netlink: `get(ifname)` and `set(spec, ifname)`.

    The socket is opened on first use (in the caller's network namespace) and kept until `close()`;
    a later use opens a new one. UnknownFamily when the kernel has no wireguard family.
    """

    def __init__(self) -> None:
        """No socket yet."""
        self._genl: GenericNetlink | None = None

    async def _family(self) -> tuple[GenericNetlink, int]:
        if self._genl is None:
            self._genl = await GenericNetlink.open()
        return self._genl, await self._genl.family(WG_GENL_NAME)

    async def get(self, ifname: str) -> WireguardDevice:
        """The configuration and peers of wireguard device `ifname` (WG_CMD_GET_DEVICE)."""
        genl, family = await self._family()
        answers = await genl.dump(build_get_device(ifname, family), "wireguard get", ifname)
        return decode_get_device(answers)

    async def set(self, spec: WireguardSpec, ifname: str, present: WireguardDevice) -> None:
        """Make device `ifname`, read back as `present`, have `spec`'s keys, port, fwmark and peers
        (WG_CMD_SET_DEVICE); peers are changed in place, unchanged ones left alone (see build_set_device)."""
        genl, family = await self._family()
        await genl.request(build_set_device(spec, ifname, family, present), "wireguard set", ifname)

    async def close(self) -> None:
        """Close the socket, if open; idempotent."""
        genl, self._genl = self._genl, None
        if genl is not None:
            await genl.close()
