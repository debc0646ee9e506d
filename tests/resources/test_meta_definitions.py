"""ResourceDefinitions: aliases as COSI derives them, and the seed's `-o yaml` rendering."""

from __future__ import annotations

from networkd.api.convert import yaml_spec
from networkd.resources.meta import NamespaceSpec, ResourceDefinitionSpec, definition, meta_resources


def test_aliases_match_the_seed() -> None:
    assert ResourceDefinitionSpec.TYPE.all_aliases() == (
        "resourcedefinitions", "resourcedefinition", "resourcedefinitions.meta", "resourcedefinitions.meta.cosi",
        "rd", "rds")
    assert NamespaceSpec.TYPE.all_aliases() == (
        "namespaces", "namespace", "namespaces.meta", "namespaces.meta.cosi", "ns")


def test_definition_yaml_matches_the_seed() -> None:
    rd = definition(ResourceDefinitionSpec.TYPE)
    assert rd.metadata.id == "resourcedefinitions.meta.cosi.dev"
    assert rd.metadata.namespace == "meta"
    assert yaml_spec(rd.spec) == (
        "type: ResourceDefinitions.meta.cosi.dev\n"
        "displayType: ResourceDefinition\n"
        "aliases:\n"
        "    - resourcedefinitions\n"
        "    - resourcedefinition\n"
        "    - resourcedefinitions.meta\n"
        "    - resourcedefinitions.meta.cosi\n"
        "    - rd\n"
        "    - rds\n"
        "printColumns: []\n"
        "defaultNamespace: meta\n"
    )


def test_meta_namespace_lists_required_namespaces() -> None:
    names = {r.metadata.id for r in meta_resources() if r.metadata.type == NamespaceSpec.TYPE.type}
    assert {"meta", "config", "network", "network-config", "files", "runtime"} <= names
