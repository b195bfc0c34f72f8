"""Projections and reactors: SQL read models with checkpoints, idempotent side effects.

Everything that turns the log into something else lives here:

* :class:`Projection` (declared with :func:`handle` per event) and its
  :class:`ProjectionRunner`: batches of events and the checkpoint commit in one
  transaction, so each event changes the read model exactly once;
* :class:`Reactor` and :class:`ReactorRunner`: side effects behind an idempotency
  ledger, never re-fired by replays;
* :func:`replay` to rebuild, versions for blue/green rebuilds, lag and status;
* :func:`upgrade_database` for the toolkit tables (``walnats db upgrade``).

See ``docs/projections.md`` and ``docs/replay.md``.
"""

from ._database import DEFAULT_DATABASE, open_database
from ._errors import CheckpointAhead, DatabaseNotMigrated, ProjectionError, ProjectionStopped
from ._handlers import EventHandler, handle, handle_batch
from ._ledger import prune_ledger, rewind_reactor
from ._meta import EventMeta
from ._migrate import alembic_config, database_revision, downgrade_database, upgrade_database
from ._monitor import (
    Lag,
    ProjectionStatus,
    activate_version,
    active_version,
    projection_lag,
    projection_status,
    retire_version,
)
from ._progress import Progress
from ._projection import Projection
from ._reactor import Reactor, ReactorContext
from ._rebuild import ReplayReport, replay
from ._runner import ProjectionRunner
from ._serve import ReactorRunner, serve
from ._tables import exclude_toolkit_tables, toolkit_metadata

__all__ = [
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
    # exceptions
    "ProjectionError",
    "ProjectionStopped",
    "CheckpointAhead",
    "DatabaseNotMigrated",
]
