"""The demo: a throwaway lab of network namespaces, networkd on a node, `netctl get` tables, then cleanup.

Run it through `scripts/demo.sh` (which installs what it needs). Nothing here touches the host's network:
every link, address and process lives in namespaces the lab creates and removes.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nslab import Lab
from nslab.daemon import Networkd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

STEPS: list[tuple[str, list[str]]] = [
    ("Resource types the daemon serves", ["get", "resourcedefinitions"]),
    ("Namespaces", ["get", "namespaces"]),
    ("A definition by alias, as YAML", ["get", "rd", "links", "-o", "yaml"]),
    ("Links observed in the kernel", ["get", "links"]),
    ("Addresses observed in the kernel", ["get", "addresses"]),
    ("Routes observed in the kernel", ["get", "routes"]),
    ("Merged address specs", ["get", "addressspecs"]),
    ("Hostname", ["get", "hostname"]),
    ("Resolvers", ["get", "resolvers"]),
    ("Node addresses", ["get", "nodeaddresses"]),
    ("Network readiness", ["get", "networkstatus", "-o", "yaml"]),
]


def main() -> int:
    """Build the lab, show the tables, clean up (or keep it with --keep)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep", action="store_true", help="leave the lab running and print how to reach it")
    a = ap.parse_args()
    lab = Lab(keep=a.keep)
    try:
        node1, node2 = lab.add_node("node1"), lab.add_node("node2")
        lab.lan([node1, node2])
        config = EXAMPLES / "node1.yaml"
        d = Networkd(node1, cmdline="talos.hostname=node1",
                     config=config.read_text() if config.exists() else None).start()
        print(f"networkd runs in namespace {node1.netns} (pid {d.pid}); API socket {d.socket}\n")
        for title, args in STEPS:
            out = d.netctl(*args, check=False)
            if out.returncode != 0 and "is not known" in out.stderr:
                continue  # a resource type this build does not have yet
            print(f"== {title}: netctl {' '.join(args)}")
            print(out.stdout if out.returncode == 0 else out.stderr)
        print("== Kernel state checked independently: ip -br addr (inside node1)")
        print(node1.check(["ip", "-br", "addr"], uts_mount=False).stdout)
        if a.keep:
            print("Lab kept running. Talk to the daemon with:")
            print(f"  {shlex.quote(str(Path(sys.executable).parent / 'netctl'))} --socket {d.socket} get links")
            print(lab.describe())
        return 0
    finally:
        lab.close()


if __name__ == "__main__":
    raise SystemExit(main())
