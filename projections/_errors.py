"""Errors of the event-sourcing layer, all under :class:`walnats.WalnatsError`.

::

    walnats.WalnatsError
    ├── walnats.ConcurrencyError        another writer moved the aggregate (reused as is)
    ├── walnats.ServerTooOld            a needed JetStream feature is missing (reused as is)
    ├── ReplayError                     stored events cannot be folded into the state
    └── ProjectionLagging (TimeoutError) a projection did not reach a sequence in time
"""

from __future__ import annotations

import walnats

__all__ = ["ProjectionLagging", "ReplayError"]


class ReplayError(walnats.WalnatsError):
    """The stored history of an aggregate cannot be turned into its state.

    Possible causes: an event type was removed from the aggregate without an upcaster
    that drops or renames it; an event was stored with a schema version that no
    upcaster chain reaches; or events were written to the aggregate's stream by
    something other than :class:`projections.EventStore` (no or wrong version header).
    Loading refuses rather than building a state that is silently wrong.
    """


class ProjectionLagging(walnats.WalnatsError, TimeoutError):
    """A projection did not apply a stream sequence within the timeout.

    Raised by :func:`projections.wait_for_projection` when the caller asked for an
    error rather than a stale read. The read model may still catch up later.
    """

    def __init__(self, projection: str, stream: str, sequence: int, timeout: float) -> None:
        self.projection = projection
        self.stream = stream
        self.sequence = sequence
        self.timeout = timeout
        super().__init__(
            f"projection {projection!r} did not reach {stream} sequence {sequence} within "
            f"{timeout:g}s. Is its runner running? Read a possibly stale model with "
            f"on_timeout='stale', or wait longer."
        )
