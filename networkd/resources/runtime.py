"""The `runtime` namespace: what the daemon made of its inputs (the kernel command line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from networkd.resources.base import Spec, resource_type

if TYPE_CHECKING:  # cmdline imports networkd.resources.enums: no import at run time, no cycle
    from cmdline import CmdlineResult

RUNTIME = "runtime"
CMDLINE_ID = "cmdline"


@resource_type("KernelCmdlines.runtime.networkd.dev", "KernelCmdline", RUNTIME, aliases=("cmdline",),
               columns=(("Errors", "{.network.errors}"),))
@dataclass(frozen=True, slots=True)
class KernelCmdlineSpec(Spec):
    """The kernel command line the daemon read, its network settings and the arguments it could not use."""

    cmdline: str
    network: CmdlineResult
