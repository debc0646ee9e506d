"""`python -m nslab list` shows lab namespaces; `python -m nslab down nwd<token>` removes a lab."""

from __future__ import annotations

import sys

from nslab.host import list_namespaces, netns_pids
from nslab.lab import teardown


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    if argv == ["list"]:
        for netns in list_namespaces():
            print(netns, "pids:", " ".join(map(str, netns_pids(netns))) or "-")
        return 0
    if len(argv) == 2 and argv[0] == "down":
        print("removed:", " ".join(teardown(argv[1])) or "nothing")
        return 0
    print("usage: python -m nslab list | down nwd<token>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
