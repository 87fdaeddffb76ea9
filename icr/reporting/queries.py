"""Reports as pandas DataFrames, read through SQLAlchemy from the analytics views.

Money stays exact: the views' columns are declared ``Numeric(14, 2)`` here, so
SQLAlchemy hands back ``Decimal`` on SQLite (which stores floats) as on
PostgreSQL, and every sum is a ``Decimal`` sum in Python — never a float sum.
Money columns are ``object`` columns of ``Decimal``; dates are ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from icr.db.models import Document, Field
from icr.errors import DatabaseError, InputError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_views = MetaData()
"""The views of migrations 0002, 0004 and 0009, typed for reading. Not the models' metadata: Alembic
never creates these."""

v_receipts = Table(
    "v_receipts",
    _views,
    Column("document_id", Integer),
    Column("name", String),
    Column("source", Text),
    Column("doc_type", String),
    Column("needs_review", Boolean),
    Column("review_reasons", Text),
    Column("company", Text),
    Column("date", Date),
    Column("subtotal", Numeric(14, 2)),
    Column("tax", Numeric(14, 2)),
    Column("total", Numeric(14, 2)),
    Column("currency", Text),
    Column("tax_id", Text),
    Column("phone", Text),
    Column("stored_at", DateTime(timezone=True)),
)

v_monthly_spend = Table(
    "v_monthly_spend",
    _views,
    Column("month", String),
    Column("currency", Text),
    Column("receipts", Integer),
    Column("total", Numeric(14, 2)),
    Column("tax", Numeric(14, 2)),
)

RECEIPT_COLUMNS = (
    "document_id",
    "name",
    "company",
    "date",
    "total",
    "tax",
    "subtotal",
    "currency",
    "tax_id",
    "doc_type",
    "needs_review",
    "source",
)


@dataclass(frozen=True)
class Filters:
    """Which receipts a report covers: receipt date in [start, end] (inclusive), vendor a substring of company."""

    start: dt.date | None = None
    end: dt.date | None = None
    vendor: str | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise InputError(f"--from {self.start} is after --to {self.end}")


def _read(engine: Engine, query: Any) -> list[Any]:
    try:
        with engine.connect() as conn:
            return list(conn.execute(query).all())
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot read reports from {engine.url.render_as_string()}: {exc.__class__.__name__}: {exc} "
            "(is the schema up to date? `icr db upgrade`)"
        ) from exc


def _frame(rows: list[Any], columns: Iterable[str]) -> pd.DataFrame:
    """A DataFrame of these rows: whole-number and float columns numeric, others ``object`` with ``None``
    for missing (text, ``Decimal`` and ``datetime.date`` alike)."""
    cols = list(columns)
    data = {c: _column([r[i] for r in rows]) for i, c in enumerate(cols)}
    return pd.DataFrame(data, columns=cols)


def _column(values: list[Any]) -> pd.Series:
    present = [v for v in values if not _missing(v)]
    if present and len(present) == len(values):
        if all(isinstance(v, bool) for v in present):
            return pd.Series(values, dtype=bool)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            return pd.Series(values, dtype="int64")
    if present and all(isinstance(v, float) for v in present):
        return pd.Series([float("nan") if _missing(v) else v for v in values], dtype="float64")
    return pd.Series([None if _missing(v) else v for v in values], dtype=object)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def dsum(values: Iterable[Any]) -> Decimal:
    """The exact sum of the ``Decimal`` values (``None`` and NaN skipped), to the cent."""
    return sum((v for v in values if isinstance(v, Decimal)), ZERO).quantize(CENT)


def receipts(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """One row per receipt read successfully: document_id, name, company, date, total, tax, subtotal,
    currency, tax_id (the vendor's tax number), doc_type, needs_review, source — ordered by date
    (undated last), then id."""
    return _frame(_read(engine, _receipts_query(filters, RECEIPT_COLUMNS)), RECEIPT_COLUMNS)


def _receipts_query(filters: Filters | None, columns: Iterable[str]) -> Select[Any]:
    f = filters or Filters()
    r = v_receipts.c
    query = select(*(r[c] for c in columns))
    if f.start:
        query = query.where(r.date >= f.start)
    if f.end:
        query = query.where(r.date <= f.end)
    if f.vendor:
        query = query.where(func.lower(r.company).contains(f.vendor.lower(), autoescape=True))
    return query.order_by(r.date.nulls_last(), r.document_id)


def _group(df: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """Count and exact Decimal sums per group; missing keys are kept as their own group."""
    if df.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in [*keys, "receipts", *sums]})
    grouped = df.groupby(keys, dropna=False, sort=False)
    out = grouped.agg(receipts=("document_id", "size"), **{c: (c, dsum) for c in sums}).reset_index()
    out["receipts"] = out["receipts"].astype("int64")
    return out


def month_of(day: Any) -> str | None:
    """``2024-03`` for a date in March 2024; ``None`` for a missing date."""
    return day.strftime("%Y-%m") if isinstance(day, dt.date) else None


def _na_to_none(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        df[c] = pd.Series([None if _missing(v) else v for v in df[c]], index=df.index, dtype=object)
    return df


def spend_by_vendor(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """Per company and currency: receipts, total, tax, first and last date — biggest spend first."""
    df = receipts(engine, filters)
    out = _group(df, ["company", "currency"], ["total", "tax"])
    if df.empty:
        out["first_date"] = pd.Series([], dtype=object)
        out["last_date"] = pd.Series([], dtype=object)
        return out
    dates = df.groupby(["company", "currency"], dropna=False, sort=False)["date"]
    out["first_date"] = list(dates.agg(lambda s: min((d for d in s if isinstance(d, dt.date)), default=None)))
    out["last_date"] = list(dates.agg(lambda s: max((d for d in s if isinstance(d, dt.date)), default=None)))
    out = out.sort_values(["total", "receipts"], ascending=False, kind="stable", ignore_index=True)
    return _na_to_none(out, ["company", "currency"])


def spend_by_month(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """Per month (``YYYY-MM``; undated receipts under none) and currency: receipts, total, tax."""
    df = receipts(engine, filters)
    df["month"] = [month_of(d) for d in df["date"]]
    out = _group(df, ["month", "currency"], ["total", "tax"])
    out = _sort_months(out)
    return _na_to_none(out, ["month", "currency"])


def _sort_months(df: pd.DataFrame) -> pd.DataFrame:
    """By month, then currency; missing ones last."""
    if df.empty:
        return df

    def key(i: int) -> tuple[bool, str, bool, str]:
        month, currency = df["month"].iat[i], df["currency"].iat[i]
        return (
            _missing(month),
            "" if _missing(month) else str(month),
            _missing(currency),
            "" if _missing(currency) else str(currency),
        )

    return df.iloc[sorted(range(len(df)), key=key)].reset_index(drop=True)


def tax_summary(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """Per month and currency: receipts, those with a tax amount (taxed), the totals of those (taxed_total),
    their tax, net (taxed_total - tax) and the effective rate in percent (tax / net)."""
    df = receipts(engine, filters)
    df["month"] = [month_of(d) for d in df["date"]]
    df["taxed_total"] = [t if isinstance(x, Decimal) else None for t, x in zip(df["total"], df["tax"], strict=True)]
    out = _group(df, ["month", "currency"], ["taxed_total", "tax"])
    cols = ["month", "currency", "receipts", "taxed", "taxed_total", "tax", "net", "rate_percent"]
    if df.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    taxed = df.assign(has_tax=[isinstance(x, Decimal) for x in df["tax"]])
    counts = taxed.groupby(["month", "currency"], dropna=False, sort=False)["has_tax"].sum()
    out["taxed"] = [int(n) for n in counts]
    out["net"] = [t - x for t, x in zip(out["taxed_total"], out["tax"], strict=True)]
    out["rate_percent"] = [
        (x * 100 / n).quantize(CENT) if n else None for x, n in zip(out["tax"], out["net"], strict=True)
    ]
    out = _sort_months(out[cols])
    return _na_to_none(out, ["month", "currency", "rate_percent"])


FAILED_COLUMNS = ("document_id", "name", "source", "error", "stored_at")


def failed_documents(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """Documents that could not be read, with their error. The date filters apply to when they were stored."""
    f = filters or Filters()
    if f.vendor:
        raise InputError("the failed report has no vendor (a failed document has no fields): drop --vendor")
    query = (
        select(Document.id, Document.name, Document.source, Document.error, Document.updated_at)
        .where(Document.status != "ok")
        .order_by(Document.id)
    )
    rows = [
        r
        for r in _read(engine, query)
        if (not f.start or r[4].date() >= f.start) and (not f.end or r[4].date() <= f.end)
    ]
    return _frame(rows, FAILED_COLUMNS)


REVIEW_COLUMNS = ("document_id", "name", "company", "date", "field", "reason", "value", "confidence", "source")


def review_fields(engine: Engine, filters: Filters | None = None) -> pd.DataFrame:
    """One row per field a receipt was flagged for (``needs_review``): the field, why, and its current value
    and confidence (none when the field is missing)."""
    cols = ("document_id", "name", "company", "date", "review_reasons", "source")
    query = _receipts_query(filters, cols).where(v_receipts.c.needs_review.is_(True))
    flagged = _read(engine, query)
    ids = [row.document_id for row in flagged]
    values: dict[tuple[int, str], tuple[Any, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = select(Field.document_id, Field.name, Field.value, Field.confidence).where(Field.document_id.in_(chunk))
        values.update({(d, n): (v, c) for d, n, v, c in _read(engine, q)})
    rows: list[tuple[Any, ...]] = []
    for rec in flagged:
        for field_name, why in parse_reasons(rec.review_reasons):
            value, confidence = values.get((rec.document_id, field_name), (None, None)) if field_name else (None, None)
            rows.append(
                (rec.document_id, rec.name, rec.company, rec.date, field_name, why, value, confidence, rec.source)
            )
    return _frame(rows, REVIEW_COLUMNS)


def parse_reasons(text: str | None) -> list[tuple[str | None, str]]:
    """``"total: missing; date: low confidence 0.40"`` -> ``[("total", "missing"), ("date", "low confidence 0.40")]``.

    A reason without ``name:`` keeps its text with no field; no reasons at all gives one unnamed row.
    """
    out: list[tuple[str | None, str]] = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, why = part.partition(":")
        if sep and name.strip() and " " not in name.strip():
            out.append((name.strip(), why.strip()))
        else:
            out.append((None, part))
    return out or [(None, "flagged for review")]


def monthly_spend_view(engine: Engine) -> pd.DataFrame:
    """The ``v_monthly_spend`` view as it is in the database (month, currency, receipts, total, tax)."""
    m = v_monthly_spend.c
    query = select(m.month, m.currency, m.receipts, m.total, m.tax).order_by(m.month, m.currency)
    cols = ("month", "currency", "receipts", "total", "tax")
    return _frame(_read(engine, query), cols)


Report = Callable[[Engine, Filters | None], pd.DataFrame]

REPORTS: dict[str, Report] = {
    "receipts": receipts,
    "spend-by-vendor": spend_by_vendor,
    "spend-by-month": spend_by_month,
    "tax": tax_summary,
    "failed": failed_documents,
    "review": review_fields,
}
"""The reports by their command-line name."""

SUMMED_COLUMNS = frozenset({"total", "tax", "subtotal", "taxed_total", "net", "receipts", "taxed"})
"""Columns whose sum over the rows means something (a table's footer shows it)."""


def run_report(engine: Engine, name: str, filters: Filters | None = None) -> pd.DataFrame:
    """The report called ``name`` (see :data:`REPORTS`)."""
    try:
        report = REPORTS[name]
    except KeyError:
        raise InputError(f"unknown report '{name}' (known: {', '.join(REPORTS)})") from None
    return report(engine, filters)
