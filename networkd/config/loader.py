"""`load()`: YAML text in, a validated `MachineConfig` out, or a `ConfigError` listing every mistake."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from networkd.config._parse_documents import PARSERS
from networkd.config._parse_v1alpha1 import parse_v1alpha1
from networkd.config._reader import Errors, Fields, Invalid, describe, to_text
from networkd.config._yaml import RawDocument, decode_stream
from networkd.config.documents import (
    BondConfig,
    BridgeConfig,
    DHCPv4Config,
    DHCPv6Config,
    HostnameConfig,
    Layer2VIPConfig,
    NetworkDocument,
    ResolverConfig,
    RoutingRuleConfig,
    StaticHostConfig,
    TimeSyncConfig,
)
from networkd.config.errors import ConfigError
from networkd.config.kinds import UNSUPPORTED_NETWORK_KINDS, closest_network_kind, looks_like_network
from networkd.config.machine import MachineConfig
from networkd.config.v1alpha1 import V1Alpha1Config

_NETWORK_KINDS = frozenset(PARSERS) | UNSUPPORTED_NETWORK_KINDS
_NAMELESS_KINDS = frozenset({"HostnameConfig", "ResolverConfig", "TimeSyncConfig"})


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A network document with the label its errors are reported under."""

    label: str
    document: NetworkDocument


def load(text: str, *, source: str = "<config>") -> MachineConfig:
    """Parse and validate a Talos machine configuration stream; raise `ConfigError` with every mistake.

    `source` names the text in error messages (a file name, say) and is kept in the result.

    The outcome for the last two texts is remembered (the result is immutable): the daemon's flag check,
    MachineConfigController, apply-config and every controller that reads the configuration in force
    each load the same text, and a file with 10,000 routes takes some 45 ms to parse.
    """
    parsed = _load(text)
    if isinstance(parsed, ConfigError):
        raise ConfigError(parsed.errors, source)
    return parsed if parsed.source == source else dataclasses.replace(parsed, source=source)


@functools.lru_cache(maxsize=2)
def _load(text: str) -> MachineConfig | ConfigError:
    try:
        return _parse(text, "<config>")
    except ConfigError as exc:
        return ConfigError(exc.errors)  # without the traceback and its frames


def _parse(text: str, source: str) -> MachineConfig:
    raw_documents, yaml_error = decode_stream(text)
    if yaml_error is not None:
        raise ConfigError((yaml_error,), source)
    errors = Errors()
    v1alpha1: tuple[int, V1Alpha1Config] | None = None
    parsed: list[_Parsed] = []
    ignored: list[str] = []
    for raw in raw_documents:
        path = f"documents[{raw.index}]"
        data = raw.data
        if data is None:
            continue
        if not isinstance(data, dict):
            errors.add(path, f"must be a mapping (key: value), got {describe(data)} (document at line {raw.line})")
        elif "kind" in data or "apiVersion" in data:
            _network_document(errors, raw, data, parsed, ignored)
        elif "version" not in data:
            errors.add(
                path,
                f"not a Talos config document: it has neither 'version: v1alpha1' nor 'apiVersion' and 'kind' "
                f"(document at line {raw.line})",
            )
        elif v1alpha1 is not None:
            errors.add(path, f"only one v1alpha1 document is allowed; documents[{v1alpha1[0]}] is the first")
        else:
            v1alpha1 = (raw.index, parse_v1alpha1(errors, data))
    legacy = v1alpha1[1] if v1alpha1 is not None else None
    _check_duplicates(errors, parsed)
    _check_ports(errors, parsed)
    if legacy is not None:
        _check_legacy_conflicts(errors, parsed, legacy)
    if errors.items:
        raise ConfigError(tuple(errors.items), source)
    return MachineConfig(
        raw=text,
        source=source,
        v1alpha1=legacy,
        documents=tuple(item.document for item in parsed),
        ignored_kinds=tuple(ignored),
    )


def _network_document(
    errors: Errors, raw: RawDocument, data: dict[object, object], parsed: list[_Parsed], ignored: list[str]
) -> None:
    """Parse one `kind:` document into `parsed`, or note it in `ignored` if it is not networking's."""
    path = f"documents[{raw.index}]"
    kind = data.get("kind")
    if kind is None:
        errors.add(f"{path}.kind", "is required but missing: it says what the document configures")
        return
    if not isinstance(kind, str):
        errors.add(f"{path}.kind", f"must be a string, got {describe(kind)}")
        return
    if kind in UNSUPPORTED_NETWORK_KINDS:
        errors.add(f"{path}({kind})", f"{kind} is a Talos network document that networkd does not implement")
        return
    parse = PARSERS.get(kind)
    if parse is None:
        if not looks_like_network(kind, _NETWORK_KINDS):
            ignored.append(kind)
            return
        closest = closest_network_kind(kind, _NETWORK_KINDS)
        hint = f"; did you mean {closest!r}?" if closest is not None else ""
        errors.add(f"{path}.kind", f"unknown network document kind {kind!r}{hint}")
        return
    fields = Fields(errors, _label(path, kind, None if kind in _NAMELESS_KINDS else data.get("name")), data)
    api_version = fields.get("apiVersion", required=True)
    if api_version is not None and api_version != "v1alpha1":
        errors.add(fields.at("apiVersion"), f"must be 'v1alpha1', got {describe(api_version)}")
    fields.get("kind")
    try:
        parsed.append(_Parsed(fields.path, parse(fields)))
    except Invalid:
        pass
    finally:
        fields.finish()


def _label(path: str, kind: str, name: object) -> str:
    """`documents[i](Kind name)`, or `documents[i](Kind)` when the name is missing or unusable."""
    if name is None or isinstance(name, bool) or not isinstance(name, str | int):
        return f"{path}({kind})"
    text = to_text(Errors(), path, name)
    return f"{path}({kind} {text})" if text and text.isprintable() and len(text) <= 253 else f"{path}({kind})"


def _identity(document: NetworkDocument) -> tuple[str, str]:
    """What two documents must not share: a link name across link kinds, else kind and name."""
    match document:
        case DHCPv4Config() | DHCPv6Config():
            return type(document).__name__, document.name
        case StaticHostConfig() | Layer2VIPConfig():
            return type(document).__name__, str(document.ip)
        case RoutingRuleConfig():
            return type(document).__name__, str(document.priority)
        case HostnameConfig() | ResolverConfig() | TimeSyncConfig():
            return type(document).__name__, ""
        case _:
            return "link", document.name


def _check_duplicates(errors: Errors, parsed: list[_Parsed]) -> None:
    """One document per link, per DHCP link, per address, per rule priority; singleton kinds once."""
    first: dict[tuple[str, str], _Parsed] = {}
    for item in parsed:
        identity = _identity(item.document)
        earlier = first.setdefault(identity, item)
        if earlier is item:
            continue
        if type(earlier.document) is type(item.document):
            errors.add(item.label, f"duplicate document: {earlier.label} already configures this")
        else:
            errors.add(
                item.label, f"link {identity[1]!r} is already configured by {earlier.label}; one document per link"
            )


def _check_ports(errors: Errors, parsed: list[_Parsed]) -> None:
    """A link is a port of at most one bond or bridge."""
    owner: dict[str, str] = {}
    for item in parsed:
        document = item.document
        if not isinstance(document, BondConfig | BridgeConfig):
            continue
        for i, link in enumerate(document.links):
            earlier = owner.setdefault(link, item.label)
            if earlier != item.label:
                errors.add(f"{item.label}.links[{i}]", f"{link!r} is already a port of {earlier}")


def _check_legacy_conflicts(errors: Errors, parsed: list[_Parsed], legacy: V1Alpha1Config) -> None:
    """Settings given both in the v1alpha1 document and in a network document (Talos refuses these)."""
    network, time, features = legacy.network, legacy.time, legacy.features
    for item in parsed:
        document = item.document
        conflicts: list[str] = []
        if isinstance(document, HostnameConfig):
            conflicts += ["machine.network.hostname"] if network is not None and network.hostname else []
            conflicts += ["machine.features.stableHostname"] if features.stable_hostname else []
        elif isinstance(document, ResolverConfig):
            if network is not None:
                conflicts += ["machine.network.nameservers"] if network.nameservers else []
                conflicts += ["machine.network.searchDomains"] if network.search_domains else []
                conflicts += ["machine.network.disableSearchDomain"] if network.disable_search_domain else []
            if document.host_dns is not None and features.host_dns is not None:
                conflicts.append("machine.features.hostDNS")
        elif isinstance(document, TimeSyncConfig) and time is not None:
            conflicts += ["machine.time.disabled"] if time.disabled else []
            conflicts += ["machine.time.servers"] if time.servers else []
            conflicts += ["machine.time.bootTimeout"] if time.boot_timeout else []
        for setting in conflicts:
            errors.add(item.label, f"conflicts with {setting} in the v1alpha1 document: configure it in one place")
