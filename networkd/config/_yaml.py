"""YAML stream decoding as Talos (Go yaml.v3) sees it: the YAML 1.2 core schema, duplicate keys refused.

PyYAML speaks YAML 1.1, where `off`, `yes` and `on` are booleans, `1:30` is an integer and `2024-01-01`
a date. Talos writes `auto: off` and MAC addresses unquoted, so the loader here keeps only the core
schema's implicit types: null, true/false, decimal/0x/0o integers and floats. Everything else is a string.

Configurations are mostly written in a plain subset of block YAML (keys, `- ` entries, one-line scalars),
which `_decode_plain` reads line by line, several times faster than libyaml's composer builds its nodes; it
gives the pure loader's documents, or None for any text it is not sure of, and never an error.

Other texts go to libyaml's scanner, parser and composer (PyYAML's C extension) feeding PyYAML's own
constructors, so the schema and the duplicate-key check stay the pure loader's; on any error the text is
decoded again by the pure loader, whose messages the errors report. The C composer recurses in C without a
depth guard, so it only gets texts whose nesting is provably shallow (`_shallow`); deeper ones go to the
pure loader, whose composer's recursion limit refuses them. Without the extension only the pure loader runs.
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
    return _core_int(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


def _core_int(text: str) -> int:
    """The value of a scalar the core schema's integer pattern matched."""
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


# Characters outside the plain subset anywhere in a text: all but printable ASCII and `\n`.
_OUTSIDE_PLAIN = re.compile(r"[^\n -~]")
# Characters of a plain scalar after its first, besides `#` (never after a space or `:`), and spaces and `:`
# (`:` never before a space, neither at the end).
_PLAIN_REST = r"-A-Za-z0-9_./+~()=$^;<>@%!&*,?|\[\]{}"
# One line of the subset: indentation, `- ` entries, a plain key (short: YAML's simple keys end within 1,024
# characters), a value, a comment. The value is quoted (no escapes), `[]`, `{}` or plain: no indicator first
# (`-` and `:` only before a letter, digit or `_./:`), no `: `, ` #`, quotes, backslashes or backticks, no
# trailing space or `:`.
# Groups: indentation, entries, key, quoted scalar or `[]` or `{}`, plain scalar.
_PLAIN_LINE = re.compile(
    r"( *)((?:-(?: +|$))*)(?:([A-Za-z_][A-Za-z0-9_./-]{0,127}):(?: +|$))?"
    rf"(?:('[^'\\]*'|\"[^\"\\]*\"|\[\]|\{{\}})|((?:[A-Za-z0-9_./+~(]|[-:](?=[A-Za-z0-9_./:]))"
    rf"[{_PLAIN_REST}#]*(?:(?: +:*|:+)[{_PLAIN_REST}][{_PLAIN_REST}#]*)*))?"
    r" *(?:(?<![^ ])#.*)?"
)
# First characters of the plain scalars _CoreLoader may resolve to another tag than str (which also have
# at most one `.`: IPv4 addresses are strings at once).
_TYPED_FIRST = frozenset(first for first in _BY_FIRST if first)
_NOT_MINE = object()


def _plain_value(text: str) -> object:
    """A plain scalar as _CoreLoader resolves and constructs it; _NOT_MINE for floats, merge keys, huge ints."""
    for tag, regexp in _BY_FIRST.get(text[:1], ()):
        if regexp.match(text):
            if tag == _INT:
                try:
                    return _core_int(text)
                except ValueError:  # more digits than int() converts: the pure loader's error
                    return _NOT_MINE
            if tag == _BOOL:
                return text[0] in "tT"
            return None if tag == _NULL else _NOT_MINE
    return text


def _decode_plain(text: str) -> list[RawDocument] | None:
    """The documents of `text` if it is written in the plain block subset, else None (never an error).

    The subset: printable ASCII lines; comments; `---` between documents (and before the first); block
    mappings with plain keys, block sequences (`- - a` and `- key: v` too, and a mapping's sequence at
    the key's column); one-line plain, quoted (no escapes) and `[]`/`{}` values; no empty documents,
    floats, duplicate keys or nesting deeper than SHALLOW. The result is the pure loader's, line numbers
    included: the tests compare the two on every example, fixture and generated text.
    """
    if not text or _OUTSIDE_PLAIN.search(text) is not None:
        return None
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    documents: list[RawDocument] = []
    fullmatch = _PLAIN_LINE.fullmatch
    root: list[Any] = [None]
    top: Any = None  # the innermost open collection (dict or list) and its column; the document's: None, -1
    top_col = -1
    outer: list[tuple[int, Any]] = []  # the collections around it, innermost last
    target: Any = root  # where a value on the following lines goes, if deeper than column `after`
    slot: Any = 0
    after: int | None = -1
    after_key = False  # `after` is a key's column: a `- ` there starts its value too
    start = 0  # the current document's first content line
    separated = False  # a `---` opened the current document
    for number, line in enumerate(lines, 1):
        match = fullmatch(line)
        if match is None:
            if line != "---" or (not start and (separated or documents)):
                return None
            if start:
                documents.append(RawDocument(len(documents), start, root[0]))
                root = target = [None]
                top, top_col, outer, slot, after, after_key, start = None, -1, [], 0, -1, False, 0
            separated = True
            continue
        indent, dashes, key, other, plain = match.groups()
        if not dashes and key is None:
            if other is None and plain is None:
                continue  # blank or comment
            return None  # a scalar alone on its line
        if plain is not None:
            value: Any = _plain_value(plain) if plain[0] in _TYPED_FIRST and plain.count(".") < 2 else plain
            if value is _NOT_MINE:
                return None
        elif other is not None:
            value = other[1:-1] if other[0] in "'\"" else [] if other == "[]" else {}
        else:
            value = _NOT_MINE
        if not start:
            start = number
        column = len(indent)
        if after is not None and (column > after or (column == after and after_key and dashes)):
            node: Any = [] if dashes else {}
            target[slot] = node
            outer.append((top_col, top))
            top, top_col = node, column
        else:
            while top_col > column:
                top_col, top = outer.pop()
            if not dashes and top_col == column and type(top) is list:
                top_col, top = outer.pop()  # a mapping's sequence at the key's column ends at the next key
            if top_col != column or (type(top) is list) != bool(dashes):
                return None
        after = None
        if dashes:
            offset = dashes.find("-", 1)
            while offset > 0:
                inner: list[Any] = []
                top.append(inner)
                outer.append((top_col, top))
                top, top_col = inner, column + offset
                offset = dashes.find("-", offset + 1)
            if key is not None:
                mapping: dict[str, Any] = {}
                top.append(mapping)
                outer.append((top_col, top))
                top, top_col = mapping, column + len(dashes)
            elif value is _NOT_MINE:
                top.append(None)
                target, slot, after, after_key = top, len(top) - 1, top_col, False
            else:
                top.append(value)
        if len(outer) > SHALLOW:
            return None
        if key is not None:
            if key in top or (key[0] in _TYPED_FIRST and _plain_value(key) is not key):
                return None
            top[key] = None if value is _NOT_MINE else value
            if value is _NOT_MINE:
                target, slot, after, after_key = top, key, top_col, True
    if not start:
        return None
    documents.append(RawDocument(len(documents), start, root[0]))
    return documents


def decode_stream(text: str) -> tuple[list[RawDocument], FieldError | None]:
    """Decode every document of `text`; on a YAML error return the documents before it and the error."""
    documents = _decode_plain(text)
    if documents is not None:
        return documents, None
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
