"""Reading stored documents back as records (the stable export shape)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from icr.cells import inert
from icr.db.models import Document, FormPairRow
from icr.errors import IcrError, InputError
from icr.text.parsers import mask_card_numbers

RECORD_KEYS = ("id", "source", "sha256", "doc_type", "status", "error", "fields", "confidence", "text")
"""The jsonl record, exactly. Other tools rely on this shape: keep it stable. A document of kind
``form`` has one key more, ``form`` (see :func:`form_record`)."""

FORM_KIND = "form"

CSV_FIXED = ("id", "source", "sha256", "doc_type", "status", "error")


def iter_records(engine: Engine, chunk: int = 500) -> Iterator[dict[str, Any]]:
    """One record per stored document, in the order they were first stored."""
    last_id = 0
    with Session(engine) as session:
        while True:
            docs = session.scalars(
                select(Document)
                .where(Document.id > last_id)
                .order_by(Document.id)
                .limit(chunk)
                .options(selectinload(Document.fields), selectinload(Document.pairs))
            ).all()
            if not docs:
                return
            for doc in docs:
                yield record(doc)
            last_id = docs[-1].id
            session.expunge_all()


def record(doc: Document) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": doc.name,
        "source": doc.source,
        "sha256": doc.sha256,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "error": doc.error,
        "fields": {f.name: f.value for f in doc.fields},
        "confidence": {f.name: f.confidence for f in doc.fields},
        "text": mask_card_numbers(doc.ocr_text or ""),  # stored masked; again for rows stored before
    }
    if doc.doc_type == FORM_KIND:
        rec["form"] = form_record(doc.pairs)
    return rec


def form_record(rows: Iterable[FormPairRow]) -> dict[str, list[dict[str, Any]]]:
    """``{"pairs": [{"key", "value", "confidence", "page", "key_box", "value_box"}],
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
                }
            )
    return {"pairs": pairs, "checkboxes": boxes}


def write_jsonl(engine: Engine, out: IO[str], with_text: bool = True) -> int:
    n = 0
    for rec in iter_records(engine):
        if not with_text:
            del rec["text"]
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(engine: Engine, out: IO[str], with_text: bool = True) -> int:
    """CSV: the fixed columns, one column per field name, and the OCR text last."""
    records = list(iter_records(engine))
    names = sorted({name for rec in records for name in rec["fields"]})
    writer = csv.writer(out)
    writer.writerow([inert(str(name)) for name in (*CSV_FIXED, *names, *(["text"] if with_text else []))])
    for rec in records:
        row = (
            [*(rec[k] if rec[k] is not None else "" for k in CSV_FIXED)]
            + [rec["fields"].get(n) or "" for n in names]
            + ([rec["text"]] if with_text else [])
        )
        writer.writerow([inert(cell) if isinstance(cell, str) else cell for cell in row])
    return len(records)


def write_parquet(engine: Engine, out: IO[bytes], with_text: bool = True) -> int:
    """Parquet (``out`` is a binary file): the CSV's columns as strings, missing values null."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise IcrError("Parquet needs pyarrow: install icr[reports]") from exc
    records = list(iter_records(engine))
    names = sorted({name for rec in records for name in rec["fields"]})
    columns: dict[str, list[str | None]] = {c: [rec[c] for rec in records] for c in CSV_FIXED}
    columns.update({n: [rec["fields"].get(n) for rec in records] for n in names})
    if with_text:
        columns["text"] = [rec["text"] for rec in records]
    pq.write_table(pa.table({c: pa.array(v, type=pa.string()) for c, v in columns.items()}), out)
    return len(records)


WRITERS: dict[str, Callable[[Engine, Any, bool], int]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}
BINARY_FORMATS = frozenset({"parquet"})
"""Formats written to a binary file, never to a text stream such as stdout."""


def write_records(engine: Engine, out: IO[Any], fmt: str, with_text: bool = True) -> int:
    """Write every record in ``fmt`` (see :data:`WRITERS`); returns how many."""
    if fmt in BINARY_FORMATS and isinstance(out, io.TextIOBase):
        raise InputError(f"{fmt} is a binary format: write it to a file (icr export --format {fmt} -o FILE)")
    return WRITERS[fmt](engine, out, with_text)


def export_string(engine: Engine, fmt: str, with_text: bool = True) -> str:
    buf = io.StringIO()
    write_records(engine, buf, fmt, with_text)
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
