"""Dumps a lab node's links, addresses and routes two ways, for tests/kernel/test_dumps.py. Never run it elsewhere.

    dump_probe.py    prints {"ours": {"addresses", "routes"}, "pyroute2": {"addresses", "routes"}}: what
                     `Netlink.addresses()` / `Netlink.routes()` decode by hand, and the same dumps decoded by
                     pyroute2 and converted by `codec.address_from_msg` / `route_from_msg`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from nlprobe import _plain

from networkd.kernel.codec import address_from_msg, route_from_msg
from networkd.kernel.messages import RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import RTM_F_CLONED


async def run() -> dict[str, Any]:
    async with await Netlink.open() as nl:
        ours = {"addresses": _plain(await nl.addresses()), "routes": _plain(await nl.routes())}
        names = {msg["index"]: msg.get_attr("IFLA_IFNAME") or "" for msg in await nl._dump(RTM_GETLINK)}
        addresses = [address_from_msg(msg, names) for msg in await nl._dump(RTM_GETADDR)]
        routes = [route_from_msg(msg, names) for msg in await nl._dump(RTM_GETROUTE) if not msg["flags"] & RTM_F_CLONED]
    theirs = {"addresses": _plain([a for a in addresses if a is not None]),
              "routes": _plain([r for r in routes if r is not None])}
    return {"ours": ours, "pyroute2": theirs}


if __name__ == "__main__":
    print(json.dumps(anyio.run(run, backend="asyncio")))
