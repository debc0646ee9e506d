"""Runs networkd.kernel.genetlink inside a lab node, for tests/kernel/test_genetlink.py. Never run it elsewhere.

    genl_probe.py families NAME...   {NAME: {"id": n} | {"error": {"errno", "message", "unknown_family"}}}, each
                                     NAME asked twice on one socket (the second answer may come from the cache)
    genl_probe.py dump-families      GenericNetlink.dump of CTRL_CMD_GETFAMILY: {name: id} of every family
    genl_probe.py wireguard IFNAME   KernelWireguard().get(IFNAME): {"ok": device fields} | {"error": ...}
    genl_probe.py controller SECONDS LinkSpecController for SECONDS, WIREGUARD_POLL 0.1 s, over specs
                                     wg0 (wireguard, up, a key and a peer) and v0 (physical, mtu 1400, up);
                                     rtnetlink and genetlink are the node's, only the kind rtnetlink reports
                                     for wg0 (a veth the test made) reads "wireguard", so the kernel wireguard
                                     path runs on a kernel without it. {"log": [[level, message]...],
                                     "restarts": n}
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import struct
import sys
from ipaddress import ip_network
from typing import Any

import anyio

from networkd.controllers import link_spec
from networkd.controllers.link_spec import LinkSpecController
from networkd.kernel.batch import _attrs
from networkd.kernel.errors import KernelError
from networkd.kernel.genetlink import (
    CTRL_ATTR_FAMILY_ID,
    CTRL_ATTR_FAMILY_NAME,
    CTRL_CMD_GETFAMILY,
    GENL_ID_CTRL,
    GenericNetlink,
    KernelWireguard,
    UnknownFamily,
)
from networkd.kernel.hub import KernelHub
from networkd.kernel.messages import NLM_F_DUMP, NLM_F_REQUEST
from networkd.kernel.netlink import Netlink
from networkd.kernel.types import KernelLink
from networkd.resources.link import LinkSpec, WireguardPeer, WireguardSpec
from networkd.resources.network import NETWORK
from networkd.runtime import Runtime
from networkd.state import State

PRIV = "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PEER = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="


def _error(e: KernelError) -> dict[str, Any]:
    return {"errno": e.errno, "message": str(e), "unknown_family": isinstance(e, UnknownFamily)}


async def families(names: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with await GenericNetlink.open() as genl:
        for name in names:
            for _ in range(2):
                try:
                    out.setdefault(name, []).append({"id": await genl.family(name)})
                except KernelError as e:
                    out.setdefault(name, []).append({"error": _error(e)})
    return out


async def dump_families() -> dict[str, int]:
    request = struct.pack("=IHHIIBBH", 20, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, 0, 0, CTRL_CMD_GETFAMILY, 2, 0)
    out = {}
    async with await GenericNetlink.open() as genl:
        for answer in await genl.dump(request, "dump", "generic netlink families"):
            attrs = dict(_attrs(memoryview(answer), 20, len(answer)))
            name = bytes(attrs[CTRL_ATTR_FAMILY_NAME]).rstrip(b"\0").decode()
            out[name] = struct.unpack_from("=H", attrs[CTRL_ATTR_FAMILY_ID])[0]
    return out


async def wireguard(ifname: str) -> dict[str, Any]:
    async with KernelWireguard() as kwg:
        try:
            return {"ok": dataclasses.asdict(await kwg.get(ifname))}
        except KernelError as e:
            return {"error": _error(e)}


class LooksLikeWireguard(Netlink):
    """The node's rtnetlink, except that link wg0 is reported as of kind wireguard."""

    async def links(self) -> list[KernelLink]:
        return [dataclasses.replace(link, kind="wireguard") if link.name == "wg0" else link
                for link in await super().links()]


class Controller(LinkSpecController):
    async def open(self, stack: contextlib.AsyncExitStack) -> Netlink:
        await stack.enter_async_context(self._kernel_wg)
        return await stack.enter_async_context(await LooksLikeWireguard.open())


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append([record.levelname, record.getMessage()])


async def controller(seconds: float) -> dict[str, Any]:
    link_spec.WIREGUARD_POLL = 0.1
    records = Records()
    logging.getLogger().addHandler(records)
    logging.getLogger().setLevel(logging.INFO)
    state = State()
    wg = WireguardSpec(private_key=PRIV, listen_port=51820,
                       peers=(WireguardPeer(public_key=PEER, allowed_ips=(ip_network("10.7.0.2/32"),)),))
    specs = [LinkSpec(name="wg0", logical=True, up=True, kind="wireguard", wireguard=wg),
             LinkSpec(name="v0", up=True, mtu=1400)]
    for spec in specs:
        state.create(LinkSpec.TYPE.new(NETWORK, spec.name, spec), "test")
    runtime = Runtime(state, backoff_initial=0.05)
    runtime.register(Controller(KernelHub()))
    async with anyio.create_task_group() as tg:
        tg.start_soon(runtime.run)
        await anyio.sleep(seconds)
        tg.cancel_scope.cancel()
    return {"log": records.lines, "restarts": runtime.restarts.get(Controller.name, 0)}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "families":
        result: Any = anyio.run(families, args, backend="asyncio")
    elif command == "dump-families":
        result = anyio.run(dump_families, backend="asyncio")
    elif command == "wireguard":
        result = anyio.run(wireguard, args[0], backend="asyncio")
    elif command == "controller":
        result = anyio.run(controller, float(args[0]), backend="asyncio")
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))
