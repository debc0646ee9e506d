"""Split a kernel command line into parameters the way the kernel does (`lib/cmdline.c: next_arg`).

Whitespace outside double quotes separates parameters; a value that starts with a quote loses it and the
quote closing the parameter; a parameter that starts with a quote loses it and its closing quote. Parsing
stops at a bare `--`: what follows is passed to init, not to the kernel. A NUL ends the line.
"""

from __future__ import annotations

_SPACE = frozenset(" \t\n\v\f\r")


def split_params(cmdline: str) -> list[tuple[str, str | None]]:
    """Return `(name, value)` pairs in order; `value` is None for a parameter without `=`."""
    text = cmdline.split("\0", 1)[0]
    params: list[tuple[str, str | None]] = []
    pos = _skip_spaces(text, 0)
    while pos < len(text):
        name, value, pos = _next_param(text, pos)
        if value is None and name == "--":
            break
        params.append((name, value))
    return params


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _next_param(text: str, start: int) -> tuple[str, str | None, int]:
    quoted = text[start] == '"'
    if quoted:
        start += 1
    in_quote = quoted
    equals = 0  # offset of the first '=', 0 meaning none: the kernel ignores a leading '='
    end = start
    while end < len(text) and (in_quote or text[end] not in _SPACE):
        if equals == 0 and text[end] == "=":
            equals = end - start
        if text[end] == '"':
            in_quote = not in_quote
        end += 1
    token = text[start:end]
    value_start = equals + 1
    strip_last = quoted
    if equals and token[value_start : value_start + 1] == '"':
        value_start += 1
        strip_last = True
    cut = len(token) - 1 if strip_last and token.endswith('"') else len(token)
    following = _skip_spaces(text, end)
    if not equals:
        return token[:cut], None, following
    return token[:equals], token[value_start:cut] if value_start <= cut else "", following
