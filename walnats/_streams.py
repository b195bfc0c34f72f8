"""Declaring JetStream streams idempotently, with a clear diff when they disagree."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from ._errors import StreamConfigMismatch, StreamError, StreamNotFound

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from ._events._event import BaseEvent

__all__ = [
    "SCHEDULES_MINIMUM",
    "StreamSpec",
    "delayed_subject",
    "ensure_stream",
    "spec_for_event",
]

_STREAM_NOT_FOUND = 10059


@dataclass(frozen=True)
class StreamSpec:
    """The parts of a stream's configuration walnats declares and keeps in sync."""

    name: str
    subjects: tuple[str, ...]
    description: str | None = None
    max_age: float = 0
    max_consumers: int = -1
    max_msgs: int = -1
    max_bytes: int = -1
    max_msg_size: int = -1
    max_msgs_per_subject: int = -1
    storage: Literal["file", "memory"] = "file"
    replicas: int = 1
    duplicate_window: float = 120.0
    flags: dict[str, bool] = field(default_factory=dict)
    """Extra boolean stream options such as ``allow_atomic`` or ``allow_rollup_hdrs``."""

    def to_config(self) -> StreamConfig:
        """The nats-py ``StreamConfig`` for this spec (limits retention, discard old)."""
        config = StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            description=self.description,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age,
            max_consumers=self.max_consumers,
            max_msgs=self.max_msgs,
            max_bytes=self.max_bytes,
            max_msg_size=self.max_msg_size,
            max_msgs_per_subject=self.max_msgs_per_subject,
            storage=StorageType.FILE if self.storage == "file" else StorageType.MEMORY,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window,
        )
        for flag, value in self.flags.items():
            setattr(config, flag, value)
        return config

    def differences(self, existing: StreamConfig) -> list[str]:
        """Human-readable differences between this spec and a stream on the server."""
        wanted = self.to_config()
        diffs = []
        for name in _COMPARED + tuple(self.flags):
            have, want = (
                _normal(name, getattr(existing, name, None)),
                _normal(name, getattr(wanted, name, None)),
            )
            if have != want:
                diffs.append(f"{name}: server has {have!r}, declared {want!r}")
        if existing.retention is not None and existing.retention != RetentionPolicy.LIMITS:
            diffs.append(f"retention: server has {existing.retention.value!r}, declared 'limits'")
        return diffs


_COMPARED = (
    "subjects",
    "max_age",
    "max_consumers",
    "max_msgs",
    "max_bytes",
    "max_msg_size",
    "max_msgs_per_subject",
    "storage",
    "num_replicas",
    "duplicate_window",
)
_IMMUTABLE = ("storage", "retention")


def _normal(name: str, value: Any) -> Any:
    if name == "subjects":
        return sorted(value or [])
    if name in ("max_age", "duplicate_window"):
        return round(float(value or 0), 3)
    if name == "storage":
        return getattr(value, "value", value)
    if name == "num_replicas":
        return value or 1
    if isinstance(value, bool) or value is None:
        return bool(value)
    return value


SCHEDULES_MINIMUM = "2.12"
"""Message schedules (``Nats-Schedule: @at ...``) need this nats-server version."""


def delayed_subject(event: BaseEvent[Any, Any], token: str) -> str:
    """The schedule subject of one delayed event (inside the event's own stream)."""
    return f"{event.name}.delayed.{token}"


def spec_for_event(event: BaseEvent[Any, Any], *, schedules: bool = False) -> StreamSpec:
    """The stream spec a plain event declares (aggregate streams build their own).

    With *schedules* (servers >= 2.12) the stream also accepts delayed events: a
    schedule message on ``<event>.delayed.<token>`` that the server turns into the
    event at its due time. Actors filter on the event's own subject and never see
    the schedule messages.
    """
    subjects = tuple(event.stream_subjects)
    flags = {}
    if schedules:
        subjects += (f"{event.name}.delayed.*",)
        flags["allow_msg_schedules"] = True
    return StreamSpec(
        name=event.stream_name,
        subjects=subjects,
        description=event.description,
        storage=event.storage,
        replicas=event.replicas,
        duplicate_window=event.duplicate_window,
        flags=flags,
        **event.limits.stream_fields(),
    )


async def ensure_stream(
    js: JetStreamContext, spec: StreamSpec, *, create: bool = True, update: bool = True
) -> None:
    """Make the stream on the server match *spec*.

    A missing stream is created when *create* is true, otherwise
    :class:`StreamNotFound`. A differing stream is updated when *update* is true;
    differences the server cannot update in place (storage, retention) and
    differences with *update* false raise :class:`StreamConfigMismatch` listing them.
    """
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        if not create:
            raise StreamNotFound(
                f"stream {spec.name!r} does not exist and create=False; register it "
                f"with create=True or create it with your infrastructure tooling"
            ) from None
        try:
            await js.add_stream(spec.to_config())
        except APIError as exc:
            raise _stream_error(spec, exc) from None
        return
    diffs = spec.differences(info.config)
    if not diffs:
        return
    fixed = [d for d in diffs if d.split(":", 1)[0] in _IMMUTABLE]
    if fixed or not update:
        reason = "cannot be changed in place" if fixed else "update=False"
        raise StreamConfigMismatch(
            f"stream {spec.name!r} exists with a different configuration ({reason}): "
            + "; ".join(fixed or diffs)
            + ". Change the declaration back, or delete the stream (losing its events) "
            "and register again."
        )
    config = spec.to_config()
    # Keep settings someone set outside walnats (placement, sources, ...).
    merged = dataclasses.replace(
        info.config, **{k: getattr(config, k) for k in (*_UPDATABLE, *spec.flags)}
    )
    try:
        await js.update_stream(merged)
    except APIError as exc:
        raise StreamConfigMismatch(
            f"stream {spec.name!r} could not be updated ({exc.description}): " + "; ".join(diffs)
        ) from None


_UPDATABLE = frozenset(
    (
        "subjects",
        "description",
        "max_age",
        "max_consumers",
        "max_msgs",
        "max_bytes",
        "max_msg_size",
        "max_msgs_per_subject",
        "num_replicas",
        "duplicate_window",
    )
)


def _stream_error(spec: StreamSpec, exc: APIError) -> StreamError:
    text = exc.description or str(exc)
    if "subjects overlap" in text:
        return StreamConfigMismatch(
            f"stream {spec.name!r} cannot be created: its subjects {list(spec.subjects)} "
            f"overlap with another stream. Two events must not share a subject."
        )
    return StreamError(f"stream {spec.name!r} cannot be created: {text}")
