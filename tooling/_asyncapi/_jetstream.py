"""The ``x-jetstream`` and ``x-jetstream-consumer`` extensions of the AsyncAPI document.

The official NATS binding knows nothing of JetStream, so streams and durable consumers
are described in specification extensions. Their keys are the ``StreamConfig`` /
``ConsumerConfig`` field names of nats-py (and of the NATS server API), so people can
look each one up; durations are NATS duration strings (``2m``, ``16s``, ``500ms``).
"""

from __future__ import annotations

from typing import Any

from walnats import Actor, BaseEvent

__all__ = ["consumer_extension", "duration", "stream_extension"]

_LIMIT_FIELDS = (
    "max_consumers",
    "max_msgs",
    "max_bytes",
    "max_msg_size",
    "max_msgs_per_subject",
)


def duration(seconds: float) -> str:
    """A NATS/Go duration string: ``2m``, ``1h30m``, ``16s``, ``16.5s``, ``500ms``."""
    millis = round(seconds * 1000)
    if millis < 1000:
        return f"{millis}ms" if millis else "0s"
    if millis % 1000:
        return f"{millis / 1000:g}s"
    hours, rest = divmod(millis // 1000, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


def stream_extension(event: BaseEvent[Any, Any]) -> dict[str, Any]:
    """``x-jetstream`` of an event's channel: the stream that stores it.

    Only limits that are set appear; a missing one means "no limit", the server's
    default. Aggregate streams are created by the projections package with extra
    options (atomic batches) that this declaration does not carry.
    """
    limits = event.limits.stream_fields()
    extension: dict[str, Any] = {
        "stream": event.stream_name,
        "subjects": list(event.stream_subjects),
        "retention": "limits",
        "discard": "old",
        "storage": event.storage,
        "replicas": event.replicas,
        "duplicate_window": duration(event.duplicate_window),
    }
    if limits["max_age"]:
        extension["max_age"] = duration(limits["max_age"])
    for name in _LIMIT_FIELDS:
        if limits[name] != -1:
            extension[name] = limits[name]
    return extension


def consumer_extension(actor: Actor[Any, Any], dead_letters: str | None) -> dict[str, Any]:
    """``x-jetstream-consumer`` of an actor's receive operation: its durable consumer.

    *dead_letters* is the ``$ref`` of the dead-letter channel, or ``None`` when the
    actor keeps no dead letters.
    """
    return consumer_fields(actor.consumer_config(), dead_letters)


def consumer_fields(config: Any, dead_letters: str | None) -> dict[str, Any]:
    """The extension for any nats-py ``ConsumerConfig`` (actors, and components that
    expose ``consumer_config()``)."""
    extension: dict[str, Any] = {
        "durable": config.durable_name or config.name,
        "pull": True,
        "deliver_policy": _value(config.deliver_policy) or "all",
        "ack_policy": _value(config.ack_policy) or "explicit",
    }
    if config.filter_subject:
        extension["filter_subject"] = config.filter_subject
    if config.ack_wait:
        extension["ack_wait"] = duration(config.ack_wait)
    if config.max_deliver:
        extension["max_deliver"] = config.max_deliver
    if config.backoff:
        extension["backoff"] = [duration(delay) for delay in config.backoff]
    if config.max_ack_pending:
        extension["max_ack_pending"] = config.max_ack_pending
    if dead_letters is not None:
        extension["dead_letter"] = {"$ref": dead_letters}
    return extension


def _value(option: Any) -> str | None:
    """The string value of a nats-py enum option (``DeliverPolicy.ALL`` -> ``all``)."""
    if option is None:
        return None
    return str(getattr(option, "value", option))
