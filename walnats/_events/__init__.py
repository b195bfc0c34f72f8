from ._ack import Emitted
from ._connected import ConnectedEvents
from ._event import BaseEvent, Event, EventWithResponse
from ._registry import Events

__all__ = ["BaseEvent", "ConnectedEvents", "Emitted", "Event", "EventWithResponse", "Events"]
