"""Purchases stored twice (icr/duplicates.py): the same receipt ingested again from other bytes is
flagged for review, naming the earlier one; two purchases alike are not."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from icr.cli import main
from icr.db.database import open_engine, upgrade
from icr.db.models import Document
from icr.db.populator import MemoryPopulator, SqlPopulator, review_pending
from icr.duplicates import DuplicateOptions, duplicates, options_from, same_purchase
from icr.pipeline import ingest
from icr.review import confirm_document
from icr.types import DocumentResult, Extraction, FieldValue, OcrPage, OcrResult
from tests.conftest import SAMPLES, Replay, requires_tesseract

OPTIONS = DuplicateOptions()
COFFEE = {"total": "4.50", "date": "2024-03-01", "company": "KEDAI MAJU JAYA SDN BHD", "time": "09:15"}


def test_the_same_total_and_date_read_alike_on_more_than_otherwise_are_one_purchase() -> None:
    assert same_purchase(COFFEE, {**COFFEE, "company": "KEDAI MAJU JAYA SDN BHO"}, OPTIONS)  # a letter misread
    assert same_purchase(COFFEE, {k: v for k, v in COFFEE.items() if k != "time"}, OPTIONS)  # time unread
    assert same_purchase(COFFEE, {**COFFEE, "receipt_number": "A1"}, OPTIONS)  # read on one of them only
    assert same_purchase(COFFEE, {**COFFEE, "company": "SDN BHD KEDAI MAJU JAYA"}, OPTIONS)  # words reordered
    assert not same_purchase(COFFEE, {**COFFEE, "time": "15:40"}, OPTIONS)  # a second coffee that day
    assert not same_purchase(COFFEE, {**COFFEE, "company": "NORTHWAY FUEL"}, OPTIONS)
    assert not same_purchase(COFFEE, {**COFFEE, "date": "2024-03-02"}, OPTIONS)
    assert not same_purchase(COFFEE, {**COFFEE, "total": "4.60"}, OPTIONS)
    assert not same_purchase({**COFFEE, "currency": "MYR"}, {**COFFEE, "currency": "SGD"}, OPTIONS)
    # a receipt number misread by a digit agrees; the company garbled on one copy is outvoted
    numbered = {**COFFEE, "receipt_number": "CSP0393921"}
    again = {**numbered, "receipt_number": "CSP0383921", "company": "3180404 elaff ref"}
    assert same_purchase(numbered, again, OPTIONS)
    assert not same_purchase(numbered, {**again, "receipt_number": "CSP0400117"}, OPTIONS)
    # the date unread on one copy: two fields or more must be read alike, none otherwise
    undated = {k: v for k, v in COFFEE.items() if k != "date"}
    assert same_purchase(COFFEE, undated, OPTIONS)  # its company and time
    assert not same_purchase({k: v for k, v in COFFEE.items() if k != "time"}, undated, OPTIONS)  # its company
    # a copy whose cues went unread: its day and month swapped, its "PM" lost (2019-02-09 17:30)
    burger = {"total": "34.21", "date": "2019-02-09", "company": "DOUGLAS BURGERS #15", "time": "17:30"}
    dark = {"total": "34.21", "date": "2019-09-02", "time": "05:30"}
    assert same_purchase(burger, dark, OPTIONS)
    assert not same_purchase(burger, {**dark, "date": "2019-09-03"}, OPTIONS)  # no swap of 2019-02-09
    assert not same_purchase(burger, {**dark, "time": "06:30"}, OPTIONS)  # another hour
    # too little to tell two purchases apart: nothing read on both but the total and date
    assert not same_purchase({"total": "4.50", "date": "2024-03-01"}, COFFEE, OPTIONS)
    # the shop's telephone number (E.164) speaks for a copy whose name the photo garbled, and against
    # another shop's purchase of one price that day
    dialled = {"total": "37.60", "date": "2017-12-28", "company": "BREWERY RESTAURANT", "time": "19:06",
               "phone": "+15414824677"}  # fmt: skip
    assert same_purchase(dialled, {**dialled, "company": "Q RESTAURANT"}, OPTIONS)
    assert not same_purchase(dialled, {**dialled, "company": "Q RESTAURANT", "phone": "+15414880000"}, OPTIONS)


def test_each_copy_names_the_earliest_purchase_and_the_first_stays_unflagged() -> None:
    stored = {1: COFFEE, 2: {**COFFEE, "total": "9.00"}}
    new = {3: COFFEE, 4: COFFEE, 5: {**COFFEE, "time": "18:00"}}
    assert duplicates(new, stored, OPTIONS) == {3: 1, 4: 1}
    # two copies in one batch: the second repeats the first
    assert duplicates({7: COFFEE, 8: COFFEE}, {}, OPTIONS) == {8: 7}


def test_options_from_the_config_section() -> None:
    assert options_from({"enabled": False}) is None
    opts = options_from({"enabled": True, "similarity": 90, "identify_by": ["company"], "distinct_by": ["time"]})
    assert opts == DuplicateOptions(similarity=90.0, identify_by=("company",), distinct_by=("time",))


def _result(stem: str, record: dict[str, str]) -> DocumentResult:
    typed = {name: Decimal(value) if name == "total" else value for name, value in record.items()}
    fields = {name: FieldValue(name, value, typed[name], value, 0.9, "keyword") for name, value in record.items()}
    ocr = OcrResult([OcrPage(" ".join(record.values()), [])], engine="fake")
    sha = stem.encode().hex().ljust(64, "0")
    return DocumentResult(f"/x/{stem}.png", sha, "ok", ocr=ocr, extraction=Extraction(fields), pages=1)


def test_the_database_flags_a_purchase_stored_again_once(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    pop = SqlPopulator(engine)
    first, other = _result("scan", COFFEE), _result("other", {**COFFEE, "time": "15:40"})
    pop.store([first, other])
    assert pop.flag_duplicates([first.sha256, other.sha256], OPTIONS) == 0
    photo = _result("photo", {**COFFEE, "company": "KEDAI MAJU JAYA SDN BHO"})
    pop.store([photo])
    assert pop.flag_duplicates([photo.sha256], OPTIONS) == 1
    assert pop.flag_duplicates([photo.sha256], OPTIONS) == 0  # flagged once, not again
    with Session(engine) as s, s.begin():
        docs = {d.name: d for d in s.scalars(select(Document))}
        assert not docs["scan"].needs_review and not docs["other"].needs_review
        photo_doc = docs["photo"]
        assert photo_doc.needs_review and review_pending(photo_doc) == [
            "possible duplicate: the same total and date as scan, read alike (stored twice?)"
        ]
        confirm_document(s, photo_doc.id, "ana")  # two purchases after all: a person says so
        assert not photo_doc.needs_review
    engine.dispose()


def test_ingest_flags_the_copies_it_stored(tmp_path: Path) -> None:
    records = {"a": COFFEE, "b": {**COFFEE, "total": "12.00"}, "c": COFFEE}
    for stem in records:
        (tmp_path / f"{stem}.png").write_bytes(stem.encode())
    results = {stem: _result(stem, record) for stem, record in records.items()}
    pop = MemoryPopulator()
    summary = ingest([tmp_path], pop, Replay(results), duplicates=OPTIONS)
    assert summary.ok == 3 and summary.duplicates == 1
    flagged = {Path(r.source).stem: r.extraction.needs_review for r in pop.documents.values() if r.extraction}
    assert flagged == {"a": False, "b": False, "c": True}
    assert ingest([tmp_path], MemoryPopulator(), Replay(results)).duplicates == 0  # switched off


@pytest.mark.slow
def test_a_receipt_ingested_again_from_another_scan_is_flagged(tmp_path: Path) -> None:
    requires_tesseract()
    (tmp_path / "in").mkdir()
    scan = Image.open(SAMPLES / "ying-thai-kitchen.png").convert("RGB")
    scan.save(tmp_path / "in" / "ying.png")
    # the same receipt scanned again: other bytes, a little larger, as a JPEG
    scan.resize((round(scan.width * 1.1), round(scan.height * 1.1))).save(tmp_path / "in" / "ying-again.jpg")
    Image.open(SAMPLES / "kedai-maju-jaya.png").save(tmp_path / "in" / "kedai.png")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--db", db, "-j", "1", "--profile", "fast"])
    assert res.exit_code == 0, res.output
    assert "1 flagged as a purchase stored before" in res.output
    res = CliRunner().invoke(main, ["export", "--db", db, "--no-text"])
    found = {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}
    reasons = {k: [r for r in found[k]["review_reasons"] if r.startswith("possible duplicate")] for k in found}
    assert not reasons["kedai"] and sorted(k for k, r in reasons.items() if r) in (["ying"], ["ying-again"])
    flagged = "ying" if reasons["ying"] else "ying-again"
    other = "ying-again" if flagged == "ying" else "ying"
    assert reasons[flagged] == [f"possible duplicate: the same total and date as {other}, read alike (stored twice?)"]


@pytest.mark.slow
def test_eval_scores_each_copy_on_its_own(tmp_path: Path) -> None:
    requires_tesseract()
    folder = tmp_path / "set"
    folder.mkdir()
    scan = Image.open(SAMPLES / "kedai-maju-jaya.png").convert("RGB")
    gold = (SAMPLES / "kedai-maju-jaya.json").read_text()
    for name, image in (("a", scan), ("b", scan.resize((round(scan.width * 1.1), round(scan.height * 1.1))))):
        image.save(folder / f"{name}.png")
        (folder / f"{name}.json").write_text(gold)
    db = f"sqlite:///{tmp_path / 'eval.db'}"
    res = CliRunner().invoke(main, ["eval", str(folder), "--json", "--db", db, "-j", "1", "--profile", "fast"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["export", "--db", db, "--no-text"])
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(records) == 2 and records[0]["fields"]["total"] == records[1]["fields"]["total"]
    assert not any(r.startswith("possible duplicate") for rec in records for r in rec["review_reasons"])
