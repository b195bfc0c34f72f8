"""Event declarations: a name, a payload type and where the events are stored."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .._errors import ConfigError
from .._limits import Limits
from .._names import check_description, check_name
from .._serializers import resolve_serializer

if TYPE_CHECKING:
    from .._serializers import Serializer

__all__ = ["BaseEvent", "Event", "EventWithResponse"]

T = TypeVar("T")
R = TypeVar("R")
Storage = Literal["file", "memory"]
_DEFAULT_DUPLICATE_WINDOW = 120.0


@dataclass(frozen=True)
class BaseEvent(Generic[T, R]):
    """What :class:`Event` and :class:`EventWithResponse` share.

    Annotate with ``BaseEvent[T, R]`` when a function accepts both kinds.
    """

    name: str
    """The event name. It is the NATS subject and the name of the stream.

    Choose it carefully: renaming an event creates a new, empty stream.
    """

    schema: type[T]
    """The payload type: a msgspec Struct, a dataclass, a pydantic model, a primitive."""

    serializer: Serializer[T] | None = None
    """How payloads become bytes. Resolved from *schema* when the event is declared."""

    description: str | None = None
    """What happened, for humans: shown in docs, diagrams and AsyncAPI."""

    limits: Limits = Limits()
    """How much of the stream the server keeps. Changing it updates the stream."""

    replicas: int = 1
    """Copies of the stream in a NATS cluster (1, 3 or 5). Cannot shrink to 0."""

    storage: Storage = "file"
    """``"file"`` survives restarts; ``"memory"`` is faster and lost on restart.

    Cannot be changed once the stream exists.
    """

    duplicate_window: float = _DEFAULT_DUPLICATE_WINDOW
    """Seconds during which a second emit with the same message id is dropped.

    This is what makes a retried emit safe. It is time only: after the window a repeat
    is stored again, and inside it a repeat is dropped even if the first copy was
    already handled.
    """

    aggregate: str | None = None
    """The aggregate type this event belongs to; set by ``projections.Aggregate``.

    Aggregate events share one stream named after the aggregate type, under the
    subject ``<aggregate>.<aggregate-id>.<event-name>``.
    """

    _codec: Serializer[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_name("event", self.name)
        check_description("event", self.name, self.description)
        if self.aggregate is not None:
            check_name("aggregate", self.aggregate)
        if not isinstance(self.limits, Limits):
            raise ConfigError(f"event {self.name!r}: limits must be a walnats.Limits instance")
        if self.replicas not in (1, 2, 3, 4, 5):
            raise ConfigError(
                f"event {self.name!r}: replicas must be 1 to 5, got {self.replicas!r}"
            )
        if self.storage not in ("file", "memory"):
            raise ConfigError(
                f"event {self.name!r}: storage must be 'file' or 'memory', got {self.storage!r}"
            )
        if not self.duplicate_window > 0:
            raise ConfigError(
                f"event {self.name!r}: duplicate_window must be > 0 seconds, "
                f"got {self.duplicate_window!r}"
            )
        object.__setattr__(self, "_codec", resolve_serializer(self.schema, self.serializer))

    @property
    def stream_name(self) -> str:
        """Name of the JetStream stream that stores this event."""
        return self.aggregate if self.aggregate is not None else self.name

    @property
    def stream_subjects(self) -> list[str]:
        """Subjects the stream captures."""
        if self.aggregate is not None:
            return [f"{self.aggregate}.>"]
        return [self.name]

    @property
    def filter_subject(self) -> str:
        """Subject filter of consumers that want only this event."""
        if self.aggregate is not None:
            return f"{self.aggregate}.*.{self.name}"
        return self.name

    def subject_for(self, key: str | None) -> str:
        """The subject one event is published to (*key* is the aggregate id)."""
        if self.aggregate is None:
            if key is not None:
                raise ConfigError(
                    f"event {self.name!r} is not an aggregate event; do not pass a key"
                )
            return self.name
        if not key:
            raise ConfigError(f"event {self.name!r} belongs to {self.aggregate!r}: pass key=<id>")
        return f"{self.aggregate}.{key}.{self.name}"

    def encode(self, message: T) -> bytes:
        """Serialize a payload (raises ``EncodeError`` when it does not fit)."""
        return self._codec.encode(message)

    def decode(self, data: bytes) -> T:
        """Deserialize a payload (raises ``DecodeError`` when it does not fit)."""
        return self._codec.decode(data)

    @property
    def codec(self) -> Serializer[T]:
        """The resolved serializer."""
        return self._codec

    def evolve(self, **changes: Any) -> BaseEvent[T, R]:
        """Return a copy with some fields changed (the serializer is resolved again)."""
        if "schema" in changes and "serializer" not in changes:
            changes["serializer"] = None
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Event(BaseEvent[T, None]):
    """Something that happened, emitted by one service and handled by any number of actors.

    ::

        ORDER_PLACED = walnats.Event("order-placed", OrderPlaced)
    """

    def with_response(
        self, schema: type[R], serializer: Serializer[R] | None = None
    ) -> EventWithResponse[T, R]:
        """Declare that handlers of this event answer requests with an *R*."""
        return EventWithResponse(
            name=self.name,
            schema=self.schema,
            serializer=self.serializer,
            description=self.description,
            limits=self.limits,
            replicas=self.replicas,
            storage=self.storage,
            duplicate_window=self.duplicate_window,
            aggregate=self.aggregate,
            response_schema=schema,
            response_serializer=serializer,
        )


@dataclass(frozen=True)
class EventWithResponse(BaseEvent[T, R]):
    """An event that can be sent as a request: its actor's return value is the response.

    Build it with :meth:`Event.with_response`.
    """

    response_schema: type[R] | None = None
    """The type of the response."""

    response_serializer: Serializer[R] | None = None
    """How responses become bytes; resolved from *response_schema*."""

    _response_codec: Serializer[R] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.response_schema is None:
            raise ConfigError(f"event {self.name!r}: response_schema is required")
        codec = resolve_serializer(self.response_schema, self.response_serializer)
        object.__setattr__(self, "_response_codec", codec)

    @property
    def response_codec(self) -> Serializer[R]:
        """The resolved serializer of responses."""
        return self._response_codec
