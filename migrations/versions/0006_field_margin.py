"""fields.margin: how far a value led its best rival in the extractor's scoring

The confidence calibration (icr/calibrate.py) weighs a close call against a clear one, and is
fitted from stored readings (benchmarks/calibration.py), so the margin is stored with the field.
Rows stored before this revision have none (read as uncontested).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy of the table: that would break the views on it.
    op.add_column("fields", sa.Column("margin", sa.Float(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE fields DROP COLUMN margin")
