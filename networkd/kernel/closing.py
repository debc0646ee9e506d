"""`async with` for holders of kernel sockets: leaving the block closes them, shielded from cancellation."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

import anyio


class AsyncClosing(ABC):
    """`async with obj:` closes `obj` at the end, even when the block is being cancelled."""

    @abstractmethod
    async def close(self) -> None:
        """Release what the object holds; idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self.close()


class SocketHolder(AsyncClosing):
    """Holds one socket in `_sock`; `close` wakes whoever waits on it, then closes it."""

    _sock: socket.socket | None

    async def close(self) -> None:
        """Close the socket (a pending or later wait on it ends); idempotent."""
        sock, self._sock = self._sock, None
        if sock is not None:
            anyio.notify_closing(sock)
            sock.close()
