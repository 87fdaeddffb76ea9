"""Receipts from 49 countries, typed as OCR reads them (tests/golden/world_receipts.yaml): the text
corrector gives each its company, total, date and currency, and some their tax or company number.
Countries without a locale pack read with the base pack and whichever packs their words call up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from icr.config import load_settings
from icr.text import ocr_from_lines
from icr.text.corrector import DefaultTextCorrector

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parent / "golden" / "world_receipts.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


def test_the_set_spans_countries_with_and_without_a_pack() -> None:
    countries = {c["name"].split("_")[0] for c in CASES}
    with_packs = {"de", "fr", "es", "it", "nl", "uk", "us", "id", "my", "se", "dk", "no", "fi", "pl", "cz", "sk", "hu",
                  "ro", "hr", "lt", "tr", "pt", "br", "mx", "ar", "co", "ca", "za", "ph", "sg", "in", "cl", "pe", "ee",
                  "lv", "jp", "cn", "au", "nz", "ru", "gr", "kr"}  # fmt: skip
    assert with_packs <= countries
    assert {"at", "ch", "be", "ie", "th", "si", "hk", "ae", "ec"} <= countries  # none of their own
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_receipt_from_anywhere_gives_its_fields(case: dict[str, Any], corrector: DefaultTextCorrector) -> None:
    ex = corrector.extract(ocr_from_lines(case["text"].splitlines()))
    got = {name: (str(ex.fields[name].value) if name in ex.fields else None) for name in case["want"]}
    assert got == case["want"]
