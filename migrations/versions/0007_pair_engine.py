"""form_pairs.engine: which recognizer read each form value

A handwriting zone, or a line the page's engine read badly, is read by the handwriting recognizer
when it is sure enough, else by the page's engine; exports show which. Rows stored before this revision have
none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy of the table (as 0006 does for fields).
    op.add_column("form_pairs", sa.Column("engine", sa.String(32), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE form_pairs DROP COLUMN engine")
