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
want=$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating venv at $venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: pip install -e .[dev]"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -e "$here[dev]"
  echo "$want" > "$stamp"
fi
