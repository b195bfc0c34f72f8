"""The toolkit tables: projection metadata, checkpoints, claims, reactor ledger.

Revision ID: 0001
Revises:
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the five ``walnats_*`` tables."""
    op.create_table(
        "walnats_projections",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("partitions", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("caught_up_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("name", "version", name="pk_walnats_projections"),
    )
    op.create_table(
        "walnats_checkpoints",
        sa.Column("projection", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("stream", sa.String(255), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "projection", "version", "partition", "stream", name="pk_walnats_checkpoints"
        ),
    )
    op.create_table(
        "walnats_claims",
        sa.Column("projection", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("caught_up_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("projection", "version", "partition", name="pk_walnats_claims"),
    )
    op.create_table(
        "walnats_ledger",
        sa.Column("reactor", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("stream", sa.String(255), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("handled_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("reactor", "event_id", name="pk_walnats_ledger"),
    )
    op.create_index("ix_walnats_ledger_handled_at", "walnats_ledger", ["handled_at"])
    op.create_table(
        "walnats_reactors",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("stream", sa.String(255), nullable=False),
        sa.Column("horizon", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_walnats_reactors"),
    )


def downgrade() -> None:
    """Drop them (the read models built from them become unrecoverable: rebuild them)."""
    op.drop_table("walnats_reactors")
    op.drop_index("ix_walnats_ledger_handled_at", table_name="walnats_ledger")
    op.drop_table("walnats_ledger")
    op.drop_table("walnats_claims")
    op.drop_table("walnats_checkpoints")
    op.drop_table("walnats_projections")
