"""Resources to and from the cosi.resource protobuf messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from networkd.api.gen.cosi import meta_pb2, resource_pb2
from networkd.resources.base import Resource, Spec, to_plain
from networkd.resources.meta import NamespaceSpec, ResourceDefinitionSpec
from networkd.state import LabelOp, LabelTerm, Query
from networkd.yamlfmt import dump


def _ts(t: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(t * 1e9))
    return ts


def _proto_spec(spec: Spec) -> bytes:
    if isinstance(spec, NamespaceSpec):
        return meta_pb2.NamespaceSpec(description=spec.description).SerializeToString()
    if isinstance(spec, ResourceDefinitionSpec):
        return meta_pb2.ResourceDefinitionSpec(
            resource_type=spec.type,
            display_type=spec.display_type,
            default_namespace=spec.default_namespace,
            aliases=list(spec.aliases),
            all_aliases=list(spec.aliases),
            print_columns=[meta_pb2.ResourceDefinitionSpec.PrintColumn(name=c.name, json_path=c.json_path)
                           for c in spec.print_columns],
            sensitivity=1 if spec.sensitivity else 0,  # type: ignore[arg-type]
        ).SerializeToString()
    return b""


def yaml_spec(spec: Spec) -> str:
    """The spec as YAML with Talos's field names."""
    return dump(to_plain(spec))


def to_proto(res: Resource[Spec]) -> resource_pb2.Resource:
    """A resource as a cosi.resource.Resource message (both proto_spec, where defined, and yaml_spec)."""
    md = res.metadata
    return resource_pb2.Resource(
        metadata=resource_pb2.Metadata(
            namespace=md.namespace,
            type=md.type,
            id=md.id,
            version=str(md.version),
            owner=md.owner,
            phase=md.phase.value,
            created=_ts(md.created),
            updated=_ts(md.updated),
            finalizers=list(md.finalizers),
            labels=dict(md.labels),
            annotations=dict(md.annotations),
        ),
        spec=resource_pb2.Spec(proto_spec=_proto_spec(res.spec), yaml_spec=yaml_spec(res.spec)),
    )


def query_from_proto(label_queries: list[resource_pb2.LabelQuery], id_query: resource_pb2.IDQuery | None) -> Query:
    """A store Query from the wire's label and id queries."""
    return Query(
        label_queries=tuple(
            tuple(LabelTerm(t.key, LabelOp(t.op), tuple(t.value), t.invert) for t in q.terms) for q in label_queries
        ),
        id_regexp=id_query.regexp if id_query is not None else "",
    )
