"""NodeAddressSortAlgorithmController with the real runtime: v1 by default, v2 from machine.features."""

from __future__ import annotations

import anyio
import pytest

from networkd.controllers.node_address_sort_algorithm import NodeAddressSortAlgorithmController
from networkd.resources.config import CONFIG, MachineConfig
from networkd.resources.derived import NodeAddressSortAlgorithm
from networkd.resources.enums import AddressSortAlgorithm
from networkd.resources.network import NETWORK
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

OWNER = "network.MachineConfigController"


def algorithm(st: State) -> AddressSortAlgorithm | None:
    res = st.find(NETWORK, NodeAddressSortAlgorithm.TYPE.type, "default")
    if res is None:
        return None
    assert isinstance(res.spec, NodeAddressSortAlgorithm)
    return res.spec.algorithm


def put_config(st: State, text: str) -> None:
    cur = st.find(CONFIG, MachineConfig.TYPE.type, "v1alpha1")
    if cur is None:
        st.create(MachineConfig.TYPE.new(CONFIG, "v1alpha1", MachineConfig(text)), OWNER)
    else:
        st.update(type(cur)(cur.metadata, MachineConfig(text)), OWNER)


@pytest.mark.anyio
async def test_follows_the_machine_configuration() -> None:
    st = State()
    rt = Runtime(st)
    rt.register(NodeAddressSortAlgorithmController())
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: algorithm(st) is AddressSortAlgorithm.V1)  # no configuration
        put_config(st, "version: v1alpha1\nmachine:\n  features:\n    nodeAddressSortAlgorithm: v2\n")
        await until(lambda: algorithm(st) is AddressSortAlgorithm.V2)
        put_config(st, "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: foo\n")  # no v1alpha1 document
        await until(lambda: algorithm(st) is AddressSortAlgorithm.V1)
        put_config(st, "version: v1alpha1\nmachine:\n  features:\n    nodeAddressSortAlgorithm: v2\n")
        await until(lambda: algorithm(st) is AddressSortAlgorithm.V2)
        put_config(st, "version: v1alpha1\nmachine:\n  features:\n    nodeAddressSortAlgorithm: v3\n")  # invalid
        await until(lambda: algorithm(st) is AddressSortAlgorithm.V1)
        st.destroy(CONFIG, MachineConfig.TYPE.type, "v1alpha1", OWNER)
        await anyio.sleep(0.02)
        assert algorithm(st) is AddressSortAlgorithm.V1
        assert st.get(NETWORK, NodeAddressSortAlgorithm.TYPE.type, "default").metadata.owner == (
            "network.NodeAddressSortAlgorithmController")
        tg.cancel_scope.cancel()
