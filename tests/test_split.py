"""Issue 22, item 3: a multi-page file is one document or several, decided per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pdf import text_pdf

import icr

pytestmark = pytest.mark.slow

RECEIPTS = [
    ["KEDAI MAJU JAYA", "Date: 03/01/2024", "Rice 2.50", "TOTAL 2.50"],
    ["NORTHWAY FUEL", "Date: 04/01/2024", "Diesel 40.00", "TOTAL 40.00"],
    ["GREEN VALLEY GROCER", "Date: 05/01/2024", "Apples 3.20", "TOTAL 3.20"],
]
INVOICE = [
    ["ACME SUPPLIES LTD", "INVOICE 1001", "Date: 06/01/2024", "A4 copy paper 2 x 4.50 9.00"],
    ["Stapler 1 x 12.00 12.00", "TOTAL 21.00"],
]


def _ingest(tmp_path: Path, pages: list[list[str]], split: str | None) -> list[dict[str, object]]:
    pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "batch.pdf").write_bytes(text_pdf(pages))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    overrides = {"ingest": {"split": split}} if split else None
    settings = icr.load_settings(overrides=overrides)
    summary = icr.ingest([folder], db, settings=settings, jobs=1)
    assert summary.failed == 0
    return list(icr.records(db))


def test_a_scanner_batch_of_receipts_becomes_one_record_per_receipt(tmp_path: Path) -> None:
    records = _ingest(tmp_path, RECEIPTS, "auto")
    got = [(r["source"], r["fields"]["company"], r["fields"]["total"]) for r in records]
    assert [(Path(str(s)).name, c, t) for s, c, t in got] == [
        ("batch.pdf#page=1", "KEDAI MAJU JAYA", "2.50"),
        ("batch.pdf#page=2", "NORTHWAY FUEL", "40.00"),
        ("batch.pdf#page=3", "GREEN VALLEY GROCER", "3.20"),
    ]
    assert len({r["sha256"] for r in records}) == 3
    again = _ingest(tmp_path, RECEIPTS, "auto")  # the same file again: no duplicates
    assert len(again) == 3


def test_a_multi_page_invoice_stays_one_document(tmp_path: Path) -> None:
    (record,) = _ingest(tmp_path, INVOICE, "auto")
    assert record["fields"]["total"] == "21.00" and not record["needs_review"]


def test_split_none_keeps_one_record_but_flags_mixed_pages(tmp_path: Path) -> None:
    (record,) = _ingest(tmp_path, RECEIPTS, None)  # the default: none
    assert record["needs_review"] is True
    assert any("--split" in reason for reason in record["review_reasons"])  # type: ignore[union-attr]


def test_split_pages_makes_every_page_a_document(tmp_path: Path) -> None:
    records = _ingest(tmp_path, INVOICE, "pages")
    assert [Path(str(r["source"])).name for r in records] == ["batch.pdf#page=1", "batch.pdf#page=2"]
