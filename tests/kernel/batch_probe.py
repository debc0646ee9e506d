"""Runs networkd.kernel.batch inside a lab node, for tests/kernel/test_batch.py. Never run it elsewhere.

    batch_probe.py OPS    OPS: JSON [[op, route], ...] (op "route add" | "route replace" | "route del", route
                          fields as in nlprobe.py); prints {"results": [null | {"errno", "message"}, ...],
                          "ours": [route, ...]} where "ours" is `RouteSocket.routes()` after the ops.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from nlprobe import _plain, _route

from networkd.kernel.batch import RouteSocket


async def run(ops: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    async with await RouteSocket.open() as sock:
        results = await sock.apply([(op, _route(route)) for op, route in ops])  # type: ignore[misc]
        ours = await sock.routes()
    return {
        "results": [None if r is None else {"errno": r.errno, "message": str(r)} for r in results],
        "ours": [_plain(route) for route in ours],
    }


if __name__ == "__main__":
    print(json.dumps(anyio.run(run, json.loads(sys.argv[1]), backend="asyncio")))
