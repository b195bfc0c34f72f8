"""walnats: typed, asyncio, NATS JetStream events, actors and event sourcing.

Publishers emit :class:`Event` s; :class:`Actor` s handle them. Both sides share the
declarations, and :class:`Services` records who emits and who handles what.
"""

from ._actors import (
    Actor,
    Actors,
    ConnectedActors,
    ExecuteIn,
    Priority,
    Reject,
    Retry,
    RetryPolicy,
)
from ._clock import Clock
from ._cloudevents import CloudEvent
from ._connection import ServerVersion
from ._context import Context, EmitContext, ErrorContext, OkContext
from ._dead_letters import DEAD_LETTER_STREAM, DeadLetter, DeadLetters
from ._errors import (
    CloudEventError,
    ConcurrencyError,
    ConfigError,
    ConnectionFailed,
    ConsumerNotFound,
    DecodeError,
    EmitError,
    EncodeError,
    RequestTimeout,
    ResponseError,
    SerializerError,
    ServerTooOld,
    StreamConfigMismatch,
    StreamError,
    StreamNotFound,
    WalnatsError,
)
from ._events import (
    BaseEvent,
    ConnectedEvents,
    EmitBatchError,
    Emitted,
    Event,
    Events,
    EventWithResponse,
)
from ._limits import Limits
from ._middleware import Middleware
from ._serializers import GZip, MsgspecJSON, PydanticJSON, RawBytes, Serializer
from ._services import Service, Services
from ._streams import StreamSpec, ensure_stream

__version__ = "2.0.0.dev0"

__all__ = [
    # declarations
    "Actor",
    "BaseEvent",
    "Clock",
    "Event",
    "EventWithResponse",
    "Limits",
    "RetryPolicy",
    "Service",
    # registries
    "Actors",
    "Events",
    "Services",
    # live handles
    "ConnectedActors",
    "ConnectedEvents",
    # delivery
    "Context",
    "EmitContext",
    "Emitted",
    "ErrorContext",
    "OkContext",
    "Reject",
    "Retry",
    "DeadLetter",
    "DeadLetters",
    "DEAD_LETTER_STREAM",
    # options
    "ExecuteIn",
    "Priority",
    "Middleware",
    # serializers and formats
    "CloudEvent",
    "GZip",
    "MsgspecJSON",
    "PydanticJSON",
    "RawBytes",
    "Serializer",
    # advanced: streams and servers
    "ServerVersion",
    "StreamSpec",
    "ensure_stream",
    # exceptions
    "CloudEventError",
    "ConcurrencyError",
    "ConfigError",
    "ConnectionFailed",
    "ConsumerNotFound",
    "DecodeError",
    "EmitBatchError",
    "EmitError",
    "EncodeError",
    "RequestTimeout",
    "ResponseError",
    "SerializerError",
    "ServerTooOld",
    "StreamConfigMismatch",
    "StreamError",
    "StreamNotFound",
    "WalnatsError",
]
