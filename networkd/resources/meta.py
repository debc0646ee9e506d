"""The `meta` namespace: Namespace and ResourceDefinition resources."""

from __future__ import annotations

from dataclasses import dataclass

from networkd.resources.base import REGISTRY, Resource, ResourceType, Spec, resource_type, yfield

META = "meta"

NAMESPACES: dict[str, str] = {
    "meta": "Metadata about resource types and namespaces.",
    "config": "The machine configuration in force.",
    "network": "Merged network specs and observed network state.",
    "network-config": "Unmerged network specs, one per configuration layer.",
    "files": "Files rendered under the etc directory.",
    "runtime": "Daemon runtime state.",
}


@resource_type("Namespaces.meta.cosi.dev", "Namespace", META, aliases=("ns",))
@dataclass(frozen=True, slots=True)
class NamespaceSpec(Spec):
    """A namespace of resources."""

    description: str = ""


@dataclass(frozen=True, slots=True)
class PrintColumnSpec:
    """A print column as the ResourceDefinition shows it."""

    name: str
    json_path: str = yfield("jsonPath")


@resource_type("ResourceDefinitions.meta.cosi.dev", "ResourceDefinition", META, aliases=("rd", "rds"))
@dataclass(frozen=True, slots=True)
class ResourceDefinitionSpec(Spec):
    """The definition of a resource type: names, aliases, default namespace, print columns."""

    type: str
    display_type: str
    aliases: tuple[str, ...]
    print_columns: tuple[PrintColumnSpec, ...]
    default_namespace: str
    sensitivity: str = yfield(omitempty=True, default="")


def definition(rt: ResourceType) -> Resource[ResourceDefinitionSpec]:
    """The ResourceDefinition resource describing `rt`."""
    spec = ResourceDefinitionSpec(
        type=rt.type,
        display_type=rt.display,
        aliases=rt.all_aliases(),
        print_columns=tuple(PrintColumnSpec(c.name, c.json_path) for c in rt.print_columns),
        default_namespace=rt.default_namespace,
        sensitivity="sensitive" if rt.sensitive else "",
    )
    return Resource(ResourceDefinitionSpec.TYPE.new(META, rt.definition_id, spec).metadata, spec)


def meta_resources() -> list[Resource[Spec]]:
    """Every Namespace and ResourceDefinition the daemon publishes."""
    out: list[Resource[Spec]] = [
        NamespaceSpec.TYPE.new(META, name, NamespaceSpec(desc)) for name, desc in NAMESPACES.items()
    ]
    out += [definition(rt) for rt in sorted(REGISTRY.values(), key=lambda r: r.type)]
    return out
