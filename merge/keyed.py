"""Merges keyed by a spec-derived id where, on a clash, the higher layer wins."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from networkd.resources.enums import ConfigLayer
from networkd.resources.ids import address_id, operator_id, probe_id, route_id, routing_rule_id
from networkd.resources.network import AddressSpec, OperatorSpec, ProbeSpec, RouteSpec, RoutingRuleSpec


class _Layered(Protocol):
    @property
    def layer(self) -> ConfigLayer: ...


L = TypeVar("L", bound=_Layered)


def by_id(inputs: Iterable[tuple[str, L]]) -> list[L]:
    """The specs in id order, the order in which Talos lists the unmerged inputs."""
    return [spec for _, spec in sorted(inputs, key=lambda pair: pair[0])]


def _higher_layer_wins(inputs: Iterable[tuple[str, L]], key: Callable[[L], str]) -> dict[str, L]:
    out: dict[str, L] = {}
    for spec in by_id(inputs):
        k = key(spec)
        existing = out.get(k)
        if existing is not None and existing.layer > spec.layer:
            continue
        out[k] = spec
    return out


def merge_addresses(inputs: Iterable[tuple[str, AddressSpec]]) -> dict[str, AddressSpec]:
    """By `link/address`; higher layer wins (ties: later id); kernel-owned flags are dropped."""
    merged = _higher_layer_wins(inputs, lambda s: address_id(s.link_name, s.address))
    return {
        k: dataclasses.replace(s, flags=s.flags.managed()) if s.flags.unmanaged() else s for k, s in merged.items()
    }


def merge_routes(inputs: Iterable[tuple[str, RouteSpec]]) -> dict[str, RouteSpec]:
    """By route id; higher layer wins."""
    return _higher_layer_wins(
        inputs,
        lambda s: route_id(s.table, s.family, s.destination, s.gateway, s.priority, s.out_link_name),
    )


def merge_routing_rules(inputs: Iterable[tuple[str, RoutingRuleSpec]]) -> dict[str, RoutingRuleSpec]:
    """By `family/priority`; higher layer wins."""
    return _higher_layer_wins(inputs, lambda s: routing_rule_id(s.family, s.priority))


def merge_operators(inputs: Iterable[tuple[str, OperatorSpec]]) -> dict[str, OperatorSpec]:
    """By `operator/link[/ip]`; higher layer wins."""
    return _higher_layer_wins(inputs, operator_id)


def merge_probes(inputs: Iterable[tuple[str, ProbeSpec]]) -> dict[str, ProbeSpec]:
    """By probe id; the last in layer order wins; specs with neither tcp nor http are skipped."""
    out: dict[str, ProbeSpec] = {}
    for spec in sorted(by_id(inputs), key=lambda s: s.layer):
        pid = probe_id(spec)
        if pid is not None:
            out[pid] = spec
    return out
