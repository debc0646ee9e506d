"""The controller runtime."""

from networkd.runtime.controller import (
    Context,
    Controller,
    DeclarationError,
    Input,
    InputKind,
    Output,
    OutputKind,
    tearing_down,
)
from networkd.runtime.runtime import ControllerLogs, Edge, LogEntry, Runtime

__all__ = [
    "Context", "Controller", "ControllerLogs", "DeclarationError", "Edge", "Input", "InputKind", "LogEntry",
    "Output", "OutputKind", "Runtime", "tearing_down",
]
