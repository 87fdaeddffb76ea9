"""Forms as a document kind: pairs and tick boxes stored, exported, and kept out of the spend views."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from sqlalchemy import text

from icr.cli import main
from icr.db.database import downgrade, open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.export import RECORD_KEYS, export_string, write_pairs
from icr.types import Checkbox, DocumentResult, Extraction, FieldValue, FormData, FormPair, OcrPage, OcrResult


def _form(sha: str = "f" * 64) -> DocumentResult:
    fields = {"reference": FieldValue("reference", "AB-1", "AB-1", "AB-1", 0.9, "template")}
    form = FormData(
        pairs=[
            FormPair("Name", "Jane Roe", 0.91, 1, (10, 20, 60, 32), (70, 20, 140, 32), "handwriting", None, "htr"),
            FormPair("Note", "=HYPERLINK(1)", 0.9, 1, None, None),
            FormPair(
                "Amount", "12.50", 0.8, 1, (10, 40, 60, 52), (70, 40, 110, 52), "amount", Decimal("12.50"), "fake"
            ),
            FormPair("Date", "2024-03-01", 0.7, 2, None, (70, 60, 150, 72), "date", dt.date(2024, 3, 1)),
        ],
        checkboxes=[
            Checkbox("Married", True, (5, 80, 17, 92)),
            Checkbox("Single", None, (5, 100, 17, 112), 1),
        ],
    )
    ocr = OcrResult([OcrPage("Name: Jane Roe\nTOTAL 370000.00", [])], engine="fake")
    extraction = Extraction(fields=fields, doc_type="form")
    return DocumentResult("/scans/claim.png", sha, "ok", ocr=ocr, extraction=extraction, pages=2, form=form)


def _receipt(sha: str = "r" * 64) -> DocumentResult:
    fields = {
        "total": FieldValue("total", "9.99", Decimal("9.99"), "TOTAL 9.99", 0.9, "keyword"),
        "date": FieldValue("date", "2024-01-02", dt.date(2024, 1, 2), "02/01/2024", 0.9, "keyword"),
    }
    ocr = OcrResult([OcrPage("SHOP\nTOTAL 9.99", [])], engine="fake")
    return DocumentResult("/scans/shop.png", sha, "ok", ocr=ocr, extraction=Extraction(fields=fields), pages=1)


def _filled(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    SqlPopulator(engine).store([_form(), _receipt()])
    engine.dispose()


def test_a_form_record_gains_exactly_the_form_object_and_a_receipt_keeps_its_own(db_url: str) -> None:
    _filled(db_url)
    engine = open_engine(db_url)
    records = [json.loads(line) for line in export_string(engine, "jsonl").splitlines()]
    engine.dispose()
    form, receipt = records
    assert tuple(receipt) == RECORD_KEYS
    assert tuple(form) == (*RECORD_KEYS, "form")
    assert form["doc_type"] == "form" and form["fields"] == {"reference": "AB-1"}
    assert form["form"] == {
        "pairs": [
            {"key": "Name", "value": "Jane Roe", "confidence": 0.91, "page": 1,
             "key_box": [10, 20, 60, 32], "value_box": [70, 20, 140, 32], "engine": "htr"},
            {"key": "Note", "value": "=HYPERLINK(1)", "confidence": 0.9, "page": 1, "key_box": None, "value_box": None,
             "engine": None},
            {"key": "Amount", "value": "12.50", "confidence": 0.8, "page": 1,
             "key_box": [10, 40, 60, 52], "value_box": [70, 40, 110, 52], "engine": "fake"},
            {"key": "Date", "value": "2024-03-01", "confidence": 0.7, "page": 2,
             "key_box": None, "value_box": [70, 60, 150, 72], "engine": None},
        ],
        "checkboxes": [
            {"label": "Married", "checked": True, "box": [5, 80, 17, 92], "page": 1},
            {"label": "Single", "checked": None, "box": [5, 100, 17, 112], "page": 1},
        ],
    }  # fmt: skip


def test_forms_never_enter_the_spend_views(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    form = _form()
    assert form.extraction is not None
    # Even a form that carries a total and a date (a template asked for them) stays out of the spend.
    form.extraction.fields["total"] = FieldValue("total", "370000.00", Decimal("370000.00"), "", 0.5, "template")
    form.extraction.fields["date"] = FieldValue("date", "2092-03-09", dt.date(2092, 3, 9), "", 0.5, "template")
    SqlPopulator(engine).store([form, _receipt()])
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM v_receipts"))]
        monthly = conn.execute(text("SELECT receipts, total FROM v_monthly_spend")).all()
    assert names == ["shop"]
    assert [(n, Decimal(str(t))) for n, t in monthly] == [(1, Decimal("9.99"))]
    downgrade(engine, "0003")  # the old views count every document again, and the table is gone
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM v_receipts")).scalar() == 2
    upgrade(engine)
    engine.dispose()


def test_reprocessing_a_form_replaces_its_pairs(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    populator = SqlPopulator(engine)
    populator.store([_form()])
    again = _form()
    assert again.form is not None
    again.form.pairs = again.form.pairs[:2]
    populator.store([again], reprocess=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, key, value, amount, date_value, checked FROM form_pairs ORDER BY position")
        )
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("handwriting", "Name", "Jane Roe"),
            ("text", "Note", "=HYPERLINK(1)"),
            ("checkbox", "Married", "ticked"),
            ("checkbox", "Single", "unsure"),
        ]
    engine.dispose()


def test_export_pairs_as_csv_and_parquet_rows(db_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    runner = CliRunner()
    res = runner.invoke(main, ["export", "--db", db_url, "--pairs"])
    assert res.exit_code == 0, res.output
    rows = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    assert list(rows["key"]) == ["Name", "Note", "Amount", "Date", "Married", "Single"]
    assert rows[rows["key"] == "Note"].iloc[0]["value"] == "'=HYPERLINK(1)"  # never a live formula
    amount = rows[rows["key"] == "Amount"].iloc[0]
    assert (amount["kind"], amount["typed"], amount["value_box"]) == ("amount", "12.50", "70 40 110 52")
    assert list(rows["engine"]) == ["htr", "", "fake", "", "", ""]
    assert rows[rows["key"] == "Date"].iloc[0]["typed"] == "2024-03-01"
    assert list(rows["checked"]) == ["", "", "", "", "true", ""]
    out = tmp_path / "pairs.parquet"
    res = runner.invoke(main, ["export", "--db", db_url, "--pairs", "--format", "parquet", "-o", str(out)])
    assert res.exit_code == 0 and "wrote 6 pair rows" in res.stderr
    assert list(pd.read_parquet(out)["value"]) == [
        "Jane Roe",
        "=HYPERLINK(1)",
        "12.50",
        "2024-03-01",
        "ticked",
        "unsure",
    ]
    res = runner.invoke(main, ["export", "--db", db_url, "--pairs", "--format", "jsonl"])
    assert res.exit_code == 5 and "--pairs writes rows" in res.stderr
    engine = open_engine(db_url)
    assert write_pairs(engine, io.StringIO(), "csv") == 6
    engine.dispose()
