"""End to end with the real stages: samples/ in, the expected fields out, with each profile (the default,
accurate, reads with the neural engine; fast with Tesseract)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from icr.cli import main
from icr.evaluate import normalize_text
from icr.ocr import rapidocr_api
from tests.conftest import SAMPLES, requires_tesseract

AMOUNT_FIELDS = {"total", "subtotal", "tax", "paid", "change", "tip", "rounding", "discount"}


def same(name: str, got: str | None, want: str) -> bool:
    if got is None:
        return False
    if name in AMOUNT_FIELDS:
        return Decimal(got) == Decimal(want)
    return normalize_text(got) == normalize_text(want)


@pytest.fixture(scope="module", params=["accurate", "fast"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    requires_tesseract()
    if request.param == "accurate" and not rapidocr_api.available():
        pytest.skip("the accurate profile's neural engine is not installed (pip install 'icr[neural]')")
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'icr.db'}"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(SAMPLES), "--db", db, "-q", "--profile", request.param])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["export", "--db", db])
    assert res.exit_code == 0, res.output
    return {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}


@pytest.mark.tesseract
@pytest.mark.parametrize("sample", sorted(p.stem for p in SAMPLES.glob("*.png")))
def test_sample_fields_come_back(exported: dict[str, dict[str, object]], sample: str) -> None:
    assert_fields(exported[sample], json.loads((SAMPLES / f"{sample}.json").read_text()), sample)


def assert_fields(record: dict[str, object], expected: dict[str, str], name: str) -> None:
    """Every expected field of the exported ``record`` as expected."""
    assert record["status"] == "ok", record["error"]
    fields = record["fields"]
    assert isinstance(fields, dict)
    wrong = {k: (fields.get(k), v) for k, v in expected.items() if not same(k, fields.get(k), v)}
    assert not wrong, f"{name}: (got, expected) {wrong}\n--- OCR text ---\n{record['text']}"


LOCALE_SAMPLES = SAMPLES.parent / "sample-locales"
"""One receipt per locale pack (samples/make_samples.py ``locale_samples``), apart from samples/ so
the profile runs above do not read them too."""


@pytest.fixture(scope="module")
def locale_exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    requires_tesseract()
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e-locales') / 'icr.db'}"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(LOCALE_SAMPLES), "--db", db, "-q", "--profile", "fast"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["export", "--db", db])
    assert res.exit_code == 0, res.output
    return {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}


@pytest.mark.tesseract
@pytest.mark.parametrize("tag", sorted(p.stem for p in LOCALE_SAMPLES.glob("*.png")))
def test_locale_sample_fields_come_back(locale_exported: dict[str, dict[str, object]], tag: str) -> None:
    """Each locale pack's receipt read end to end with Tesseract: every expected field exact."""
    assert_fields(
        locale_exported[tag], json.loads((LOCALE_SAMPLES / f"{tag}.json").read_text(encoding="utf-8")), tag
    )
