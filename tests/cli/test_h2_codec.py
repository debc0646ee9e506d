"""networkd.cli.h2's pure parts: the request writer against protobuf, HPACK against python-hyper's hpack and RFC 7541
Appendix C, and the call's state machine on scripted frames (windows, frame size, SETTINGS, PING, errors)."""

from __future__ import annotations

import contextlib
import struct

import grpc
import hpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from networkd.api.gen.networkd import machine_pb2
from networkd.cli import h2

# ---------------------------------------------------------------------------------------------- protobuf and names


@given(st.binary(max_size=300), st.sampled_from(sorted(h2.APPLY_MODES.values())), st.booleans(),
       st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 60.0, 1e-300])))
def test_request_bytes_equal_protobuf(data: bytes, mode: int, dry_run: bool, timeout: float) -> None:
    want = machine_pb2.ApplyConfigurationRequest(data=data, mode=mode, dry_run=dry_run,  # type: ignore[arg-type]
                                                 try_timeout_seconds=timeout).SerializeToString()
    assert h2.encode_apply_request(data, mode, dry_run, timeout) == want


def test_request_of_a_large_config_equals_protobuf() -> None:
    data = bytes(range(256)) * 5000  # a length varint of three bytes
    want = machine_pb2.ApplyConfigurationRequest(data=data, mode=machine_pb2.TRY, try_timeout_seconds=2.5)
    assert h2.encode_apply_request(data, h2.APPLY_MODES["TRY"], False, 2.5) == want.SerializeToString()


def test_names_match_the_proto_and_grpc() -> None:
    assert dict(machine_pb2.ApplyMode.items()) == h2.APPLY_MODES
    service = machine_pb2.DESCRIPTOR.services_by_name["Machine"]
    assert f"/{service.full_name}/{service.methods_by_name['ApplyConfiguration'].name}" == h2.APPLY_CONFIGURATION
    assert [h2.status_name(c.value[0]) for c in grpc.StatusCode] == [c.name.lower() for c in grpc.StatusCode]
    assert h2.status_name(99) == "unknown"


@pytest.mark.parametrize(("raw", "text"), [
    (b"plain text", "plain text"),
    (b"100%25 line%0Anext", "100% line\nnext"),
    (b"%C3%BCml%C3%A4ut", "ümläut"),
    (b"bad %zz and %4", "bad %zz and %4"),  # malformed escapes are kept
    (b"%FF", "\ufffd"),
])
def test_grpc_message_percent_decoding(raw: bytes, text: str) -> None:
    assert h2.percent_decode(raw) == text


# ---------------------------------------------------------------------------------------------- HPACK


@pytest.mark.parametrize(("value", "prefix", "encoded"), [(10, 5, b"\x0a"), (1337, 5, b"\x1f\x9a\x0a"),
                                                           (42, 8, b"\x2a")])
def test_integers_of_rfc7541_c1(value: int, prefix: int, encoded: bytes) -> None:
    assert h2.encode_integer(value, prefix) == encoded
    assert h2.decode_integer(encoded, 0, prefix) == (value, len(encoded))


def test_rfc7541_c4_requests_with_huffman_and_the_dynamic_table() -> None:
    d = h2.HpackDecoder()
    assert d.decode(bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")) == [
        (b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"), (b":authority", b"www.example.com")]
    assert d.decode(bytes.fromhex("828684be5886a8eb10649cbf")) == [
        (b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"), (b":authority", b"www.example.com"),
        (b"cache-control", b"no-cache")]


headers = st.lists(st.tuples(st.binary(min_size=1, max_size=40).map(bytes.lower), st.binary(max_size=300)),
                   max_size=12)


@given(st.lists(st.tuples(headers, st.booleans(), st.one_of(st.none(), st.integers(0, 4096))), min_size=1,
                max_size=6))
def test_decoder_follows_hpack_encoder(blocks: list[tuple[list[tuple[bytes, bytes]], bool, int | None]]) -> None:
    """Blocks in sequence on one connection: indexing, Huffman or not, table size updates and evictions."""
    enc, dec = hpack.Encoder(), h2.HpackDecoder()
    for fields, huffman, table_size in blocks:
        if table_size is not None:
            enc.header_table_size = table_size
        assert dec.decode(enc.encode(fields, huffman=huffman)) == fields


def test_evicted_entries_are_gone() -> None:
    enc, dec = hpack.Encoder(), h2.HpackDecoder()
    dec.decode(enc.encode([(b"a", b"x" * 2000), (b"b", b"y" * 2000)]))  # 2033 + 2033 bytes: both held
    assert dec.decode(b"\xbe\xbf") == [(b"b", b"y" * 2000), (b"a", b"x" * 2000)]
    dec.decode(enc.encode([(b"c", b"z" * 100)]))  # 134 more: the oldest ("a") goes
    assert dec.decode(b"\xbe\xbf") == [(b"c", b"z" * 100), (b"b", b"y" * 2000)]
    with pytest.raises(h2.H2Error, match="index 64 is not in the tables"):
        dec.decode(b"\xc0")
    with pytest.raises(h2.H2Error, match="index 62 is not in the tables"):
        dec.decode(b"\x20\xbe")  # size 0 empties the table


def test_never_indexed_fields_and_repeats() -> None:
    enc, dec = hpack.Encoder(), h2.HpackDecoder()
    fields = [hpack.NeverIndexedHeaderTuple(b"grpc-message", b"secret"), (b"grpc-status", b"3"), (b"x", b"y" * 200)]
    for _ in range(3):
        assert dec.decode(enc.encode(fields)) == [(bytes(n), bytes(v)) for n, v in fields]


def test_request_headers_decode_with_hpack() -> None:
    fields = [(b":path", b"/x" * 100), (b"te", b"trailers"), (b"", b"")]
    assert hpack.Decoder().decode(h2.encode_headers(fields), raw=True) == fields


@pytest.mark.parametrize(("block", "error"), [
    (b"\xbe", "index 62 is not in the tables"),
    (b"\x80", "index 0"),
    (b"\x82\x3f\xe1\x1f", "size update after a header field"),
    (b"\x3f\xe2\x1f", "dynamic table size 4097 over the 4096 allowed"),
    (b"\x00\x05ab", "ends inside a string"),
    (b"\x00\x7f", "ends inside an integer"),
    (b"\x00\x81\x00\x00", "badly padded"),  # a Huffman string of one zero byte: eight bits of padding, not ones
    (b"\x00\x84\xff\xff\xff\xff\x00", "EOS"),
])
def test_bad_header_blocks_are_named(block: bytes, error: str) -> None:
    with pytest.raises(h2.H2Error, match=error):
        h2.HpackDecoder().decode(block)


# ---------------------------------------------------------------------------------------------- the call


def _frames(data: bytes) -> list[h2.Frame]:
    assert data.startswith(h2.PREFACE)
    return h2.FrameReader(2**24).feed(data[len(h2.PREFACE):])


def _server_headers(*fields: tuple[bytes, bytes], end: bool = False) -> bytes:
    flags = h2.END_HEADERS | (h2.END_STREAM if end else 0)
    return h2.encode_frame(h2.HEADERS, flags, 1, hpack.Encoder().encode(list(fields)))


OK_HEADERS = ((b":status", b"200"), (b"content-type", b"application/grpc"))


def test_request_follows_the_windows_and_frame_size() -> None:
    message = bytes(200_000)
    call = h2.UnaryCall("/a.B/C", message)
    first = _frames(call.outgoing())
    settings, window, headers = first[:3]
    assert settings.type == h2.SETTINGS and struct.unpack(">HIHI", settings.payload) == (2, 0, 4, 2**31 - 1)
    assert window.type == h2.WINDOW_UPDATE and int.from_bytes(window.payload) == 2**31 - 1 - 65535
    assert dict(hpack.Decoder().decode(headers.payload, raw=True))[b":path"] == b"/a.B/C"
    data = first[3:]
    assert [len(f.payload) for f in data] == [16384] * 3 + [65535 - 3 * 16384]
    assert call.outgoing() == b""  # the window is spent

    # the server shrinks the stream window below zero and raises the frame size: an ACK, still no DATA
    call.receive(h2.encode_frame(h2.SETTINGS, 0, 0, struct.pack(">HIHI", 4, 1000, 5, 40000)))
    assert [(f.type, f.flags) for f in _frames(h2.PREFACE + call.outgoing())] == [(h2.SETTINGS, h2.ACK)]
    call.receive(h2.encode_frame(h2.WINDOW_UPDATE, 0, 1, struct.pack(">I", 64535 + 50000)))
    assert call.outgoing() == b""  # the connection window is still spent
    call.receive(h2.encode_frame(h2.WINDOW_UPDATE, 0, 0, struct.pack(">I", 10**6)))
    more = _frames(h2.PREFACE + call.outgoing())
    assert [len(f.payload) for f in more] == [40000, 10000] and not more[-1].flags & h2.END_STREAM
    call.receive(h2.encode_frame(h2.WINDOW_UPDATE, 0, 1, struct.pack(">I", 10**6)))
    rest = _frames(h2.PREFACE + call.outgoing())
    assert rest[-1].flags & h2.END_STREAM and not call.done and call.request_sent
    sent = b"".join(f.payload for f in data + more + rest)
    assert sent == b"\x00" + len(message).to_bytes(4) + message


def test_ping_is_acknowledged_and_a_response_read() -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    call.outgoing()
    call.receive(h2.encode_frame(h2.PING, 0, 0, b"12345678"))
    assert call.outgoing() == h2.encode_frame(h2.PING, h2.ACK, 0, b"12345678")
    reply = b"\x00\x00\x00\x00\x03abc"
    wire = (_server_headers(*OK_HEADERS) + h2.encode_frame(h2.DATA, h2.PADDED, 1, b"\x02" + reply[:4] + b"\x00\x00")
            + h2.encode_frame(h2.DATA, 0, 1, reply[4:]) + _server_headers((b"grpc-status", b"0"), end=True))
    for i in range(len(wire)):  # a byte at a time: frames split anywhere
        call.receive(wire[i:i + 1])
    assert call.done and call.response() == b"abc"


def test_trailers_only_error_with_continuation_and_huffman() -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    block = hpack.Encoder().encode([*OK_HEADERS, (b"grpc-status", b"3"), (b"grpc-message", b"bad%3A %C3%A9")],
                                   huffman=True)
    call.receive(h2.encode_frame(h2.HEADERS, h2.END_STREAM, 1, block[:5])
                 + h2.encode_frame(h2.CONTINUATION, h2.END_HEADERS, 1, block[5:]))
    assert call.done
    with pytest.raises(h2.RpcError) as e:
        call.response()
    assert (e.value.code, e.value.details, str(e.value)) == (3, "bad: é", "invalid_argument: bad: é")


@pytest.mark.parametrize(("wire", "error"), [
    (h2.encode_frame(h2.GOAWAY, 0, 0, struct.pack(">II", 0, 11) + b"calm down"),
     r"closed the connection \(GOAWAY ENHANCE_YOUR_CALM: calm down\)"),
    (h2.encode_frame(h2.RST_STREAM, 0, 1, struct.pack(">I", 2)), r"reset the call \(INTERNAL_ERROR\)"),
    (b"\x00\x40\x01" + bytes(6), "frame of 16385 bytes, over the 16384 allowed"),
    (h2.encode_frame(h2.SETTINGS, 0, 0, struct.pack(">HI", 5, 100)), "MAX_FRAME_SIZE 100 is outside"),
    (h2.encode_frame(h2.WINDOW_UPDATE, 0, 0, struct.pack(">I", 2**31 - 1)), "past 2\\^31-1"),
    (h2.encode_frame(h2.DATA, 0, 1, b"x"), "DATA on stream 1 before its response headers"),
    (_server_headers((b":status", b"404"), (b"content-type", b"text/html")), "HTTP status 404"),
    (h2.encode_frame(h2.HEADERS, 0, 1, b"\x88") + h2.encode_frame(h2.PING, 0, 0, bytes(8)),
     "frame type 6 inside a header block"),
    (h2.encode_frame(h2.PUSH_PROMISE, 0, 1, bytes(4)), "PUSH_PROMISE though push is disabled"),
])
def test_protocol_violations_are_named(wire: bytes, error: str) -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    with pytest.raises(h2.H2Error, match=error):
        call.receive(wire)


def test_graceful_goaway_lets_the_call_finish() -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    call.receive(h2.encode_frame(h2.GOAWAY, 0, 0, struct.pack(">II", 2**31 - 1, 0))
                 + _server_headers(*OK_HEADERS, (b"grpc-status", b"0"), end=True)
                 + h2.encode_frame(h2.RST_STREAM, 0, 1, bytes(4)))
    with pytest.raises(h2.H2Error, match="not one uncompressed gRPC message"):
        call.response()  # OK, but no message


def test_end_without_trailers_and_early_close() -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    call.receive(_server_headers(*OK_HEADERS))
    with pytest.raises(h2.H2Error, match="without trailers"):
        call.receive(h2.encode_frame(h2.DATA, h2.END_STREAM, 1, bytes(5)))
    with pytest.raises(h2.RpcError, match=r"^unavailable: the daemon closed the connection before it answered$"):
        h2.UnaryCall("/a.B/C", b"hi").closed()


def test_goaway_after_the_reply_is_ignored() -> None:
    call = h2.UnaryCall("/a.B/C", b"hi")
    call.receive(_server_headers(*OK_HEADERS, (b"grpc-status", b"5"), (b"grpc-message", b"gone"), end=True)
                 + h2.encode_frame(h2.GOAWAY, 0, 0, struct.pack(">II", 0, 2)))
    with pytest.raises(h2.RpcError, match=r"^not_found: gone$"):
        call.response()


@given(st.binary(max_size=200))
def test_any_header_block_decodes_or_names_its_error(block: bytes) -> None:
    with contextlib.suppress(h2.H2Error):
        h2.HpackDecoder().decode(block)


frames = st.builds(h2.encode_frame, st.integers(0, 10), st.integers(0, 255), st.integers(0, 2),
                   st.one_of(st.binary(max_size=40), st.just(hpack.Encoder().encode([*OK_HEADERS]))))


@given(st.lists(frames, max_size=8))
def test_any_frames_end_in_a_reply_or_a_named_error(wire: list[bytes]) -> None:
    """What the daemon sends either completes the call or raises H2Error/RpcError, never anything else."""
    call = h2.UnaryCall("/a.B/C", b"hi")
    with contextlib.suppress(h2.H2Error, h2.RpcError):
        call.receive(b"".join(wire))
        call.outgoing()
        if call.done:
            call.response()
        else:
            call.closed()
