"""documents.consolidated: whether vendor consolidation has looked at a document yet

A run killed after storing documents and before consolidating them left them never looked
at; the next run consolidates every document still marked false, so the result after an
interruption is the result of an uninterrupted run. Rows stored before this revision count
as looked at (their run consolidated them, or consolidation was off).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy of the table: that would break the views on it.
    op.add_column("documents", sa.Column("consolidated", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE documents SET consolidated = :yes").bindparams(yes=True))


def downgrade() -> None:
    op.execute("ALTER TABLE documents DROP COLUMN consolidated")
