"""Forms end to end with real Tesseract: the generated forms' pairs and tick boxes, and a zonal
template read on copies turned 3 degrees and scaled 90-110 %."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import requires_tesseract
from sqlalchemy import text

from icr.cli import main
from icr.db.database import open_engine

FORMS = Path(__file__).resolve().parent.parent / "sample-forms"
HTR = importlib.util.find_spec("onnxruntime") is not None
pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def _ingest(paths: list[Path], db: str, *extra: str) -> list[dict[str, object]]:
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", *map(str, paths), "--db", db, "-j", "2", "-q", *extra])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["export", "--db", db, "--no-text"])
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_generated_forms_give_every_pair_and_tick_box(tmp_path: Path) -> None:
    requires_tesseract()
    db = f"sqlite:///{tmp_path / 'forms.db'}"
    records = _ingest(sorted(FORMS.glob("*.png")), db)
    assert len(records) == 2
    for rec in records:
        expected = json.loads((FORMS / f"{rec['id']}.json").read_text())
        assert rec["doc_type"] == "form" and rec["fields"] == {}, rec["id"]
        form = rec["form"]
        assert isinstance(form, dict)
        pairs = {p["key"]: p["value"] for p in form["pairs"]}
        for key, value in expected["pairs"].items():
            assert pairs.get(key) == value, (rec["id"], key, pairs)
        boxes = {c["label"]: c["checked"] for c in form["checkboxes"]}
        assert boxes == expected["checkboxes"], rec["id"]
        for pair in form["pairs"]:  # boxes in pixels of the page as loaded (1700 x 2200)
            x0, y0, x1, y1 = pair["value_box"]
            assert 0 <= x0 < x1 <= 1700 and 0 <= y0 < y1 <= 2200
    engine = open_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM v_receipts")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM form_pairs")).scalar() >= 15
    engine.dispose()


def _copy(image: cv2.typing.MatLike, degrees: float, scale: float, out: Path) -> Path:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    cv2.imwrite(str(out), cv2.warpAffine(image, matrix, (w, h), borderValue=255))
    return out


def test_a_zonal_template_finds_its_fields_on_turned_and_scaled_copies(tmp_path: Path) -> None:
    requires_tesseract()
    page = cv2.imread(str(FORMS / "leave-request.png"), cv2.IMREAD_GRAYSCALE)
    copies = [
        _copy(page, degrees, scale, tmp_path / f"leave-{i}.png")
        for i, (degrees, scale) in enumerate([(3, 0.9), (-3, 1.1), (3, 1.1), (-3, 0.9)])
    ]
    db = f"sqlite:///{tmp_path / 'zonal.db'}"
    records = _ingest(copies, db, "--templates", str(FORMS / "templates"))
    expected = json.loads((FORMS / "leave-request.json").read_text())
    assert len(records) == 4
    for rec in records:
        form = rec["form"]
        assert isinstance(form, dict)
        values = {p["key"]: p["value"] for p in form["pairs"]}
        assert {k: values.get(k) for k in ("employee_name", "employee_number", "days")} == {
            k: expected["zones"][k] for k in ("employee_name", "employee_number", "days")
        }, rec["id"]
        assert values["signed"] == "present"
        engines = {p["key"]: p["engine"] for p in form["pairs"]}
        # the handwriting zone and the date marked handwritten (read with the date grammar) by the
        # handwriting recognizer (its runtime is in the htr extra), the other typed zones by the
        # page's engine, the signature by its ink alone
        assert engines["employee_name"] == engines["first_day"] == ("htr" if HTR else engines["days"]), rec["id"]
        assert engines["days"] and engines["days"] != "htr" and engines["signed"] is None, rec["id"]
        assert {c["label"]: c["checked"] for c in form["checkboxes"]} == expected["zone_checkboxes"], rec["id"]
    res = CliRunner().invoke(main, ["export", "--db", db, "--pairs"])
    rows = pd.read_csv(pd.io.common.StringIO(res.stdout), dtype=str, keep_default_na=False)
    dates = rows[rows["key"] == "first_day"]
    assert list(dates["typed"]) == [expected["zones"]["first_day"]] * 4  # typed as the zone declares
    assert set(rows[rows["key"] == "days"]["typed"]) == {"5"}


def test_templates_check_validates_zones(tmp_path: Path) -> None:
    bad = (
        (FORMS / "templates" / "leave_request.yaml")
        .read_text()
        .replace("days: {box: [580, 780, 1260, 860]", "days: {box: [580, 780, 1800, 860]")
    )
    assert "1800" in bad
    (tmp_path / "leave_request.yaml").write_text(bad)
    res = CliRunner().invoke(main, ["templates", "check", "--templates", str(tmp_path)])
    assert res.exit_code == 3
    assert "layout.zones.days.box" in res.stderr and "outside the page" in res.stderr
    res = CliRunner().invoke(main, ["templates", "check", "--templates", str(FORMS / "templates")])
    assert res.exit_code == 0 and "leave_request (no sample, 7 zones on 4 anchors)" in res.stdout
