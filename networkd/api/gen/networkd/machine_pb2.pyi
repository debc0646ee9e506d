from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LogsRequest(_message.Message):
    __slots__ = ("controller", "follow", "tail_lines")
    CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    controller: str
    follow: bool
    tail_lines: int
    def __init__(self, controller: _Optional[str] = ..., follow: _Optional[bool] = ..., tail_lines: _Optional[int] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("controller", "time", "level", "message")
    CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    controller: str
    time: float
    level: str
    message: str
    def __init__(self, controller: _Optional[str] = ..., time: _Optional[float] = ..., level: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class DependenciesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DependencyEdge(_message.Message):
    __slots__ = ("controller", "kind", "namespace", "type", "id")
    CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    controller: str
    kind: str
    namespace: str
    type: str
    id: str
    def __init__(self, controller: _Optional[str] = ..., kind: _Optional[str] = ..., namespace: _Optional[str] = ..., type: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DependenciesResponse(_message.Message):
    __slots__ = ("edges",)
    EDGES_FIELD_NUMBER: _ClassVar[int]
    edges: _containers.RepeatedCompositeFieldContainer[DependencyEdge]
    def __init__(self, edges: _Optional[_Iterable[_Union[DependencyEdge, _Mapping]]] = ...) -> None: ...
