"""Event sourcing on top of walnats: aggregates, an event store, snapshots, upcasting,
and SQL read models (projections and reactors) with checkpoints, replay and Alembic.

Declare an aggregate type with :class:`Aggregate` (its events are ordinary
``walnats.Event`` s with ``aggregate=`` set), open its :class:`EventStore` with
``ORDER.connect()``, and run commands with :meth:`EventStore.execute` or
:func:`retry_on_conflict`. See ``docs/event-sourcing.md``.
"""

from ._aggregate import Aggregate
from ._changes import Applier, NewEvent, new, on
from ._errors import ProjectionLagging, ReplayError
from ._freshness import SupportsWaitFor, wait_for_projection
from ._read import (
    DEFAULT_DATABASE,
    CheckpointAhead,
    DatabaseNotMigrated,
    EventHandler,
    EventMeta,
    Lag,
    Progress,
    Projection,
    ProjectionError,
    ProjectionRunner,
    ProjectionStatus,
    ProjectionStopped,
    Reactor,
    ReactorContext,
    ReactorRunner,
    ReplayReport,
    activate_version,
    active_version,
    alembic_config,
    database_revision,
    downgrade_database,
    exclude_toolkit_tables,
    handle,
    handle_batch,
    open_database,
    projection_lag,
    projection_status,
    prune_ledger,
    replay,
    retire_version,
    rewind_reactor,
    serve,
    toolkit_metadata,
    upgrade_database,
)
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
    # read models: projections and reactors
    # declarations
    "Projection",
    "handle",
    "handle_batch",
    "EventHandler",
    "EventMeta",
    "Reactor",
    "ReactorContext",
    # running
    "ProjectionRunner",
    "ReactorRunner",
    "serve",
    # replay and versions
    "replay",
    "ReplayReport",
    "Progress",
    "activate_version",
    "active_version",
    "retire_version",
    "rewind_reactor",
    "prune_ledger",
    # lag and status
    "Lag",
    "ProjectionStatus",
    "projection_lag",
    "projection_status",
    # database
    "DEFAULT_DATABASE",
    "open_database",
    "upgrade_database",
    "downgrade_database",
    "database_revision",
    "alembic_config",
    "toolkit_metadata",
    "exclude_toolkit_tables",
    # read-model exceptions
    "ProjectionError",
    "ProjectionStopped",
    "CheckpointAhead",
    "DatabaseNotMigrated",
    # exceptions
    "ProjectionLagging",
    "ReplayError",
]
