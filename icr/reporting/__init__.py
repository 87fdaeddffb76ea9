"""Analytics: reports as pandas DataFrames, written as tables, CSV, JSON, Parquet or Excel, and bar charts.

>>> from icr.db.database import open_engine
>>> from icr.reporting import Filters, spend_by_month
>>> df = spend_by_month(open_engine("sqlite:///icr.db"), Filters(vendor="kitchen"))  # doctest: +SKIP

Money columns hold ``Decimal`` objects (exact to the cent), dates ``datetime.date``.
SQL users have the views ``v_receipts``, ``v_line_items`` and ``v_monthly_spend``.
"""

from __future__ import annotations

from icr.reporting.chart import CHARTS, draw_chart
from icr.reporting.output import FORMATS, format_for, write_report
from icr.reporting.queries import (
    REPORTS,
    Filters,
    dsum,
    failed_documents,
    monthly_spend_view,
    receipts,
    review_fields,
    run_report,
    spend_by_month,
    spend_by_vendor,
    tax_summary,
)

__all__ = [
    "CHARTS",
    "FORMATS",
    "REPORTS",
    "Filters",
    "draw_chart",
    "dsum",
    "failed_documents",
    "format_for",
    "monthly_spend_view",
    "receipts",
    "review_fields",
    "run_report",
    "spend_by_month",
    "spend_by_vendor",
    "tax_summary",
    "write_report",
]
