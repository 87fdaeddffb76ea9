"""Reading stored documents back as records (the stable export shape)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from icr.db.models import Document

RECORD_KEYS = ("id", "source", "sha256", "doc_type", "status", "error", "fields", "confidence", "text")
"""The jsonl record, exactly. Other tools rely on this shape: keep it stable."""

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
                .options(selectinload(Document.fields))
            ).all()
            if not docs:
                return
            for doc in docs:
                yield record(doc)
            last_id = docs[-1].id
            session.expunge_all()


def record(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.name,
        "source": doc.source,
        "sha256": doc.sha256,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "error": doc.error,
        "fields": {f.name: f.value for f in doc.fields},
        "confidence": {f.name: f.confidence for f in doc.fields},
        "text": doc.ocr_text or "",
    }


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
    writer.writerow([*CSV_FIXED, *names, *(["text"] if with_text else [])])
    for rec in records:
        writer.writerow(
            [*(rec[k] if rec[k] is not None else "" for k in CSV_FIXED)]
            + [rec["fields"].get(n) or "" for n in names]
            + ([rec["text"]] if with_text else [])
        )
    return len(records)


WRITERS = {"jsonl": write_jsonl, "csv": write_csv}


def write_records(engine: Engine, out: IO[str], fmt: str, with_text: bool = True) -> int:
    """Write every record in ``fmt`` (see :data:`WRITERS`); returns how many."""
    return WRITERS[fmt](engine, out, with_text)


def export_string(engine: Engine, fmt: str, with_text: bool = True) -> str:
    buf = io.StringIO()
    write_records(engine, buf, fmt, with_text)
    return buf.getvalue()
