"""Typed reading of decoded YAML, every mistake recorded as a FieldError.

A converter takes `(errors, path, value)` and returns the typed value, or records why the value is
unusable and raises `Invalid`. `Fields` wraps one mapping: its getters turn `Invalid` into None, every
key a parser asks for becomes a known key, and `Fields.finish()` reports the keys nobody asked for.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import socket
from collections.abc import Callable, Sequence
from enum import Enum
from ipaddress import IPv4Network, ip_address, ip_interface, ip_network
from typing import TypeVar

from networkd.config.errors import FieldError
from networkd.config.values import IPAddress, IPInterface, IPNetwork, parse_duration

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

Converter = Callable[["Errors", str, object], T]

UINT8 = (0, 2**8 - 1)
UINT16 = (0, 2**16 - 1)
UINT32 = (0, 2**32 - 1)
MTU = (68, 65535)

_PREFIX = re.compile(r"[^/\s]+/\d{1,3}")
# Addresses by their text: a config repeats a few (10,000 routes through one gateway), and the result is immutable,
# so they are parsed once and shared by every spec made of them.
_ip_address = functools.lru_cache(maxsize=4096)(ip_address)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class Invalid(Exception):
    """The value is unusable; the reason is already recorded."""


def need(value: T | None) -> T:
    """`value`, or `Invalid` when it is missing (its error was recorded when it was read)."""
    if value is None:
        raise Invalid
    return value


class Errors:
    """The mistakes found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        """Record one mistake."""
        self.items.append(FieldError(path, message))

    def invalid(self, path: str, message: str) -> Invalid:
        """Record one mistake and return the `Invalid` to raise."""
        self.add(path, message)
        return Invalid()


def describe(value: object) -> str:
    """Short human description of a decoded YAML value, for `got ...` in messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} value"


def suggest(word: str, choices: list[str]) -> str:
    """`; did you mean 'x'?` for a close match among `choices`, else an empty string."""
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return f"; did you mean {lowered[word.lower()]!r}?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def to_text(errors: Errors, path: str, value: object) -> str:
    """A string; an integer is taken as its decimal text, as Go's YAML decoder does."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise errors.invalid(path, f"must be a string, got {describe(value)}")


def to_flag(errors: Errors, path: str, value: object) -> bool:
    """`true` or `false`."""
    if isinstance(value, bool):
        return value
    raise errors.invalid(path, f"must be true or false, got {describe(value)}")


def to_integer(errors: Errors, path: str, value: object, bounds: tuple[int, int]) -> int:
    """A whole number within `bounds` (inclusive)."""
    low, high = bounds
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        raise errors.invalid(path, f"must be a whole number, got {describe(value)}: write it without a decimal point")
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.invalid(path, f"must be an integer, got {describe(value)}")
    if not low <= value <= high:
        raise errors.invalid(path, f"must be between {low} and {high}, got {value}")
    return value


def to_choice(errors: Errors, path: str, value: object, enum: type[E], among: Sequence[E] | None = None) -> E:
    """One of the enum's YAML spellings (its values), or of the members `among` only."""
    text = to_text(errors, path, value)
    members = {str(member.value): member for member in (enum if among is None else among)}
    if text in members:
        return members[text]
    allowed = list(members)
    listed = ", ".join(repr(choice) for choice in allowed)
    raise errors.invalid(path, f"must be one of {listed}; got {text!r}{suggest(text, allowed)}")


def to_address(errors: Errors, path: str, value: object) -> IPAddress:
    """A single IPv4 or IPv6 address without prefix length or zone."""
    text = to_text(errors, path, value)
    if "/" in text:
        raise errors.invalid(path, f"must be a single IP address without a prefix length, got {text!r}")
    if "%" not in text:
        try:
            return _ip_address(text)
        except ValueError:
            pass
    raise errors.invalid(path, f"{text!r} is not a valid IP address")


def to_interface(errors: Errors, path: str, value: object, *, bare_ok: bool = False) -> IPInterface:
    """An address with its prefix length (`10.0.0.5/24`); with `bare_ok` a bare address means /32 or /128."""
    text = to_text(errors, path, value)
    if "/" not in text and bare_ok:
        return ip_interface(to_address(errors, path, text))
    if "/" not in text:
        raise errors.invalid(path, f"{text!r} has no prefix length: write it like 192.168.1.10/24 or fd00::1/64")
    if _PREFIX.fullmatch(text) and "%" not in text:
        try:
            return ip_interface(text)
        except ValueError:
            pass
    raise errors.invalid(path, f"{text!r} is not a valid IP address with prefix length (like 192.168.1.10/24)")


def to_any_interface(errors: Errors, path: str, value: object) -> IPInterface:
    """`to_interface` with a bare address taken as /32 or /128 (legacy `addresses`)."""
    return to_interface(errors, path, value, bare_ok=True)


def to_network(errors: Errors, path: str, value: object) -> IPNetwork:
    """An IP prefix (`10.0.0.0/8`); host bits are cleared, as the kernel does for route destinations."""
    text = to_text(errors, path, value)
    network = _ipv4_network(text)
    if network is not None:
        return network
    if _PREFIX.fullmatch(text) and "%" not in text:
        try:
            return ip_network(text, strict=False)
        except ValueError:
            pass
    raise errors.invalid(path, f"{text!r} is not a valid IP prefix (like 10.0.0.0/8 or fd00::/64)")


def _ipv4_network(text: str) -> IPv4Network | None:
    """`ip_network(text, strict=False)` of an IPv4 prefix in 0.9 instead of 1.5 us (a config may hold 10,000
    routes); None for anything else, which `to_network` then reads or refuses. inet_pton takes exactly what
    ipaddress takes: four decimal octets without leading zeros; the length has 1 to 3 digits, as `_PREFIX`
    wants, so whatever this takes `_PREFIX` matches."""
    address, _, length = text.partition("/")
    if not (length.isascii() and length.isdigit() and len(length) <= 3):
        return None
    prefix = int(length)
    if prefix > 32:
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET, address)
    except (OSError, ValueError):
        return None
    # host bits cleared here rather than by strict=False, whose keyword argument costs 80 ns
    return IPv4Network((int.from_bytes(packed, "big") & (0xFFFFFFFF << 32 - prefix), prefix))


def to_duration(errors: Errors, path: str, value: object) -> float:
    """A non-negative Go duration string (`30s`, `1m30s`, `500ms`), as seconds."""
    if not isinstance(value, str):
        raise errors.invalid(path, f"must be a duration like '30s' or '1m30s', got {describe(value)}")
    seconds = parse_duration(value)
    if seconds is None:
        raise errors.invalid(path, f"{value!r} is not a duration: use a number and a unit (h, m, s, ms), like '1m30s'")
    if seconds < 0:
        raise errors.invalid(path, f"must not be negative, got {value!r}")
    return seconds


def to_list(errors: Errors, path: str, value: object) -> list[tuple[str, object]]:
    """The items of a list, each with its own path (`path[i]`)."""
    if isinstance(value, list):
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    raise errors.invalid(path, f"must be a list, got {describe(value)}")


def to_fields(errors: Errors, path: str, value: object) -> Fields:
    """A mapping, wrapped for reading its keys."""
    if isinstance(value, dict):
        return Fields(errors, path, value)
    raise errors.invalid(path, f"must be a mapping (key: value), got {describe(value)}")


def mapping_of(parse: Callable[[Fields], T]) -> Converter[T]:
    """Converter for a nested mapping read by `parse`, with its unknown keys reported."""

    def convert(errors: Errors, path: str, value: object) -> T:
        fields = to_fields(errors, path, value)
        try:
            return parse(fields)
        finally:
            fields.finish()

    return convert


def each(convert: Converter[T]) -> Converter[tuple[T, ...]]:
    """Converter for a list whose items `convert` reads; bad items are reported and left out."""

    def convert_all(errors: Errors, path: str, value: object) -> tuple[T, ...]:
        items = []
        for item_path, item in to_list(errors, path, value):
            try:
                items.append(convert(errors, item_path, item))
            except Invalid:
                continue
        return tuple(items)

    return convert_all


class Fields:
    """One YAML mapping being read; a null value counts as absent, as in Go."""

    __slots__ = ("_data", "_known", "errors", "path")

    def __init__(self, errors: Errors, path: str, data: dict[object, object]) -> None:
        self.errors = errors
        self.path = path
        self._data = data
        self._known: dict[str, None] = {}  # keys asked for, in order

    def at(self, key: str) -> str:
        """Path of `key` in this mapping."""
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, *, required: bool = False) -> object | None:
        """The raw value of `key` (None when absent or null); a missing required key is an error."""
        self._known[key] = None
        value = self._data.get(key)
        if value is None and required:
            self.errors.add(self.at(key), "is required but missing")
        return value

    def has(self, key: str) -> bool:
        """Whether `key` holds a value (not absent, not null)."""
        return self._data.get(key) is not None

    def read(self, key: str, convert: Converter[T], *, required: bool = False) -> T | None:
        """`convert` applied to the value of `key`; None when absent or unusable."""
        value = self.get(key, required=required)
        if value is None:
            return None
        try:
            return convert(self.errors, self.at(key), value)
        except Invalid:
            return None

    def text(self, key: str, *, required: bool = False) -> str | None:
        """A string field."""
        return self.read(key, to_text, required=required)

    def flag(self, key: str) -> bool | None:
        """A boolean field."""
        return self.read(key, to_flag)

    def integer(self, key: str, bounds: tuple[int, int], *, required: bool = False) -> int | None:
        """An integer field within `bounds`."""
        return self.read(key, lambda errors, path, value: to_integer(errors, path, value, bounds), required=required)

    def choice(self, key: str, enum: type[E], *, among: Sequence[E] | None = None, required: bool = False) -> E | None:
        """An enumerated field (one of the members `among` only, when given)."""
        return self.read(
            key, lambda errors, path, value: to_choice(errors, path, value, enum, among), required=required
        )

    def fields(self, key: str) -> Fields | None:
        """A nested mapping, read by the caller (who also calls its `finish`, or not)."""
        return self.read(key, to_fields)

    def items(self, key: str, convert: Converter[T], *, required: bool = False) -> tuple[T, ...] | None:
        """A list field, each item converted, bad items reported and left out; None when absent."""
        return self.read(key, each(convert), required=required)

    def finish(self) -> None:
        """Report every key of the mapping that no parser asked for."""
        if self._data.keys() <= self._known.keys():
            return  # the usual case: every key is a string some parser asked for
        for key in self._data:
            if not isinstance(key, str):
                self.errors.add(self.path, f"keys must be strings, got {describe(key)}")
            elif key not in self._known:
                path = self.at(key) if _PLAIN_KEY.fullmatch(key) else f"{self.path}[{key!r}]"
                self.errors.add(path, f"unknown field{suggest(key, list(self._known))}")
