"""Field-confidence calibration: the shipped parameters load, apply, and decide the review flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from icr.calibrate import Calibration, FieldModel, calibrate, load_calibration, monotone_curve
from icr.errors import ConfigError
from icr.types import Extraction, FieldValue


def test_the_shipped_calibration_is_monotone_in_the_extractors_score() -> None:
    cal = load_calibration()
    assert {"company", "date", "address", "total"} <= set(cal.models)
    assert set(cal.review_below) == {"total", "date"}
    for name in cal.models:
        ps = [cal.probability(name, c / 10, "keyword", 0.8) for c in range(11)]
        assert all(p is not None and 0.0 <= p <= 1.0 for p in ps)
        assert ps == sorted(ps), name  # a higher score is never a lower chance
    assert cal.probability("phone", 0.9, "keyword", 0.8) is None  # no ground truth: left alone


def test_monotone_curve_pools_violators_and_is_cautious_with_few_readings() -> None:
    scored = [(0.0, False), (1.0, True), (2.0, False), (3.0, True), (4.0, True)] + [(5.0, True)] * 40
    curve = monotone_curve(scored)
    ps = [p for _, p in curve]
    assert ps == sorted(ps)
    assert curve[0][1] < 0.5 < curve[-1][1] < 41 / 42  # even 41 of 41 right is not certainty
    model = FieldModel({"bias": 1.0}, curve)
    assert model.probability(-10) == curve[0][1] and model.probability(10) == curve[-1][1]


def test_calibrate_sets_confidences_and_decides_the_flag_on_them() -> None:
    cal = Calibration(
        {"total": FieldModel({"bias": 0.0, "confidence": 10.0}, ((0.0, 0.1), (10.0, 0.99)))},
        {"total": 0.5},
    )
    fields = {
        "total": FieldValue("total", "12.50", None, "TOTAL 12.50", 0.9, "keyword"),
        "phone": FieldValue("phone", "123", None, "123", 0.2, "keyword"),
    }
    raw = Extraction(fields, review_reasons=["total: low confidence 0.45", "date: missing", "phone: odd"])
    sure = calibrate(raw, 0.8, cal)
    assert sure.fields["total"].confidence == pytest.approx(0.1 + 0.89 * 0.9)
    assert sure.fields["phone"].confidence == 0.2
    assert sure.review_reasons == ["date: missing", "phone: odd"] and sure.needs_review
    doubtful = calibrate(Extraction({"total": FieldValue("total", "1", None, "", 0.2, "")}), 0.8, cal)
    assert doubtful.needs_review and doubtful.review_reasons == ["total: low confidence 0.28"]


def test_a_broken_calibration_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "calibration.yaml"
    bad.write_text("fields:\n  total:\n    weights: {colour: 1}\n")
    with pytest.raises(ConfigError, match=r"calibration\.yaml.*colour"):
        load_calibration(bad)
