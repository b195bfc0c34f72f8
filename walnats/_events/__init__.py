from ._ack import EmitBatchError, Emitted
from ._connected import ConnectedEvents
from ._event import BaseEvent, Event, EventWithResponse
from ._registry import Events

__all__ = [
    "EmitBatchError",
    "BaseEvent",
    "ConnectedEvents",
    "Emitted",
    "Event",
    "EventWithResponse",
    "Events",
]
