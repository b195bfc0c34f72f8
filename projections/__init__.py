"""Event sourcing on top of walnats: aggregates, an event store, snapshots, upcasting.

Declare an aggregate type with :class:`Aggregate` (its events are ordinary
``walnats.Event`` s with ``aggregate=`` set), open its :class:`EventStore` with
``ORDER.connect()``, and run commands with :meth:`EventStore.execute` or
:func:`retry_on_conflict`. See ``docs/event-sourcing.md``.
"""

from ._aggregate import Aggregate
from ._changes import Applier, NewEvent, new, on
from ._errors import ProjectionLagging, ReplayError
from ._freshness import SupportsWaitFor, wait_for_projection
from ._results import Executed, Loaded, Saved
from ._retry import retry_on_conflict
from ._snapshot_job import SnapshotReport, snapshot_moved
from ._snapshots import Snapshot
from ._store import Command, EventStore
from ._upcasting import RawEvent, SnapshotUpcaster, Upcaster, Upcasters

__all__ = [
    # declarations
    "Aggregate",
    "Applier",
    "on",
    "NewEvent",
    "new",
    "Command",
    # upcasting
    "RawEvent",
    "SnapshotUpcaster",
    "Upcaster",
    "Upcasters",
    # event store
    "EventStore",
    "Loaded",
    "Saved",
    "Executed",
    "retry_on_conflict",
    # snapshots
    "Snapshot",
    "SnapshotReport",
    "snapshot_moved",
    # read-your-writes
    "SupportsWaitFor",
    "wait_for_projection",
    # exceptions
    "ProjectionLagging",
    "ReplayError",
]
