"""Inside a lab node: the daemon's OperatorSpecController with the real DHCPv4 operator.

`python controller_node.py STATE_DIR` feeds a LinkStatus and an OperatorSpec for eth0 into a real
Runtime and State, waits for the operator's specs in network-config, applies the address with
`ip` (as the address applier would), then removes the OperatorSpec and waits for the specs to be
retired. Prints one JSON line: {"published": {type: [ids]}, "retired": {type: [ids]}}.
"""

from __future__ import annotations

import json
import subprocess
import sys

import anyio

from networkd.controllers.operator_spec import OUTPUT_TYPES, operator_controllers
from networkd.daemon import parse_args
from networkd.resources.enums import ClientIdentifier, OperationalState, Operator
from networkd.resources.link import LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressSpec,
    ClientIdentifierSpec,
    DHCP4OperatorSpec,
    OperatorSpec,
)
from networkd.runtime import Runtime
from networkd.state import State


def published(st: State) -> dict[str, list[str]]:
    """Ids of every operator output type in network-config."""
    return {rt.display: [r.metadata.id for r in st.list(NETWORK_CONFIG, rt.type)] for rt in OUTPUT_TYPES}


async def until(pred: object, timeout: float = 20.0) -> None:
    """Poll `pred` until true."""
    assert callable(pred)
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.01)


async def main(state_dir: str) -> None:
    """See the module docstring."""
    st = State()
    rt = Runtime(st)
    for controller in operator_controllers(parse_args(["--state-dir", state_dir, "--cmdline", ""])):
        rt.register(controller)
    st.create(LinkStatus.TYPE.new(NETWORK, "eth0", LinkStatus(operational_state=OperationalState.UP)), "test")
    spec = OperatorSpec(operator=Operator.DHCP4, link_name="eth0", require_up=True, dhcp4=DHCP4OperatorSpec(
        route_metric=1024, client_identifier=ClientIdentifierSpec(client_identifier=ClientIdentifier.MAC)))
    st.create(OperatorSpec.TYPE.new(NETWORK, "dhcp4/eth0", spec), "test")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: st.list(NETWORK_CONFIG, AddressSpec.TYPE.type))
        before = published(st)
        address = st.list(NETWORK_CONFIG, AddressSpec.TYPE.type)[0].spec
        assert isinstance(address, AddressSpec)
        subprocess.run(["ip", "addr", "add", str(address.address), "dev", "eth0"], check=True)
        st.destroy(NETWORK, OperatorSpec.TYPE.type, "dhcp4/eth0", "test")
        await until(lambda: not any(published(st).values()))
        tg.cancel_scope.cancel()
    print(json.dumps({"published": before, "retired": published(st)}))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])
