"""Issue 22, item 3: a multi-page file is one document or several, decided per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from test_pdf import text_pdf

import icr
from icr.cli import main
from tests.conftest import SAMPLES, requires_tesseract

pytestmark = pytest.mark.slow

RECEIPTS = [
    ["KEDAI MAJU JAYA", "Date: 03/01/2024", "Rice 2.50", "TOTAL 2.50"],
    ["NORTHWAY FUEL", "Date: 04/01/2024", "Diesel 40.00", "TOTAL 40.00"],
    ["GREEN VALLEY GROCER", "Date: 05/01/2024", "Apples 3.20", "TOTAL 3.20"],
]
MISREAD = [RECEIPTS[0], ["NORTHWAY FUEL", "Date: 04/01/2024", "Diesel 40.00"], RECEIPTS[2]]  # no total label on page 2
INVOICE = [
    ["ACME SUPPLIES LTD", "INVOICE 1001", "Date: 06/01/2024", "A4 copy paper 2 x 4.50 9.00"],
    ["Stapler 1 x 12.00 12.00", "TOTAL 21.00"],
]

BILL = [["CITY POWER CO", "Date: 07/01/2024", "TOTAL DUE 54.20", "Usage summary"]] * 2  # its total on each page


def _ingest(tmp_path: Path, pages: list[list[str]], split: str | None) -> list[dict[str, object]]:
    pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
    folder = tmp_path / "in"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "batch.pdf").write_bytes(text_pdf(pages))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    overrides = {"ingest": {"split": split}} if split else None
    settings = icr.load_settings(overrides=overrides)
    summary = icr.ingest([folder], db, settings=settings, jobs=1)
    assert summary.failed == 0
    return list(icr.records(db))


def test_a_scanner_batch_of_receipts_becomes_one_record_per_receipt(tmp_path: Path) -> None:
    records = _ingest(tmp_path, RECEIPTS, None)  # the default: auto
    got = [(r["source"], r["fields"]["company"], r["fields"]["total"]) for r in records]
    assert [r["id"] for r in records] == ["batch#page=1", "batch#page=2", "batch#page=3"]
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
    assert record["fields"]["total"] == "21.00"
    # not taken for several receipts (whether its total is sure enough is the calibration's call)
    assert not any("--split" in reason for reason in record["review_reasons"])  # type: ignore[union-attr]


def test_a_bill_printing_its_total_on_every_page_stays_one_unflagged_document(tmp_path: Path) -> None:
    (record,) = _ingest(tmp_path, BILL, "auto")
    assert record["fields"]["total"] == "54.20"
    assert not any("--split" in reason for reason in record["review_reasons"])  # type: ignore[union-attr]


def test_split_none_keeps_one_record_but_flags_mixed_pages(tmp_path: Path) -> None:
    (record,) = _ingest(tmp_path, RECEIPTS, "none")
    assert record["needs_review"] is True
    assert any("--split" in reason for reason in record["review_reasons"])  # type: ignore[union-attr]


def test_a_batch_with_one_misread_total_is_still_split_and_that_page_flagged(tmp_path: Path) -> None:
    # Every page had to read as a whole receipt: one misread total kept the batch one document,
    # mixing the receipts' fields without a flag.
    records = _ingest(tmp_path, MISREAD, "auto")
    assert [r["fields"].get("company") for r in records] == ["KEDAI MAJU JAYA", "NORTHWAY FUEL", "GREEN VALLEY GROCER"]
    totals = [[x for x in r["review_reasons"] if str(x).startswith("total")] for r in records]  # type: ignore[union-attr]
    assert [bool(t) for t in totals] == [False, True, False]  # the misread page is flagged by its total
    (whole,) = _ingest(tmp_path / "none", MISREAD, "none")
    assert any("2 of 3 pages print a total" in reason for reason in whole["review_reasons"])  # type: ignore[union-attr]


def test_split_pages_makes_every_page_a_document(tmp_path: Path) -> None:
    records = _ingest(tmp_path, INVOICE, "pages")
    assert [Path(str(r["source"])).name for r in records] == ["batch.pdf#page=1", "batch.pdf#page=2"]


def test_a_tiff_of_three_scanned_receipts_is_three_records_by_default_and_flagged_with_none(tmp_path: Path) -> None:
    # The case: one record held page 1's company and page 3's total. Real OCR (Tesseract).
    requires_tesseract()
    names = ["kedai-maju-jaya", "northway-fuel", "green-valley-grocer"]
    pages = [Image.open(SAMPLES / f"{name}.png").convert("L") for name in names]
    (tmp_path / "in").mkdir()
    pages[0].save(tmp_path / "in" / "scan.tif", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    runner = CliRunner()
    found = {}
    for split in ("auto", "none"):
        db = f"sqlite:///{tmp_path / split}.db"
        args = ["ingest", str(tmp_path / "in"), "--db", db, "-q", "-j", "1", "--profile", "fast"]
        res = runner.invoke(main, [*args, "--split", "none"] if split == "none" else args)  # auto: the default
        assert res.exit_code == 0, res.output
        res = runner.invoke(main, ["export", "--db", db, "--no-text"])
        found[split] = [json.loads(line) for line in res.stdout.splitlines()]
    want = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in names]
    assert [(r["id"], r["fields"].get("total")) for r in found["auto"]] == [
        (f"scan#page={i}", w["total"]) for i, w in enumerate(want, 1)
    ]
    assert [r["fields"].get("company", "").upper()[:10] for r in found["auto"]] == [w["company"][:10] for w in want]
    (whole,) = found["none"]
    assert whole["needs_review"] and any("--split" in reason for reason in whole["review_reasons"])
