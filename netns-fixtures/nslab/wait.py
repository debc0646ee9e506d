"""Polling helper for tests: wait until a condition holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 5.0,
    interval: float = 0.05,
    *,
    what: str | None = None,
) -> T:
    """Call `predicate` until it returns a truthy value and return that value.

    Raises TimeoutError naming `what` (or the predicate) and its last value after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            name = what or getattr(predicate, "__qualname__", repr(predicate))
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {name} (last value: {value!r})")
        time.sleep(interval)
