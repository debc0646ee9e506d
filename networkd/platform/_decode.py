"""Decoding of YAML data into networkd's spec dataclasses, driven by their field metadata.

A spec field's YAML name is its `yfield` name (else the camelCase of the attribute), `inline` fields
take their keys from the enclosing mapping, and the field's type says how to read the value. This is
the inverse of `networkd.resources.base.to_plain`. Every mistake is recorded with its field path.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
import types
import typing
from typing import Any

from networkd.config import FieldError
from networkd.resources.base import camel
from networkd.resources.enums import TalosEnum
from networkd.resources.values import Duration, HardwareAddr

_UINT32_MAX = 2**32 - 1
_ADDRESS = frozenset({ipaddress.IPv4Address, ipaddress.IPv6Address})
_INTERFACE = frozenset({ipaddress.IPv4Interface, ipaddress.IPv6Interface})
_NETWORK = frozenset({ipaddress.IPv4Network, ipaddress.IPv6Network})
_DURATION = re.compile(r"(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_US = {"ns": 0.001, "us": 1.0, "µs": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")


class Invalid(Exception):
    """The value is unusable; the reason is already recorded."""


def yaml_name(f: dataclasses.Field[Any]) -> str:
    """The YAML key of a spec field."""
    return f.metadata.get("yaml") or camel(f.name)


def describe(value: object) -> str:
    """A short description of a decoded YAML value for `got ...`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a value"


class Decoder:
    """Collects the mistakes of one decoding run."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, message: str) -> Invalid:
        """Record a mistake and return the exception to raise."""
        self.errors.append(FieldError(path, message))
        return Invalid()

    def record(self, cls: type[Any], raw: object, path: str) -> Any:
        """An instance of dataclass `cls` from a mapping; unknown and missing keys are mistakes."""
        if not isinstance(raw, dict):
            raise self.fail(path, f"must be a mapping, got {describe(raw)}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        known: list[str] = []
        broken = False
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            if f.metadata.get("inline"):
                inner = _strip_none(tp)
                keys = [yaml_name(g) for g in dataclasses.fields(inner)]
                known += keys
                if any(k in raw for k in keys):
                    try:
                        values[f.name] = self.record(inner, {k: raw[k] for k in keys if k in raw}, path)
                    except Invalid:
                        broken = True
                continue
            key = yaml_name(f)
            known.append(key)
            if raw.get(key) is None:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.fail(_join(path, key), "is required")
                    broken = True
                continue
            try:
                values[f.name] = self.value(tp, raw[key], _join(path, key))
            except Invalid:
                broken = True
        for key in raw:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(_join(path, str(key)), f"unknown field{hint}")
                broken = True
        if broken:
            raise Invalid
        return cls(**values)

    def value(self, tp: Any, raw: object, path: str) -> Any:
        """A value of type `tp` (a scalar, enum, address, tuple, record, or an optional of one)."""
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = frozenset(a for a in typing.get_args(tp) if a is not type(None))
            optional = len(args) < len(typing.get_args(tp))
            if optional and (raw is None or (raw == "" and args <= _ADDRESS | _INTERFACE | _NETWORK)):
                return None
            if args == _ADDRESS:
                return self._ip(ipaddress.ip_address, raw, path, "an IP address")
            if args == _INTERFACE:
                return self._ip(ipaddress.ip_interface, raw, path, "an address with a prefix length")
            if args == _NETWORK:
                return self._ip(ipaddress.ip_network, raw, path, "a network prefix")
            (only,) = args
            return self.value(only, raw, path)
        if typing.get_origin(tp) is tuple:
            (item, _ellipsis) = typing.get_args(tp)
            if raw is None:
                return ()
            if not isinstance(raw, list):
                raise self.fail(path, f"must be a list, got {describe(raw)}")
            out, broken = [], False
            for i, element in enumerate(raw):
                try:
                    out.append(self.value(item, element, f"{path}[{i}]"))
                except Invalid:
                    broken = True
            if broken:
                raise Invalid
            return tuple(out)
        if tp is bool:
            if not isinstance(raw, bool):
                raise self.fail(path, f"must be true or false, got {describe(raw)}")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(path, f"must be an integer, got {describe(raw)}")
            if not 0 <= raw <= _UINT32_MAX:
                raise self.fail(path, f"must be between 0 and {_UINT32_MAX}, got {raw}")
            return raw
        if tp is str:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise self.fail(path, f"must be a string, got {describe(raw)}")
            return str(raw)
        if tp is HardwareAddr:
            if not isinstance(raw, str) or not _MAC.fullmatch(raw):
                raise self.fail(path, f"must be a hardware address like 02:42:ac:11:00:02, got {describe(raw)}")
            return HardwareAddr.parse(raw)
        if tp is Duration:
            return self._duration(raw, path)
        if isinstance(tp, type) and issubclass(tp, TalosEnum):
            return self._enum(tp, raw, path)
        if dataclasses.is_dataclass(tp):
            return self.record(tp, raw, path)  # type: ignore[arg-type]
        raise TypeError(f"no YAML decoding for {tp!r}")

    def _ip(self, parse: Any, raw: object, path: str, what: str) -> Any:
        if not isinstance(raw, str):
            raise self.fail(path, f"must be {what}, got {describe(raw)}")
        if parse is not ipaddress.ip_address and "/" not in raw:
            raise self.fail(path, f"{raw!r} is not {what}: the prefix length is missing")
        try:
            return parse(raw)
        except ValueError as exc:
            raise self.fail(path, f"{raw!r} is not {what}: {exc}") from None

    def _enum(self, tp: type[TalosEnum], raw: object, path: str) -> TalosEnum:
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        if not isinstance(text, str):
            raise self.fail(path, f"must be one of {_choices(tp)}, got {describe(raw)}")
        try:
            return tp.parse(text)
        except ValueError:
            raise self.fail(path, f"{text!r} is not one of {_choices(tp)}") from None

    def _duration(self, raw: object, path: str) -> Duration:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return Duration(microseconds=raw / 1000)  # Go's time.Duration as a number: nanoseconds
        if isinstance(raw, str) and (raw == "0" or _DURATION.fullmatch(raw)):
            us = sum(float(n) * _UNIT_US[u] for n, u in _DURATION_PART.findall(raw))
            return Duration(microseconds=us)
        raise self.fail(path, f"must be a duration like 30s or 1m30s, got {describe(raw)}")


def _strip_none(tp: Any) -> Any:
    return next(a for a in typing.get_args(tp) if a is not type(None)) if typing.get_args(tp) else tp


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _choices(tp: type[TalosEnum]) -> str:
    words = [str(m) for m in tp if str(m)]
    return ", ".join(words) if len(words) <= 12 else ", ".join(words[:12]) + ", ..."
