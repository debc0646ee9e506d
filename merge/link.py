"""Link merge: per link name, layers folded low to high, set (non-zero) fields overriding."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from merge.keyed import by_id
from networkd.resources.ids import link_id
from networkd.resources.link import LinkSpec, WireguardSpec
from networkd.resources.values import is_zero

# Replaced by a higher layer only when set there, so a higher layer can never clear them
# (nor turn `up` off); bond_master is replaced as a whole.
_OVERRIDE_IF_NONZERO = (
    "logical", "up", "mtu", "kind", "type", "parent_name", "bond_slave", "vlan", "bridge_master",
    "bridge_slave", "vrf_master", "vrf_slave", "veth", "bond_master",
)


def merge_links(inputs: Iterable[tuple[str, LinkSpec]]) -> dict[str, LinkSpec]:
    """Sort by (name, layer) and fold each link's specs from the lowest layer up."""
    out: dict[str, LinkSpec] = {}
    for spec in sorted(by_id(inputs), key=lambda s: (s.name, s.layer)):
        key = link_id(spec.name)
        current = out.get(key)
        out[key] = spec if current is None else _fold(current, spec)
    return out


def _fold(low: LinkSpec, high: LinkSpec) -> LinkSpec:
    changes: dict[str, Any] = {
        name: getattr(high, name) for name in _OVERRIDE_IF_NONZERO if not is_zero(getattr(high, name))
    }
    if high.hardware_addr is not None:
        changes["hardware_addr"] = high.hardware_addr
    # Talos's LinkSpecSpec.Merge leaves Multicast as the lowest layer set it; a set value overrides here.
    if high.multicast is not None:
        changes["multicast"] = high.multicast
    if high.wireguard is not None and not is_zero(high.wireguard):
        if low.wireguard is None or is_zero(low.wireguard):
            changes["wireguard"] = high.wireguard
        else:
            changes["wireguard"] = _fold_wireguard(low.wireguard, high.wireguard)
    changes["layer"] = high.layer
    return dataclasses.replace(low, **changes)


def _fold_wireguard(low: WireguardSpec, high: WireguardSpec) -> WireguardSpec:
    peers = list(low.peers)
    keys = {peer.public_key for peer in peers}
    for peer in high.peers:
        if peer.public_key not in keys:
            peers.append(peer)
            keys.add(peer.public_key)
    return dataclasses.replace(
        low,
        private_key=high.private_key or low.private_key,
        listen_port=high.listen_port or low.listen_port,
        firewall_mark=high.firewall_mark or low.firewall_mark,
        peers=tuple(peers),
    )
