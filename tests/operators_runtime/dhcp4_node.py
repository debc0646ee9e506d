"""Run DHCP4Operator on a link inside a lab node until bound; print JSON lines of what happened.

`python dhcp4_node.py LINK STATE_DIR [--metric N] [--hostname FQDN] [--then stop|release] [--apply]`

Prints {"bound": ...} with the client states seen, the outputs and their ids once bound and offered; with
`--apply` adds the leased address to the link (as the address applier would), so that unicast
(RELEASE) has a source; then either cancels the operator (`stop`: a shutdown, nothing sent) or
asks it to release, and prints {"finished": ...}. Exits non-zero if no lease within the timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from networkd.operators.base import OperatorOutputs
from networkd.operators.dhcp4 import DHCP4Operator
from networkd.resources.base import to_plain
from networkd.resources.enums import ClientIdentifier, Operator
from networkd.resources.network import ClientIdentifierSpec, DHCP4OperatorSpec, OperatorSpec
from operators.dhcpv4.client import State


class StateLog(logging.Handler):
    """Collects the client states from the operator's "<link>: <old> -> <new>" debug lines."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.states: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Record the new state of a transition line."""
        if isinstance(record.args, tuple) and record.msg == "%s: %s -> %s":
            self.states.append(str(record.args[2]))


def plain(outputs: OperatorOutputs, prefix: str) -> dict[str, Any]:
    """Outputs as JSON-ready data: each spec group, and the ids the controller would write."""
    groups = ("addresses", "links", "routes", "hostnames", "resolvers", "time_servers")
    data: dict[str, Any] = {g: [to_plain(s) for s in getattr(outputs, g)] for g in groups}
    data["ids"] = [f"{prefix}/{id}" for id, _ in outputs.items()]
    return data


async def main(args: argparse.Namespace) -> int:
    """Drive the operator as described in the module docstring."""
    spec = OperatorSpec(
        operator=Operator.DHCP4,
        link_name=args.link,
        dhcp4=DHCP4OperatorSpec(
            route_metric=args.metric,
            skip_hostname_request=args.skip_hostname_request,
            client_identifier=ClientIdentifierSpec(client_identifier=ClientIdentifier.MAC),
        ),
    )
    log = logging.getLogger("dhcp4-node")
    log.setLevel(logging.DEBUG)
    transitions = StateLog()
    log.addHandler(transitions)
    op = DHCP4Operator(args.link, spec, Path(args.state_dir), lambda: args.hostname, logger=log)
    tentative = plain(op.outputs(), op.prefix)
    changed = asyncio.Event()
    task = asyncio.create_task(op.run(changed.set))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    while op.state is not State.BOUND or not op.outputs().addresses:  # a new address: once probed
        if task.done():
            task.result()
            return 1
        if loop.time() > deadline:
            print(json.dumps({"timeout": transitions.states}), flush=True)
            task.cancel()
            return 1
        await asyncio.sleep(0.005)
    outputs = plain(op.outputs(), op.prefix)
    bound = {"states": transitions.states, "tentative": tentative, "outputs": outputs}
    print(json.dumps({"bound": bound}), flush=True)
    if args.apply:
        address = op.outputs().addresses[0].address
        subprocess.run(["ip", "addr", "add", str(address), "dev", args.link], check=True)
    if args.then == "release":
        op.release()
        await asyncio.wait_for(task, 5)
    else:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finished = {"outputs": plain(op.outputs(), op.prefix), "lease_file": op.lease_path.exists()}
    print(json.dumps({"finished": finished}), flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("link")
    parser.add_argument("state_dir")
    parser.add_argument("--metric", type=int, default=1024)
    parser.add_argument("--hostname")
    parser.add_argument("--skip-hostname-request", action="store_true")
    parser.add_argument("--then", choices=("stop", "release"), default="stop")
    parser.add_argument("--apply", action="store_true")
    parser.add_argument("--timeout", type=float, default=20.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
