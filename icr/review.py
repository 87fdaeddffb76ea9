"""Review and correction: the operations behind ``icr serve`` (its pages and its JSON API).

A person confirms a document's fields or corrects one. A correction is stored as such (a
``corrections`` row keeps the value it replaced, who changed it and when), the field's source
becomes ``review``; a confirmed or corrected field is marked reviewed and no later reading
(``icr ingest --reprocess``) or consolidation overwrites it. A document stops needing review
when every reason it was flagged for names a reviewed field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import regex
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from icr.db.models import Correction, Document, Field
from icr.db.populator import DISCARDED, FIELD_NAME, review_pending
from icr.errors import InputError
from icr.text.parsers import normalize, parse_percent, parse_time

REVIEW_SOURCE = "review"
"""The source of a field a person corrected."""

_AMOUNT = regex.compile(r"\s*(?:[A-Za-z]{1,3}\$?|[$€£¥₹])?\s*(?P<n>-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)\s*")
_TIME = regex.compile(r"\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?\s*")


class InvalidValue(InputError):
    """A corrected value that is not of its field's kind ("abc" for an amount, 2019-02-30 for a date)."""


class NotFound(InputError):
    """No such document (or field)."""


@dataclass(frozen=True)
class Parsed:
    value: str | None
    amount: Decimal | None = None
    date_value: dt.date | None = None


def parse_value(name: str, text: str, field_types: Mapping[str, str]) -> Parsed:
    """A person's value for the field ``name``, checked and normalized as its kind
    (``field_types``; text when not listed). An empty value clears the field."""
    kind = field_types.get(name, "text")
    text = text.strip()
    if not text:
        return Parsed(None)
    if kind == "amount":
        m = _AMOUNT.fullmatch(text)
        try:
            amount = Decimal(m.group("n").replace(",", "")) if m else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise InvalidValue(f"{name}: {text!r} is not an amount (e.g. 12.50)")
        amount = amount.quantize(Decimal("0.01"))
        return Parsed(normalize(amount), amount=amount)
    if kind == "date":
        try:
            day = dt.date.fromisoformat(text) if regex.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidValue(f"{name}: {text!r} is not a date (YYYY-MM-DD, a day that exists)")
        return Parsed(day.isoformat(), date_value=day)
    if kind == "time":
        t = parse_time(text) if _TIME.fullmatch(text) else None
        if t is None:
            raise InvalidValue(f"{name}: {text!r} is not a time (HH:MM)")
        return Parsed(normalize(t))
    if kind == "percent":
        p = parse_percent(text if "%" in text else f"{text}%")
        if p is None:
            raise InvalidValue(f"{name}: {text!r} is not a percentage (e.g. 6 or 7.5%)")
        return Parsed(normalize(p))
    return Parsed(" ".join(text.split()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_document(session: Session, doc_id: int) -> Document:
    doc = session.get(Document, doc_id, options=[selectinload(Document.fields)])
    if doc is None:
        raise NotFound(f"no document {doc_id}")
    return doc


def correct_field(
    session: Session, doc_id: int, name: str, text: str, who: str, field_types: Mapping[str, str]
) -> Field:
    """Set the field ``name`` of a document to a person's value (creating a field the reading
    missed); a changed value is recorded in ``corrections`` with the value it replaced."""
    if not FIELD_NAME.fullmatch(name):
        raise InvalidValue(f"{name!r} is not a field name")
    parsed = parse_value(name, text, field_types)
    doc = get_document(session, doc_id)
    f = next((f for f in doc.fields if f.name == name), None)
    if f is None:
        f = Field(name=name, value=None, raw=None, confidence=None, source=None)
        doc.fields.append(f)
    now = _now()
    if parsed.value != f.value:
        session.add(
            Correction(
                document_id=doc.id,
                field=name,
                old_value=f.value,
                new_value=parsed.value,
                corrected_by=who,
                corrected_at=now,
            )
        )
        f.source = REVIEW_SOURCE
    f.value, f.amount, f.date_value = parsed.value, parsed.amount, parsed.date_value
    f.confidence = 1.0
    f.reviewed_at, f.reviewed_by = now, who
    doc.needs_review = bool(review_pending(doc))
    session.flush()
    return f


def confirm_document(session: Session, doc_id: int, who: str) -> Document:
    """Mark every field of the document as right as it stands."""
    doc = get_document(session, doc_id)
    now = _now()
    for f in doc.fields:
        if f.reviewed_at is None:
            f.reviewed_at, f.reviewed_by = now, who
    doc.needs_review = bool(review_pending(doc))
    session.flush()
    return doc


def discard_document(session: Session, doc_id: int, who: str) -> Document:
    """Set a document aside: a person found it repeats another (the change is recorded in
    ``corrections`` as its ``status``)."""
    return _set_status(session, doc_id, who, "ok", DISCARDED)


def restore_document(session: Session, doc_id: int, who: str) -> Document:
    """Take a discarded document back: it counts again, flagged as before unless settled."""
    return _set_status(session, doc_id, who, DISCARDED, "ok")


def _set_status(session: Session, doc_id: int, who: str, old: str, new: str) -> Document:
    doc = get_document(session, doc_id)
    if doc.status != old:
        raise InvalidValue(f"document {doc_id} is {doc.status}, not {old}")
    session.add(
        Correction(
            document_id=doc.id, field="status", old_value=old, new_value=new, corrected_by=who, corrected_at=_now()
        )
    )
    doc.status = new
    doc.needs_review = new == "ok" and bool(review_pending(doc))
    session.flush()
    return doc


@dataclass(frozen=True)
class QueueFilter:
    """What the review queue shows (every part optional)."""

    needs_review: bool | None = None
    status: str | None = None
    doc_type: str | None = None
    vendor: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None

    def query(self) -> Select[Any]:
        q = select(Document)
        if self.needs_review is not None:
            q = q.where(Document.needs_review == self.needs_review)
        if self.status:
            q = q.where(Document.status == self.status)
        if self.doc_type:
            q = q.where(Document.doc_type == self.doc_type)
        if self.vendor:
            company = aliased(Field)
            q = q.join(company, (company.document_id == Document.id) & (company.name == "company")).where(
                func.lower(company.value).contains(self.vendor.lower(), autoescape=True)
            )
        if self.date_from or self.date_to:
            day = aliased(Field)
            q = q.join(day, (day.document_id == Document.id) & (day.name == "date"))
            if self.date_from:
                q = q.where(day.date_value >= self.date_from)
            if self.date_to:
                q = q.where(day.date_value <= self.date_to)
        if self.text:
            needle = self.text.lower()
            q = q.where(
                or_(
                    func.lower(Document.name).contains(needle, autoescape=True),
                    func.lower(Document.ocr_text).contains(needle, autoescape=True),
                )
            )
        return q


def queue_ids(session: Session, flt: QueueFilter) -> list[int]:
    """The ids of the documents the filter selects, in the order they were stored."""
    inner = flt.query().subquery()
    return list(session.scalars(select(inner.c.id).order_by(inner.c.id)))


def list_documents(session: Session, flt: QueueFilter, limit: int = 100, offset: int = 0) -> list[Document]:
    q = flt.query().order_by(Document.id).limit(limit).offset(offset).options(selectinload(Document.fields))
    return list(session.scalars(q))


def summary(doc: Document) -> dict[str, Any]:
    """A document as the queue lists it."""
    fields = {f.name: f.value for f in doc.fields}
    return {
        "id": doc.id,
        "name": doc.name,
        "source": doc.source,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "needs_review": doc.needs_review,
        "company": fields.get("company"),
        "date": fields.get("date"),
        "total": fields.get("total"),
    }


def field_dict(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "value": f.value,
        "raw": f.raw,
        "confidence": f.confidence,
        "source": f.source,
        "page": f.page,
        "box": f.box,
        "reviewed": f.reviewed_at is not None,
        "reviewed_by": f.reviewed_by,
    }


def detail(doc: Document) -> dict[str, Any]:
    """A document with every field (value, confidence, source, page, box)."""
    return {
        **summary(doc),
        "error": doc.error,
        "pages": doc.pages,
        "review_reasons": review_pending(doc),
        "fields": {f.name: field_dict(f) for f in doc.fields},
        "text": doc.ocr_text or "",
    }


def reviewed_receipts(session: Session) -> list[tuple[Document, dict[str, Field]]]:
    """Documents whose company a person confirmed or corrected, with their fields by name:
    what :func:`icr.text.learn.learn_templates` learns vendors from (``--from-db``)."""
    company = aliased(Field)
    docs = session.scalars(
        select(Document)
        .join(company, (company.document_id == Document.id) & (company.name == "company"))
        .where(Document.status == "ok", company.reviewed_at.is_not(None), company.value.is_not(None))
        .order_by(Document.id)
        .options(selectinload(Document.fields))
    )
    return [(d, {f.name: f for f in d.fields}) for d in docs]
