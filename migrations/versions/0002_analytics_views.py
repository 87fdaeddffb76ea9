"""analytics views: v_receipts, v_line_items, v_monthly_spend

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:00:00

Views for people who query the database with SQL. They are not in the models'
metadata (Alembic's autogenerate does not compare views), so they live here only.
The SQL is the same on SQLite and PostgreSQL except the month bucket.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# One row per document read successfully, its main fields as typed columns.
RECEIPTS = """
CREATE VIEW v_receipts AS
SELECT d.id AS document_id,
       d.name AS name,
       d.source AS source,
       d.doc_type AS doc_type,
       d.needs_review AS needs_review,
       d.review_reasons AS review_reasons,
       company.value AS company,
       receipt_date.date_value AS date,
       subtotal.amount AS subtotal,
       tax.amount AS tax,
       total.amount AS total,
       currency.value AS currency,
       d.updated_at AS stored_at
FROM documents d
LEFT JOIN fields company ON company.document_id = d.id AND company.name = 'company'
LEFT JOIN fields receipt_date ON receipt_date.document_id = d.id AND receipt_date.name = 'date'
LEFT JOIN fields subtotal ON subtotal.document_id = d.id AND subtotal.name = 'subtotal'
LEFT JOIN fields tax ON tax.document_id = d.id AND tax.name = 'tax'
LEFT JOIN fields total ON total.document_id = d.id AND total.name = 'total'
LEFT JOIN fields currency ON currency.document_id = d.id AND currency.name = 'currency'
WHERE d.status = 'ok'
"""

LINE_ITEMS = """
CREATE VIEW v_line_items AS
SELECT li.id AS line_item_id,
       r.document_id AS document_id,
       r.name AS name,
       r.company AS company,
       r.date AS date,
       r.currency AS currency,
       li.position AS position,
       li.description AS description,
       li.quantity AS quantity,
       li.unit_price AS unit_price,
       li.amount AS amount
FROM line_items li
JOIN v_receipts r ON r.document_id = li.document_id
"""

# Month as 'YYYY-MM' text on both databases; receipts without a date fall in month NULL.
MONTH = {
    "sqlite": "strftime('%Y-%m', r.date)",
    "postgresql": "to_char(r.date, 'YYYY-MM')",
}

# SQLite stores NUMERIC as binary floating point: sum whole cents there, which is exact.
SUM = {
    "sqlite": "ROUND(SUM(CAST(ROUND({col} * 100) AS INTEGER)) / 100.0, 2)",
    "postgresql": "SUM({col})",
}

MONTHLY = """
CREATE VIEW v_monthly_spend AS
SELECT {month} AS month,
       r.currency AS currency,
       COUNT(*) AS receipts,
       {total} AS total,
       {tax} AS tax
FROM v_receipts r
GROUP BY {month}, r.currency
"""


def _dialect() -> str:
    name = op.get_bind().dialect.name
    if name not in MONTH:
        raise NotImplementedError(f"analytics views: no SQL for the {name} dialect (known: sqlite, postgresql)")
    return name


def upgrade() -> None:
    dialect = _dialect()
    op.execute(RECEIPTS)
    op.execute(LINE_ITEMS)
    total = SUM[dialect].format(col="r.total")
    tax = SUM[dialect].format(col="r.tax")
    op.execute(MONTHLY.format(month=MONTH[dialect], total=total, tax=tax))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_monthly_spend")
    op.execute("DROP VIEW IF EXISTS v_line_items")
    op.execute("DROP VIEW IF EXISTS v_receipts")
