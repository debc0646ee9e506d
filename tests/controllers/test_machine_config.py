"""MachineConfigController with the real runtime: which file is in force, invalid content, reload, try mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from networkd.controllers.machine_config import MachineConfigController
from networkd.resources.config import CONFIG, MachineConfig
from tests.controllers.layer_harness import Node, converge, settle

GOOD = "version: v1alpha1\nmachine:\n  network:\n    hostname: from-flag\n"
APPLIED = "version: v1alpha1\nmachine:\n  network:\n    hostname: applied\n"
BAD = ("version: v1alpha1\nmachine:\n  network:\n    hostname: -bad-\n    interfaces:\n"
       "      - interface: eth0\n        mtu: 10\n")


def published(n: Node) -> str | None:
    res = n.st.find(CONFIG, MachineConfig.TYPE.type, "v1alpha1")
    return None if res is None else str(res.spec)


@pytest.mark.anyio
async def test_config_flag_is_published(tmp_path: Path) -> None:
    flag = tmp_path / "config.yaml"
    flag.write_text(GOOD)
    n = Node()
    async with n.running(MachineConfigController(tmp_path / "state", flag)):
        await converge(lambda: published(n), GOOD)
        res = n.st.get(CONFIG, MachineConfig.TYPE.type, "v1alpha1")
        assert res.metadata.owner == "network.MachineConfigController"


@pytest.mark.anyio
async def test_nothing_without_a_source(tmp_path: Path) -> None:
    n = Node()
    async with n.running(MachineConfigController(tmp_path, None)):
        await settle(n)
        assert published(n) is None


@pytest.mark.anyio
async def test_applied_config_in_the_state_dir_wins_and_reload_reads_again(tmp_path: Path) -> None:
    flag = tmp_path / "flag.yaml"
    flag.write_text(GOOD)
    state = tmp_path / "state"
    state.mkdir()
    ctrl = MachineConfigController(state, flag)
    n = Node()
    async with n.running(ctrl):
        await converge(lambda: published(n), GOOD)
        (state / "config.yaml").write_text(APPLIED)
        await settle(n)
        assert published(n) == GOOD  # files are read when told to
        ctrl.reload()
        await converge(lambda: published(n), APPLIED)
        (state / "config.yaml").unlink()
        ctrl.reload()
        await converge(lambda: published(n), GOOD)


@pytest.mark.anyio
async def test_invalid_content_is_logged_with_every_error_and_not_published(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flag = tmp_path / "flag.yaml"
    flag.write_text(GOOD)
    ctrl = MachineConfigController(tmp_path, flag)
    n = Node()
    async with n.running(ctrl):
        await converge(lambda: published(n), GOOD)
        (tmp_path / "config.yaml").write_text(BAD)
        ctrl.reload()
        await converge(lambda: "machine configuration not applied" in caplog.text, True)
        assert "machine.network.hostname" in caplog.text
        assert "machine.network.interfaces[0].mtu" in caplog.text
        await settle(n)
        assert published(n) == GOOD  # the configuration in force stays


@pytest.mark.anyio
async def test_invalid_at_start_publishes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flag = tmp_path / "flag.yaml"
    flag.write_text(BAD)
    n = Node()
    async with n.running(MachineConfigController(tmp_path / "state", flag)):
        await converge(lambda: "(2 errors)" in caplog.text, True)
        await settle(n)
        assert published(n) is None


@pytest.mark.anyio
async def test_trial_wins_until_withdrawn_and_the_config_goes_with_its_source(tmp_path: Path) -> None:
    flag = tmp_path / "flag.yaml"
    flag.write_text(GOOD)
    ctrl = MachineConfigController(tmp_path / "state", flag)
    n = Node()
    async with n.running(ctrl):
        await converge(lambda: published(n), GOOD)
        ctrl.trial = APPLIED
        ctrl.reload()
        await converge(lambda: published(n), APPLIED)
        ctrl.trial = None
        ctrl.reload()
        await converge(lambda: published(n), GOOD)
        ctrl.config = None
        ctrl.reload()
        await converge(lambda: published(n), None)
