"""receipts view: the vendor's tax number and telephone number

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:45:00

An expense report that reclaims tax needs the vendor's VAT number beside the amounts, and the
telephone number (E.164 since the text corrector checks it) tells apart vendors of one name. v_receipts
gains ``tax_id`` and ``phone``; v_line_items and v_monthly_spend read v_receipts, so all three are
dropped and created again (the SQL of migrations 0002 and 0004, forms still left out).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _migration(name: str) -> Any:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"icr_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _receipts_0004(views: Any) -> str:
    """v_receipts as migration 0004 (``views``) created it."""
    receipts = views._previous().RECEIPTS
    assert "WHERE d.status = 'ok'\n" in receipts
    return str(receipts.replace("WHERE d.status = 'ok'\n", views.NOT_FORM))


def _with_numbers(receipts: str) -> str:
    columns = "       currency.value AS currency,\n"
    joins = "LEFT JOIN fields currency ON currency.document_id = d.id AND currency.name = 'currency'\n"
    assert columns in receipts and joins in receipts
    return receipts.replace(
        columns, columns + "       tax_id.value AS tax_id,\n       phone.value AS phone,\n"
    ).replace(
        joins,
        joins
        + "LEFT JOIN fields tax_id ON tax_id.document_id = d.id AND tax_id.name = 'tax_id'\n"
        + "LEFT JOIN fields phone ON phone.document_id = d.id AND phone.name = 'phone'\n",
    )


def upgrade() -> None:
    views = _migration("0004_form_pairs.py")
    views._drop_views()
    views._create_views(_with_numbers(_receipts_0004(views)))


def downgrade() -> None:
    views = _migration("0004_form_pairs.py")
    views._drop_views()
    views._create_views(_receipts_0004(views))
