"""The line decoder of the plain block subset gives the pure loader's documents, line numbers included, or None."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from networkd.config import _yaml
from networkd.config._yaml import (
    _BY_FIRST,
    _TYPED_FIRST,
    RawDocument,
    _CoreLoader,
    _decode,
    _decode_plain,
    decode_stream,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "reference"
sys.path.insert(0, str(ROOT / "bench"))

from config_apply import addresses, networkd_config, routes  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FIXTURES = sorted((ROOT / "tests").rglob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yml"))
SHARED_FILES = sorted(SHARED.rglob("*.yaml")) + sorted(SHARED.rglob("*.yml"))
BENCH = networkd_config(addresses(200), routes(10000))


def _embedded_texts() -> list[str]:
    """String literals of the other config tests that span lines and hold a `:` (the YAML they load)."""
    texts: set[str] = set()
    for path in sorted((ROOT / "tests" / "config").glob("*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
                texts.add(node.value)
    return sorted(texts)


def _shown(documents: list[RawDocument]) -> list[tuple[int, int, str]]:
    """Documents compared strictly: repr tells True from 1 and keeps key order."""
    return [(document.index, document.line, repr(document.data)) for document in documents]


def _agrees(text: str) -> bool:
    """Whether the line decoder took `text`; if it did, the pure loader (and libyaml's) gave the same."""
    fast = _decode_plain(text)
    if fast is None:
        return False
    pure, error = _decode(text, _CoreLoader)
    assert error is None, f"the line decoder accepted what the pure loader refuses: {error}"
    assert _shown(fast) == _shown(pure)
    if _yaml._FAST_LOADER is not None:
        assert _shown(fast) == _shown(_decode(text, _yaml._FAST_LOADER)[0])
    assert _shown(decode_stream(text)[0]) == _shown(pure)
    return True


@pytest.mark.parametrize("path", [*EXAMPLES, None], ids=[path.name for path in EXAMPLES] + ["bench"])
def test_realistic_configs_take_the_line_decoder(path: Path | None) -> None:
    assert _agrees(BENCH if path is None else path.read_text())


@pytest.mark.parametrize("path", FIXTURES, ids=[str(path.relative_to(ROOT)) for path in FIXTURES])
def test_fixtures_agree_or_are_left_to_libyaml(path: Path) -> None:
    _agrees(path.read_text())


@pytest.mark.parametrize(
    "path",
    [pytest.param(path, id=path.name) for path in SHARED_FILES]
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"no YAML files under {SHARED} (or no such directory)"))],
)
def test_shared_reference_yaml_agrees_or_is_left_to_libyaml(path: Path) -> None:
    _agrees(path.read_text())


def test_config_tests_texts_agree_or_are_left_to_libyaml() -> None:
    texts = _embedded_texts()
    accepted = sum(_agrees(text) for text in texts)
    assert accepted > 0, f"none of {len(texts)} texts taken by the line decoder"


KEYS = ["a", "b", "key", "x.y", "a-b", "_k", "true", "null", "N", "<<", "'q'", "1", "a b", "a\tb", "? a"]
SCALARS = [
    "a: b", "a #b", "a#b", ":", "-", "- -", "'x'", '"x"', "[]", "{}", "[a]", "&a", "*a", "!t", "|", ">", "~",
    "null", "Null", "true", "False", "0x1F", "0o17", "007", "-12", "+3", "1.5", ".inf", "-.5", "1e3", "yes", "off",
    "00:11:22:33:44:55", "fd00::1/64", "fd00::", "::1", "::", "10.0.0.1", "10.0.0.0/8", "a:b", "a :b", "a,b",
    "x y", "x  ", "'it''s'", '"a\\"b"', "'a\\b'", '"x" #c', "'x'#c", "a\tb", "%x", "@x", "`x", "?x", "-x", "--",
    "---", "...", "<<", "=", "a:", "a: ", "é", "'", '"', "'a'b", "[ ]", "{a: 1}", "#c", "# c",
]  # fmt: skip
CLEAN_KEYS = ["a", "b", "c", "name", "mtu"]
CLEAN = ["eth0", "10.0.0.1/24", "1500", "true", "off", "~", "''", "[]", "fd00::1", "x y", ""]
INDENTS = ["", "  ", "    ", " ", "   ", "      ", "\t"]
PREFIXES = ["", "- ", "- - ", "-   ", "-", "- -", "-\t"]
SPECIAL = ["---", "...", "--- a", "--- # c", "%YAML 1.2", "", "# c", "   # c", "\t", " ", "\r", "\x85a: b"]

# Mostly well-formed lines (first choices and clean words weigh more), some tricky ones.
scalars = st.sampled_from(CLEAN) | st.sampled_from(SCALARS) | st.text(alphabet=" -:#'\"ab01.[]{}&*!|>~\t", max_size=6)
keys = st.sampled_from(CLEAN_KEYS) | st.sampled_from(KEYS)
separators = st.just(": ") | st.sampled_from([":", ":  ", ": # c ", ":\t"])
bodies = st.tuples(keys, separators, scalars).map("".join) | scalars
lines = st.one_of(
    st.tuples(st.sampled_from(INDENTS[:3]) | st.sampled_from(INDENTS), st.sampled_from(PREFIXES[:2])
              | st.sampled_from(PREFIXES), bodies).map("".join),
    st.sampled_from(SPECIAL),
)
texts = st.tuples(st.lists(lines, max_size=12), st.sampled_from(["\n", "", "\n\n", "\r\n"])).map(
    lambda parts: "\n".join(parts[0]) + parts[1]
)


@settings(max_examples=3000, deadline=None)
@given(texts)
@example("a:\n- 1\n- b: 2\n  c:\n  - - x\n    -\n      y: z\nd: 'q #' # c\n")
@example("---\n- a\n---\nk: v\n")
def test_generated_lines_agree_or_are_left_to_libyaml(text: str) -> None:
    event("accepted" if _agrees(text) else "left to libyaml")


documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(SCALARS) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), children,
                      max_size=4),
    max_leaves=12,
)


# What may follow a line of an emitter's text: a trailing comment, a comment line, a blank line.
DECORATIONS = ["", "", "", " # c", "  #c", "\n# c", "\n", "\n      # c"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(documents, min_size=1, max_size=3), st.integers(min_value=1, max_value=4), st.booleans(), st.data())
def test_dumped_data_agrees_or_is_left_to_libyaml(
    data: list[object], indent: int, start: bool, draw: st.DataObject
) -> None:
    """Texts as a YAML emitter writes them (block style: realistic indentation and quoting), comments added."""
    text = yaml.safe_dump_all(data, default_flow_style=False, indent=indent, explicit_start=start, sort_keys=False)
    if draw.draw(st.booleans()):
        text = "".join(line + draw.draw(st.sampled_from(DECORATIONS)) + "\n" for line in text.split("\n")[:-1])
    event("accepted" if _agrees(text) else "left to libyaml")


@pytest.mark.parametrize(
    "text",
    [
        "", "\n", "# only a comment\n", "---\n", "a: 1\n---\n", "---\n---\na: 1\n", "a: 1\n---\n# c\n---\nb: 2\n",
        "a: 1\r\n", "a:\tb\n", "\ufeffa: 1\n", "a: caf\u00e9\n", "a: b\x85c: d\n",
        "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "--- a: 1\n", "--- \na: 1\n",
        "a: [b]\n", "a: {b: c}\n", "a: [ ]\n", "a: |\n  x\n", "a: >\n  x\n", "a: &x b\n", "a: *x\n", "a: !t b\n",
        "? a\n: b\n", "a: b\n  c\n", "- b\n  c\n", "a:\n    b: 1\n  c: 2\n", "a: 1\n  b: 2\n", "a: 1\na: 2\n",
        "a: 1.5\n", "a: .inf\n", "a: -.5e3\n", "<<: {}\n", "a: <<\n", "true: 1\n", "null: 1\n", "a b: 1\n",
        "'a': 1\n", "a: 'it''s'\n", 'a: "x\\ty"\n', "a: 'x\n  y'\n", "a: b: c\n", "a: b:\n", "a: -\n", "a: - b\n",
        "a: :\n", "a: 'x'#c\n", "a: #c\n  b\n", "scalar\n", "- a\nb: 1\n", "a: 1\n- b\n", "  a: 1\nb: 2\n",
        "a: @x\n", "a: `x\n", "a: %x\n", "a: ?x\n", "a: x y :\n",
        "a:\n" + "- " * (_yaml.SHALLOW + 1) + "x\n", "k" * 1100 + ": 1\n", "- " + "k" * 1020 + ": 1\n",
        "a: " + "1" * 5000 + "\n",
    ],
    ids=lambda text: repr(text)[:40],
)  # fmt: skip
def test_outside_the_subset_is_left_to_libyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _decode_plain(text) is None
    decoded = decode_stream(text)
    monkeypatch.setattr(_yaml, "_decode_plain", lambda text: None)
    assert decoded == decode_stream(text)  # what it gave before the line decoder, errors included


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb:\nc: ~\n", [(0, 1, {"a": 1, "b": None, "c": None})]),
        ("# c\n\n---\n# d\nk:\n- x\n- - 0x1F\n  - -0o17\n", [(0, 5, {"k": ["x", [31, "-0o17"]]})]),
        ("- a: off\n  b: 00:11:22:33:44:55 # mac\n-\n- ::1\n",
         [(0, 1, [{"a": "off", "b": "00:11:22:33:44:55"}, None, "::1"])]),
        ("a: 'x #y'\nb: \"\"\nc: []\nd: {}\ne: a#b\n---\n- TRUE\n- False\n", [
            (0, 1, {"a": "x #y", "b": "", "c": [], "d": {}, "e": "a#b"}), (1, 7, [True, False])]),
    ],
)  # fmt: skip
def test_values_and_lines(text: str, expected: list[tuple[int, int, object]]) -> None:
    assert [(d.index, d.line, d.data) for d in _decode_plain(text) or []] == expected
    assert _agrees(text)


@pytest.mark.parametrize("tag", sorted({tag for resolvers in _BY_FIRST.values() for tag, _ in resolvers}))
@settings(max_examples=200)
@given(data=st.data())
def test_typed_scalars_have_a_typed_first_character_and_one_dot_at_most(tag: str, data: st.DataObject) -> None:
    """What lets the line decoder take IPv4 addresses and most words as strings without the resolvers."""
    pattern = next(regexp for resolvers in _BY_FIRST.values() for t, regexp in resolvers if t == tag)
    text = data.draw(st.from_regex(pattern.pattern[1:-1], fullmatch=True))
    assert text == "" or (text[0] in _TYPED_FIRST and text.count(".") <= 1)
