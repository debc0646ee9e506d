"""MachineConfigController: publishes the machine configuration in force as MachineConfig `v1alpha1`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from networkd.config import ConfigError, load
from networkd.resources.config import CONFIG, MachineConfig
from networkd.resources.ids import MACHINE_CONFIG_ID
from networkd.runtime import Context, Controller, Output

APPLIED_CONFIG = "config.yaml"
"""Name of the applied configuration inside the state directory."""


class MachineConfigController(Controller):
    """Publishes `trial` while one is set (a try-mode apply), else `<state-dir>/config.yaml` if it exists,
    else the `--config` file, else nothing.

    Content that does not load is logged with every field error and not published: the configuration
    already in force (if any) stays. `reload()` makes the controller look again. The resource carries
    no `talos.dev/yaml-spec` annotation: controllers can set labels only.
    """

    name = "network.MachineConfigController"

    def __init__(self, state_dir: Path, config: Path | None) -> None:
        self.state_dir = state_dir
        self.config = config
        self.trial: str | None = None
        self._ctx: Context | None = None

    def outputs(self) -> Iterable[Output]:
        return [Output(MachineConfig.TYPE)]

    def reload(self) -> None:
        """Look at `trial` and read the configuration files again (after an apply wrote `config.yaml`, say)."""
        if self._ctx is not None:
            self._ctx.queue_reconcile()

    def source(self) -> Path | None:
        """The file the configuration comes from: the applied one, else `--config`, else None."""
        applied = self.state_dir / APPLIED_CONFIG
        if applied.exists():
            return applied
        return self.config

    def read(self) -> tuple[str, str] | None:
        """(where from, text) of the configuration to publish; None when there is none; OSError."""
        if self.trial is not None:
            return "the try-mode apply", self.trial
        path = self.source()
        return None if path is None else (str(path), path.read_text())

    async def run(self, ctx: Context) -> None:
        self._ctx = ctx
        while True:
            await ctx.wait()
            try:
                found = self.read()
            except OSError as exc:
                ctx.logger.error("cannot read the machine configuration: %s", exc)
                continue
            if found is None:
                ctx.retire(CONFIG, MachineConfig.TYPE, ())
                continue
            where, text = found
            try:
                load(text, source=where)
            except ConfigError as exc:
                ctx.logger.error("machine configuration not applied: %s", exc)
                continue
            spec = MachineConfig(text)
            cur = ctx.get(CONFIG, MachineConfig.TYPE, MACHINE_CONFIG_ID)
            if cur is None or cur.spec != spec:
                ctx.put(CONFIG, MACHINE_CONFIG_ID, spec)
                ctx.logger.info("machine configuration from %s in force", where)
