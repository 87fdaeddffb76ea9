"""form pairs: a table of key/value pairs and tick boxes; forms leave the spend views

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:30:00

Documents of kind ``form`` carry pairs, not receipt fields: the analytics views are
re-created to leave them out (v_line_items and v_monthly_spend read v_receipts, so all
three are dropped and created again).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOT_FORM = "WHERE d.status = 'ok'\n  AND COALESCE(d.doc_type, '') <> 'form'\n"


def _previous() -> Any:
    """The 0002 migration module (its view SQL is reused, with forms left out)."""
    path = Path(__file__).with_name("0002_analytics_views.py")
    spec = importlib.util.spec_from_file_location("icr_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_views() -> None:
    op.execute("DROP VIEW IF EXISTS v_monthly_spend")
    op.execute("DROP VIEW IF EXISTS v_line_items")
    op.execute("DROP VIEW IF EXISTS v_receipts")


def _create_views(receipts_sql: str) -> None:
    old = _previous()
    dialect = old._dialect()
    op.execute(receipts_sql)
    op.execute(old.LINE_ITEMS)
    total = old.SUM[dialect].format(col="r.total")
    tax = old.SUM[dialect].format(col="r.tax")
    op.execute(old.MONTHLY.format(month=old.MONTH[dialect], total=total, tax=tax))


def upgrade() -> None:
    op.create_table(
        "form_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("number", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("date_value", sa.Date(), nullable=True),
        sa.Column("checked", sa.Boolean(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("key_box", sa.JSON(), nullable=True),
        sa.Column("value_box", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_form_pairs_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_pairs")),
    )
    with op.batch_alter_table("form_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_pairs_document_id"), ["document_id"], unique=False)
    _drop_views()
    receipts = _previous().RECEIPTS
    assert "WHERE d.status = 'ok'\n" in receipts
    _create_views(receipts.replace("WHERE d.status = 'ok'\n", NOT_FORM))


def downgrade() -> None:
    _drop_views()
    _create_views(_previous().RECEIPTS)
    with op.batch_alter_table("form_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_pairs_document_id"))
    op.drop_table("form_pairs")
