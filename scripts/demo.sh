#!/usr/bin/env bash
# The demo on a fresh machine, as root: installs what it needs, builds a namespace lab, runs networkd in it,
# shows `netctl get` tables and cleans up. `--keep` leaves the lab running and prints how to reach it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/bootstrap.sh"
exec "$here/.venv/bin/python" "$here/netns-fixtures/demo.py" "$@"
