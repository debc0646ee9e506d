#!/usr/bin/env bash
# Regenerate networkd/api/gen from networkd/api/proto (run after editing a .proto; the result is committed).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$here/.venv/bin/python}
src=$here/networkd/api/proto
out=${1:-$here/networkd/api/gen}
rm -rf "$out" && mkdir -p "$out"
(cd "$src" && "$py" -m grpc_tools.protoc -I. --python_out="$out" --grpc_python_out="$out" --pyi_out="$out" \
  cosi/resource.proto cosi/meta.proto cosi/state.proto networkd/machine.proto)
# Generated modules import each other from the proto root; anchor them inside the package.
find "$out" -name '*.py' -o -name '*.pyi' | xargs sed -i -E 's/^from (cosi|networkd) import/from networkd.api.gen.\1 import/'
for d in "$out" "$out"/cosi "$out"/networkd; do touch "$d/__init__.py"; done
