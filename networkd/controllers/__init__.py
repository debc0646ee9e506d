"""Controllers, one per file, named <resource>_<role>."""

from __future__ import annotations

from typing import TYPE_CHECKING

from networkd.runtime import Controller

if TYPE_CHECKING:
    from networkd.daemon import Options


def build_controllers(opts: Options) -> list[Controller]:
    """Every controller the daemon runs, configured from its options."""
    return []
