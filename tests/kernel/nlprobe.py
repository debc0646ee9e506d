"""Runs networkd.kernel inside a lab node's network namespace, for tests/kernel/test_netlink.py.

    nlprobe.py '<json calls>'        run Netlink calls, print one JSON list of results
    nlprobe.py raw-addr-protos       dump IFA_PROTO of every address with a bare socket (no pyroute2)
    nlprobe.py watch RCVBUF SETTLE [PROTO]
                                     print a JSON line per Monitor item; with PROTO, also the number
                                     of routes of that protocol dumped after each item

Calls are [method, kwargs] pairs; kwargs carrying rules or bond options are given as JSON and
converted here (`_route` converts batch_probe.py's routes). Each result is {"ok": value} or
{"error": {"errno", "message"}}.
Never run this in the host namespace: it changes whatever namespace it runs in.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

import anyio

from networkd.kernel.errors import KernelError
from networkd.kernel.monitor import Monitor
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import BondOptions, KernelRoute, KernelRule, NextHop


def _route(spec: dict[str, Any]) -> KernelRoute:
    """A KernelRoute from its JSON fields (addresses and networks as strings)."""
    spec = dict(spec)
    spec["dst"] = ip_network(spec["dst"])
    for key in ("gateway", "pref_src"):
        if spec.get(key):
            spec[key] = ip_address(spec[key])
    if spec.get("src"):
        spec["src"] = ip_network(spec["src"])
    hops = []
    for hop in spec.pop("nexthops", ()):
        gateway = ip_address(hop["gateway"]) if hop.get("gateway") else None
        hops.append(NextHop(**{**hop, "gateway": gateway}))
    return KernelRoute(**spec, nexthops=tuple(hops))


def _rule(spec: dict[str, Any]) -> KernelRule:
    spec = dict(spec)
    for key in ("src", "dst"):
        if spec.get(key):
            spec[key] = ip_network(spec[key])
    return KernelRule(**spec)


def _bond(spec: dict[str, Any]) -> BondOptions:
    spec = dict(spec)
    if "arp_ip_targets" in spec:
        spec["arp_ip_targets"] = tuple(IPv4Address(a) for a in spec["arp_ip_targets"])
    if "ns_ip6_targets" in spec:
        spec["ns_ip6_targets"] = tuple(IPv6Address(a) for a in spec["ns_ip6_targets"])
    return BondOptions(**spec)


CONVERT: dict[str, Callable[[Any], Any]] = {
    "rule": _rule,
    "bond": _bond,
}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | str | float | bool) or value is None:
        return value
    return str(value)


async def run_calls(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run the calls in order on one Netlink; errors are results too."""
    results: list[dict[str, Any]] = []
    async with await Netlink.open() as nl:
        for method, kwargs in calls:
            args = {k: CONVERT[k](v) if k in CONVERT and v is not None else v for k, v in kwargs.items()}
            try:
                results.append({"ok": _plain(await getattr(nl, method)(**args))})
            except KernelError as e:
                results.append({"error": {"errno": e.errno, "message": str(e)}})
    return results


def raw_addr_protos() -> list[dict[str, Any]]:
    """IFA_PROTO of every address, read with a plain netlink socket: an oracle independent of pyroute2."""
    rtm_getaddr, nlm_f_dump, nlmsg_done, ifa_proto, ifa_address = 22, 0x301, 3, 11, 1
    out: list[dict[str, Any]] = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        sock.send(struct.pack("=IHHII", 24, rtm_getaddr, nlm_f_dump, 1, 0) + bytes(8))
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset < len(data):
                length, msg_type = struct.unpack_from("=IH", data, offset)
                if msg_type == nlmsg_done:
                    return out
                family, prefixlen, _, _, index = struct.unpack_from("=BBBBI", data, offset + 16)
                entry: dict[str, Any] = {"index": index, "prefixlen": prefixlen, "proto": 0}
                attr = offset + 24
                while attr < offset + length:
                    alen, atype = struct.unpack_from("=HH", data, attr)
                    payload = data[attr + 4 : attr + alen]
                    if atype == ifa_proto:
                        entry["proto"] = payload[0]
                    elif atype == ifa_address:
                        entry["address"] = socket.inet_ntop(family, payload)
                    attr += (alen + 3) & ~3
                out.append(entry)
                offset += (length + 3) & ~3


async def watch(rcvbuf: int, settle: float, proto: int | None) -> None:
    """Print every Monitor item as a JSON line (after the initial one, reported as "ready")."""
    async with await Monitor.open(rcvbuf=rcvbuf, settle=settle) as monitor, await Netlink.open() as nl:
        async for changes in monitor:
            line: dict[str, Any] = {
                "t": time.monotonic(),
                "changes": sorted(changes),
                "overflows": monitor.overflows,
                "rcvbuf": monitor.rcvbuf,
            }
            if proto is not None:
                line["count"] = sum(1 for route in await nl.routes() if route.protocol == proto)
            print(json.dumps(line), flush=True)


def main(argv: list[str]) -> None:
    """Dispatch on the first argument (see the module docstring)."""
    if argv[0] == "raw-addr-protos":
        print(json.dumps(raw_addr_protos()))
    elif argv[0] == "watch":
        proto = int(argv[3]) if len(argv) > 3 else None
        anyio.run(watch, int(argv[1]), float(argv[2]), proto, backend="asyncio")
    else:
        calls = [(method, kwargs) for method, kwargs in json.loads(argv[0])]
        print(json.dumps(anyio.run(run_calls, calls, backend="asyncio")))


if __name__ == "__main__":
    main(sys.argv[1:])
