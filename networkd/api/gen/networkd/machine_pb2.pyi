from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApplyMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTO: _ClassVar[ApplyMode]
    NO_REBOOT: _ClassVar[ApplyMode]
    TRY: _ClassVar[ApplyMode]
    REBOOT: _ClassVar[ApplyMode]
    STAGED: _ClassVar[ApplyMode]
AUTO: ApplyMode
NO_REBOOT: ApplyMode
TRY: ApplyMode
REBOOT: ApplyMode
STAGED: ApplyMode

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

class ApplyConfigurationRequest(_message.Message):
    __slots__ = ("data", "mode", "dry_run", "try_timeout_seconds")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TRY_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mode: ApplyMode
    dry_run: bool
    try_timeout_seconds: float
    def __init__(self, data: _Optional[bytes] = ..., mode: _Optional[_Union[ApplyMode, str]] = ..., dry_run: _Optional[bool] = ..., try_timeout_seconds: _Optional[float] = ...) -> None: ...

class ApplyConfigurationResponse(_message.Message):
    __slots__ = ("message", "changes")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    message: str
    changes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, message: _Optional[str] = ..., changes: _Optional[_Iterable[str]] = ...) -> None: ...
