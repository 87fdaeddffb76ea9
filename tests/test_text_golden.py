"""Golden pairs: text in, expected fields out (tests/golden/), walked by parametrized tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from icr.config import load_settings
from icr.text import ocr_from_lines
from icr.text.corrector import DefaultTextCorrector
from icr.text.parsers import PARSERS, ParseOptions, normalize

GOLDEN = Path(__file__).resolve().parent / "golden"
PARSER_CASES: list[dict[str, Any]] = json.loads((GOLDEN / "parsers.json").read_text(encoding="utf-8"))
RECEIPTS = sorted(p.stem for p in (GOLDEN / "receipts").glob("*.txt"))


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


@pytest.mark.parametrize("case", PARSER_CASES, ids=[f"{c['parser']}:{c['input']}" for c in PARSER_CASES])
def test_parser_golden(case: dict[str, Any]) -> None:
    opts = ParseOptions(**case.get("options", {}))
    value = PARSERS[case["parser"]](case["input"], opts)
    got = None if value is None else normalize(value)
    assert got == case["expected"]


@pytest.mark.parametrize("stem", RECEIPTS)
def test_receipt_golden(stem: str, corrector: DefaultTextCorrector) -> None:
    lines = (GOLDEN / "receipts" / f"{stem}.txt").read_text(encoding="utf-8").splitlines()
    expected: dict[str, Any] = json.loads((GOLDEN / "receipts" / f"{stem}.json").read_text(encoding="utf-8"))
    # "_confidence" below 1 marks OCR-like text (word confidences as Tesseract gives them)
    confidence = float(expected.pop("_confidence", 1.0))
    ex = corrector.extract(ocr_from_lines(lines, confidence=confidence))
    template = expected.pop("_template", None)
    if template is not None:
        assert ex.template == template
    for name, value in expected.items():
        got = ex.fields[name].value if name in ex.fields else None
        assert got == value, f"{name}: expected {value!r}, got {got!r}"
