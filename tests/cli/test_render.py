"""netctl output: tables with print columns, watch marks, YAML and JSON documents, alias resolution."""

from __future__ import annotations

import json

import pytest
import yaml

from networkd.api.convert import to_proto
from networkd.cli import render
from networkd.resources.base import PrintColumn
from networkd.resources.meta import NamespaceSpec, ResourceDefinitionSpec, definition
from networkd.state import State

ADDR = render.Definition("AddressStatuses.net.talos.dev", "AddressStatus", "network",
                         ("addressstatuses", "addressstatus", "address", "addresses"),
                         (("Address", "{.address}"), ("Link", "{.linkName}")), False)


def _proto(spec_yaml: str, id: str, version: str = "1"):  # type: ignore[no-untyped-def]
    st = State(clock=lambda: 1624998198.0)
    r = to_proto(st.create(NamespaceSpec.TYPE.new("meta", id, NamespaceSpec())))
    r.metadata.namespace, r.metadata.type, r.metadata.version = "network", ADDR.type, version
    r.spec.yaml_spec = spec_yaml
    return r


def test_table_matches_seed_layout() -> None:
    rows = [render.header(ADDR, False)]
    for id, addr, link in (("eth0/172.20.0.2/24", "172.20.0.2/24", "eth0"), ("lo/127.0.0.1/8", "127.0.0.1/8", "lo")):
        rows.append(render.row("172.20.0.2", ADDR, _proto(f"address: {addr}\nlinkName: {link}\n", id)))
    assert render.table(rows) == (
        "NODE         NAMESPACE   TYPE            ID                   VERSION   ADDRESS         LINK\n"
        "172.20.0.2   network     AddressStatus   eth0/172.20.0.2/24   1         172.20.0.2/24   eth0\n"
        "172.20.0.2   network     AddressStatus   lo/127.0.0.1/8       1         127.0.0.1/8     lo\n"
    )


def test_watch_rows_carry_event_marks_and_lists_render_as_json() -> None:
    d = render.Definition("ResolverStatuses.net.talos.dev", "ResolverStatus", "network", (),
                          (("Resolvers", "{.dnsServers}"),), False)
    assert render.header(d, True) == ["NODE", "*", "NAMESPACE", "TYPE", "ID", "VERSION", "RESOLVERS"]
    r = _proto("dnsServers:\n    - 8.8.8.8\n    - 1.1.1.1\n", "resolvers", "2")
    assert render.row("n1", d, r, 0)[1] == "+"
    assert render.row("n1", d, r, 2)[1] == "-"
    assert render.row("n1", d, r, 1)[1] == " "
    assert render.row("n1", d, r)[-1] == '["8.8.8.8","1.1.1.1"]'


def test_yaml_doc_layout_and_event() -> None:
    r = _proto("address: 172.20.0.2/24\nlinkName: eth0\n", "eth0/172.20.0.2/24")
    r.metadata.owner = "network.AddressStatusController"
    r.metadata.finalizers.append("network.AddressSpecController")
    doc = render.yaml_doc("172.20.0.2", r)
    assert doc == (
        "node: 172.20.0.2\n"
        "metadata:\n"
        "    namespace: network\n"
        "    type: AddressStatuses.net.talos.dev\n"
        "    id: eth0/172.20.0.2/24\n"
        "    version: 1\n"
        "    owner: network.AddressStatusController\n"
        "    phase: running\n"
        "    created: 2021-06-29T20:23:18Z\n"
        "    updated: 2021-06-29T20:23:18Z\n"
        "    finalizers:\n"
        "        - network.AddressSpecController\n"
        "spec:\n"
        "    address: 172.20.0.2/24\n"
        "    linkName: eth0\n"
    )
    assert render.yaml_doc("n", r, 2).endswith("event: destroyed\n")
    assert yaml.safe_load(doc)["spec"] == {"address": "172.20.0.2/24", "linkName": "eth0"}


def test_json_doc_carries_same_content() -> None:
    r = _proto("address: 10.0.0.1/8\n", "x")
    doc = json.loads(render.json_doc("n", r, 0))
    assert doc["node"] == "n" and doc["event"] == "created"
    assert doc["metadata"]["version"] == 1 and doc["spec"] == {"address": "10.0.0.1/8"}


def test_resolve_by_alias_type_and_case() -> None:
    rd = render.definition_from_yaml(to_proto(definition(ResourceDefinitionSpec.TYPE)).spec.yaml_spec)
    defs = [ADDR, rd]
    assert render.resolve("RD", defs) is rd
    assert render.resolve("resourcedefinitions.meta.cosi.dev", defs) is rd
    assert render.resolve("address", defs) is ADDR
    with pytest.raises(LookupError):
        render.resolve("nosuch", defs)


def test_json_path() -> None:
    spec = {"a": {"b": [1, 2]}, "c": "x"}
    assert render.json_path(spec, "{.a.b}") == [1, 2]
    assert render.json_path(spec, "{.c}") == "x"
    assert render.json_path(spec, "{.missing.deep}") is None
    assert PrintColumn("A", "{.a}").json_path == "{.a}"
