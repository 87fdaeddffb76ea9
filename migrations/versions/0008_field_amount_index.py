"""fields (name, amount) index: the documents printing a given total, found without a scan

After each ingest, icr/duplicates.py looks for the documents stored before that print the same
total as the ones just stored; without the index each run would read every total in the table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fields_name_amount", "fields", ["name", "amount"])


def downgrade() -> None:
    op.drop_index("ix_fields_name_amount", table_name="fields")
