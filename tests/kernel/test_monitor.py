"""Monitor without a kernel: netlink headers written into a Unix datagram socket pair.

No netlink socket is opened here (that only happens inside lab namespaces, in test_netlink.py).
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import Any, cast

import anyio
import pytest

from networkd.kernel import monitor as monitor_module
from networkd.kernel.monitor import ALL, MAX_READS, Monitor


def header(msg_type: int) -> bytes:
    return struct.pack("=IHHII", 20, msg_type, 0, 0, 0) + bytes(4)


class OverflowOnce:
    """A socket end whose first read fails with ENOBUFS, as a netlink socket does after an overrun."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.failed = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv_into(self, buffer: Any) -> int:
        if not self.failed:
            self.failed = True
            raise OSError(errno.ENOBUFS, "No buffer space available")
        return self.sock.recv_into(buffer)

    def close(self) -> None:
        self.sock.close()


def pair() -> tuple[socket.socket, socket.socket]:
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    reader.setblocking(False)
    return reader, writer


def test_first_item_is_everything_then_coalesced_kinds() -> None:
    async def scenario() -> None:
        reader, writer = pair()
        monitor = Monitor(reader, rcvbuf=0, settle=0.01)
        assert await anext(monitor) == ALL
        writer.send(header(20))  # RTM_NEWADDR
        writer.send(header(33))  # RTM_DELRULE
        writer.send(header(21) + header(25))  # two messages in one datagram
        assert await anext(monitor) == {"address", "rule", "route"}
        writer.send(header(28))  # RTM_NEWNEIGH: not a watched kind, no item
        writer.send(header(17))  # RTM_DELLINK
        assert await anext(monitor) == {"link", "route"}
        await monitor.close()
        with pytest.raises(StopAsyncIteration):
            await anext(monitor)
        writer.close()

    anyio.run(scenario, backend="asyncio")


@pytest.mark.parametrize("report_every", [0.0, 60.0])
def test_a_burst_read_for_longer_than_report_every_comes_in_parts(report_every: float,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A consumer waiting for the changes to pause must not see a silence while the monitor drains a long burst;
    a short one is still one item."""
    monkeypatch.setattr(monitor_module, "REPORT_EVERY", report_every)

    async def scenario() -> None:
        reader, writer = pair()
        monitor = Monitor(reader, rcvbuf=0, settle=0)
        await anext(monitor)
        for _ in range(MAX_READS + 10):
            writer.send(header(24))  # RTM_NEWROUTE
        with anyio.fail_after(2):
            assert await anext(monitor) == {"route"}  # all, or (with parts) the first MAX_READS
        with anyio.move_on_after(0.05) as scope:
            assert await anext(monitor) == {"route"}  # the other 10, without anything new written
        assert scope.cancelled_caught == (report_every > 1)
        await monitor.close()
        writer.close()

    anyio.run(scenario, backend="asyncio")


def test_enobufs_yields_every_kind_and_is_counted() -> None:
    async def scenario() -> None:
        reader, writer = pair()
        monitor = Monitor(cast(socket.socket, OverflowOnce(reader)), rcvbuf=0, settle=0)
        await anext(monitor)
        writer.send(header(24))
        assert await anext(monitor) == ALL
        assert monitor.overflows == 1
        writer.send(header(24))
        assert await anext(monitor) == {"route"}
        await monitor.close()
        writer.close()

    anyio.run(scenario, backend="asyncio")


def test_close_ends_a_pending_iteration() -> None:
    async def scenario() -> None:
        reader, writer = pair()
        monitor = Monitor(reader, rcvbuf=0, settle=0)
        await anext(monitor)
        ended = anyio.Event()

        async def consume() -> None:
            async for _ in monitor:
                pass
            ended.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            await anyio.sleep(0.05)
            await monitor.close()
            with anyio.fail_after(2):
                await ended.wait()
        writer.close()

    anyio.run(scenario, backend="asyncio")
