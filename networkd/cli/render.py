"""Rendering resources as talosctl does: tables with print columns, YAML and JSON documents."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from networkd.api.gen.cosi import resource_pb2
from networkd.yamlfmt import Plain, dump

EVENT_MARK = {0: "+", 1: " ", 2: "-"}
EVENT_NAME = {0: "created", 1: "updated", 2: "destroyed"}


@dataclass(frozen=True, slots=True)
class Definition:
    """What the CLI needs of a ResourceDefinition."""

    type: str
    display: str
    namespace: str
    aliases: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    sensitive: bool


def definition_from_yaml(text: str) -> Definition:
    """Parse a ResourceDefinition's yaml_spec."""
    d = yaml.safe_load(text) or {}
    return Definition(d["type"], d["displayType"], d["defaultNamespace"], tuple(d.get("aliases") or ()),
                      tuple((c["name"], c["jsonPath"]) for c in d.get("printColumns") or ()),
                      d.get("sensitivity") == "sensitive")


def resolve(word: str, defs: Sequence[Definition]) -> Definition:
    """The definition a user's word names (alias, type or definition id, any case)."""
    w = word.lower()
    for d in defs:
        if w == d.type.lower() or w in d.aliases:
            return d
    raise LookupError(word)


_PATH = re.compile(r"^\{\.(.*)\}$")


def json_path(spec: Any, path: str) -> Any:
    """Evaluate a `{.a.b}` print-column path against a spec."""
    m = _PATH.match(path.strip())
    if not m:
        return None
    value = spec
    for part in filter(None, m.group(1).split(".")):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def cell(value: Any) -> str:
    """A table cell: scalars as text, lists and maps as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def header(defn: Definition, watch: bool) -> list[str]:
    """Column headers."""
    cols = ["NODE", "*"] if watch else ["NODE"]
    return cols + ["NAMESPACE", "TYPE", "ID", "VERSION"] + [name.upper() for name, _ in defn.columns]


def row(node: str, defn: Definition, res: resource_pb2.Resource, event: int | None = None) -> list[str]:
    """One table row."""
    spec = yaml.safe_load(res.spec.yaml_spec) if res.spec.yaml_spec else {}
    md = res.metadata
    cols = [node] + ([EVENT_MARK.get(event, " ")] if event is not None else [])
    return cols + [md.namespace, defn.display, md.id, md.version] + [cell(json_path(spec, p)) for _, p in defn.columns]


def table(rows: list[list[str]]) -> str:
    """Align columns like Go's tabwriter with 3 spaces of padding."""
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["   ".join(c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def _time(ts: Any) -> str:
    dt = datetime.datetime.fromtimestamp(ts.seconds, datetime.UTC)
    return Plain(dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _metadata(md: resource_pb2.Metadata) -> dict[str, Any]:
    out: dict[str, Any] = {"namespace": md.namespace, "type": md.type, "id": md.id,
                           "version": int(md.version) if md.version.isdigit() else md.version}
    if md.owner:
        out["owner"] = md.owner
    out["phase"] = md.phase
    out["created"] = _time(md.created)
    out["updated"] = _time(md.updated)
    if md.labels:
        out["labels"] = dict(sorted(md.labels.items()))
    if md.annotations:
        out["annotations"] = dict(sorted(md.annotations.items()))
    if md.finalizers:
        out["finalizers"] = list(md.finalizers)
    return out


def yaml_doc(node: str, res: resource_pb2.Resource, event: int | None = None) -> str:
    """One YAML document: node, metadata, spec (the server's YAML verbatim, comments kept), event."""
    head: dict[str, Any] = {"node": node, "metadata": _metadata(res.metadata)}
    text = dump(head)
    spec = res.spec.yaml_spec.rstrip("\n")
    if spec and spec not in ("{}", "null"):
        text += "spec:\n" + "".join(f"    {line}\n" if line else "\n" for line in spec.split("\n"))
    else:
        text += "spec: {}\n"
    if event is not None:
        text += f"event: {EVENT_NAME.get(event, 'updated')}\n"
    return text


def json_doc(node: str, res: resource_pb2.Resource, event: int | None = None) -> str:
    """One JSON document with the same content as the YAML one."""
    out: dict[str, Any] = {"node": node, "metadata": _metadata(res.metadata),
                           "spec": yaml.safe_load(res.spec.yaml_spec) if res.spec.yaml_spec else None}
    if event is not None:
        out["event"] = EVENT_NAME.get(event, "updated")
    return json.dumps(out, indent=4)
