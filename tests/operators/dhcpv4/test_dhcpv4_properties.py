"""Property tests: the decoder on arbitrary bytes, and random walks through the client state machine."""

from __future__ import annotations

import random
import struct
from ipaddress import IPv4Address
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from operators.dhcpv4.client import (
    AddressInUse,
    ArmTimer,
    CancelTimer,
    Client,
    ClientConfig,
    PacketReceived,
    Send,
    Start,
    State,
    Stop,
    Timer,
    TimerFired,
)
from operators.dhcpv4.codec import (
    MAGIC_COOKIE,
    DHCPDecodeError,
    Message,
    MessageType,
    Op,
    Options,
    decode,
    encode,
)

MAC = bytes.fromhex("020000000001")
KNOWN = {0, 1, 3, 6, 12, 15, 26, 28, 42, 50, 51, 52, 53, 54, 55, 56, 58, 59, 61, 119, 121, 255}


def tlvs(draw: st.DrawFn, limit: int) -> bytes:
    """Well-framed options with random codes and values, cut to ``limit`` bytes."""
    items = draw(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=30)), max_size=12))
    return b"".join(bytes([c, len(v)]) + v for c, v in items)[:limit]


def framed(draw: st.DrawFn) -> bytes:
    """A valid header and cookie with random option areas (and sometimes overload), to reach the option walk."""

    def area(limit: int) -> bytes:
        return draw(st.binary(max_size=limit)) if draw(st.booleans()) else tlvs(draw, limit)

    overload = draw(st.sampled_from([b"", b"\x34\x01\x01", b"\x34\x01\x02", b"\x34\x01\x03"]))
    header = struct.pack("!BBBBIHH16s16s", draw(st.sampled_from([1, 2])), 1, 6, 0, 1, 0, 0, bytes(16), MAC)
    return header + area(64).ljust(64, b"\0") + area(128).ljust(128, b"\0") + MAGIC_COOKIE + overload + area(400)


@st.composite
def wire(draw: st.DrawFn) -> bytes:
    return draw(st.binary(max_size=600)) if draw(st.booleans()) else framed(draw)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(wire())
def test_decode_raises_only_decode_errors_and_decoded_messages_round_trip(data: bytes) -> None:
    try:
        message = decode(data)
    except DHCPDecodeError:
        return
    wire_again = encode(message)
    assert decode(wire_again) == message
    assert encode(decode(wire_again)) == wire_again


@settings(max_examples=300)
@given(st.binary(min_size=1, max_size=300))
def test_any_option_value_decodes_typed_or_raw(value: bytes) -> None:
    """Every known option with an arbitrary value either decodes or is kept verbatim."""
    header = struct.pack("!BBBBIHH16s16s", 2, 1, 6, 0, 1, 0, 0, bytes(16), MAC) + bytes(192) + MAGIC_COOKIE
    for code in sorted(KNOWN - {0, 52, 255}):
        chunks = b"".join(
            bytes([code, len(value[i : i + 255])]) + value[i : i + 255] for i in range(0, len(value), 255)
        )
        message = decode(header + chunks)
        raw = dict(message.options.raw)
        if code in raw:
            assert raw[code] == value
        else:
            assert decode(encode(message)) == message


# Client random walk --------------------------------------------------------------------------------

SERVERS = [IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")]


REPLY_TYPES = [MessageType.OFFER, MessageType.ACK, MessageType.NAK]


@st.composite
def walks(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Mostly well-formed server replies and due timers, with some noise; always starts with Start."""
    reply = st.tuples(
        st.sampled_from(REPLY_TYPES) | st.sampled_from(MessageType), st.sampled_from(SERVERS), st.booleans()
    )
    steps = st.one_of(
        st.tuples(st.just("answer"), st.none()),
        st.tuples(st.just("answer"), st.none()),
        st.tuples(st.just("reply"), reply),
        st.tuples(st.just("timer"), st.sampled_from(Timer)),
        st.tuples(st.just("timer"), st.sampled_from(Timer)),
        st.tuples(st.just("wait"), st.floats(0, 5000)),
        st.tuples(st.just("in-use"), st.none()),
        st.tuples(st.just("stop"), st.booleans()),
        st.tuples(st.just("start"), st.none()),
    )
    return [("start", None), *draw(st.lists(steps, max_size=60))]


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(walks(), st.integers(0, 2**32))
def test_client_random_walk_invariants(walk: list[tuple[str, Any]], seed: int) -> None:
    client = Client(ClientConfig(mac=MAC), random.Random(seed))
    now = 0.0
    last: Message | None = None
    for kind, arg in walk:
        if kind == "timer":
            at = client.timers.get(arg)
            if at is None:
                continue
            now = max(now, at)
            incoming: Any = TimerFired(arg, now)
        elif kind in ("reply", "answer"):
            if last is None:
                continue
            # "answer" is what a good server says next: OFFER to a DISCOVER, ACK to a REQUEST.
            good = MessageType.OFFER if last.message_type is MessageType.DISCOVER else MessageType.ACK
            mtype, server, matching = arg or (good, SERVERS[0], True)
            opts = Options(message_type=mtype, server_id=server, lease_time=120, subnet_mask=IPv4Address("255.0.0.0"))
            reply = Message(
                Op.BOOTREPLY, last.xid if matching else last.xid ^ 1, MAC, opts, yiaddr=IPv4Address("10.1.2.3")
            )
            incoming = PacketReceived(reply, now)
        elif kind == "in-use":
            incoming = AddressInUse(now)
        elif kind == "stop":
            incoming = Stop(now, release=arg)
        elif kind == "start":
            incoming = Start(now)
        else:
            now += arg
            continue
        expected = dict(client.timers)
        if isinstance(incoming, TimerFired):
            del expected[incoming.timer]  # a fired slot is no longer armed
        for action in client.handle(incoming):
            if isinstance(action, Send):
                last = action.message
                assert decode(encode(action.message)) == action.message
                assert action.destination != IPv4Address(0)
            elif isinstance(action, ArmTimer):
                expected[action.timer] = action.at
            elif isinstance(action, CancelTimer):
                del expected[action.timer]
        assert dict(client.timers) == expected
        state, lease = client.state, client.lease
        event(f"reached {state}")
        holding = state in (State.BOUND, State.RENEWING, State.REBINDING)
        assert (lease is not None) == (holding or state is State.REBOOTING)
        if state is State.STOPPED:
            assert not expected
        elif not holding:
            assert set(expected) == {Timer.RESEND}
        elif lease is not None and lease.lease_time is not None:
            assert Timer.EXPIRY in expected
