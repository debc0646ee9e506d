"""networkd's kernel modules load only the pyroute2 modules they use; pyroute2's own names still work."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
import networkd.kernel.netlink, networkd.kernel.codec, networkd.kernel.hub
before = sorted(m for m in sys.modules if m.startswith("pyroute2"))
from pyroute2 import IPRoute, NDB
import pyroute2
print(json.dumps({"before": before, "ipr": IPRoute.__module__, "ndb": NDB.__module__,
                  "version": pyroute2.__version__, "ndb_loaded": "pyroute2.ndb.main" in sys.modules}))
"""


def test_kernel_modules_skip_pyroute2s_init_until_a_package_name_is_used() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert "pyroute2.iproute.linux" in got["before"]
    assert not [m for m in got["before"] if m.startswith(("pyroute2.ndb", "pyroute2.ipdb", "pyroute2.plan9"))]
    assert (got["ipr"], got["ndb"], got["ndb_loaded"]) == ("pyroute2.iproute.linux", "pyroute2.ndb.main", True)
    assert got["version"] == subprocess.run([sys.executable, "-c", "import pyroute2; print(pyroute2.__version__)"],
                                            capture_output=True, text=True, check=True).stdout.strip()
