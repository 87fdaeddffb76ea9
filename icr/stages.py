"""The four stage interfaces.

Each stage is a ``typing.Protocol``; implementations are registered by name
(see :mod:`icr.registry`) and chosen in ``config/icr.yaml``. Only
:mod:`icr.pipeline` knows the order in which they run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from icr.consolidate import ConsolidateOptions
from icr.duplicates import DuplicateOptions
from icr.types import CorrectedPage, DocumentResult, Extraction, OcrResult, Page


@runtime_checkable
class ImageCorrector(Protocol):
    """Stage 1: make a page easy for Tesseract to read."""

    name: str

    def correct(self, page: Page, steps: Sequence[str] | None = None) -> CorrectedPage:
        """Run the configured steps (or ``steps`` when given) on one page."""
        ...


@runtime_checkable
class Recognizer(Protocol):
    """Stage 2: read words, boxes and confidences off corrected pages."""

    name: str

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult: ...

    def close(self) -> None:
        """Release the engine (a kept-loaded model, a subprocess)."""
        ...


@runtime_checkable
class TextCorrector(Protocol):
    """Stage 3: spelling correction and field extraction."""

    name: str

    def extract(self, ocr: OcrResult) -> Extraction: ...

    def combine(self, first: Extraction, second: Extraction) -> Extraction:
        """One extraction from two readings of the same document (``first`` is the main one)."""
        ...


@runtime_checkable
class Populator(Protocol):
    """Stage 4: store results. Runs in the parent process only."""

    def known(self, sha256s: Sequence[str]) -> set[str]:
        """Which of these documents are already stored."""
        ...

    def store(self, results: Sequence[DocumentResult], *, reprocess: bool = False) -> None:
        """Write results in one transaction; re-storing a sha256 replaces it in place."""
        ...

    def forget_failures(self, sources: Sequence[str]) -> None:
        """Delete the failed documents recorded for these files (read since, and stored)."""
        ...

    def consolidate(self, options: ConsolidateOptions) -> int:
        """Respell single OCR readings of a vendor's name and address on the documents stored
        since the last consolidation (a killed run's too) after the vendor's other receipts
        (:mod:`icr.consolidate`); the number of fields changed."""
        ...

    def flag_duplicates(self, sha256s: Sequence[str], options: DuplicateOptions) -> int:
        """Flag for review each of these stored documents that repeats a purchase stored before it
        (:mod:`icr.duplicates`); how many were flagged anew."""
        ...
