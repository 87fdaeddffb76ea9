"""Training crops: the piece of the page each reviewed or doubtful field was read from.

``icr export --crops DIR`` writes one PNG per field (``DIR/<id>-<name>/<field>.png``) cut from
the page as it was read (kept in the store, :mod:`icr.store`) around the field's box, and
``DIR/labels.tsv``: the crop, the field, the value, the text as read, the confidence, and
whether a person reviewed the value (then it is a label to train on; else it is a crop to label).
"""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from icr.db.models import Document, Field
from icr.store import FileStore

MARGIN = 4
"""Pixels kept around the words' box."""

LABEL_COLUMNS = ("crop", "document", "field", "value", "raw", "confidence", "reviewed")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "document"


def export_crops(engine: Engine, store: FileStore, out_dir: Path, below: float = 0.5) -> int:
    """Write the crops of every field a person reviewed, and of every other field whose
    confidence is under ``below``; returns how many were written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    with Session(engine) as session, (out_dir / "labels.tsv").open("w", encoding="utf-8", newline="") as fh:
        labels = csv.writer(fh, delimiter="\t", lineterminator="\n")
        labels.writerow(LABEL_COLUMNS)
        rows = session.execute(
            select(Field, Document.id, Document.name, Document.sha256)
            .join(Document, Field.document_id == Document.id)
            .where(
                Field.box.is_not(None),
                Field.page.is_not(None),
                or_(Field.reviewed_at.is_not(None), Field.confidence < below),
            )
            .order_by(Document.id, Field.name)
        )
        pages: dict[tuple[str, int], Image.Image | None] = {}
        for f, doc_id, name, sha256 in rows:
            key = (sha256, f.page or 0)
            if key not in pages:
                path = store.page(sha256, f.page or 0)
                pages.clear()  # one page open at a time: the rows come document by document
                pages[key] = Image.open(path) if path is not None else None
            page = pages[key]
            if page is None or not f.box or len(f.box) != 4:
                continue
            left, top, right, bottom = (int(v) for v in f.box)
            box = (
                max(0, left - MARGIN),
                max(0, top - MARGIN),
                min(page.width, right + MARGIN),
                min(page.height, bottom + MARGIN),
            )
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            target = out_dir / f"{doc_id}-{_safe(name)}" / f"{_safe(f.name)}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.crop(box).save(target)
            labels.writerow(
                [
                    target.relative_to(out_dir).as_posix(),
                    name,
                    f.name,
                    f.value or "",
                    f.raw or "",
                    "" if f.confidence is None else f"{f.confidence:.3f}",
                    "yes" if f.reviewed_at is not None else "no",
                ]
            )
            written += 1
    return written
