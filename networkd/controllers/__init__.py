"""Controllers, one per file, named <resource>_<role>; `build_controllers` is the daemon's full set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from networkd.controllers.appliers import applier_controllers
from networkd.controllers.derived import derived_controllers
from networkd.controllers.kernel_cmdline import KernelCmdlineController
from networkd.controllers.layers import layer_controllers
from networkd.controllers.merge import merge_controllers
from networkd.controllers.observers import observer_controllers
from networkd.controllers.operator_spec import operator_controllers
from networkd.runtime import Controller

if TYPE_CHECKING:
    from networkd.daemon import Options
    from networkd.kernel.hub import KernelHub


def build_controllers(opts: Options, hub: KernelHub) -> list[Controller]:
    """Every controller the daemon runs, configured from its options."""
    return [
        KernelCmdlineController(opts.cmdline),
        *layer_controllers(opts),
        *merge_controllers(),
        *derived_controllers(opts),
        *operator_controllers(opts),
        *observer_controllers(opts, hub),
        *applier_controllers(opts, hub),
    ]
