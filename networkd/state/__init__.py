"""The resource store."""

from networkd.state.store import (
    ConflictError,
    Event,
    EventType,
    LabelOp,
    LabelTerm,
    NotFoundError,
    OwnerError,
    PendingFinalizersError,
    PhaseError,
    Query,
    State,
    StateError,
    Watch,
)

__all__ = [
    "ConflictError", "Event", "EventType", "LabelOp", "LabelTerm", "NotFoundError", "OwnerError",
    "PendingFinalizersError", "PhaseError", "Query", "State", "StateError", "Watch",
]
