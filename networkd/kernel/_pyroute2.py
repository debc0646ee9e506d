"""pyroute2's package without its `__init__`, until a name only the `__init__` defines is asked for.

`import pyroute2` loads every one of its modules (NDB, IPDB, conntrack, nftables, plan9, wireless, ...):
about 60 ms and 6 MB of memory of which networkd uses none. Importing this module first puts the bare
package in `sys.modules`, so `from pyroute2.iproute.linux import AsyncIPRoute` loads only what that needs;
the first other use of a package-level name (`from pyroute2 import IPRoute`, say) runs the real `__init__`
in the same module, so nothing else changes. Without pyroute2 installed, or when it is already imported,
this does nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def _bare_package() -> None:
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def attribute(name: str) -> object:
        """A submodule by its name; any other name runs the package's `__init__` first."""
        if not name.startswith("__") and importlib.util.find_spec(f"pyroute2.{name}") is not None:
            return importlib.import_module(f"pyroute2.{name}")
        del package.__getattr__
        loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules["pyroute2"] = package


_bare_package()
