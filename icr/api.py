"""The public Python API: read one file, ingest many, read records back.

``icr.read(path)`` runs the pipeline on one file in this process and returns a
:class:`Document` (no database); ``icr.ingest(paths, db)`` is what ``icr ingest`` does.
Worker processes start with the ``forkserver`` method, so a script that calls
``icr.ingest`` must guard its entry point with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from icr.config import Settings, default_profile
from icr.config import load_settings as _load
from icr.errors import DocumentError, InputError
from icr.pipeline import IngestSummary
from icr.types import DocumentResult, LineItem, TypedValue


@dataclass(frozen=True)
class Document:
    """One document as icr read it: typed fields (``Decimal`` amounts, ``datetime.date``
    dates), their confidences, line items, review flags and the text."""

    source: str
    sha256: str
    doc_type: str
    fields: dict[str, TypedValue]
    confidence: dict[str, float] = field(default_factory=dict)
    line_items: list[LineItem] = field(default_factory=list)
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)
    template: str | None = None
    text: str = ""
    pages: int = 0

    @classmethod
    def from_result(cls, result: DocumentResult) -> Document:
        if not result.ok or result.extraction is None:
            raise DocumentError(result.source, (result.error or "could not be read").removeprefix(f"{result.source}: "))
        ex = result.extraction
        return cls(
            source=result.source,
            sha256=result.sha256,
            doc_type=ex.doc_type,
            fields={name: f.typed if f.typed is not None else f.value for name, f in ex.fields.items()},
            confidence={name: f.confidence for name, f in ex.fields.items()},
            line_items=list(ex.line_items),
            needs_review=ex.needs_review,
            review_reasons=list(ex.review_reasons),
            template=ex.template,
            text=result.ocr.text if result.ocr is not None else "",
            pages=result.pages,
        )


def load_settings(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None, *, profile: str | None = None
) -> Settings:
    """The settings ``icr ingest --config path --profile profile`` runs with: the shipped defaults, the
    profile (None: ``$ICR_PROFILE``, else ``accurate``), ``path`` (or ``$ICR_CONFIG``), then ``overrides``;
    validated."""
    return _load(path, overrides, profile=profile or default_profile())


def _settings(settings: Settings | str | Path | None) -> Settings:
    if isinstance(settings, Settings):
        return settings
    return load_settings(settings)


def read(path: str | Path, settings: Settings | str | Path | None = None) -> Document:
    """Read one image or PDF in this process, without a database.

    ``settings``: a :class:`Settings`, a config file to merge over the defaults, or None.
    Raises :class:`~icr.errors.DocumentError` when the file cannot be read."""
    from icr.pipeline import Task, build_stages, file_sha256, process_document

    source = Path(path)
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    result = process_document(Task(str(source), file_sha256(source)), build_stages(_settings(settings)))
    return Document.from_result(result)


def ingest(
    paths: Iterable[str | Path],
    db: str | None = None,
    *,
    settings: Settings | str | Path | None = None,
    jobs: int = 0,
    reprocess: bool = False,
) -> IngestSummary:
    """Read files and folders into the database ``db`` (a SQLAlchemy URL; default
    ``$ICR_DATABASE_URL``, else ``sqlite:///icr.db``), as ``icr ingest`` does."""
    from icr.consolidate import options_from
    from icr.db.database import open_engine, upgrade
    from icr.db.populator import SqlPopulator
    from icr.duplicates import options_from as duplicate_options
    from icr.executor import make_executor
    from icr.pipeline import ingest as run

    config = _settings(settings)
    engine = open_engine(db)
    upgrade(engine)
    executor = make_executor(config, jobs)
    try:
        return run(
            [str(p) for p in paths],
            SqlPopulator(engine),
            executor,
            reprocess=reprocess,
            batch_size=config.config.ingest.batch_size,
            consolidate=options_from(config.section("consolidate")),
            duplicates=duplicate_options(config.section("duplicates")),
        )
    finally:
        executor.close()
        engine.dispose()


def records(db: str | None = None) -> Iterator[dict[str, Any]]:
    """The stored documents as export records (the ``icr export`` jsonl shape)."""
    from icr.db.database import open_existing
    from icr.export import iter_records

    engine = open_existing(db)
    try:
        yield from iter_records(engine)
    finally:
        engine.dispose()
