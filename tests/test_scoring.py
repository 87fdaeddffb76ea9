"""The points of the evidence for a field are data (``config/scoring.yaml``): validated, and what the
extractors choose by."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from icr.config import config_dir, load_settings
from icr.errors import ConfigError
from icr.text import ocr_from_lines
from icr.text.corrector import DefaultTextCorrector
from icr.text.fields import extract_date
from icr.text.header import guess_header
from icr.text.lines import Line
from icr.text.parsers import ParseOptions
from icr.text.scoring import Confidence, Scoring, load_scoring

RECEIPT = [
    "CORNER BAKERY",
    "12 Market Street",
    "Springfield",
    "05/03/2021",
    "Bread 4.00",
    "SUBTOTAL 10.00",
    "TOTAL 10.60",
    "AMOUNT DUE 11.00",
    "Date: 07/03/2021",
]


def _shipped() -> dict[str, object]:
    data = yaml.safe_load((config_dir() / "scoring.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "scoring.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_shipped_file_validates_and_a_bad_one_names_its_file_and_key(tmp_path: Path) -> None:
    assert isinstance(load_scoring(), Scoring)
    data = _shipped()
    data["total"]["lables"] = {}  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"scoring\.yaml: total\.lables: unknown key"):
        load_scoring(_write(tmp_path, data))
    data = _shipped()
    data["date"]["label"] = "high"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"scoring\.yaml: date\.label: "):
        load_scoring(_write(tmp_path, data))
    data = _shipped()
    del data["company"]["legal_form"]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"company\.legal_form: Field required"):
        load_scoring(_write(tmp_path, data))


def test_a_confidence_is_a_line_of_the_points_within_its_floor_and_one() -> None:
    line = Confidence(base=0.45, per_point=0.12, floor=0.2)
    assert line.of(2.0, 0.5) == pytest.approx(0.5 * 0.69)
    assert line.of(-10.0, 1.0) == 0.2 and line.of(10.0, 0.9) == 0.9
    assert Confidence(base=0.35, per_point=0.1).of(-5.0, 1.0) == pytest.approx(-0.15)  # no floor set


def test_the_date_label_counts_what_the_file_says() -> None:
    lines = [Line(i, t, 0.95) for i, t in enumerate(RECEIPT)]
    shipped = load_scoring()
    found = extract_date(lines, ParseOptions(scoring=shipped))
    assert found is not None and str(found.value) == "2021-03-07"
    unlabelled = shipped.model_copy(update={"date": shipped.date.model_copy(update={"label": 0.0})})
    found = extract_date(lines, ParseOptions(scoring=unlabelled))
    assert found is not None and str(found.value) == "2021-03-05"  # the top of the page wins now


def test_the_name_line_counts_what_the_file_says() -> None:
    read = ["GOLDEN HARVEST", "LUCKY STAR SDN BHD", "12 JALAN BESAR"]
    lines = [Line(i, t, 0.95) for i, t in enumerate(read)]
    shipped = load_scoring()
    assert guess_header(lines, scoring=shipped).company == "LUCKY STAR SDN BHD"  # the legal form's line
    no_form = shipped.model_copy(update={"company": shipped.company.model_copy(update={"legal_form": 0.0})})
    assert guess_header(lines, scoring=no_form).company == "GOLDEN HARVEST"


def test_the_corrector_takes_the_file_the_settings_name(tmp_path: Path) -> None:
    shipped = DefaultTextCorrector(load_settings()).extract(ocr_from_lines(RECEIPT, confidence=0.95)).fields
    assert str(shipped["total"].value) == "11.00"  # "AMOUNT DUE" is the amount payable
    data = _shipped()
    data["total"]["labels"]["final"] = -3.0  # type: ignore[index]
    path = _write(tmp_path, data)
    settings = load_settings(overrides={"text_corrector": {"scoring": str(path)}})
    fields = DefaultTextCorrector(settings).extract(ocr_from_lines(RECEIPT, confidence=0.95)).fields
    assert str(fields["total"].value) == "10.60"
