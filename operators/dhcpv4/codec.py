"""DHCPv4 wire codec: ``bytes`` <-> frozen :class:`Message` (RFC 2131, 2132, 3396, 3397, 3442).

Policy:

* Framing errors (short header, bad magic cookie, an option running past its field, a bad
  option overload value) raise :class:`DHCPDecodeError`; nothing else ever escapes :func:`decode`.
* Options the codec knows are decoded into typed fields of :class:`Options`. A known option whose
  *value* is malformed (e.g. a router list of 5 bytes, a classless route of width 45) is not
  guessed at: it is kept verbatim in ``Options.raw``, as are options with unknown codes, and
  :func:`encode` writes them back unchanged. Consumers therefore see such options as absent
  (the per-option "ignore it" policy of systemd's sd-dhcp-lease, not NetworkManager's
  keep-what-parsed-so-far).
* ``decode(encode(m)) == m`` for every message ``m`` that :func:`encode` accepts: the encoder
  refuses typed values the decoder would not give back unchanged.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Any

__all__ = [
    "BOOTP_MIN_LEN",
    "MAGIC_COOKIE",
    "ClasslessRoute",
    "DHCPDecodeError",
    "Message",
    "MessageType",
    "Op",
    "OptionCode",
    "Options",
    "decode",
    "encode",
]

MAGIC_COOKIE = b"\x63\x82\x53\x63"
# RFC 951's fixed-size BOOTP message is 300 octets; dhclient pads to it because some relays
# and old servers drop shorter datagrams.
BOOTP_MIN_LEN = 300

_HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")
_FIXED_LEN = _HEADER.size + len(MAGIC_COOKIE)  # 240
_ZERO = IPv4Address(0)


class DHCPDecodeError(ValueError):
    """Bytes that are not a well-formed DHCPv4 message."""


class Op(IntEnum):
    """BOOTP ``op`` field."""

    BOOTREQUEST = 1
    BOOTREPLY = 2


class MessageType(IntEnum):
    """Option 53 values (RFC 2132 §9.6)."""

    DISCOVER = 1
    OFFER = 2
    REQUEST = 3
    DECLINE = 4
    ACK = 5
    NAK = 6
    RELEASE = 7
    INFORM = 8


class OptionCode(IntEnum):
    """Option codes the codec knows about."""

    PAD = 0
    SUBNET_MASK = 1
    ROUTER = 3
    DNS_SERVERS = 6
    HOSTNAME = 12
    DOMAIN_NAME = 15
    INTERFACE_MTU = 26
    BROADCAST_ADDRESS = 28
    NTP_SERVERS = 42
    REQUESTED_IP = 50
    LEASE_TIME = 51
    OVERLOAD = 52
    MESSAGE_TYPE = 53
    SERVER_ID = 54
    PARAMETER_REQUEST_LIST = 55
    MESSAGE = 56
    RENEWAL_TIME = 58
    REBINDING_TIME = 59
    CLIENT_ID = 61
    DOMAIN_SEARCH = 119
    CLASSLESS_ROUTES = 121
    END = 255


@dataclass(frozen=True, slots=True)
class ClasslessRoute:
    """One entry of option 121 (RFC 3442); a router of 0.0.0.0 means "on-link"."""

    destination: IPv4Network
    router: IPv4Address


class _Malformed(Exception):
    """A known option's value does not parse; the option is then kept raw."""


def _dec_addr(data: bytes) -> IPv4Address:
    if len(data) != 4:
        raise _Malformed
    return IPv4Address(data)


def _dec_mask(data: bytes) -> IPv4Address:
    mask = _dec_addr(data)
    inverted = ~int(mask) & 0xFFFFFFFF
    if inverted & (inverted + 1):
        raise _Malformed  # not a contiguous netmask
    return mask


def _dec_addrs(data: bytes) -> tuple[IPv4Address, ...]:
    if not data or len(data) % 4:
        raise _Malformed
    return tuple(IPv4Address(data[i : i + 4]) for i in range(0, len(data), 4))


def _dec_u16(data: bytes) -> int:
    if len(data) != 2:
        raise _Malformed
    return int.from_bytes(data, "big")


def _dec_u32(data: bytes) -> int:
    if len(data) != 4:
        raise _Malformed
    return int.from_bytes(data, "big")


def _dec_str(data: bytes) -> str:
    # RFC 2132 strings are "minimum length 1"; latin-1 maps every byte, so nothing is lost.
    if not data:
        raise _Malformed
    return data.decode("latin-1")


def _dec_bytes(data: bytes) -> bytes:
    # Option 61: "The minimum length for this option is two." (RFC 2132 §9.14)
    if len(data) < 2:
        raise _Malformed
    return data


def _dec_prl(data: bytes) -> tuple[int, ...]:
    if not data:
        raise _Malformed
    return tuple(data)


_MESSAGE_TYPES = frozenset(MessageType)


def _dec_message_type(data: bytes) -> MessageType:
    if len(data) != 1 or data[0] not in _MESSAGE_TYPES:
        raise _Malformed
    return MessageType(data[0])


_LABEL_OK = frozenset(range(0x21, 0x7F)) - {ord(".")}


def _dec_domain_search(data: bytes) -> tuple[str, ...]:
    """RFC 3397: a list of RFC 1035 names; compression pointers are offsets into the option."""
    if not data:
        raise _Malformed
    names: list[str] = []
    pos = 0
    while pos < len(data):
        name, pos = _read_name(data, pos)
        names.append(name)
    return tuple(names)


def _read_name(data: bytes, start: int) -> tuple[str, int]:
    labels: list[str] = []
    wire_len = 1
    cur = start
    limit = start  # every pointer must jump strictly backwards: no loops possible
    resume: int | None = None
    while True:
        if cur >= len(data):
            raise _Malformed
        length = data[cur]
        if length == 0:
            cur += 1
            break
        if length & 0xC0 == 0xC0:
            if cur + 1 >= len(data):
                raise _Malformed
            target = ((length & 0x3F) << 8) | data[cur + 1]
            if target >= limit:
                raise _Malformed
            if resume is None:
                resume = cur + 2
            limit = cur = target
            continue
        if length > 63:
            raise _Malformed  # 0x40 and 0x80 label types are not allowed
        label = data[cur + 1 : cur + 1 + length]
        if len(label) != length or not _LABEL_OK.issuperset(label):
            raise _Malformed
        wire_len += length + 1
        if wire_len > 255:
            raise _Malformed
        labels.append(label.decode("ascii"))
        cur += 1 + length
    if not labels:
        raise _Malformed  # the root name is no search domain
    return ".".join(labels), cur if resume is None else resume


def _dec_classless(data: bytes) -> tuple[ClasslessRoute, ...]:
    """RFC 3442: repeated (width, ceil(width/8) significant octets, 4-octet router)."""
    if not data:
        raise _Malformed
    routes: list[ClasslessRoute] = []
    pos = 0
    while pos < len(data):
        width = data[pos]
        if width > 32:
            raise _Malformed
        size = (width + 7) // 8
        end = pos + 1 + size + 4
        if end > len(data):
            raise _Malformed
        dest = data[pos + 1 : pos + 1 + size].ljust(4, b"\0")
        network = IPv4Network((IPv4Address(dest), width), strict=False)
        routes.append(ClasslessRoute(network, IPv4Address(data[end - 4 : end])))
        pos = end
    return tuple(routes)


def _enc_addr(value: IPv4Address) -> bytes:
    return value.packed


def _enc_addrs(value: tuple[IPv4Address, ...]) -> bytes:
    return b"".join(a.packed for a in value)


def _enc_u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def _enc_u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def _enc_str(value: str) -> bytes:
    return value.encode("latin-1")


def _enc_bytes(value: bytes) -> bytes:
    return bytes(value)


def _enc_prl(value: tuple[int, ...]) -> bytes:
    return bytes(value)


def _enc_message_type(value: MessageType) -> bytes:
    return bytes([value])


def _enc_domain_search(value: tuple[str, ...]) -> bytes:
    """Encode names, replacing a suffix already written by a pointer (RFC 1035 §4.1.4)."""
    out = bytearray()
    seen: dict[tuple[str, ...], int] = {}
    for name in value:
        labels = tuple(name.split("."))
        for i in range(len(labels)):
            suffix = labels[i:]
            if suffix in seen:
                out += (0xC000 | seen[suffix]).to_bytes(2, "big")
                break
            if len(out) < 0x4000:
                seen[suffix] = len(out)
            label = labels[i].encode("ascii")
            out += bytes([len(label)]) + label
        else:
            out.append(0)
    return bytes(out)


def _enc_classless(value: tuple[ClasslessRoute, ...]) -> bytes:
    out = bytearray()
    for route in value:
        width = route.destination.prefixlen
        out.append(width)
        out += route.destination.network_address.packed[: (width + 7) // 8]
        out += route.router.packed
    return bytes(out)


@dataclass(frozen=True, slots=True)
class _Codec:
    field: str
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]


_CODECS: dict[int, _Codec] = {
    OptionCode.SUBNET_MASK: _Codec("subnet_mask", _dec_mask, _enc_addr),
    OptionCode.ROUTER: _Codec("routers", _dec_addrs, _enc_addrs),
    OptionCode.DNS_SERVERS: _Codec("dns_servers", _dec_addrs, _enc_addrs),
    OptionCode.HOSTNAME: _Codec("hostname", _dec_str, _enc_str),
    OptionCode.DOMAIN_NAME: _Codec("domain_name", _dec_str, _enc_str),
    OptionCode.INTERFACE_MTU: _Codec("interface_mtu", _dec_u16, _enc_u16),
    OptionCode.BROADCAST_ADDRESS: _Codec("broadcast_address", _dec_addr, _enc_addr),
    OptionCode.NTP_SERVERS: _Codec("ntp_servers", _dec_addrs, _enc_addrs),
    OptionCode.REQUESTED_IP: _Codec("requested_ip", _dec_addr, _enc_addr),
    OptionCode.LEASE_TIME: _Codec("lease_time", _dec_u32, _enc_u32),
    OptionCode.MESSAGE_TYPE: _Codec("message_type", _dec_message_type, _enc_message_type),
    OptionCode.SERVER_ID: _Codec("server_id", _dec_addr, _enc_addr),
    OptionCode.PARAMETER_REQUEST_LIST: _Codec("parameter_request_list", _dec_prl, _enc_prl),
    OptionCode.MESSAGE: _Codec("message", _dec_str, _enc_str),
    OptionCode.RENEWAL_TIME: _Codec("renewal_time", _dec_u32, _enc_u32),
    OptionCode.REBINDING_TIME: _Codec("rebinding_time", _dec_u32, _enc_u32),
    OptionCode.CLIENT_ID: _Codec("client_id", _dec_bytes, _enc_bytes),
    OptionCode.DOMAIN_SEARCH: _Codec("domain_search", _dec_domain_search, _enc_domain_search),
    OptionCode.CLASSLESS_ROUTES: _Codec("classless_routes", _dec_classless, _enc_classless),
}
# Option 53 first (what servers and clients conventionally do), then by code.
_ENCODE_ORDER = [OptionCode.MESSAGE_TYPE, *sorted(c for c in _CODECS if c != OptionCode.MESSAGE_TYPE)]
_NOT_RAW = frozenset({OptionCode.PAD, OptionCode.OVERLOAD, OptionCode.END})


def _decodes(code: int, data: bytes) -> bool:
    try:
        _CODECS[code].decode(data)
    except _Malformed:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Options:
    """The options of a message; ``None`` / ``()`` means "absent".

    ``raw`` holds ``(code, value)`` for options without a typed field here: unknown codes, and
    known codes whose value was malformed on the wire. Each code appears at most once (repeated
    instances are concatenated per RFC 3396) and never duplicates a typed field that is set.
    """

    message_type: MessageType | None = None
    subnet_mask: IPv4Address | None = None
    routers: tuple[IPv4Address, ...] = ()
    dns_servers: tuple[IPv4Address, ...] = ()
    hostname: str | None = None
    domain_name: str | None = None
    interface_mtu: int | None = None
    broadcast_address: IPv4Address | None = None
    ntp_servers: tuple[IPv4Address, ...] = ()
    requested_ip: IPv4Address | None = None
    lease_time: int | None = None
    server_id: IPv4Address | None = None
    parameter_request_list: tuple[int, ...] = ()
    message: str | None = None
    renewal_time: int | None = None
    rebinding_time: int | None = None
    client_id: bytes | None = None
    domain_search: tuple[str, ...] = ()
    classless_routes: tuple[ClasslessRoute, ...] = ()
    raw: tuple[tuple[int, bytes], ...] = ()

    def __post_init__(self) -> None:
        codes = [code for code, _ in self.raw]
        if len(set(codes)) != len(codes):
            raise ValueError("raw options must have distinct codes")
        for code, data in self.raw:
            if not 0 < code < 255 or code in _NOT_RAW:
                raise ValueError(f"option {code} cannot be a raw option")
            codec = _CODECS.get(code)
            if codec is not None and (_is_set(getattr(self, codec.field)) or _decodes(code, data)):
                raise ValueError(f"option {code} has a typed field: {codec.field}")


def _is_set(value: object) -> bool:
    return value is not None and value != ()


@dataclass(frozen=True, slots=True)
class Message:
    """A BOOTP/DHCP message. ``chaddr`` is ``hlen`` bytes; ``sname``/``file`` lose trailing NULs."""

    op: Op
    xid: int
    chaddr: bytes
    options: Options = Options()
    htype: int = 1
    hops: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: IPv4Address = _ZERO
    yiaddr: IPv4Address = _ZERO
    siaddr: IPv4Address = _ZERO
    giaddr: IPv4Address = _ZERO
    sname: bytes = b""
    file: bytes = b""

    BROADCAST_FLAG = 0x8000

    @property
    def message_type(self) -> MessageType | None:
        """Option 53, or ``None`` for a plain BOOTP message."""
        return self.options.message_type


def decode(data: bytes) -> Message:
    """Parse one DHCP message (the UDP payload); raises :class:`DHCPDecodeError` only."""
    data = bytes(data)
    if len(data) < _FIXED_LEN:
        raise DHCPDecodeError(f"message of {len(data)} bytes is shorter than {_FIXED_LEN}")
    (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file) = (
        _HEADER.unpack_from(data)
    )
    if op not in (Op.BOOTREQUEST, Op.BOOTREPLY):
        raise DHCPDecodeError(f"op {op} is neither BOOTREQUEST nor BOOTREPLY")
    if hlen > 16:
        raise DHCPDecodeError(f"hlen {hlen} exceeds the 16-byte chaddr field")
    if data[_HEADER.size : _FIXED_LEN] != MAGIC_COOKIE:
        raise DHCPDecodeError("missing DHCP magic cookie")

    collected: dict[int, bytearray] = {}
    overload = _walk(data[_FIXED_LEN:], "options", collected, top=True)
    # RFC 2131 §4.1: "Options in the 'options' field MUST be interpreted first, so that any
    # 'option overload' options may be interpreted. The 'file' field MUST be interpreted next
    # (if the 'option overload' option indicates that the 'file' field contains DHCP options),
    # followed by the 'sname' field."
    if overload & 1:
        _walk(file, "file", collected, top=False)
        file = b""
    if overload & 2:
        _walk(sname, "sname", collected, top=False)
        sname = b""

    typed: dict[str, Any] = {}
    raw: list[tuple[int, bytes]] = []
    for code, value in collected.items():
        codec = _CODECS.get(code)
        try:
            if codec is None:
                raise _Malformed
            typed[codec.field] = codec.decode(bytes(value))
        except _Malformed:
            raw.append((code, bytes(value)))
    return Message(
        op=Op(op),
        xid=xid,
        chaddr=chaddr[:hlen],
        options=Options(**typed, raw=tuple(raw)),
        htype=htype,
        hops=hops,
        secs=secs,
        flags=flags,
        ciaddr=IPv4Address(ciaddr),
        yiaddr=IPv4Address(yiaddr),
        siaddr=IPv4Address(siaddr),
        giaddr=IPv4Address(giaddr),
        sname=sname.rstrip(b"\0"),
        file=file.rstrip(b"\0"),
    )


def _walk(area: bytes, where: str, collected: dict[int, bytearray], *, top: bool) -> int:
    """Collect the options of one area; RFC 3396: repeated codes are concatenated in order."""
    overload = 0
    pos = 0
    while pos < len(area):
        code = area[pos]
        if code == OptionCode.PAD:
            pos += 1
            continue
        if code == OptionCode.END:
            break
        if pos + 1 >= len(area):
            raise DHCPDecodeError(f"option {code} in {where} has no length byte")
        length = area[pos + 1]
        value = area[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise DHCPDecodeError(f"option {code} in {where} runs past the end ({length} bytes)")
        pos += 2 + length
        if code == OptionCode.OVERLOAD:
            if not top:
                continue  # only meaningful in the options field
            if length != 1 or value[0] not in (1, 2, 3) or overload:
                raise DHCPDecodeError(f"bad option overload value {value.hex()}")
            overload = value[0]
            continue
        collected.setdefault(code, bytearray()).extend(value)
    return overload


def encode(message: Message) -> bytes:
    """Serialise a message; raises ``ValueError`` for values that cannot be represented."""
    if len(message.chaddr) > 16 or len(message.sname) > 64 or len(message.file) > 128:
        raise ValueError("chaddr, sname or file is too long for its field")
    try:
        header = _HEADER.pack(
            message.op,
            message.htype,
            len(message.chaddr),
            message.hops,
            message.xid,
            message.secs,
            message.flags,
            message.ciaddr.packed,
            message.yiaddr.packed,
            message.siaddr.packed,
            message.giaddr.packed,
            message.chaddr,
            message.sname,
            message.file,
        )
    except struct.error as exc:
        raise ValueError(f"header field out of range: {exc}") from exc
    out = bytearray(header + MAGIC_COOKIE)
    opts = message.options
    for code in _ENCODE_ORDER:
        codec = _CODECS[code]
        value = getattr(opts, codec.field)
        if _is_set(value):
            out += _option(code, _encode_value(code, codec, value))
    for code, data in opts.raw:
        out += _option(code, data)
    out.append(OptionCode.END)
    if len(out) < BOOTP_MIN_LEN:
        out += bytes(BOOTP_MIN_LEN - len(out))
    return bytes(out)


def _encode_value(code: int, codec: _Codec, value: object) -> bytes:
    try:
        data = codec.encode(value)
        ok = codec.decode(data) == value
    except (_Malformed, ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"option {code} ({codec.field}): cannot encode {value!r}") from exc
    if not ok:
        raise ValueError(f"option {code} ({codec.field}): {value!r} does not survive a round trip")
    return data


def _option(code: int, data: bytes) -> bytes:
    """One option; values over 255 bytes are split into several instances (RFC 3396)."""
    if not data:
        return bytes([code, 0])
    return b"".join(bytes([code, len(chunk)]) + chunk for chunk in _chunks(data, 255))


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
