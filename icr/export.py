"""Reading stored documents back as records (the stable export shape).

One record per document (:data:`RECORD_KEYS`), or with ``items`` one row per line item
(:data:`ITEM_KEYS`); in JSONL, CSV or Parquet. Parquet keeps the types: amounts as
``decimal128``, dates as ``date32``, the review flag as a boolean, line items as a list of
structs — as the report Parquet does. :class:`ExportFilters` selects the documents.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session, selectinload

from icr.cells import inert
from icr.db.models import Document, FormPairRow
from icr.errors import IcrError, InputError
from icr.text.parsers import mask_card_numbers

RECORD_KEYS = (
    "id",
    "source",
    "sha256",
    "doc_type",
    "status",
    "error",
    "needs_review",
    "review_reasons",
    "fields",
    "confidence",
    "line_items",
    "text",
)
"""The jsonl record, exactly. Other tools rely on this shape: keep it stable (add, never rename).
A document of kind ``form`` has one key more, ``form`` (see :func:`form_record`)."""

FORM_KIND = "form"

CSV_FIXED = ("id", "source", "sha256", "doc_type", "status", "error", "needs_review", "review_reasons")
ITEM_KEYS = ("id", "source", "position", "description", "quantity", "unit_price", "amount", "raw")
"""One line item as an export row (``icr export --items``): the document's id and source first."""


@dataclass(frozen=True)
class ExportFilters:
    """Which documents to export; every filter left None selects all."""

    since: dt.date | None = None
    """Stored on or after this day."""
    status: str | None = None
    """ok | failed"""
    doc_type: str | None = None
    needs_review: bool | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.since is not None:
            start = dt.datetime.combine(self.since, dt.time.min)
            query = query.where(Document.created_at >= start)
        if self.status is not None:
            query = query.where(Document.status == self.status)
        if self.doc_type is not None:
            query = query.where(Document.doc_type == self.doc_type)
        if self.needs_review is not None:
            query = query.where(Document.needs_review.is_(self.needs_review))
        return query


def iter_documents(engine: Engine, filters: ExportFilters | None = None, chunk: int = 500) -> Iterator[Document]:
    """Stored documents (fields and line items loaded), in the order they were first stored."""
    last_id = 0
    with Session(engine) as session:
        while True:
            query = (
                select(Document)
                .where(Document.id > last_id)
                .order_by(Document.id)
                .limit(chunk)
                .options(selectinload(Document.fields), selectinload(Document.line_items), selectinload(Document.pairs))
            )
            docs = session.scalars((filters or ExportFilters()).apply(query)).all()
            if not docs:
                return
            yield from docs
            last_id = docs[-1].id
            session.expunge_all()


def iter_records(
    engine: Engine, filters: ExportFilters | None = None, *, typed: bool = False
) -> Iterator[dict[str, Any]]:
    """One record per stored document (see :func:`record`)."""
    for doc in iter_documents(engine, filters):
        yield record(doc, typed=typed)


def _number(value: Decimal | None, typed: bool) -> Decimal | str | None:
    return value if typed or value is None else str(value)


def record(doc: Document, *, typed: bool = False) -> dict[str, Any]:
    """The export record: field values as strings (ISO dates, decimal amounts), or with
    ``typed`` as ``Decimal`` and ``datetime.date`` where the database has them so."""
    fields: dict[str, Any] = {}
    for f in doc.fields:
        if typed and f.amount is not None:
            fields[f.name] = f.amount
        elif typed and f.date_value is not None:
            fields[f.name] = f.date_value
        else:
            fields[f.name] = f.value
    rec: dict[str, Any] = {
        "id": doc.name,
        "source": doc.source,
        "sha256": doc.sha256,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "error": doc.error,
        "needs_review": bool(doc.needs_review),
        "review_reasons": [r for r in (doc.review_reasons or "").split("; ") if r],
        "fields": fields,
        "confidence": {f.name: f.confidence for f in doc.fields},
        "line_items": [
            {
                "position": item.position,
                "description": item.description,
                "quantity": _number(item.quantity, typed),
                "unit_price": _number(item.unit_price, typed),
                "amount": _number(item.amount, typed),
                "raw": item.raw,
            }
            for item in sorted(doc.line_items, key=lambda i: i.position)
        ],
        "text": mask_card_numbers(doc.ocr_text or ""),  # stored masked; again for rows stored before
    }
    if doc.doc_type == FORM_KIND:
        rec["form"] = form_record(doc.pairs)
    return rec


def form_record(rows: Iterable[FormPairRow]) -> dict[str, list[dict[str, Any]]]:
    """``{"pairs": [{"key", "value", "confidence", "page", "key_box", "value_box", "engine"}],
    "checkboxes": [{"label", "checked", "box", "page"}]}``, boxes ``[x0, y0, x1, y1]`` in pixels."""
    pairs: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []
    for row in rows:
        if row.kind == "checkbox":
            boxes.append({"label": row.key, "checked": row.checked, "box": row.value_box, "page": row.page})
        else:
            pairs.append(
                {
                    "key": row.key,
                    "value": row.value or "",
                    "confidence": row.confidence if row.confidence is not None else 0.0,
                    "page": row.page,
                    "key_box": row.key_box,
                    "value_box": row.value_box,
                    "engine": row.engine,
                }
            )
    return {"pairs": pairs, "checkboxes": boxes}


def iter_item_rows(
    engine: Engine, filters: ExportFilters | None = None, *, typed: bool = False
) -> Iterator[dict[str, Any]]:
    """One row per line item, with its document's id and source."""
    for rec in iter_records(engine, filters, typed=typed):
        for item in rec["line_items"]:
            yield {"id": rec["id"], "source": rec["source"], **item}


@dataclass(frozen=True)
class ExportOptions:
    with_text: bool = True
    items: bool = False
    """One row per line item instead of one record per document."""
    filters: ExportFilters = ExportFilters()


def _rows(engine: Engine, options: ExportOptions, typed: bool) -> Iterator[dict[str, Any]]:
    if options.items:
        yield from iter_item_rows(engine, options.filters, typed=typed)
        return
    for rec in iter_records(engine, options.filters, typed=typed):
        if not options.with_text:
            del rec["text"]
        yield rec


def write_jsonl(engine: Engine, out: IO[str], options: ExportOptions) -> int:
    n = 0
    for rec in _rows(engine, options, typed=False):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def _cell(value: Any) -> Any:
    """A CSV cell: no value empty, flags true/false, lists joined; text never a live formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value) if all(isinstance(v, str) for v in value) else json.dumps(value)
    return inert(value) if isinstance(value, str) else value


def write_csv(engine: Engine, out: IO[str], options: ExportOptions) -> int:
    """CSV: the fixed columns, one column per field name, the line items (JSON) and the
    OCR text last; with ``items``, the :data:`ITEM_KEYS` columns."""
    writer = csv.writer(out)
    if options.items:
        writer.writerow(ITEM_KEYS)
        n = 0
        for row in _rows(engine, options, typed=False):
            writer.writerow([_cell(row[k]) for k in ITEM_KEYS])
            n += 1
        return n
    records = list(_rows(engine, options, typed=False))
    names = sorted({name for rec in records for name in rec["fields"]})
    writer.writerow(
        [_cell(str(c)) for c in (*CSV_FIXED, *names, "line_items", *(["text"] if options.with_text else []))]
    )
    for rec in records:
        writer.writerow(
            [_cell(rec[k]) for k in CSV_FIXED]
            + [_cell(rec["fields"].get(n)) for n in names]
            + [_cell(rec["line_items"]) if rec["line_items"] else ""]
            + ([_cell(rec["text"])] if options.with_text else [])
        )
    return len(records)


def _decimal_type(values: list[Any]) -> Any:
    import pyarrow as pa

    scale = max([2, *(-int(v.as_tuple().exponent) for v in values if isinstance(v, Decimal))])
    return pa.decimal128(18 + scale - 2, scale)


def _column(values: list[Any]) -> Any:
    """An arrow array of the values' own type: Decimal, date, bool, float, else string."""
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, Decimal) for v in present):
        return pa.array(values, type=_decimal_type(present))
    if present and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
        return pa.array(values, type=pa.date32())
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.int64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _items_type(records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    numbers = {
        key: _decimal_type([i[key] for r in records for i in r["line_items"] if i[key] is not None])
        for key in ("quantity", "unit_price", "amount")
    }
    return pa.list_(
        pa.struct(
            [
                ("position", pa.int32()),
                ("description", pa.string()),
                ("quantity", numbers["quantity"]),
                ("unit_price", numbers["unit_price"]),
                ("amount", numbers["amount"]),
                ("raw", pa.string()),
            ]
        )
    )


def write_parquet(engine: Engine, out: IO[bytes], options: ExportOptions) -> int:
    """Parquet (``out`` is a binary file): the CSV's columns with their types — amounts
    decimal128, dates date32, ``needs_review`` boolean, ``review_reasons`` a list of strings,
    ``line_items`` a list of structs; missing values null."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise IcrError("Parquet needs pyarrow: install icr[reports]") from exc
    rows = list(_rows(engine, options, typed=True))
    if options.items:
        table = pa.table({k: _column([r[k] for r in rows]) for k in ITEM_KEYS})
        pq.write_table(table, out)
        return len(rows)
    names = sorted({name for rec in rows for name in rec["fields"]})
    columns: dict[str, Any] = {c: _column([rec[c] for rec in rows]) for c in CSV_FIXED if c != "review_reasons"}
    columns["needs_review"] = pa.array([rec["needs_review"] for rec in rows], type=pa.bool_())
    columns["review_reasons"] = pa.array([rec["review_reasons"] for rec in rows], type=pa.list_(pa.string()))
    columns = {c: columns[c] for c in CSV_FIXED}
    columns.update({n: _column([rec["fields"].get(n) for rec in rows]) for n in names})
    columns["line_items"] = pa.array([rec["line_items"] for rec in rows], type=_items_type(rows))
    if options.with_text:
        columns["text"] = pa.array([rec["text"] for rec in rows], type=pa.string())
    pq.write_table(pa.table(columns), out)
    return len(rows)


WRITERS: dict[str, Callable[[Engine, Any, ExportOptions], int]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}
BINARY_FORMATS = frozenset({"parquet"})
"""Formats written to a binary file, never to a text stream such as stdout."""
SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def format_for(fmt: str | None, output: str | Path | None) -> str:
    """The format asked for; else the one the output file's suffix names; else jsonl.

    A format that contradicts the file's suffix (``--format jsonl -o x.csv``) is an error."""
    suffix = Path(output).suffix.lower() if output else ""
    named = SUFFIXES.get(suffix)
    if fmt and named and fmt != named:
        raise InputError(f"{output}: the suffix says {named} but --format is {fmt}")
    if fmt:
        return fmt
    if output and named is None:
        raise InputError(f"{output}: cannot tell the format from '{suffix or 'no suffix'}': give --format")
    return named or "jsonl"


def write_records(
    engine: Engine, out: IO[Any], fmt: str, with_text: bool = True, options: ExportOptions | None = None
) -> int:
    """Write every record in ``fmt`` (see :data:`WRITERS`); returns how many."""
    if fmt in BINARY_FORMATS and isinstance(out, io.TextIOBase):
        raise InputError(f"{fmt} is a binary format: write it to a file (icr export --format {fmt} -o FILE)")
    return WRITERS[fmt](engine, out, options or ExportOptions(with_text=with_text))


def export_string(engine: Engine, fmt: str, with_text: bool = True, options: ExportOptions | None = None) -> str:
    buf = io.StringIO()
    write_records(engine, buf, fmt, with_text, options)
    return buf.getvalue()


PAIR_COLUMNS = (
    "id",
    "source",
    "page",
    "position",
    "kind",
    "key",
    "value",
    "typed",
    "confidence",
    "checked",
    "key_box",
    "value_box",
    "engine",
)
"""``icr export --pairs``: one row per form pair or tick box (boxes as ``x0 y0 x1 y1``)."""


def iter_pair_rows(engine: Engine) -> Iterator[dict[str, str | None]]:
    """Every stored form pair and tick box as a row of :data:`PAIR_COLUMNS`, as strings."""
    with Session(engine) as session:
        rows = session.execute(
            select(FormPairRow, Document.name, Document.source)
            .join(Document, FormPairRow.document_id == Document.id)
            .order_by(Document.id, FormPairRow.position)
        )
        for pair, name, source in rows:
            typed_text = (
                str(pair.amount)
                if pair.amount is not None
                else f"{pair.number.normalize():f}"
                if pair.number is not None
                else pair.date_value.isoformat()
                if pair.date_value
                else None
            )
            yield {
                "id": name,
                "source": source,
                "page": str(pair.page),
                "position": str(pair.position),
                "kind": pair.kind,
                "key": pair.key,
                "value": pair.value,
                "typed": typed_text,
                "confidence": None if pair.confidence is None else f"{pair.confidence:.4f}",
                "checked": None if pair.checked is None else str(pair.checked).lower(),
                "key_box": " ".join(str(v) for v in pair.key_box) if pair.key_box else None,
                "value_box": " ".join(str(v) for v in pair.value_box) if pair.value_box else None,
                "engine": pair.engine,
            }


def write_pairs(engine: Engine, out: IO[Any], fmt: str) -> int:
    """Form pairs as rows: CSV (text) or Parquet (binary ``out``); returns how many."""
    rows = list(iter_pair_rows(engine))
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(PAIR_COLUMNS)
        for row in rows:
            writer.writerow([inert(cell) if (cell := row[c]) is not None else "" for c in PAIR_COLUMNS])
    elif fmt == "parquet":
        if isinstance(out, io.TextIOBase):
            raise InputError(
                "parquet is a binary format: write it to a file (icr export --pairs --format parquet -o FILE)"
            )
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise IcrError("Parquet needs pyarrow: install icr[reports]") from exc
        table = pa.table({c: pa.array([row[c] for row in rows], type=pa.string()) for c in PAIR_COLUMNS})
        pq.write_table(table, out)
    else:
        raise InputError(f"--pairs is written as csv or parquet, not {fmt}")
    return len(rows)
