"""Dumps a lab node's links, addresses and routes two ways, for tests/kernel/test_dumps.py. Never run it elsewhere.

    dump_probe.py        prints {"ours": {"links", "addresses", "routes"}, "pyroute2": {the same}}: what
                         `Netlink.links()` / `addresses()` / `routes()` decode by hand, and the same dumps decoded
                         by pyroute2 and converted by `codec.link_from_msg` / `address_from_msg` / `route_from_msg`.
    dump_probe.py memo   dumps routes, runs `ip route replace 10.1.0.0/16 via 10.0.0.3`, dumps again, renames
                         link v0 to v9, dumps again; prints for the second and third dumps how many records are
                         the very objects of the dump before, and whether they equal pyroute2's reading.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from nlprobe import _plain

from networkd.kernel.codec import address_from_msg, link_from_msg, route_from_msg
from networkd.kernel.messages import RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import RTM_F_CLONED


async def pyroute2_routes(nl: Netlink) -> list[Any]:
    names = {msg["index"]: msg.get_attr("IFLA_IFNAME") or "" for msg in await nl._dump(RTM_GETLINK)}
    routes = [route_from_msg(msg, names) for msg in await nl._dump(RTM_GETROUTE) if not msg["flags"] & RTM_F_CLONED]
    return _plain([r for r in routes if r is not None])


async def run() -> dict[str, Any]:
    async with await Netlink.open() as nl:
        ours = {"links": _plain(await nl.links()), "addresses": _plain(await nl.addresses()),
                "routes": _plain(await nl.routes())}
        links = [link_from_msg(msg) for msg in await nl._dump(RTM_GETLINK)]
        names = {link.index: link.name for link in links}
        addresses = [address_from_msg(msg, names) for msg in await nl._dump(RTM_GETADDR)]
        theirs = {"links": _plain(links), "addresses": _plain([a for a in addresses if a is not None]),
                  "routes": await pyroute2_routes(nl)}
    return {"ours": ours, "pyroute2": theirs}


async def memo() -> list[dict[str, Any]]:
    stages = []
    async with await Netlink.open() as nl:
        before = await nl.routes()
        replace = ["ip", "route", "replace", "10.1.0.0/16", "via", "10.0.0.3"]
        for command in (replace, ["ip", "link", "set", "v0", "name", "v9"]):
            subprocess.run(command, check=True)
            after = await nl.routes()
            kept = {id(route) for route in before}
            stages.append({
                "routes": len(after),
                "same_objects": sum(id(route) in kept for route in after),
                "as_pyroute2": _plain(after) == await pyroute2_routes(nl),
                "changed": _plain([route for route in after if id(route) not in kept]),
            })
            before = after
    return stages


if __name__ == "__main__":
    print(json.dumps(anyio.run(memo if sys.argv[1:] == ["memo"] else run, backend="asyncio")))
