"""netctl's resource commands: `get` (tables, YAML, JSON, watch) and `inspect dependencies`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from networkd.api.gen.cosi import state_pb2
from networkd.api.gen.networkd import machine_pb2
from networkd.cli import render
from networkd.cli.client import Client, ClientError

RD_TYPE = "ResourceDefinitions.meta.cosi.dev"


def _definitions(client: Client) -> list[render.Definition]:
    items, _ = client.stream(lambda api: api.state.List(state_pb2.ListRequest(namespace="meta", type=RD_TYPE)))
    return [render.definition_from_yaml(r.resource.spec.yaml_spec) for r in items]


def _node(client: Client, call: Any) -> str:
    if client.node:
        return client.node
    for key, value in call.initial_metadata() or ():
        if key == "node":
            return str(value)
    return ""


def cmd_get(client: Client, a: argparse.Namespace) -> None:
    """`netctl get`."""
    defs = _definitions(client)
    try:
        defn = render.resolve(a.type, defs)
    except LookupError:
        raise ClientError(f"resource type {a.type!r} is not known; see `netctl get rd`") from None
    ns = a.namespace or defn.namespace
    out = sys.stdout
    if a.watch:
        _watch(client, a, defn, ns)
        return
    if a.id is not None and defn.type == RD_TYPE:
        with contextlib.suppress(LookupError):
            a.id = render.resolve(a.id, defs).type.lower()  # `netctl get rd <alias>`
    if a.id is not None:
        resp, call = client.call(lambda api: api.state.Get.with_call(
            state_pb2.GetRequest(namespace=ns, type=defn.type, id=a.id)))
        items = [resp.resource]
        node = _node(client, call)
    else:
        stream, call = client.stream(lambda api: api.state.List(state_pb2.ListRequest(namespace=ns, type=defn.type)))
        items = [r.resource for r in stream]
        node = _node(client, call)
    if a.output == "table":
        out.write(render.table([render.header(defn, False)] + [render.row(node, defn, r) for r in items]))
    elif a.output == "yaml":
        out.write("---\n".join(render.yaml_doc(node, r) for r in items))
    else:
        out.write("".join(render.json_doc(node, r) + "\n" for r in items))


def _watch(client: Client, a: argparse.Namespace, defn: render.Definition, ns: str) -> None:
    req = state_pb2.WatchRequest(namespace=ns, type=defn.type, api_version=1,
                                 options=state_pb2.WatchOptions(bootstrap_contents=True))
    if a.id is not None:
        req.id = a.id
    stream, call = client.stream(lambda api: api.state.Watch(req))
    node = _node(client, call)
    out = sys.stdout
    if a.output == "table":
        out.write("   ".join(render.header(defn, True)) + "\n")
    for resp in stream:
        for ev in resp.event:
            if ev.event_type == state_pb2.ERRORED:
                raise ClientError(f"watch failed: {ev.error}")
            if ev.event_type == state_pb2.BOOTSTRAPPED:
                continue
            if a.output == "table":
                out.write("   ".join(render.row(node, defn, ev.resource, ev.event_type)) + "\n")
            elif a.output == "yaml":
                out.write("---\n" + render.yaml_doc(node, ev.resource, ev.event_type))
            else:
                out.write(render.json_doc(node, ev.resource, ev.event_type) + "\n")
            out.flush()


def cmd_inspect(client: Client, a: argparse.Namespace) -> None:
    """`netctl inspect dependencies` as graphviz."""
    resp = client.call(lambda api: api.machine.Dependencies(machine_pb2.DependenciesRequest()))
    nodes: dict[str, int] = {}
    lines = ["digraph  {", ""]

    def node(key: str, attrs: str) -> int:
        if key not in nodes:
            nodes[key] = len(nodes) + 1
            lines.append(f"  n{nodes[key]}[{attrs}];")
        return nodes[key]

    resources: dict[tuple[str, str], list[str]] = {}
    if a.with_resources:
        for ns, typ in sorted({(e.namespace, e.type) for e in resp.edges}):
            stream, _ = client.stream(
                lambda api, ns=ns, typ=typ: api.state.List(state_pb2.ListRequest(namespace=ns, type=typ)))
            resources[(ns, typ)] = [r.resource.metadata.id for r in stream]
    edges = []
    for e in resp.edges:
        c = node(f"c:{e.controller}", f'label="{e.controller}",shape="box"')
        if a.with_resources:
            ids = [e.id] if e.id else resources.get((e.namespace, e.type), [])
            targets_ = [node(f"r:{e.namespace}:{e.type}:{i}",
                             f'fillcolor="azure2",label="{e.namespace}:{e.type}:{i}",shape="note",style="filled"')
                        for i in ids]
        else:
            label = f"{e.namespace}:{e.type}" + (f":{e.id}" if e.id else "")
            targets_ = [node(f"t:{label}", f'fillcolor="azure2",label="{label}",shape="note",style="filled"')]
        for r in targets_:
            if e.kind.startswith("output"):
                color = "crimson" if e.kind == "output-exclusive" else "darkgreen"
                edges.append(f'  n{c} -> n{r}[color="{color}"];')
            else:
                style = "solid" if e.kind == "input-strong" else "dashed"
                edges.append(f'  n{r} -> n{c}[style="{style}"];')
    sys.stdout.write("\n".join([*lines, "", *edges, "}"]) + "\n")
