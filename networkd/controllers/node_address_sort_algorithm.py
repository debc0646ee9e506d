"""NodeAddressSortAlgorithmController: the NodeAddress sort algorithm from the machine configuration."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from networkd.config import ConfigError, MachineConfig, load
from networkd.resources.config import CONFIG
from networkd.resources.config import MachineConfig as MachineConfigSpec
from networkd.resources.derived import NODE_ADDRESS_SORT_ALGORITHM_ID, NodeAddressSortAlgorithm
from networkd.resources.enums import AddressSortAlgorithm
from networkd.resources.ids import MACHINE_CONFIG_ID
from networkd.resources.network import NETWORK
from networkd.runtime import Context, Controller, Input, Output


@functools.lru_cache(maxsize=2)
def _parse(text: str) -> MachineConfig | None:
    try:
        return load(text, source="MachineConfig v1alpha1")
    except ConfigError:
        return None


def algorithm(cfg: MachineConfig | None) -> AddressSortAlgorithm:
    """`.machine.features.nodeAddressSortAlgorithm`, v1 when not set (or without a configuration)."""
    chosen = cfg.v1alpha1.features.node_address_sort_algorithm if cfg is not None and cfg.v1alpha1 else None
    return chosen if chosen is not None else AddressSortAlgorithm.V1


class NodeAddressSortAlgorithmController(Controller):
    """Publishes NodeAddressSortAlgorithm `default`, which NodeAddressController waits for.

    A configuration that does not load counts as none (the configuration controller reports it).
    """

    name = "network.NodeAddressSortAlgorithmController"

    def inputs(self) -> Iterable[Input]:
        return [Input(CONFIG, MachineConfigSpec.TYPE, id=MACHINE_CONFIG_ID)]

    def outputs(self) -> Iterable[Output]:
        return [Output(NodeAddressSortAlgorithm.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            res = ctx.get(CONFIG, MachineConfigSpec.TYPE, MACHINE_CONFIG_ID)
            cfg = _parse(res.spec.text) if res is not None and isinstance(res.spec, MachineConfigSpec) else None
            ctx.put(NETWORK, NODE_ADDRESS_SORT_ALGORITHM_ID, NodeAddressSortAlgorithm(algorithm=algorithm(cfg)))
