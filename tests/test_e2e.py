"""End to end with the real stages and real Tesseract: samples/ in, the expected fields out."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from icr.cli import main
from icr.evaluate import normalize_text
from tests.conftest import SAMPLES, requires_tesseract

AMOUNT_FIELDS = {"total", "subtotal", "tax", "paid", "change", "tip", "rounding", "discount"}


def same(name: str, got: str | None, want: str) -> bool:
    if got is None:
        return False
    if name in AMOUNT_FIELDS:
        return Decimal(got) == Decimal(want)
    return normalize_text(got) == normalize_text(want)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    requires_tesseract()
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'icr.db'}"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(SAMPLES), "--db", db, "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["export", "--db", db])
    assert res.exit_code == 0, res.output
    return {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}


@pytest.mark.tesseract
@pytest.mark.parametrize("sample", sorted(p.stem for p in SAMPLES.glob("*.png")))
def test_sample_fields_come_back(exported: dict[str, dict[str, object]], sample: str) -> None:
    expected = json.loads((SAMPLES / f"{sample}.json").read_text())
    record = exported[sample]
    assert record["status"] == "ok", record["error"]
    fields = record["fields"]
    assert isinstance(fields, dict)
    wrong = {k: (fields.get(k), v) for k, v in expected.items() if not same(k, fields.get(k), v)}
    assert not wrong, f"{sample}: (got, expected) {wrong}\n--- OCR text ---\n{record['text']}"
