"""Resources to and from the cosi.resource protobuf messages."""

from __future__ import annotations

from collections import OrderedDict

from google.protobuf.timestamp_pb2 import Timestamp

from networkd.api.gen.cosi import meta_pb2, resource_pb2
from networkd.resources.base import Resource, Spec, to_plain
from networkd.resources.meta import NamespaceSpec, ResourceDefinitionSpec
from networkd.state import Event, LabelOp, LabelTerm, Query
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
    """The spec as YAML with Talos's field names (a spec that is a document, like MachineConfig, verbatim)."""
    plain = to_plain(spec)
    return plain if isinstance(plain, str) else dump(plain)


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


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


class Encoder:
    """Serializes each resource version and each watch event once, however many clients receive it."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._resources: OrderedDict[tuple[str, str, str, int], bytes] = OrderedDict()
        self._events: OrderedDict[int, tuple[Event, bytes]] = OrderedDict()

    def resource(self, res: Resource[Spec]) -> bytes:
        """cosi.resource.Resource bytes."""
        md = res.metadata
        key = (md.namespace, md.type, md.id, md.version)
        data = self._resources.get(key)
        if data is None:
            data = to_proto(res).SerializeToString()
            self._resources[key] = data
            if len(self._resources) > self._size:
                self._resources.popitem(last=False)
        return data

    def event(self, ev: Event) -> bytes:
        """cosi.resource.Event bytes (the same Event object is shared by every watcher)."""
        hit = self._events.get(id(ev))
        if hit is not None and hit[0] is ev:
            return hit[1]
        data = b""
        if ev.resource is not None:
            data += field_bytes(1, self.resource(ev.resource))
        if ev.type:
            data += _varint(2 << 3) + _varint(int(ev.type))
        if ev.old is not None:
            data += field_bytes(3, self.resource(ev.old))
        if ev.error:
            data += field_bytes(4, ev.error.encode())
        self._events[id(ev)] = (ev, data)
        if len(self._events) > self._size:
            self._events.popitem(last=False)
        return data
