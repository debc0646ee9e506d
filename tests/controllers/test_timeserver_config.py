"""TimeServerConfigController with the real runtime: the §4.5 vectors (seed default) and the cmdline vector B8."""

from __future__ import annotations

import pytest

from networkd.controllers.timeserver_config import TimeServerConfigController
from networkd.resources.enums import ConfigLayer
from networkd.resources.network import TimeServerSpec
from tests.controllers.layer_harness import Node, converge

DEFAULT = {"default/timeservers": TimeServerSpec(time_servers=("pool.ntp.org",), layer=ConfigLayer.DEFAULT)}
CONF = ConfigLayer.CONFIGURATION


def specs(n: Node) -> dict[str, TimeServerSpec]:
    return n.specs(TimeServerSpec.TYPE)


@pytest.mark.anyio
async def test_default_is_the_seed_pool() -> None:
    n = Node()
    async with n.running(TimeServerConfigController()):
        await converge(lambda: specs(n), DEFAULT)


@pytest.mark.anyio
async def test_legacy_time_servers() -> None:
    n = Node()
    n.config("version: v1alpha1\nmachine:\n  time:\n    servers: [za.pool.ntp.org, pool.ntp.org]\n")
    async with n.running(TimeServerConfigController()):
        await converge(lambda: specs(n), DEFAULT | {"configuration/timeservers": TimeServerSpec(
            time_servers=("za.pool.ntp.org", "pool.ntp.org"), layer=CONF)})
        n.config(None)
        await converge(lambda: specs(n), DEFAULT)


@pytest.mark.anyio
@pytest.mark.parametrize(("document", "expected"), [
    ("ntp:\n  servers: [a.example.com, 10.0.0.1]\n  useNTS: true\n",
     TimeServerSpec(time_servers=("a.example.com", "10.0.0.1"), use_nts=True, layer=CONF)),
    ("ptp:\n  devices: [/dev/ptp0]\n", TimeServerSpec(time_servers=("/dev/ptp0",), layer=CONF)),
])
async def test_time_sync_config(document: str, expected: TimeServerSpec) -> None:
    n = Node()
    n.config("version: v1alpha1\n---\napiVersion: v1alpha1\nkind: TimeSyncConfig\n" + document)
    async with n.running(TimeServerConfigController()):
        await converge(lambda: specs(n), DEFAULT | {"configuration/timeservers": expected})


@pytest.mark.anyio
async def test_cmdline_b8() -> None:
    n = Node()
    n.link("eth1")
    n.cmdline("ip=172.20.0.2:172.21.0.1:172.20.0.1:255.255.255.0:master1:eth1::10.0.0.1:10.0.0.2:10.0.0.1")
    async with n.running(TimeServerConfigController()):
        await converge(lambda: specs(n), DEFAULT | {"cmdline/timeservers": TimeServerSpec(
            time_servers=("10.0.0.1",), layer=ConfigLayer.CMDLINE)})
