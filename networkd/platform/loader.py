"""`load`: the platform network configuration YAML in, a typed `PlatformConfig` or located errors out."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import yaml

from networkd.config import FieldError
from networkd.platform._decode import Decoder, Invalid, describe
from networkd.resources.enums import Family, Operator
from networkd.resources.link import LinkSpec
from networkd.resources.network import (
    AddressSpec,
    DHCP4OperatorSpec,
    DHCP6OperatorSpec,
    HostnameSpec,
    OperatorSpec,
    ProbeSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
)
from networkd.resources.values import IPAddr

__all__ = ["FieldError", "PlatformConfig", "PlatformConfigError", "load"]


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    """The platform's network settings as specs (their `layer` is whatever the file said)."""

    addresses: tuple[AddressSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    hostnames: tuple[HostnameSpec, ...] = ()
    resolvers: tuple[ResolverSpec, ...] = ()
    time_servers: tuple[TimeServerSpec, ...] = ()
    operators: tuple[OperatorSpec, ...] = ()
    external_ips: tuple[IPAddr, ...] = ()
    probes: tuple[ProbeSpec, ...] = ()


class PlatformConfigError(Exception):
    """The platform configuration was rejected; `errors` lists every mistake found."""

    def __init__(self, errors: tuple[FieldError, ...], source: str = "<platform config>") -> None:
        self.errors = errors
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.errors)
        return "\n".join([f"{self.source}: invalid platform configuration ({n} error{'s' if n != 1 else ''})",
                          *(f"  {e}" for e in self.errors)])


# top-level key -> (PlatformConfig field, type of an entry)
_LISTS: dict[str, tuple[str, Any]] = {
    "addresses": ("addresses", AddressSpec),
    "links": ("links", LinkSpec),
    "routes": ("routes", RouteSpec),
    "hostnames": ("hostnames", HostnameSpec),
    "resolvers": ("resolvers", ResolverSpec),
    "timeServers": ("time_servers", TimeServerSpec),
    "operators": ("operators", OperatorSpec),
    "externalIPs": ("external_ips", IPAddr),
    "probes": ("probes", ProbeSpec),
}


def load(text: str, source: str = "<platform config>") -> PlatformConfig:
    """Decode and check a platform configuration; PlatformConfigError lists every mistake."""
    raw = _parse_yaml(text, source)
    if raw is None:
        return PlatformConfig()
    dec = Decoder()
    if not isinstance(raw, dict):
        raise PlatformConfigError((FieldError("", f"must be a mapping, got {describe(raw)}"),), source)
    values: dict[str, Any] = {}
    for key, item in raw.items():
        if key == "metadata":
            if item is not None and not isinstance(item, dict):
                dec.fail("metadata", f"must be a mapping, got {describe(item)}")
            continue
        if key not in _LISTS:
            dec.fail(str(key), f"unknown field; expected one of {', '.join([*_LISTS, 'metadata'])}")
            continue
        name, tp = _LISTS[key]
        if item is not None and not isinstance(item, list):
            dec.fail(key, f"must be a list, got {describe(item)}")
            continue
        entries = []
        for i, element in enumerate(item or ()):
            with contextlib.suppress(Invalid):
                entry = dec.value(tp, element, f"{key}[{i}]")
                _check(dec, f"{key}[{i}]", entry)
                entries.append(entry)
        values[name] = tuple(entries)
    if dec.errors:
        raise PlatformConfigError(tuple(dec.errors), source)
    return _complete(PlatformConfig(**values))


def _check(dec: Decoder, path: str, entry: object) -> None:
    """Mistakes decoding alone cannot see: families, VLAN ids, hostnames, operator settings."""
    if isinstance(entry, AddressSpec) and _family(entry.address.version) != entry.family:
        dec.fail(f"{path}.family", f"{entry.family} does not match address {entry.address}")
    elif isinstance(entry, RouteSpec):
        for key, value in (("dst", entry.destination), ("src", entry.source), ("gateway", entry.gateway)):
            if value is not None and _family(value.version) != entry.family:
                dec.fail(f"{path}.{key}", f"{value} is not an {entry.family} address")
    elif isinstance(entry, LinkSpec):
        if not entry.name:
            dec.fail(f"{path}.name", "must not be empty")
        if entry.vlan is not None and not 1 <= entry.vlan.vid <= 4095:
            dec.fail(f"{path}.vlan.vlanID", f"must be between 1 and 4095, got {entry.vlan.vid}")
    elif isinstance(entry, HostnameSpec):
        if not 1 <= len(entry.hostname) <= 63:
            dec.fail(f"{path}.hostname", f"{entry.hostname!r} must be 1 to 63 characters long")
        elif len(entry.fqdn()) > 253:
            dec.fail(f"{path}.domainname", f"the FQDN {entry.fqdn()[:40]!r}... is longer than 253 characters")
    elif isinstance(entry, OperatorSpec):
        if not entry.link_name:
            dec.fail(f"{path}.linkName", "must not be empty")
        if entry.operator == Operator.VIP and entry.vip is None:
            dec.fail(f"{path}.vip", "is required for operator vip")


def _complete(config: PlatformConfig) -> PlatformConfig:
    """Talos's normalisations: resolvers get both server lists, operators their default settings."""
    operators = []
    for op in config.operators:
        if op.operator == Operator.DHCP4 and op.dhcp4 is None:
            op = dataclasses.replace(op, dhcp4=DHCP4OperatorSpec())
        elif op.operator == Operator.DHCP6 and op.dhcp6 is None:
            op = dataclasses.replace(op, dhcp6=DHCP6OperatorSpec())
        operators.append(op)
    return dataclasses.replace(config, resolvers=tuple(r.convert() for r in config.resolvers),
                               operators=tuple(operators))


def _family(version: int) -> Family:
    return Family.INET4 if version == 4 else Family.INET6


class _CoreLoader(yaml.SafeLoader):
    """YAML 1.2 core-schema scalars (Talos writes `adLacpActive: on` and MACs unquoted), no duplicate keys."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Refuse a key given twice in one mapping."""
        seen: set[object] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"found duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", "-+0123456789."),
    ("null", r"~|null|Null|NULL|", "~nN"),
):
    _CoreLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(rf"^(?:{_pattern})$"),
                                      [*_first, ""] if _tag == "null" else list(_first))


def _parse_yaml(text: str, source: str) -> object:
    try:
        documents = list(yaml.load_all(text, Loader=_CoreLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise PlatformConfigError((FieldError("", f"invalid YAML{where}: {exc.problem}"),), source) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise PlatformConfigError((FieldError("", f"invalid YAML: {exc}"),), source) from None
    documents = [d for d in documents if d is not None]
    if len(documents) > 1:
        raise PlatformConfigError((FieldError("", f"expected one YAML document, got {len(documents)}"),), source)
    return documents[0] if documents else None
