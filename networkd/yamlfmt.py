"""YAML text as Talos prints it: 4-space indent, indented sequences, go-yaml style quoting."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style  # go-yaml quotes with double quotes


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if value == "" or dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class Plain(str):
    """A timestamp string, written bare as go-yaml prints times."""

    __slots__ = ()


def _plain(dumper: yaml.SafeDumper, value: Plain) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Plain, _plain)


def dump(data: Any) -> str:
    """Render plain data (dicts keep their order) as YAML text."""
    return yaml.dump(data, Dumper=_Dumper, indent=4, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)
