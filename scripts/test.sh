#!/usr/bin/env bash
# The whole test suite on a fresh machine, as root: installs what it needs, then lint, types, tests.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/bootstrap.sh"
bin=$here/.venv/bin
echo "== ruff"; "$bin/ruff" check .
echo "== mypy (strict, pure packages)"; "$bin/mypy"
echo "== pytest"
set +e
"$bin/python" -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
exit "$rc"
