"""Errors of projections and reactors, all under :class:`walnats.WalnatsError`.

::

    walnats.WalnatsError
    └── ProjectionError                   a projection or reactor cannot run as declared
        ├── ProjectionStopped             a poison event stopped a projection (on_poison="stop")
        ├── CheckpointAhead               the checkpoint is past the end of the stream
        └── DatabaseNotMigrated           the toolkit tables are missing or out of date

Configuration mistakes in declarations raise :class:`walnats.ConfigError`; a missing
stream raises :class:`walnats.StreamNotFound`, as everywhere in walnats.
"""

from __future__ import annotations

import walnats

__all__ = [
    "CheckpointAhead",
    "ClaimLost",
    "DatabaseNotMigrated",
    "ProjectionError",
    "ProjectionStopped",
]


class ProjectionError(walnats.WalnatsError):
    """A projection or reactor cannot run as declared; the message says what to do."""


class ProjectionStopped(ProjectionError):
    """A poison event stopped a projection whose policy is ``on_poison="stop"``.

    The checkpoint stays just before the event, so nothing after it is applied out of
    order. Fix the handler (or the data) and restart: the event is applied first. To
    move past it instead, declare ``on_poison="skip"``: the event then goes to the
    dead-letter stream and can be re-driven later.
    """

    def __init__(
        self, projection: str, stream: str, sequence: int, subject: str, error: str
    ) -> None:
        self.projection = projection
        self.stream = stream
        self.sequence = sequence
        self.subject = subject
        self.error = error
        super().__init__(
            f"projection {projection!r} stopped at {stream} sequence {sequence} "
            f"({subject}): {error}. Fix the handler and restart it (the event is applied "
            f"first), or declare on_poison='skip' to dead-letter such events and go on."
        )


class CheckpointAhead(ProjectionError):
    """The projection's checkpoint is past the last event of its stream.

    Possible causes: the stream was deleted and created again, or the database was
    restored from a backup of another environment. Rebuild the projection with
    ``projections.replay(...)`` (``walnats replay``) to start over from the new log.
    """

    def __init__(self, projection: str, stream: str, checkpoint: int, last: int) -> None:
        self.projection = projection
        self.stream = stream
        self.checkpoint = checkpoint
        self.last = last
        super().__init__(
            f"projection {projection!r} has applied {stream} up to sequence {checkpoint}, "
            f"but the stream ends at {last}: was the stream deleted and created again? "
            f"Rebuild the projection with `walnats replay` (projections.replay)."
        )


class DatabaseNotMigrated(ProjectionError):
    """The toolkit tables (checkpoints, ledger, ...) are missing or at an old revision.

    Run ``walnats db upgrade`` (or ``await projections.upgrade_database(url)``) once per
    database, as part of the deployment, before starting projections and reactors.
    """


class ClaimLost(ProjectionError):
    """Another worker took over a projection partition (or a replay did).

    Internal: the runner catches it and waits as a standby. It never reaches users.
    """
