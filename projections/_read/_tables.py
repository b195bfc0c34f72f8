"""The toolkit's own tables: checkpoints, claims, projection metadata, reactor ledger.

They are created and evolved only by the Alembic revisions in ``migrations/`` (run
``walnats db upgrade``); this metadata mirrors the latest revision, so that a test can
prove the two agree and users can tell their own Alembic autogenerate about them.
Every name starts with ``walnats_``; the toolkit's Alembic version table is
``walnats_alembic_version``, so it never collides with the application's own.

Times are Unix seconds (``float``): the same arithmetic on SQLite and PostgreSQL, no
time-zone ambiguity.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

__all__ = [
    "PartitionKey",
    "PREFIX",
    "VERSION_TABLE",
    "checkpoint_table",
    "claim_table",
    "exclude_toolkit_tables",
    "ledger_table",
    "projection_table",
    "reactor_table",
    "toolkit_metadata",
]

PREFIX = "walnats_"
"""Every toolkit table name starts with this."""

VERSION_TABLE = "walnats_alembic_version"
"""Where Alembic records the toolkit's revision (not the application's ``alembic_version``)."""

NAME = 128
"""Longest projection or reactor name stored (declarations allow 64)."""


@dataclass(frozen=True, slots=True)
class PartitionKey:
    """Identifies one partition of one projection version (claims and checkpoints)."""

    projection: str
    version: int
    partition: int


toolkit_metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)
"""The toolkit tables, for ``target_metadata`` in an application's Alembic ``env.py``."""

projection_table = sa.Table(
    "walnats_projections",
    toolkit_metadata,
    sa.Column("name", sa.String(NAME), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("partitions", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("caught_up_at", sa.Float, nullable=True),
)
"""One row per projection version: ``building``, ``live``, ``rebuilding`` or ``stopped``,
and whether readers should use this version (``active``, blue/green)."""

checkpoint_table = sa.Table(
    "walnats_checkpoints",
    toolkit_metadata,
    sa.Column("projection", sa.String(NAME), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("stream", sa.String(255), primary_key=True),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""The last stream sequence each projection partition has applied, per stream."""

claim_table = sa.Table(
    "walnats_claims",
    toolkit_metadata,
    sa.Column("projection", sa.String(NAME), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("caught_up_at", sa.Float, nullable=True),
)
"""Which worker runs each projection partition, until when (a renewable lease), and
whether the partition has caught up with the log since it was (re)built."""

ledger_table = sa.Table(
    "walnats_ledger",
    toolkit_metadata,
    sa.Column("reactor", sa.String(NAME), primary_key=True),
    sa.Column("event_id", sa.String(255), primary_key=True),
    sa.Column("stream", sa.String(255), nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("handled_at", sa.Float, nullable=False, index=True),
)
"""The idempotency ledger: the events each reactor has handled, by event id."""

reactor_table = sa.Table(
    "walnats_reactors",
    toolkit_metadata,
    sa.Column("name", sa.String(NAME), primary_key=True),
    sa.Column("stream", sa.String(255), nullable=False),
    sa.Column("horizon", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Per reactor, the last stream sequence that counts as history (replayed, not live)."""


def exclude_toolkit_tables(name: str | None, type_: str, parent_names: object) -> bool:
    """An Alembic ``include_name`` hook that hides the toolkit tables from autogenerate.

    ::

        context.configure(..., include_name=projections.exclude_toolkit_tables)

    Without it, ``alembic revision --autogenerate`` in the application sees the
    ``walnats_*`` tables in the database but not in the application's metadata, and
    proposes to drop them.
    """
    if type_ == "table" and name is not None:
        return not (name.startswith(PREFIX) or name == VERSION_TABLE)
    return True
