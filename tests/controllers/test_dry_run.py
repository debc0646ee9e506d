"""apply-config --dry-run: a diff computed in a shadow state; specs from outside the configuration (a DHCP lease)
stay in force and are not reported as removed; the live state is untouched."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import anyio
import pytest

from networkd.configapply import ConfigApplier
from networkd.controllers import build_controllers
from networkd.controllers.machine_config import MachineConfigController
from networkd.daemon import Options
from networkd.kernel.hub import KernelHub
from networkd.resources.enums import ConfigLayer, Family
from networkd.resources.network import NETWORK, NETWORK_CONFIG, AddressSpec
from networkd.runtime import Runtime
from networkd.state import State

LEASE = AddressSpec(address=ipaddress.ip_interface("10.7.0.50/24"), link_name="eth0", family=Family.INET4,
                    layer=ConfigLayer.OPERATOR)
NEW = "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth1\naddresses:\n  - address: 10.8.0.1/24\n"


@pytest.mark.anyio
async def test_dry_run_keeps_operator_specs_and_touches_nothing(tmp_path: Path) -> None:
    opts = Options(tmp_path / "s.sock", tmp_path / "state", tmp_path / "etc", None, None, "", None, None, "text",
                   "info")
    st = State()
    controllers = [c for c in build_controllers(opts, KernelHub())
                   if c.name.endswith("ConfigController") or "Merge" in c.name or c.name.endswith("CmdlineController")]
    rt = Runtime(st)
    for c in controllers:
        rt.register(c)
    st.create(AddressSpec.TYPE.new(NETWORK_CONFIG, "dhcp4/eth0/eth0/10.7.0.50/24", LEASE),
              owner="network.OperatorSpecController")
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        with anyio.fail_after(5):
            while st.find(NETWORK, AddressSpec.TYPE.type, "eth0/10.7.0.50/24") is None:
                await anyio.sleep(0.01)
        before = {(r.id, r.metadata.version) for r in st.list(NETWORK, AddressSpec.TYPE.type)}
        source = next(c for c in controllers if isinstance(c, MachineConfigController))
        changes = await ConfigApplier(opts, st, source).dry_run(NEW)
        tg.cancel_scope.cancel()
    assert "+ AddressSpec eth1/10.8.0.1/24" in changes
    assert not any("10.7.0.50" in line for line in changes), changes
    assert {(r.id, r.metadata.version) for r in st.list(NETWORK, AddressSpec.TYPE.type)} == before
    assert not (tmp_path / "state" / "config.yaml").exists()
