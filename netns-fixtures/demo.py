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

from nslab import Lab, wait_for
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
    ("Network readiness", ["get", "networkstatus"]),
    ("Unmerged specs, one per layer", ["get", "addressspecs", "--namespace", "network-config"]),
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
        d = Networkd(node1, config=(EXAMPLES / "node1.yaml").read_text()).start()
        d2 = Networkd(node2, config=(EXAMPLES / "node2.yaml").read_text()).start()
        print(f"networkd runs in namespaces {node1.netns} (pid {d.pid}) and {node2.netns} (pid {d2.pid});"
              f" node1's API socket is {d.socket}\n")
        wait_for(lambda: node1.ping("10.5.0.12", timeout=1), timeout=15, what="node1 to reach node2")
        for title, args in STEPS:
            out = d.netctl(*args, check=False)
            if out.returncode != 0 and "is not known" in out.stderr:
                continue  # a resource type this build does not have yet
            print(f"== {title}: netctl {' '.join(args)}")
            print(out.stdout if out.returncode == 0 else out.stderr)
        print("== Kernel state checked independently (inside node1): ip -br addr; ip route")
        print(node1.check(["ip", "-br", "addr"], uts_mount=False).stdout)
        print(node1.check(["ip", "route"], uts_mount=False).stdout)
        print("== node1 pings node2 (10.5.0.12), both configured only by their daemons:",
              "ok" if node1.ping("10.5.0.12") else "FAILED")
        print("\n== Drift repair: delete node1's address behind the daemon's back (the kernel drops its route too)")
        seen = len(d.logs().splitlines())
        node1.check(["ip", "addr", "del", "10.5.0.11/24", "dev", "eth0"], uts_mount=False)
        wait_for(lambda: "10.99.0.0/16" in node1.check(["ip", "route"], uts_mount=False).stdout, timeout=5,
                 what="address and route restored")
        print("\n".join(line for line in d.logs().splitlines()[seen:] if "drift" in line), "\n")
        if a.keep:
            print("Lab kept running. Talk to the daemon with:")
            print(f"  {shlex.quote(str(Path(sys.executable).parent / 'netctl'))} --socket {d.socket} get links")
            print(lab.describe())
        return 0
    finally:
        lab.close()


if __name__ == "__main__":
    raise SystemExit(main())
