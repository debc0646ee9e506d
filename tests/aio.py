"""Waiting inside async tests that run controllers in-process."""

from __future__ import annotations

from collections.abc import Callable

import anyio


async def until(pred: Callable[[], object], timeout: float = 3.0) -> None:
    """Poll `pred` every 5 ms until it is truthy; TimeoutError after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.005)
