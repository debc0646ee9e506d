"""Live configuration changes: apply (persisted), try (rolled back unless confirmed), dry run (a diff of specs)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from merge import MERGERS
from networkd.config import load
from networkd.resources.base import Resource, Spec, to_plain
from networkd.resources.config import CONFIG, MachineConfig
from networkd.resources.ids import MACHINE_CONFIG_ID
from networkd.resources.network import NETWORK, NETWORK_CONFIG
from networkd.runtime import Runtime
from networkd.state import State

if TYPE_CHECKING:
    from networkd.controllers.machine_config import MachineConfigController
    from networkd.daemon import Options
    from networkd.runtime import Controller

log = logging.getLogger("networkd.config")

MODES = ("auto", "no-reboot", "try")


def write_atomic(path: Path, data: str, mode: int = 0o600) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dfd = os.open(path.parent, os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class ConfigApplier:
    """What `netctl apply-config` does, behind the Machine service."""

    def __init__(self, opts: Options, state: State, source: MachineConfigController) -> None:
        self.opts = opts
        self.state = state
        self.source = source
        self._rollback: asyncio.TimerHandle | None = None

    async def apply(self, text: str, mode: str, try_timeout: float) -> str:
        """Validate (ConfigError lists every mistake) and apply; returns a message for the user."""
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not supported: networkd applies network changes at once; "
                             f"use one of {', '.join(MODES)}")
        load(text, source="apply-config")
        if self._rollback is not None:
            self._rollback.cancel()
            self._rollback = None
        if mode == "try":
            self.source.trial = text
            self.source.reload()
            self._rollback = asyncio.get_running_loop().call_later(try_timeout, self._roll_back)
            log.info("trying a new machine configuration for %gs", try_timeout)
            return (f"Applied configuration in try mode: it is rolled back in {try_timeout:g}s unless applied "
                    f"again with --mode=no-reboot")
        write_atomic(self.opts.state_dir / "config.yaml", text)
        self.source.trial = None
        self.source.reload()
        log.info("applied a new machine configuration (persisted in %s)", self.opts.state_dir / "config.yaml")
        return "Applied configuration without a reboot"

    def _roll_back(self) -> None:
        self._rollback = None
        self.source.trial = None
        self.source.reload()
        log.warning("try-mode configuration not confirmed in time: rolled back to the previous configuration")

    async def dry_run(self, text: str) -> list[str]:
        """The spec changes `text` would cause, computed in a shadow state; the live state is not touched."""
        load(text, source="apply-config")
        controllers = self._shadow_controllers()
        shadow = State()
        for res in self._inputs(controllers):
            shadow.create(Resource(dataclasses.replace(res.metadata, finalizers=()), res.spec),
                          owner=res.metadata.owner)
        shadow.create(MachineConfig.TYPE.new(CONFIG, MACHINE_CONFIG_ID, MachineConfig(text)), owner="dry-run")
        runtime = Runtime(shadow)
        for c in controllers:
            runtime.register(c)
        async with anyio.create_task_group() as tg:
            tg.start_soon(runtime.run)
            await _settle(shadow)
            tg.cancel_scope.cancel()
        return diff_specs(self.state, shadow)

    def _inputs(self, controllers: list[Controller]) -> list[Resource[Spec]]:
        """Live resources the shadow controllers read, except what they produce themselves (recomputed there)
        and the machine configuration. Operator-layer specs (DHCP leases) are kept: they stay in force."""
        names = {c.name for c in controllers}
        wanted = {(i.namespace, i.type.type) for c in controllers for i in c.inputs()}
        wanted.discard((CONFIG, MachineConfig.TYPE.type))
        return [res for ns, typ in sorted(wanted) for res in self.state.list(ns, typ)
                if res.metadata.owner not in names]

    def _shadow_controllers(self) -> list[Controller]:
        from networkd.controllers.layers import layer_controllers
        from networkd.controllers.machine_config import MachineConfigController
        from networkd.controllers.merge import merge_controllers

        layers = [c for c in layer_controllers(self.opts) if not isinstance(c, MachineConfigController)]
        return [*layers, *merge_controllers()]


async def _settle(state: State, quiet: float = 0.1, limit: float = 10.0) -> None:
    """Wait until nothing has changed in `network-config` and `network` for `quiet` seconds."""
    watches = [state.watch(ns, rt.type) for ns in (NETWORK_CONFIG, NETWORK) for rt in MERGERS]
    try:
        with anyio.move_on_after(limit):
            while True:
                await anyio.sleep(quiet)
                if not any(w.pending() for w in watches):
                    return
    finally:
        for w in watches:
            w.close()


def diff_specs(live: State, shadow: State) -> list[str]:
    """Lines describing how the merged specs of `shadow` differ from `live`: + added, - removed, ~ changed."""
    lines = []
    for rt in sorted(MERGERS, key=lambda r: r.type):
        old = {r.id: r.spec for r in live.list(NETWORK, rt.type)}
        new = {r.id: r.spec for r in shadow.list(NETWORK, rt.type)}
        for id in sorted(old.keys() | new.keys()):
            if id not in old:
                lines.append(f"+ {rt.display} {id}")
            elif id not in new:
                lines.append(f"- {rt.display} {id}")
            elif old[id] != new[id]:
                lines.append(f"~ {rt.display} {id}: " + ", ".join(_changed(old[id], new[id])))
    return lines


def _changed(old: Spec, new: Spec) -> list[str]:
    a, b = to_plain(old), to_plain(new)
    keys = list(dict.fromkeys([*a, *b])) if isinstance(a, dict) and isinstance(b, dict) else []
    return [f"{k} {a.get(k)!r} -> {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)] or ["changed"]
