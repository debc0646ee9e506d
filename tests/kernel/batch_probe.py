"""Runs networkd.kernel.batch inside a lab node, for tests/kernel/test_batch.py. Never run it elsewhere.

    batch_probe.py OPS    OPS: JSON [[op, object], ...]: op "route add" | "route replace" | "route del" with a
                          route (fields as in nlprobe.py), or "address add" | "address del" with the fields of
                          an AddressChange (index, prefix, flags, scope, priority, protocol). Consecutive route
                          ops go in one `RouteSocket.apply`, consecutive address ops in one `apply_addresses`.
                          Prints {"results": [null | {"errno", "message"}, ...], "ours": [route, ...]} where
                          "ours" is `RouteSocket.routes()` after the ops.
"""

from __future__ import annotations

import itertools
import json
import sys
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from nlprobe import _plain, _route

from networkd.kernel.batch import AddressChange, RouteSocket
from networkd.kernel.errors import KernelError


async def run(ops: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    results: list[KernelError | None] = []
    async with await RouteSocket.open() as sock:
        for is_address, group in itertools.groupby(ops, key=lambda op: op[0].startswith("address ")):
            if is_address:
                changes = [AddressChange(op, **{**fields, "prefix": ip_interface(fields["prefix"])})  # type: ignore[arg-type]
                           for op, fields in group]
                results += await sock.apply_addresses(changes)
            else:
                results += await sock.apply([(op, _route(route)) for op, route in group])  # type: ignore[misc]
        ours = await sock.routes()
    return {
        "results": [None if r is None else {"errno": r.errno, "message": str(r)} for r in results],
        "ours": [_plain(route) for route in ours],
    }


if __name__ == "__main__":
    print(json.dumps(anyio.run(run, json.loads(sys.argv[1]), backend="asyncio")))
