"""YAML stream decoding as Talos (Go yaml.v3) sees it: the YAML 1.2 core schema, duplicate keys refused.

PyYAML speaks YAML 1.1, where `off`, `yes` and `on` are booleans, `1:30` is an integer and `2024-01-01`
a date. Talos writes `auto: off` and MAC addresses unquoted, so the loader here keeps only the core
schema's implicit types: null, true/false, decimal/0x/0o integers and floats. Everything else is a string.

libyaml's scanner, parser and composer (PyYAML's C extension) feed PyYAML's own constructors, so the schema and
the duplicate-key check stay the pure loader's; on any error the text is decoded again by the pure loader, whose
messages the errors report. The C composer recurses in C without a depth guard, so it only gets texts whose
nesting is provably shallow (`_shallow`); deeper ones go to the pure loader, whose composer's recursion limit
refuses them. Without the extension only the pure loader runs.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from networkd.config.errors import FieldError


class _CoreLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and no duplicate mapping keys."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Refuse a key given twice in one mapping (merge keys `<<` may still be overridden)."""
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: Node) -> int:
    """Core-schema integer: decimal (leading zeros allowed), 0x hexadecimal or 0o octal."""
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits[:2] in ("0x", "0X"):
        return sign * int(digits[2:], 16)
    if digits[:2] in ("0o", "0O"):
        return sign * int(digits[2:], 8)
    return sign * int(digits, 10)


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
):
    _CoreLoader.add_implicit_resolver(_tag, re.compile(rf"^(?:{_pattern})$"), list(_first))
_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_CoreLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_INT, _BOOL, _NULL = "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
# _CoreLoader's implicit resolvers by first character, for `_FastCoreLoader.resolve`
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first or "": resolvers for first, resolvers in _CoreLoader.yaml_implicit_resolvers.items()}


class _Fallback(Exception):
    """A node the fast constructor leaves to PyYAML's (merge keys, unusual tags, duplicate keys)."""


def _fast_loader_class() -> type[_CoreLoader] | None:
    """_CoreLoader reading events from libyaml, or None without the C extension."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml
        return None

    class _FastCoreLoader(CParser, _CoreLoader):
        """libyaml's parser and composer (CParser's, ahead in the MRO) under _CoreLoader's schema.

        Its `resolve` and `construct_document` are shortcuts of PyYAML's for what configurations hold
        (plain mappings, sequences, strings, integers, booleans, nulls); any other node makes the whole
        document go through PyYAML's constructors, so results and errors are the same.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
            """Resolver.resolve for _CoreLoader's resolvers (no path resolvers)."""
            if kind is ScalarNode:
                if implicit[0]:
                    for tag, regexp in _BY_FIRST.get(value[:1], ()):
                        if regexp.match(value):
                            return tag
                return _STR
            return _SEQ if kind is SequenceNode else _MAP

        def construct_document(self, node: Node) -> Any:
            """The document's data; PyYAML's construction when a node is beyond the shortcut."""
            try:
                return self._build(node, {})
            except _Fallback:
                return super().construct_document(node)

        def _build(self, node: Node, built: dict[int, Any]) -> Any:
            tag = node.tag
            if isinstance(node, ScalarNode):
                if tag == _STR:
                    return node.value
                if tag == _INT:
                    return _construct_int(self, node)
                if tag == _NULL:
                    return None
                if tag == _BOOL:
                    return node.value[0] in "tT"
                raise _Fallback
            done = built.get(id(node))
            if done is not None:
                return done  # an alias
            if tag == _SEQ and isinstance(node, SequenceNode):
                items: list[Any] = []
                built[id(node)] = items
                items.extend(self._build(child, built) for child in node.value)
                return items
            if tag != _MAP or not isinstance(node, MappingNode):
                raise _Fallback
            mapping: dict[Any, Any] = {}
            built[id(node)] = mapping
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise _Fallback
                mapping[self._build(key_node, built)] = self._build(value_node, built)
            if len(mapping) != len(node.value):
                raise _Fallback  # a key twice: PyYAML's constructor says where
            return mapping

    return _FastCoreLoader


_FAST_LOADER = _fast_loader_class()

# Nesting depth the C composer is given at most: far below the pure composer's limit (two frames per level
# under the default recursion limit of 1,000), so a text it accepts is one the pure loader accepts too.
SHALLOW = 200
# Where a block collection can start on a line: after the indentation and any `- `, `? `, `: ` or `--- `.
_BLOCK_START = re.compile(r"^[ \t]*(?:(?:---|[-?:])(?:[ \t]+|$))*", re.MULTILINE)


def _shallow(text: str) -> bool:
    """Whether every node of `text` is nested at most SHALLOW deep (a bound, never an underestimate).

    A block collection nested in another starts at a greater column, except a sequence that is a mapping's
    value, so block nesting is at most twice the largest column a block collection can start at, plus one;
    each flow collection needs its own `[` or `{`.
    """
    flow = text.count("[") + text.count("{")
    if flow > SHALLOW:
        return False
    column = max(map(len, _BLOCK_START.findall(text)), default=0)
    return 2 * (column + 1) + 1 + flow <= SHALLOW


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One decoded YAML document: its position in the stream, first line (1-based) and content."""

    index: int
    line: int
    data: object


def decode_stream(text: str) -> tuple[list[RawDocument], FieldError | None]:
    """Decode every document of `text`; on a YAML error return the documents before it and the error."""
    if _FAST_LOADER is not None and _shallow(text):
        documents, error = _decode(text, _FAST_LOADER)
        if error is None:
            return documents, None
    return _decode(text, _CoreLoader)


def _decode(text: str, loader_class: type[_CoreLoader]) -> tuple[list[RawDocument], FieldError | None]:
    """decode_stream with one loader class."""
    documents: list[RawDocument] = []
    loader: _CoreLoader | None = None
    try:
        loader = loader_class(text)
        while loader.check_node() and (node := loader.get_node()) is not None:
            documents.append(RawDocument(len(documents), node.start_mark.line + 1, loader.construct_document(node)))
    except yaml.MarkedYAMLError as exc:
        return documents, FieldError(f"documents[{len(documents)}]", _describe_yaml_error(exc))
    except yaml.YAMLError as exc:
        return documents, FieldError(f"documents[{len(documents)}]", "invalid YAML: " + " ".join(str(exc).split()))
    except RecursionError:
        return documents, FieldError(f"documents[{len(documents)}]", "invalid YAML: nested too deeply")
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        # Raised by PyYAML's constructors for explicitly tagged scalars such as `!!int abc`.
        return documents, FieldError(f"documents[{len(documents)}]", f"invalid YAML value: {exc}")
    finally:
        if loader is not None:
            loader.dispose()
    return documents, None


def _describe_yaml_error(exc: yaml.MarkedYAMLError) -> str:
    """`invalid YAML at line L, column C: <problem> (<context> at line L2)` in 1-based positions."""
    problem = exc.problem or "syntax error"
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = ""
    if exc.context and exc.context_mark is not None:
        context = f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return f"invalid YAML{where}: {problem}{context}"
