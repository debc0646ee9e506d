#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine, as root: apt packages, a venv, the project and its dev tools.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${NETWORKD_VENV:-$here/.venv}
apt_pkgs=(iproute2 util-linux python3-venv python3-nftables nftables dnsmasq-base procps wireguard-go wireguard-tools)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=$venv/.bootstrap-stamp
want=$( (sha256sum "$here/pyproject.toml"; echo compat) | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating venv at $venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: pip install -e .[dev]"
  "$venv/bin/pip" install -q --upgrade pip
  # compat: a plain path in a .pth file (the default editable finder costs every interpreter start ~7 ms);
  # setuptools calls the mode transitional, so a setuptools without it gets the default
  "$venv/bin/pip" install -q -e "$here[dev]" --config-settings editable_mode=compat 2>/dev/null \
    || "$venv/bin/pip" install -q -e "$here[dev]"
  echo "$want" > "$stamp"
fi
# Bytecode for the project's packages, as an installed package has it: with PYTHONDONTWRITEBYTECODE set (some
# CI images set it), every daemon and netctl start would otherwise compile every module it imports.
"$venv/bin/python" -m compileall -q "$here/networkd" "$here/cmdline" "$here/merge" "$here/operators" >/dev/null
