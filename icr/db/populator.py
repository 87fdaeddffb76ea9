"""Stage 4: the SQLAlchemy populator. Only the parent process writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import regex
from sqlalchemy import Engine, Numeric, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from icr.consolidate import READ_SOURCES, ConsolidateOptions, respellings
from icr.consolidate import SOURCE as CONSENSUS
from icr.db.models import AMOUNT, NUMBER, QUANTITY, Correction, Document, Field, FormPairRow, LineItemRow
from icr.duplicates import REASON as DUPLICATE
from icr.duplicates import DuplicateOptions, duplicates
from icr.duplicates import reason as duplicate_reason
from icr.errors import DatabaseError
from icr.files import storable
from icr.text.lines import TEXT_LAYER_CONFIDENCE
from icr.text.parsers import mask_card_numbers
from icr.types import Checkbox, DocumentResult, FormData, FormPair

_T = TypeVar("_T")

DISCARDED = "discarded"
"""The status of a document a person set aside (:func:`icr.review.discard_document`)."""
KEPT = ("ok", DISCARDED)
"""Statuses of a document ingest does not read again unless told to (a discarded one, never)."""


class SqlPopulator:
    """Writes :class:`DocumentResult` objects, one transaction per batch.

    A document is identified by its sha256: storing one that is already there
    replaces it in place when ``reprocess`` is true (or when the stored one had
    failed), and otherwise leaves it alone. Never a duplicate row.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def known(self, sha256s: Sequence[str]) -> set[str]:
        """The sha256s among these whose document is stored with status ok (or set aside by a
        person: never read again)."""
        found: set[str] = set()
        unique = list(dict.fromkeys(sha256s))
        with Session(self.engine) as session:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                rows = session.scalars(
                    select(Document.sha256).where(Document.sha256.in_(chunk), Document.status.in_(KEPT))
                )
                found.update(rows)
        return found

    def store(self, results: Sequence[DocumentResult], *, reprocess: bool = False) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                for result in results:
                    self._store_one(session, result, reprocess)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot write to the database: {exc}") from exc

    def forget_failures(self, sources: Sequence[str]) -> None:
        """Delete the failed documents recorded for these files (one document per file: each was
        read since, and its bytes are stored already)."""
        unique = list(dict.fromkeys(storable(s) for s in sources))
        try:
            with Session(self.engine) as session, session.begin():
                for start in range(0, len(unique), 500):
                    chunk = unique[start : start + 500]
                    stale = session.scalars(
                        select(Document.id).where(Document.source.in_(chunk), Document.status == "failed")
                    ).all()
                    _delete_documents(session, stale)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot write to the database: {exc}") from exc

    def _store_one(self, session: Session, result: DocumentResult, reprocess: bool) -> None:
        # One document per file: a failure recorded for this file under another id (unreadable
        # then, or other bytes since) is replaced by this later outcome, whatever it is; so is
        # one recorded for a folder above it that could not be listed (it was, to find this file).
        source = storable(result.source)
        stale = session.scalars(
            select(Document.id).where(
                Document.source.in_([source, *(str(p) for p in Path(source).parents)]),
                Document.status == "failed",
                Document.sha256 != result.sha256,
            )
        ).all()
        _delete_documents(session, stale)
        existing = session.scalar(select(Document).where(Document.sha256 == result.sha256))
        if existing is not None:
            if (existing.status == "ok" and not reprocess) or existing.status == DISCARDED:
                return  # a document a person set aside stays aside, read again or not
            # A person's review outlives any reading: keep those fields as they are.
            reviewed = [_detached(f) for f in existing.fields if f.reviewed_at is not None]
            # Delete the old children first: the unit of work would insert before deleting.
            session.execute(delete(Field).where(Field.document_id == existing.id))
            session.execute(delete(LineItemRow).where(LineItemRow.document_id == existing.id))
            session.execute(delete(FormPairRow).where(FormPairRow.document_id == existing.id))
            session.expire(existing, ["fields", "line_items", "pairs"])
            _fill(existing, result, reviewed)
            session.flush()
            return
        # Another writer (a second ingest process) may insert the same document at the same
        # moment: a savepoint lets the unique constraint decide, and the loser leaves it be.
        try:
            with session.begin_nested():
                doc = Document(sha256=result.sha256)
                _fill(doc, result)
                session.add(doc)
        except IntegrityError:
            return

    def consolidate(self, options: ConsolidateOptions) -> int:
        """Respell single OCR readings of a company or address on the documents not consolidated
        yet after their vendor's other receipts in the database (:mod:`icr.consolidate`), in one
        transaction; the number of fields changed. Other documents only lend their spellings.
        Each document is looked at once, after it is stored, by the first consolidation to come:
        one a killed run never reached is the next run's, so an interruption changes nothing."""
        changed = 0
        try:
            with Session(self.engine) as session, session.begin():
                pending = session.execute(
                    select(Document.id, Document.sha256).where(
                        Document.status == "ok", Document.consolidated.is_(False)
                    )
                ).all()
                if not pending:
                    return 0
                wanted = {sha256 for _, sha256 in pending}
                rows = session.execute(
                    select(Field, Document.ocr_confidence, Document.sha256)
                    .join(Document, Field.document_id == Document.id)
                    .where(Document.status == "ok", Field.name.in_(options.fields), Field.value.is_not(None))
                ).all()
                by_doc: dict[int, dict[str, Field]] = {}
                lend_only: set[int] = set()
                for f, confidence, sha256 in rows:
                    by_doc.setdefault(f.document_id, {})[f.name] = f
                    if sha256 not in wanted or (confidence is not None and confidence >= TEXT_LAYER_CONFIDENCE):
                        lend_only.add(f.document_id)  # lends its spelling, keeps its own
                for name in options.fields:
                    fields = {d: fs[name] for d, fs in by_doc.items() if name in fs}
                    fixed = {d for d, f in fields.items() if f.source not in READ_SOURCES or d in lend_only}
                    others = [o for o in options.fields if o != name]
                    identity = {d: [(fs[o].value or "") if o in fs else "" for o in others] for d, fs in by_doc.items()}
                    values = {d: f.value or "" for d, f in fields.items()}
                    new = respellings(values, options, fixed=fixed, identity=identity)
                    for d, value in new.items():
                        fields[d].value = value
                        fields[d].source = CONSENSUS
                    changed += len(new)
                ids = [i for i, _ in pending]
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    session.execute(update(Document).where(Document.id.in_(chunk)).values(consolidated=True))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot write to the database: {exc}") from exc
        return changed

    def flag_duplicates(self, sha256s: Sequence[str], options: DuplicateOptions) -> int:
        """Flag for review each of these documents that repeats a purchase stored before it
        (:mod:`icr.duplicates`), in one transaction; how many were flagged anew."""
        names = ("total", "date", *options.identify_by, *options.distinct_by)
        flagged = 0
        try:
            with Session(self.engine) as session, session.begin():
                ids: list[int] = []
                for chunk in _chunks(list(dict.fromkeys(sha256s))):
                    ids += session.scalars(
                        select(Document.id).where(Document.sha256.in_(chunk), Document.status == "ok")
                    ).all()
                new = _records(session, ids, names)
                totals: set[Decimal] = set()
                for some in _chunks(ids):
                    totals.update(
                        session.scalars(
                            select(Field.amount).where(
                                Field.document_id.in_(some), Field.name == "total", Field.amount.is_not(None)
                            )
                        )
                    )
                alike: list[int] = []
                for amounts in _chunks(sorted(totals)):
                    alike += session.scalars(
                        select(Field.document_id)
                        .join(Document, Field.document_id == Document.id)
                        .where(Field.name == "total", Field.amount.in_(amounts), Document.status == "ok")
                    ).all()
                found = duplicates(new, _records(session, alike, names), options)
                for doc_id, first in sorted(found.items()):
                    doc, earlier = session.get(Document, doc_id), session.get(Document, first)
                    if doc is None or earlier is None:
                        continue
                    reasons = [r.strip() for r in (doc.review_reasons or "").split(";") if r.strip()]
                    if any(r.startswith(DUPLICATE) for r in reasons):
                        continue  # flagged by an earlier run
                    reasons.append(duplicate_reason(earlier.name))
                    doc.review_reasons = _text("; ".join(reasons))
                    doc.needs_review = bool(review_pending(doc))
                    flagged += 1
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot write to the database: {exc}") from exc
        return flagged


def _chunks(items: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    """``items`` in slices of ``size`` (an IN list of a query stays within every database's limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _records(session: Session, ids: Sequence[int], names: Sequence[str]) -> dict[int, dict[str, str]]:
    """The values of the fields ``names`` of the documents ``ids``, by document."""
    records: dict[int, dict[str, str]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        rows = session.execute(
            select(Field.document_id, Field.name, Field.value).where(
                Field.document_id.in_(chunk), Field.name.in_(names), Field.value.is_not(None)
            )
        )
        for doc_id, name, value in rows:
            records.setdefault(doc_id, {})[name] = value or ""
    return records


REVIEWED_COLUMNS = ("name", "value", "amount", "date_value", "raw", "confidence", "source", "page", "box",
                    "reviewed_at", "reviewed_by")


def _detached(f: Field) -> Field:
    return Field(**{c: getattr(f, c) for c in REVIEWED_COLUMNS})


FIELD_NAME = regex.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a field's name looks like (a reason about a field names it first)."""


def review_pending(doc: Document) -> list[str]:
    """The reasons to review ``doc`` that its reviewed fields have not settled. A reason about a
    field names it first ("total: low confidence 0.41") and is settled when a person has reviewed
    that field; one about the whole document ("side by side: 2 columns ... may hold two") when a
    person has reviewed every field it has (confirmed it as it stands)."""
    reviewed = {f.name for f in doc.fields if f.reviewed_at is not None}
    confirmed = bool(doc.fields) and len(reviewed) == len({f.name for f in doc.fields})
    reasons = [r.strip() for r in (doc.review_reasons or "").split(";") if r.strip()]

    def settled(reason: str) -> bool:
        subject = reason.split(":", 1)[0].strip()
        return subject in reviewed if FIELD_NAME.fullmatch(subject) else confirmed

    return [r for r in reasons if not settled(r)]


def _delete_documents(session: Session, ids: Sequence[int]) -> None:
    if ids:  # children first: SQLite enforces no ON DELETE CASCADE unless told to
        for child in (Field, LineItemRow, FormPairRow, Correction):
            session.execute(delete(child).where(child.document_id.in_(ids)))
        session.execute(delete(Document).where(Document.id.in_(ids)))


def _text(text: str | None) -> str | None:
    """Text as stored: card numbers masked (raw OCR and text layers carry them as printed), and
    what no database can hold (a file name's stray bytes, NUL) escaped (:func:`storable`)."""
    return storable(mask_card_numbers(text)) if text else text


def _fill(doc: Document, result: DocumentResult, reviewed: Sequence[Field] = ()) -> None:
    # Every text column goes through storable: a file name or a PDF's text layer may hold what
    # no database can store, and one such document must not abort its batch.
    doc.source = storable(result.source)
    path, mark, page = doc.source.rpartition("#page=")
    # a page of a file split into documents (ingest --split), or a receipt beside others on a page,
    # is named by its page (and part) too
    split = bool(mark) and regex.fullmatch(r"\d+(?:&part=\d+)?", page) is not None
    doc.name = (f"{Path(path).stem}#page={page}" if split else Path(doc.source).stem)[:255]
    doc.status = result.status
    doc.consolidated = False  # (re)stored: the next consolidation looks at it
    doc.error = storable(result.error) if result.error else result.error
    doc.pages = result.pages
    doc.timings = {k: round(v, 6) for k, v in result.timings.items()}
    doc.ocr_text = _text(result.ocr.text) if result.ocr else None
    doc.ocr_engine = result.ocr.engine if result.ocr else None
    doc.ocr_confidence = round(result.ocr.mean_confidence, 4) if result.ocr else None
    ex = result.extraction
    doc.doc_type = ex.doc_type if ex else None
    doc.template = ex.template if ex else None
    doc.template_score = ex.template_score if ex else None
    doc.corrected_text = _text(ex.corrected_text) if ex else None
    if ex is None:
        doc.needs_review, doc.review_reasons = False, None
        doc.fields.extend(reviewed)
        return
    kept = {f.name for f in reviewed}
    reasons = list(ex.review_reasons)

    def number(value: Decimal | None, column: Numeric, what: str) -> Decimal | None:
        """``value`` if its NUMERIC column can hold it; else None and a review reason, so an
        amount read as 10^12 is an error on this document's field, not a failed batch."""
        if value is None or _fits(value, column):
            return value
        reasons.append(f"{what}: {value} is out of range (NUMERIC({column.precision},{column.scale}))")
        return None

    for fv in ex.fields.values():
        if fv.name in kept:
            continue
        typed = fv.typed
        doc.fields.append(
            Field(
                name=fv.name,
                value=_text(fv.value),
                amount=number(typed, AMOUNT, fv.name) if isinstance(typed, Decimal) else None,
                date_value=typed if isinstance(typed, dt.date) and not isinstance(typed, dt.datetime) else None,
                raw=_text(fv.raw),
                confidence=round(float(fv.confidence), 4),
                source=fv.source[:32] if fv.source else None,
                page=fv.page or None,
                box=list(fv.box) if fv.box is not None else None,
                margin=fv.margin,
            )
        )
    doc.fields.extend(reviewed)
    for position, item in enumerate(ex.line_items, start=1):
        what = f"line item {position}"
        doc.line_items.append(
            LineItemRow(
                position=position,
                description=_text(item.description) or "",
                quantity=number(item.quantity, QUANTITY, f"{what} quantity"),
                unit_price=number(item.unit_price, AMOUNT, f"{what} unit price"),
                amount=number(item.amount, AMOUNT, f"{what} amount"),
                raw=_text(item.raw),
            )
        )
    doc.needs_review = bool(ex.needs_review) or len(reasons) > len(ex.review_reasons)
    doc.review_reasons = _text("; ".join(reasons)) if reasons else None
    if reviewed:
        doc.needs_review = bool(review_pending(doc))
    if result.form is not None:
        doc.pairs.extend(form_rows(result.form))


CHECKBOX_VALUES = {True: "ticked", False: "unticked", None: "unsure"}


def form_rows(form: FormData) -> list[FormPairRow]:
    """A form's pairs, then its tick boxes, as rows of ``form_pairs`` in reading order."""
    rows = [_pair_row(pair) for pair in form.pairs] + [_checkbox_row(box) for box in form.checkboxes]
    for position, row in enumerate(rows, start=1):
        row.position = position
    return rows


def _pair_row(pair: FormPair) -> FormPairRow:
    typed = pair.typed
    is_date = isinstance(typed, dt.date) and not isinstance(typed, dt.datetime)
    return FormPairRow(
        kind=pair.kind[:16],
        key=_text(pair.key) or "",
        value=_text(pair.value),
        # a number its column cannot hold stays as read, in value only (see _fill)
        number=typed if isinstance(typed, Decimal) and pair.kind == "number" and _fits(typed, NUMBER) else None,
        amount=typed if isinstance(typed, Decimal) and pair.kind == "amount" and _fits(typed, AMOUNT) else None,
        date_value=typed if is_date else None,
        checked=typed if isinstance(typed, bool) else None,
        confidence=round(float(pair.confidence), 4),
        page=pair.page,
        key_box=list(pair.key_box) if pair.key_box else None,
        value_box=list(pair.value_box) if pair.value_box else None,
        engine=pair.engine[:32] or None,
    )


def _checkbox_row(box: Checkbox) -> FormPairRow:
    return FormPairRow(
        kind="checkbox",
        key=_text(box.label) or "",
        value=CHECKBOX_VALUES[box.checked],
        checked=box.checked,
        confidence=round(float(box.confidence), 4),
        page=box.page,
        value_box=list(box.box),
    )


def _fits(value: Decimal, column: Numeric) -> bool:
    """Whether NUMERIC(precision, scale) holds ``value`` once rounded to its scale (PostgreSQL
    refuses it otherwise, and SQLite would store what PostgreSQL refuses)."""
    precision, scale = column.precision or 0, column.scale or 0
    limit = Decimal(10) ** (precision - scale)
    if not value.is_finite() or abs(value) >= limit:
        return False
    return abs(value.quantize(Decimal(1).scaleb(-scale))) < limit


class MemoryPopulator:
    """The fake populator: keeps results in a dict by sha256 (for tests)."""

    def __init__(self) -> None:
        self.documents: dict[str, DocumentResult] = {}
        self.pending: set[str] = set()
        """Stored and not consolidated yet (``documents.consolidated`` false)."""

    def known(self, sha256s: Sequence[str]) -> set[str]:
        return {s for s in sha256s if s in self.documents and self.documents[s].ok}

    def store(self, results: Sequence[DocumentResult], *, reprocess: bool = False) -> None:
        for r in results:
            replaced = {r.source, *(str(p) for p in Path(r.source).parents)}
            for sha, stale in list(self.documents.items()):
                if stale.source in replaced and not stale.ok and sha != r.sha256:
                    del self.documents[sha]  # one document per file, as SqlPopulator
            old = self.documents.get(r.sha256)
            if old is None or reprocess or not old.ok:
                self.documents[r.sha256] = r
                self.pending.add(r.sha256)

    def forget_failures(self, sources: Sequence[str]) -> None:
        gone = set(sources)
        for sha, stale in list(self.documents.items()):
            if stale.source in gone and not stale.ok:
                del self.documents[sha]

    def consolidate(self, options: ConsolidateOptions) -> int:
        changed = 0
        wanted, self.pending = self.pending, set()
        docs = [r for r in self.documents.values() if r.ok and r.extraction is not None]
        done = [r.extraction for r in docs if r.extraction is not None]
        typed = {
            i for i, r in enumerate(docs) if r.ocr is not None and r.ocr.mean_confidence >= TEXT_LAYER_CONFIDENCE
        }
        for name in options.fields:
            values = {i: ex.fields[name] for i, ex in enumerate(done) if name in ex.fields}
            fixed = {
                i
                for i, fv in values.items()
                if fv.source not in READ_SOURCES or docs[i].sha256 not in wanted or i in typed
            }
            others = [o for o in options.fields if o != name]
            identity = {i: [ex.fields[o].value if o in ex.fields else "" for o in others] for i, ex in enumerate(done)}
            new = respellings({i: fv.value for i, fv in values.items()}, options, fixed=fixed, identity=identity)
            for i, value in new.items():
                done[i].fields[name] = replace(values[i], value=value, typed=value, source=CONSENSUS)
            changed += len(new)
        return changed

    def flag_duplicates(self, sha256s: Sequence[str], options: DuplicateOptions) -> int:
        order = {sha: i for i, sha in enumerate(self.documents)}  # stored first, first
        records = {
            order[sha]: {name: fv.value for name, fv in r.extraction.fields.items()}
            for sha, r in self.documents.items()
            if r.ok and r.extraction is not None
        }
        new = {order[s]: records[order[s]] for s in sha256s if s in order and order[s] in records}
        shas = list(self.documents)
        flagged = 0
        for i, first in duplicates(new, records, options).items():
            result = self.documents[shas[i]]
            ex = result.extraction
            if ex is None or any(r.startswith(DUPLICATE) for r in ex.review_reasons):
                continue
            reason = duplicate_reason(Path(self.documents[shas[first]].source).stem)
            extraction = replace(ex, needs_review=True, review_reasons=[*ex.review_reasons, reason])
            self.documents[shas[i]] = replace(result, extraction=extraction)
            flagged += 1
        return flagged
