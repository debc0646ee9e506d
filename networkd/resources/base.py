"""Resource model: metadata, typed frozen specs, type descriptors and their YAML rendering."""

from __future__ import annotations

import builtins
import dataclasses
import enum
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from networkd.fastinit import fast_init

EMPTY: Mapping[str, str] = MappingProxyType({})


class Phase(enum.Enum):
    """Lifecycle phase of a resource."""

    RUNNING = "running"
    TEARING_DOWN = "tearingDown"


@fast_init
@dataclass(frozen=True, slots=True)
class Metadata:
    """Metadata of a resource: (namespace, type, id) is its key."""

    namespace: str
    type: str
    id: str
    version: int = 0
    owner: str = ""
    phase: Phase = Phase.RUNNING
    created: float = 0.0
    updated: float = 0.0
    finalizers: tuple[str, ...] = ()
    labels: Mapping[str, str] = dataclasses.field(default_factory=lambda: EMPTY)
    annotations: Mapping[str, str] = dataclasses.field(default_factory=lambda: EMPTY)

    @property
    def key(self) -> tuple[str, str, str]:
        """The (namespace, type, id) triple."""
        return (self.namespace, self.type, self.id)


class Spec:
    """Base of every spec: subclasses are frozen, slotted dataclasses registered with `resource_type`."""

    __slots__ = ()
    TYPE: ClassVar[ResourceType]


S = TypeVar("S", bound=Spec, covariant=True)


@fast_init
@dataclass(frozen=True, slots=True)
class Resource(Generic[S]):
    """A resource: metadata plus a typed, frozen spec."""

    metadata: Metadata
    spec: S

    @property
    def id(self) -> str:
        """The resource id."""
        return self.metadata.id


@dataclass(frozen=True, slots=True)
class PrintColumn:
    """An extra table column: a header and a `{.field}` JSON path into the YAML spec."""

    name: str
    json_path: str


@dataclass(frozen=True, slots=True)
class ResourceType:
    """Static description of a resource type, the source of its ResourceDefinition."""

    type: str
    display: str
    default_namespace: str
    spec_cls: builtins.type[Spec]
    aliases: tuple[str, ...] = ()
    print_columns: tuple[PrintColumn, ...] = ()
    sensitive: bool = False

    @property
    def definition_id(self) -> str:
        """Id of the ResourceDefinition: the lowercase type."""
        return self.type.lower()

    def all_aliases(self) -> tuple[str, ...]:
        """Every word that names this type, as COSI derives them (plus explicit aliases)."""
        plural, _, suffix = self.type.partition(".")
        plural = plural.lower()
        out = [plural, self.display.lower()]
        parts = suffix.split(".") if suffix else []
        for i in range(1, len(parts)):
            out.append(".".join([plural, *parts[:i]]))
        capitals = "".join(c for c in self.type.partition(".")[0] if c.isupper())
        if len(capitals) > 1:  # as COSI: capitals of the plural name, at least two, "s" unless it ends in S
            out.append(capitals.lower())
            if not capitals.endswith("S"):
                out.append(capitals.lower() + "s")
        for alias in self.aliases:
            out.append(alias.lower())
        seen: dict[str, None] = {}
        for word in out:
            seen.setdefault(word, None)
        return tuple(seen)

    def new(self, namespace: str | None, id: str, spec: Spec) -> Resource[Spec]:
        """A fresh resource of this type (version 0, not yet stored)."""
        if not isinstance(spec, self.spec_cls):
            raise TypeError(f"{self.type} takes {self.spec_cls.__name__}, not {type(spec).__name__}")
        return Resource(Metadata(namespace or self.default_namespace, self.type, id), spec)


REGISTRY: dict[str, ResourceType] = {}

C = TypeVar("C", bound=type[Spec])


def resource_type(
    type: str,
    display: str,
    namespace: str,
    *,
    aliases: tuple[str, ...] = (),
    columns: tuple[tuple[str, str], ...] = (),
    sensitive: bool = False,
) -> Callable[[C], C]:
    """Class decorator registering a spec class as the spec of a resource type."""

    def wrap(cls: C) -> C:
        if type in REGISTRY:
            raise ValueError(f"resource type {type} registered twice")
        rt = ResourceType(
            type=type,
            display=display,
            default_namespace=namespace,
            spec_cls=cls,
            aliases=aliases,
            print_columns=tuple(PrintColumn(n, p) for n, p in columns),
            sensitive=sensitive,
        )
        cls.TYPE = rt
        if dataclasses.is_dataclass(cls):
            fast_init(cls)  # specs are frozen, slotted dataclasses (or plain classes)
        REGISTRY[type] = rt
        return cls

    return wrap


def yfield(
    name: str | None = None,
    *,
    omitempty: bool = False,
    omitnil: bool = False,
    nil: Any = None,
    inline: bool = False,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field with its YAML name (default: camelCase of the attribute) and emptiness rules.

    `omitempty` drops Go zero values; `omitnil` drops only None (a Go pointer); `nil` is what None renders
    as otherwise (Go prints a zero netip.Addr as "").
    """
    meta = {"yaml": name, "omitempty": omitempty, "omitnil": omitnil, "nil": nil, "inline": inline}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


_CAMEL = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """snake_case to camelCase."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _empty(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, (str, bytes, tuple, list, dict, frozenset, Mapping)):
        return len(value) == 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, enum.Enum):
        return False
    if dataclasses.is_dataclass(value):
        return all(_empty(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def to_plain(value: Any) -> Any:
    """Render a spec value as plain YAML/JSON data with Talos's field names and enum strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dict(_fields(value))
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str) else value.name.lower()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(
        value,
        ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network
        | ipaddress.IPv4Interface | ipaddress.IPv6Interface,
    ):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset):
        return [to_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _fields(obj: Any) -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("inline"):
            if value is not None:
                yield from _fields(value)
            continue
        if (f.metadata.get("omitempty") and _empty(value)) or (f.metadata.get("omitnil") and value is None):
            continue
        if value is None:
            value = f.metadata.get("nil")
        yield f.metadata.get("yaml") or camel(f.name), to_plain(value)
