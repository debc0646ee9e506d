"""A minimal HTTP/2 gRPC unary client over a Unix socket, so `netctl apply-config` reaches the daemon without
importing grpc or protobuf first (they cost ~50 ms of a ~90 ms start).

Sans-I/O core: the request's protobuf writer, HTTP/2 frames, HPACK (plain literals out; everything RFC 7541
allows in, Huffman and the dynamic table too) and `UnaryCall`, the state of one call on its own connection:
bytes in, bytes out, never a socket. `call_unix` is the blocking shell that owns the socket.

Only what one unary call needs: stream 1, our receive windows opened wide at once, the server's windows and
frame size honoured, SETTINGS and PING acknowledged, GOAWAY and RST_STREAM turned into errors.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

# ---------------------------------------------------------------------------------------------- gRPC

# grpc.StatusCode's names by number, lower case as `netctl` prints them
STATUS_NAMES = ("ok", "cancelled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
                "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
                "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated")
UNAVAILABLE = 14

# networkd.v1.ApplyMode (machine.proto) by the name netctl's --mode gives, upper case with underscores
APPLY_MODES = {"AUTO": 0, "NO_REBOOT": 1, "TRY": 2, "REBOOT": 3, "STAGED": 4}
APPLY_CONFIGURATION = "/networkd.v1.Machine/ApplyConfiguration"


class RpcError(Exception):
    """The call ended with a non-OK gRPC status (or could not reach the daemon: UNAVAILABLE, as grpc reports)."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__(f"{status_name(code)}: {details}")
        self.code = code
        self.details = details


class H2Error(Exception):
    """The daemon broke the HTTP/2 or gRPC protocol, or ended the connection; the text says how."""


def status_name(code: int) -> str:
    """grpc's name of a status code, lower case; codes outside the spec are `unknown`, as grpc treats them."""
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else "unknown"


def percent_decode(value: bytes) -> str:
    """A grpc-message as the gRPC spec encodes it: %XX escapes of UTF-8; a malformed escape is kept as it is."""
    out, i = bytearray(), 0
    while i < len(value):
        hex_ = value[i + 1:i + 3]
        if value[i] == 0x25 and len(hex_) == 2 and all(c in b"0123456789abcdefABCDEF" for c in hex_):
            out.append(int(hex_, 16))
            i += 3
        else:
            out.append(value[i])
            i += 1
    return out.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------- protobuf


def _varint(n: int) -> bytes:
    """A protobuf varint; negative numbers as their 64-bit two's complement, as int32 and enums are encoded."""
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_apply_request(data: bytes, mode: int, dry_run: bool, try_timeout_seconds: float) -> bytes:
    """networkd.v1.ApplyConfigurationRequest, as protobuf writes it: fields in order, proto3 defaults omitted."""
    out = bytearray()
    if data:
        out += b"\x0a" + _varint(len(data)) + data  # 1: bytes, length-delimited
    if mode:
        out += b"\x10" + _varint(mode)  # 2: enum, varint
    if dry_run:
        out += b"\x18\x01"  # 3: bool, varint
    timeout = struct.pack("<d", try_timeout_seconds)
    if timeout != bytes(8):  # -0.0 and NaN are not the default: protobuf writes them
        out += b"\x21" + timeout  # 4: double, fixed64
    return bytes(out)


# ---------------------------------------------------------------------------------------------- HTTP/2 frames

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 1, 2, 4, 5
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME = 16384
MAX_WINDOW = 2**31 - 1
STREAM_MASK = 0x7FFFFFFF  # a stream id without the reserved bit
ERROR_NAMES = ("NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
               "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
               "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED")


def error_name(code: int) -> str:
    """An HTTP/2 error code's name (RFC 9113 section 7), or its number."""
    return ERROR_NAMES[code] if 0 <= code < len(ERROR_NAMES) else f"error code {code:#x}"


class Frame(NamedTuple):
    """One HTTP/2 frame."""

    type: int
    flags: int
    stream: int
    payload: bytes


def encode_frame(type_: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    """A frame's 9-byte header and its payload."""
    return len(payload).to_bytes(3, "big") + bytes((type_, flags)) + stream.to_bytes(4, "big") + payload


class FrameReader:
    """Splits received bytes into frames; a frame larger than our SETTINGS_MAX_FRAME_SIZE is an error."""

    def __init__(self, max_size: int = DEFAULT_MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_size

    def feed(self, data: bytes) -> list[Frame]:
        """The frames `data` completes, in order."""
        self._buf += data
        frames: list[Frame] = []
        pos = 0
        while len(self._buf) - pos >= 9:
            size = int.from_bytes(self._buf[pos:pos + 3], "big")
            if size > self._max:
                raise H2Error(f"the daemon sent a frame of {size} bytes, over the {self._max} allowed")
            if len(self._buf) - pos < 9 + size:
                break
            head = self._buf[pos:pos + 9]
            frames.append(Frame(head[3], head[4], int.from_bytes(head[5:9], "big") & STREAM_MASK,
                                bytes(self._buf[pos + 9:pos + 9 + size])))
            pos += 9 + size
        del self._buf[:pos]
        return frames


# ---------------------------------------------------------------------------------------------- HPACK (RFC 7541)

STATIC_TABLE: tuple[tuple[bytes, bytes], ...] = (
    (b':authority', b''), (b':method', b'GET'), (b':method', b'POST'), (b':path', b'/'), (b':path', b'/index.html'),
    (b':scheme', b'http'), (b':scheme', b'https'), (b':status', b'200'), (b':status', b'204'), (b':status', b'206'),
    (b':status', b'304'), (b':status', b'400'), (b':status', b'404'), (b':status', b'500'), (b'accept-charset', b''),
    (b'accept-encoding', b'gzip, deflate'), (b'accept-language', b''), (b'accept-ranges', b''), (b'accept', b''),
    (b'access-control-allow-origin', b''), (b'age', b''), (b'allow', b''), (b'authorization', b''),
    (b'cache-control', b''), (b'content-disposition', b''), (b'content-encoding', b''), (b'content-language', b''),
    (b'content-length', b''), (b'content-location', b''), (b'content-range', b''), (b'content-type', b''),
    (b'cookie', b''), (b'date', b''), (b'etag', b''), (b'expect', b''), (b'expires', b''), (b'from', b''),
    (b'host', b''), (b'if-match', b''), (b'if-modified-since', b''), (b'if-none-match', b''), (b'if-range', b''),
    (b'if-unmodified-since', b''), (b'last-modified', b''), (b'link', b''), (b'location', b''),
    (b'max-forwards', b''), (b'proxy-authenticate', b''), (b'proxy-authorization', b''), (b'range', b''),
    (b'referer', b''), (b'refresh', b''), (b'retry-after', b''), (b'server', b''), (b'set-cookie', b''),
    (b'strict-transport-security', b''), (b'transfer-encoding', b''), (b'user-agent', b''), (b'vary', b''),
    (b'via', b''), (b'www-authenticate', b''),
)

# RFC 7541 Appendix B: (code, length in bits) of each symbol 0..255 and EOS (256)
HUFFMAN_CODES: tuple[tuple[int, int], ...] = (
    (0x1ff8, 13), (0x7fffd8, 23), (0xfffffe2, 28), (0xfffffe3, 28), (0xfffffe4, 28), (0xfffffe5, 28),
    (0xfffffe6, 28), (0xfffffe7, 28), (0xfffffe8, 28), (0xffffea, 24), (0x3ffffffc, 30), (0xfffffe9, 28),
    (0xfffffea, 28), (0x3ffffffd, 30), (0xfffffeb, 28), (0xfffffec, 28), (0xfffffed, 28), (0xfffffee, 28),
    (0xfffffef, 28), (0xffffff0, 28), (0xffffff1, 28), (0xffffff2, 28), (0x3ffffffe, 30), (0xffffff3, 28),
    (0xffffff4, 28), (0xffffff5, 28), (0xffffff6, 28), (0xffffff7, 28), (0xffffff8, 28), (0xffffff9, 28),
    (0xffffffa, 28), (0xffffffb, 28), (0x14, 6), (0x3f8, 10), (0x3f9, 10), (0xffa, 12), (0x1ff9, 13), (0x15, 6),
    (0xf8, 8), (0x7fa, 11), (0x3fa, 10), (0x3fb, 10), (0xf9, 8), (0x7fb, 11), (0xfa, 8), (0x16, 6), (0x17, 6),
    (0x18, 6), (0x0, 5), (0x1, 5), (0x2, 5), (0x19, 6), (0x1a, 6), (0x1b, 6), (0x1c, 6), (0x1d, 6), (0x1e, 6),
    (0x1f, 6), (0x5c, 7), (0xfb, 8), (0x7ffc, 15), (0x20, 6), (0xffb, 12), (0x3fc, 10), (0x1ffa, 13), (0x21, 6),
    (0x5d, 7), (0x5e, 7), (0x5f, 7), (0x60, 7), (0x61, 7), (0x62, 7), (0x63, 7), (0x64, 7), (0x65, 7), (0x66, 7),
    (0x67, 7), (0x68, 7), (0x69, 7), (0x6a, 7), (0x6b, 7), (0x6c, 7), (0x6d, 7), (0x6e, 7), (0x6f, 7), (0x70, 7),
    (0x71, 7), (0x72, 7), (0xfc, 8), (0x73, 7), (0xfd, 8), (0x1ffb, 13), (0x7fff0, 19), (0x1ffc, 13), (0x3ffc, 14),
    (0x22, 6), (0x7ffd, 15), (0x3, 5), (0x23, 6), (0x4, 5), (0x24, 6), (0x5, 5), (0x25, 6), (0x26, 6), (0x27, 6),
    (0x6, 5), (0x74, 7), (0x75, 7), (0x28, 6), (0x29, 6), (0x2a, 6), (0x7, 5), (0x2b, 6), (0x76, 7), (0x2c, 6),
    (0x8, 5), (0x9, 5), (0x2d, 6), (0x77, 7), (0x78, 7), (0x79, 7), (0x7a, 7), (0x7b, 7), (0x7ffe, 15), (0x7fc, 11),
    (0x3ffd, 14), (0x1ffd, 13), (0xffffffc, 28), (0xfffe6, 20), (0x3fffd2, 22), (0xfffe7, 20), (0xfffe8, 20),
    (0x3fffd3, 22), (0x3fffd4, 22), (0x3fffd5, 22), (0x7fffd9, 23), (0x3fffd6, 22), (0x7fffda, 23), (0x7fffdb, 23),
    (0x7fffdc, 23), (0x7fffdd, 23), (0x7fffde, 23), (0xffffeb, 24), (0x7fffdf, 23), (0xffffec, 24), (0xffffed, 24),
    (0x3fffd7, 22), (0x7fffe0, 23), (0xffffee, 24), (0x7fffe1, 23), (0x7fffe2, 23), (0x7fffe3, 23), (0x7fffe4, 23),
    (0x1fffdc, 21), (0x3fffd8, 22), (0x7fffe5, 23), (0x3fffd9, 22), (0x7fffe6, 23), (0x7fffe7, 23), (0xffffef, 24),
    (0x3fffda, 22), (0x1fffdd, 21), (0xfffe9, 20), (0x3fffdb, 22), (0x3fffdc, 22), (0x7fffe8, 23), (0x7fffe9, 23),
    (0x1fffde, 21), (0x7fffea, 23), (0x3fffdd, 22), (0x3fffde, 22), (0xfffff0, 24), (0x1fffdf, 21), (0x3fffdf, 22),
    (0x7fffeb, 23), (0x7fffec, 23), (0x1fffe0, 21), (0x1fffe1, 21), (0x3fffe0, 22), (0x1fffe2, 21), (0x7fffed, 23),
    (0x3fffe1, 22), (0x7fffee, 23), (0x7fffef, 23), (0xfffea, 20), (0x3fffe2, 22), (0x3fffe3, 22), (0x3fffe4, 22),
    (0x7ffff0, 23), (0x3fffe5, 22), (0x3fffe6, 22), (0x7ffff1, 23), (0x3ffffe0, 26), (0x3ffffe1, 26), (0xfffeb, 20),
    (0x7fff1, 19), (0x3fffe7, 22), (0x7ffff2, 23), (0x3fffe8, 22), (0x1ffffec, 25), (0x3ffffe2, 26), (0x3ffffe3, 26),
    (0x3ffffe4, 26), (0x7ffffde, 27), (0x7ffffdf, 27), (0x3ffffe5, 26), (0xfffff1, 24), (0x1ffffed, 25),
    (0x7fff2, 19), (0x1fffe3, 21), (0x3ffffe6, 26), (0x7ffffe0, 27), (0x7ffffe1, 27), (0x3ffffe7, 26),
    (0x7ffffe2, 27), (0xfffff2, 24), (0x1fffe4, 21), (0x1fffe5, 21), (0x3ffffe8, 26), (0x3ffffe9, 26),
    (0xffffffd, 28), (0x7ffffe3, 27), (0x7ffffe4, 27), (0x7ffffe5, 27), (0xfffec, 20), (0xfffff3, 24), (0xfffed, 20),
    (0x1fffe6, 21), (0x3fffe9, 22), (0x1fffe7, 21), (0x1fffe8, 21), (0x7ffff3, 23), (0x3fffea, 22), (0x3fffeb, 22),
    (0x1ffffee, 25), (0x1ffffef, 25), (0xfffff4, 24), (0xfffff5, 24), (0x3ffffea, 26), (0x7ffff4, 23),
    (0x3ffffeb, 26), (0x7ffffe6, 27), (0x3ffffec, 26), (0x3ffffed, 26), (0x7ffffe7, 27), (0x7ffffe8, 27),
    (0x7ffffe9, 27), (0x7ffffea, 27), (0x7ffffeb, 27), (0xffffffe, 28), (0x7ffffec, 27), (0x7ffffed, 27),
    (0x7ffffee, 27), (0x7ffffef, 27), (0x7fffff0, 27), (0x3ffffee, 26), (0x3fffffff, 30),
)

_huffman_index: dict[tuple[int, int], int] = {}


def huffman_decode(data: bytes) -> bytes:
    """A Huffman-coded HPACK string; the padding must be the EOS code's first bits (all ones), under 8 bits."""
    if not _huffman_index:
        _huffman_index.update({code: sym for sym, code in enumerate(HUFFMAN_CODES)})
    out = bytearray()
    code = bits = 0
    for byte in data:
        for shift in range(7, -1, -1):
            code = code << 1 | byte >> shift & 1
            bits += 1
            sym = _huffman_index.get((code, bits)) if bits >= 5 else None
            if sym is not None:
                if sym == 256:
                    raise H2Error("HPACK: a Huffman-coded string contains EOS")
                out.append(sym)
                code = bits = 0
            elif bits > 30:
                raise H2Error("HPACK: a Huffman-coded string has an invalid code")
    if bits > 7 or code != (1 << bits) - 1:
        raise H2Error("HPACK: a Huffman-coded string is badly padded")
    return bytes(out)


def encode_integer(value: int, prefix_bits: int, first: int = 0) -> bytes:
    """An HPACK integer in a prefix of `prefix_bits` bits, the first byte's other bits from `first`."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out, value = bytearray((first | limit,)), value - limit
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_integer(block: bytes, pos: int, prefix_bits: int) -> tuple[int, int]:
    """The HPACK integer at `pos` with a `prefix_bits`-bit prefix, and the position after it."""
    if pos >= len(block):
        raise H2Error("HPACK: a header block ends inside an integer")
    limit = (1 << prefix_bits) - 1
    value, pos = block[pos] & limit, pos + 1
    if value < limit:
        return value, pos
    shift = 0
    while True:
        if pos >= len(block):
            raise H2Error("HPACK: a header block ends inside an integer")
        if shift > 28:
            raise H2Error("HPACK: an integer is too large")
        byte, pos = block[pos], pos + 1
        value += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def encode_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    """A header block of literals without indexing, new names, plain (not Huffman-coded) strings."""
    out = bytearray()
    for name, value in headers:
        out += b"\x00" + encode_integer(len(name), 7) + name + encode_integer(len(value), 7) + value
    return bytes(out)


class HpackDecoder:
    """Decodes the header blocks of one connection, in order, keeping its dynamic table."""

    def __init__(self, max_table_size: int = 4096) -> None:
        self._limit = max_table_size  # what we allow the peer (SETTINGS_HEADER_TABLE_SIZE; 4096 by default)
        self._max = max_table_size
        self._table: list[tuple[bytes, bytes]] = []  # newest first
        self._size = 0

    def decode(self, block: bytes) -> list[tuple[bytes, bytes]]:
        """The (name, value) pairs of one complete header block."""
        out: list[tuple[bytes, bytes]] = []
        pos = 0
        while pos < len(block):
            first = block[pos]
            if first & 0x80:  # indexed field
                index, pos = decode_integer(block, pos, 7)
                out.append(self._entry(index))
            elif first & 0x40:  # literal with incremental indexing
                name, value, pos = self._literal(block, pos, 6)
                out.append((name, value))
                self._add(name, value)
            elif first & 0x20:  # dynamic table size update
                if out:
                    raise H2Error("HPACK: a dynamic table size update after a header field")
                size, pos = decode_integer(block, pos, 5)
                if size > self._limit:
                    raise H2Error(f"HPACK: dynamic table size {size} over the {self._limit} allowed")
                self._max = size
                self._evict()
            else:  # literal without indexing (0000) or never indexed (0001)
                name, value, pos = self._literal(block, pos, 4)
                out.append((name, value))
        return out

    def _entry(self, index: int) -> tuple[bytes, bytes]:
        if 1 <= index <= len(STATIC_TABLE):
            return STATIC_TABLE[index - 1]
        if len(STATIC_TABLE) < index <= len(STATIC_TABLE) + len(self._table):
            return self._table[index - len(STATIC_TABLE) - 1]
        raise H2Error(f"HPACK: header index {index} is not in the tables")

    def _literal(self, block: bytes, pos: int, prefix_bits: int) -> tuple[bytes, bytes, int]:
        index, pos = decode_integer(block, pos, prefix_bits)
        if index:
            name = self._entry(index)[0]
        else:
            name, pos = self._string(block, pos)
        value, pos = self._string(block, pos)
        return name, value, pos

    @staticmethod
    def _string(block: bytes, pos: int) -> tuple[bytes, int]:
        huffman = pos < len(block) and block[pos] & 0x80
        size, pos = decode_integer(block, pos, 7)
        if pos + size > len(block):
            raise H2Error("HPACK: a header block ends inside a string")
        raw = block[pos:pos + size]
        return (huffman_decode(raw) if huffman else bytes(raw)), pos + size

    def _add(self, name: bytes, value: bytes) -> None:
        self._table.insert(0, (name, value))
        self._size += len(name) + len(value) + 32
        self._evict()  # an entry larger than the table empties it (RFC 7541 section 4.4)

    def _evict(self) -> None:
        while self._size > self._max:
            name, value = self._table.pop()
            self._size -= len(name) + len(value) + 32


# ---------------------------------------------------------------------------------------------- the call


class UnaryCall:
    """One gRPC unary call on a connection of its own, as a state machine: `outgoing()` gives the bytes to
    write (the preface, SETTINGS, HEADERS, then DATA as the server's windows allow, and any acknowledgements);
    `receive()` takes what was read; once `done`, `response()` gives the reply message or raises RpcError."""

    def __init__(self, path: str, message: bytes, authority: str = "localhost") -> None:
        headers = encode_headers([(b":method", b"POST"), (b":scheme", b"http"), (b":path", path.encode()),
                                  (b":authority", authority.encode()), (b"content-type", b"application/grpc"),
                                  (b"te", b"trailers")])
        # our receive windows wide open from the start, so the server never waits for us; no server push
        settings = struct.pack(">HIHI", SETTINGS_ENABLE_PUSH, 0, SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW)
        self._out = bytearray(PREFACE + encode_frame(SETTINGS, 0, 0, settings)
                              + encode_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_WINDOW - DEFAULT_WINDOW))
                              + encode_frame(HEADERS, END_HEADERS, 1, headers))
        self._body = b"\x00" + len(message).to_bytes(4, "big") + message
        self._sent = 0
        self._conn_window = self._stream_window = DEFAULT_WINDOW  # the server's, for our DATA
        self._initial_window = DEFAULT_WINDOW
        self._max_frame = DEFAULT_MAX_FRAME
        self._received = 0  # DATA bytes since our last WINDOW_UPDATE
        self._frames = FrameReader()
        self._hpack = HpackDecoder()
        self._block: bytearray | None = None  # a header block awaiting CONTINUATION
        self._block_stream = self._block_flags = 0
        self._headers: dict[bytes, bytes] | None = None
        self._trailers: dict[bytes, bytes] | None = None
        self._data = bytearray()
        self.done = False

    @property
    def request_sent(self) -> bool:
        """Whether the whole request is in what `outgoing()` returned so far."""
        return self._sent == len(self._body)

    def outgoing(self) -> bytes:
        """Bytes to write now: pending frames and as much of the request's DATA as the windows allow."""
        while not self.done and self._sent < len(self._body) and min(self._conn_window, self._stream_window) > 0:
            size = min(len(self._body) - self._sent, self._max_frame, self._conn_window, self._stream_window)
            end = self._sent + size
            self._out += encode_frame(DATA, END_STREAM if end == len(self._body) else 0, 1, self._body[self._sent:end])
            self._sent = end
            self._conn_window -= size
            self._stream_window -= size
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive(self, data: bytes) -> None:
        """Handle bytes read from the connection; raises H2Error on a protocol violation."""
        for frame in self._frames.feed(data):
            self._handle(frame)

    def closed(self) -> None:
        """The server closed the connection: an error unless the call is done."""
        if not self.done:
            raise RpcError(UNAVAILABLE, "the daemon closed the connection before it answered")

    def response(self) -> bytes:
        """The reply message; RpcError for a non-OK status, H2Error for a malformed response."""
        assert self.done
        status = (self._trailers if self._trailers is not None else self._headers) or {}
        if b"grpc-status" not in status:
            raise H2Error("the daemon's response has no grpc-status")
        try:
            code = int(status[b"grpc-status"])
        except ValueError:
            raise H2Error(f"the daemon's response has a bad grpc-status {status[b'grpc-status']!r}") from None
        if code:
            raise RpcError(code, percent_decode(status.get(b"grpc-message", b"")))
        data = bytes(self._data)
        if len(data) < 5 or data[0] != 0 or len(data) != 5 + int.from_bytes(data[1:5], "big"):
            what = "compressed" if data[:1] not in (b"", b"\x00") else f"{len(data)} bytes"
            raise H2Error(f"the daemon's response is not one uncompressed gRPC message ({what})")
        return data[5:]

    def _handle(self, f: Frame) -> None:
        if self._block is not None and f.type != CONTINUATION:
            raise H2Error(f"the daemon sent frame type {f.type} inside a header block")
        if f.type == DATA:
            self._on_data(f)
        elif f.type in (HEADERS, CONTINUATION):
            self._on_headers(f)
        elif f.type == RST_STREAM:
            if f.stream == 1 and not self.done:
                code = int.from_bytes(f.payload[:4], "big")
                raise H2Error(f"the daemon reset the call ({error_name(code)})")
        elif f.type == SETTINGS:
            self._on_settings(f)
        elif f.type == PUSH_PROMISE:
            raise H2Error("the daemon sent PUSH_PROMISE though push is disabled")
        elif f.type == PING:
            if len(f.payload) != 8 or f.stream:
                raise H2Error("the daemon sent a malformed PING")
            if not f.flags & ACK:
                self._out += encode_frame(PING, ACK, 0, f.payload)
        elif f.type == GOAWAY:
            self._on_goaway(f)
        elif f.type == WINDOW_UPDATE:
            self._on_window_update(f)
        # PRIORITY and unknown frame types are ignored (RFC 9113 sections 5.3.2, 4.1)

    def _on_data(self, f: Frame) -> None:
        if f.stream != 1 or self._headers is None or self.done:
            raise H2Error(f"the daemon sent DATA on stream {f.stream} {'after' if self.done else 'before'} "
                          "its response headers")
        self._data += _unpad(f)
        self._received += len(f.payload)
        if self._received > MAX_WINDOW // 2:  # keep our windows open (a reply over 1 GiB)
            increment = struct.pack(">I", self._received)
            self._out += encode_frame(WINDOW_UPDATE, 0, 0, increment) + encode_frame(WINDOW_UPDATE, 0, 1, increment)
            self._received = 0
        if f.flags & END_STREAM:
            raise H2Error("the daemon ended the response without trailers (no grpc-status)")

    def _on_headers(self, f: Frame) -> None:
        if f.type == HEADERS:
            payload = _unpad(f)
            if f.flags & PRIORITY_FLAG:
                payload = payload[5:]
            self._block, self._block_stream, self._block_flags = bytearray(payload), f.stream, f.flags
        elif self._block is None or f.stream != self._block_stream:
            raise H2Error("the daemon sent CONTINUATION outside a header block")
        else:
            self._block += f.payload
        if not f.flags & END_HEADERS:
            return
        fields = self._hpack.decode(bytes(self._block))  # every block, to keep the dynamic table in step
        self._block = None
        if self._block_stream != 1 or self.done:
            raise H2Error(f"the daemon sent headers on stream {self._block_stream}")
        if self._headers is None:
            self._headers = dict(fields)
            status = self._headers.get(b":status")
            if status != b"200":
                raise H2Error(f"the daemon answered HTTP status {(status or b'none').decode(errors='replace')}")
            if not self._headers.get(b"content-type", b"").startswith(b"application/grpc"):
                raise H2Error("the daemon's response is not application/grpc")
        else:
            self._trailers = dict(fields)
            if not self._block_flags & END_STREAM:
                raise H2Error("the daemon's trailers do not end the stream")
        self.done = bool(self._block_flags & END_STREAM)

    def _on_settings(self, f: Frame) -> None:
        if f.stream or len(f.payload) % 6 or (f.flags & ACK and f.payload):
            raise H2Error("the daemon sent a malformed SETTINGS frame")
        if f.flags & ACK:
            return
        for i in range(0, len(f.payload), 6):
            key, value = struct.unpack_from(">HI", f.payload, i)
            if key == SETTINGS_INITIAL_WINDOW_SIZE:
                if value > MAX_WINDOW:
                    raise H2Error(f"the daemon's SETTINGS_INITIAL_WINDOW_SIZE {value} is over 2^31-1")
                self._stream_window += value - self._initial_window  # may go negative (RFC 9113 6.9.2)
                self._initial_window = value
            elif key == SETTINGS_MAX_FRAME_SIZE:
                if not DEFAULT_MAX_FRAME <= value <= 2**24 - 1:
                    raise H2Error(f"the daemon's SETTINGS_MAX_FRAME_SIZE {value} is outside 2^14..2^24-1")
                self._max_frame = value
        self._out += encode_frame(SETTINGS, ACK, 0)

    def _on_goaway(self, f: Frame) -> None:
        if len(f.payload) < 8:
            raise H2Error("the daemon sent a malformed GOAWAY")
        last, code = struct.unpack_from(">II", f.payload)
        # NO_ERROR with our stream at or below `last`: it is still answered; after the reply nothing matters
        if not self.done and (code or (last & STREAM_MASK) < 1):
            debug = f.payload[8:].decode(errors="replace")
            raise H2Error(f"the daemon closed the connection (GOAWAY {error_name(code)}"
                          f"{': ' + debug if debug else ''})")

    def _on_window_update(self, f: Frame) -> None:
        if len(f.payload) != 4:
            raise H2Error("the daemon sent a malformed WINDOW_UPDATE")
        increment = int.from_bytes(f.payload, "big") & STREAM_MASK  # the reserved bit dropped
        if not increment:
            raise H2Error("the daemon sent a WINDOW_UPDATE of 0")
        if f.stream == 0:
            self._conn_window += increment
        elif f.stream == 1:
            self._stream_window += increment
        if max(self._conn_window, self._stream_window) > MAX_WINDOW:
            raise H2Error("the daemon's WINDOW_UPDATE opened a window past 2^31-1")


def _unpad(f: Frame) -> bytes:
    """A DATA or HEADERS payload without its padding."""
    if not f.flags & PADDED:
        return f.payload
    if not f.payload or f.payload[0] >= len(f.payload):
        raise H2Error("the daemon sent a frame with bad padding")
    return f.payload[1:len(f.payload) - f.payload[0]]


# ---------------------------------------------------------------------------------------------- the socket


def call_unix(path: Path, method: str, message: bytes, on_sent: Callable[[], None] | None = None) -> bytes:
    """Make a unary call on the Unix socket at `path`; `on_sent` runs once the request is written (work to
    overlap with the daemon's). Returns the reply message; raises RpcError or H2Error."""
    call = UnaryCall(method, message)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError as e:  # worded as grpc words it, so netctl's message does not depend on the path taken
            raise RpcError(UNAVAILABLE, f"failed to connect to all addresses; last error: FAILED_PRECONDITION: "
                                        f"unix:{path}: connect failed: addr: unix:{path} error: "
                                        f"{e.strerror or e}") from None
        try:
            while True:
                out = call.outgoing()
                if out:
                    sock.sendall(out)
                if on_sent is not None and call.request_sent:
                    on_sent()
                    on_sent = None
                if call.done:
                    return call.response()
                data = sock.recv(1 << 16)
                if not data:
                    call.closed()
                call.receive(data)
        except OSError as e:
            raise RpcError(UNAVAILABLE, f"connection to unix:{path} failed: {e.strerror or e}") from None
