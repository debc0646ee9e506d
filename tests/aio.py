"""Running controllers in-process in async tests, and waiting on what they do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio

from networkd.runtime import Controller, Runtime
from networkd.state import State


@asynccontextmanager
async def running(st: State, *controllers: Controller) -> AsyncIterator[Runtime]:
    """A Runtime of `controllers` against `st`, running for the duration of the block."""
    rt = Runtime(st)
    for c in controllers:
        rt.register(c)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        yield rt
        tg.cancel_scope.cancel()


async def until(pred: Callable[[], object], timeout: float = 3.0) -> None:
    """Poll `pred` every 5 ms until it is truthy; TimeoutError after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.005)
