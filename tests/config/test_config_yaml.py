"""The libyaml-backed YAML decoder gives what the pure loader gives, and its errors are the pure loader's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from networkd.config import _yaml
from networkd.config._yaml import _CoreLoader, _decode, decode_stream
from networkd.config.errors import FieldError

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "tests" / "config" / "data").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))

SCALARS = """\
auto: off
yes_: yes
mac: 00:11:22:33:44:55
time: 1:30
date: 2024-01-01
hex: 0x1F
octal: 0o17
lead: 007
negative: -12
float: 1.5e3
inf: -.inf
null_: ~
empty:
true_: True
quoted: "true"
multi: |
  line one
  line two
anchor: &a {x: [1, 2]}
alias: *a
merged:
  <<: *a
  y: 3
---
- second document
- [nested, [flow, {k: v}]]
"""


@pytest.fixture
def fast() -> type[_CoreLoader]:
    if _yaml._FAST_LOADER is None:
        pytest.skip("PyYAML here is built without libyaml (yaml.__with_libyaml__ is False)")
    return _yaml._FAST_LOADER


def test_libyaml_is_used_when_pyyaml_has_it() -> None:
    assert (_yaml._FAST_LOADER is not None) == yaml.__with_libyaml__


@pytest.mark.parametrize(
    "text", [SCALARS] + [path.read_text() for path in FILES], ids=["scalars"] + [path.name for path in FILES]
)
def test_fast_and_pure_decoders_agree(fast: type[_CoreLoader], text: str) -> None:
    documents, error = _decode(text, fast)
    assert error is None
    assert documents == _decode(text, _CoreLoader)[0]
    assert documents == decode_stream(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "a: &s [1, 2]\nb: *s\nc: &m {k: v}\nd: *m\n",
        "t: TRUE\nf: False\nn: Null\nnn: NULL\nx: ~\n",
        "true: 1\nTrue: 2\n",
        "1: int key\n'1': str key\nnull: null key\n",
        "s: !!str 123\nf: !!float 1\ni: !!int '0x1f'\nb: !!bool true\n",
        "set: !!set {a, b}\nbin: !!binary aGVsbG8=\n",
        "? [a, b]\n: c\n",
        "base: &b {x: 1}\nm: {<<: *b, y: 2}\n",
        "- a\n- [b, {c: [d]}]\n- {}\n- []\n- ''\n",
    ],
    ids=["aliases", "bool-null-spellings", "keys-equal-after-typing", "typed-keys", "explicit-tags",
         "unusual-tags", "sequence-key", "merge-key", "shapes"],
)
def test_the_fast_constructor_gives_pyyamls_result_or_error(fast: type[_CoreLoader], text: str) -> None:
    documents, error = _decode(text, fast)
    assert (documents, error) == _decode(text, _CoreLoader)
    if error is None:
        data, pure = documents[0].data, _decode(text, _CoreLoader)[0][0].data
        assert [type(v) for v in _values(data)] == [type(v) for v in _values(pure)]


def test_an_alias_is_the_same_object_as_its_anchor(fast: type[_CoreLoader]) -> None:
    documents, _ = _decode("a: &s [1, 2]\nb: *s\n", fast)
    data = documents[0].data
    assert isinstance(data, dict) and data["a"] is data["b"]


def _values(data: object) -> list[object]:
    """Every value of nested mappings and lists, depth first (True == 1, so types are compared too)."""
    if isinstance(data, dict):
        return [v for key, value in data.items() for v in [key, *_values(value)]]
    if isinstance(data, list):
        return [v for item in data for v in [item, *_values(item)]]
    return [data]


def test_core_schema_scalars_through_libyaml(fast: type[_CoreLoader]) -> None:
    documents, _ = _decode(SCALARS, fast)
    first = documents[0].data
    assert isinstance(first, dict)
    assert (first["auto"], first["yes_"], first["mac"], first["time"], first["date"]) == (
        "off", "yes", "00:11:22:33:44:55", "1:30", "2024-01-01"
    )
    assert (first["hex"], first["octal"], first["lead"], first["negative"]) == (31, 15, 7, -12)
    assert first["float"] == 1500.0 and first["inf"] == float("-inf")
    assert first["null_"] is None and first["empty"] is None and first["true_"] is True and first["quoted"] == "true"
    assert first["merged"] == {"x": [1, 2], "y": 3}
    assert [(d.index, d.line) for d in documents] == [(0, 1), (1, 25)]


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "a: [1, 2\n",
        "a: b: c\n",
        "ok: 1\n---\nkey: {\n",
        "a: !!int abc\n",
    ],
    ids=["duplicate-key", "unclosed-flow", "mapping-in-value", "second-document", "bad-tag"],
)
def test_errors_are_the_pure_loaders(fast: type[_CoreLoader], text: str) -> None:
    assert _decode(text, fast)[1] is not None
    assert decode_stream(text) == _decode(text, _CoreLoader)


def _block(depth: int) -> str:
    """A block mapping nested `depth` deep, each level two columns in."""
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth)) + "  " * depth + "leaf: 1\n"


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 5000 + "]" * 5000 + "\n", _block(2000), "a:\n" + "- " * 2000 + "x\n"],
    ids=["flow", "block-mapping", "compact-sequence"],
)
def test_too_deep_never_reaches_the_c_composer(text: str) -> None:
    """The C composer has no depth guard: deep texts go to the pure loader, which refuses them."""
    assert not _yaml._shallow(text)
    assert decode_stream(text) == ([], FieldError("documents[0]", "invalid YAML: nested too deeply"))


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 60 + "]" * 60 + "\n", _block(40), "a:\n" + "- " * 40 + "x\n", "- ? a\n  : - - b\n"],
    ids=["flow", "block-mapping", "compact-sequence", "complex-key"],
)
def test_shallow_bound_holds(fast: type[_CoreLoader], text: str) -> None:
    """Texts within the bound decode through libyaml's composer exactly as through the pure loader."""
    assert _yaml._shallow(text)
    documents, error = _decode(text, fast)
    assert error is None and documents == _decode(text, _CoreLoader)[0]
