"""Field-confidence calibration: the shipped parameters load, apply, and decide the review flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from icr.calibrate import (
    FEATURES,
    Calibration,
    FieldModel,
    calibrate,
    features,
    ledger_conflicts,
    load_calibration,
    monotone_curve,
)
from icr.errors import ConfigError
from icr.types import Extraction, FieldValue


def test_the_shipped_calibration_is_monotone_in_the_extractors_score() -> None:
    cal = load_calibration()
    assert {"company", "date", "address", "total"} <= set(cal.models)
    assert set(cal.review_below) == {"total", "date"}
    base = dict.fromkeys(FEATURES, 0.0) | {"bias": 1.0, "ocr_confidence": 0.8}
    for name in cal.models:
        ps = [cal.probability(base | {"confidence": c / 10}, name) for c in range(11)]
        assert all(p is not None and 0.0 <= p <= 1.0 for p in ps)
        assert ps == sorted(ps), name  # a higher score is never a lower chance
    assert cal.probability(base, "phone") is None  # no ground truth: left alone
    # what speaks against a total or a date lowers its chance (fitted on the dev sets)
    assert cal.close_within is not None
    for name, against in (("total", "close"), ("date", "ambiguous")):
        x = base | {"confidence": 0.8}
        assert cal.probability(x | {against: 1.0}, name) < cal.probability(x, name)  # type: ignore[operator]


def _money(name: str, value: str, source: str = "keyword") -> FieldValue:
    return FieldValue(name, value, Decimal(value), value, 0.8, source)


def test_features_see_the_receipts_sums_the_page_and_the_date() -> None:
    text = "KEDAI\nSUBTOTAL 20.00\nTOTAL 21.85\nCASH 50.00\nCHANGE 28.15\nTOTAL 21.85\n04/05/2018"
    fields = {n: _money(n, v) for n, v in (("subtotal", "20.00"), ("paid", "50.00"), ("change", "28.15"))}
    total = _money("total", "21.85", "keyword+arithmetic")
    x = features(total, Extraction(fields | {"total": total}, text), 0.9)
    assert (x["bias"], x["confidence"], x["ocr_confidence"]) == (1.0, 0.8, 0.9)
    # above the total: the change, not the cash tendered (leaving the change out too caught fewer
    # wrong totals held out on the dev sets)
    assert (x["checked"], x["unlabelled"], x["repeated"], x["conflict"], x["larger"]) == (1.0, 0.0, 1.0, 0.0, 1 / 3)
    assert x["ambiguous"] == x["implausible"] == 0.0  # a total has no day and month
    misread = _money("total", "21.83", "position")  # 50.00 - 28.15 is not 21.83; printed once, under 50.00
    y = features(misread, Extraction(fields | {"total": misread}, text.replace("21.85\nCASH", "21.83\nCASH")), 0.9)
    assert (y["checked"], y["unlabelled"], y["repeated"], y["conflict"], y["larger"]) == (0.0, 1.0, 0.0, 1.0, 2 / 3)
    day = FieldValue("date", "2018-05-04", dt.date(2018, 5, 4), "04/05/2018", 0.6, "position")
    z = features(day, Extraction({"date": day}, text), 0.9)
    assert (z["ambiguous"], z["implausible"], z["unlabelled"], z["repeated"]) == (1.0, 0.0, 1.0, 0.0)
    odd = FieldValue("date", "1918-05-24", dt.date(1918, 5, 24), "24/05/1918", 0.6, "keyword")
    assert features(odd, Extraction({"date": odd}, ""), 0.9)["implausible"] == 1.0
    assert features(odd, Extraction({"date": odd}, ""), 0.9)["ambiguous"] == 0.0  # 24 is no month
    # a country whose cues the page shows settles the order: Malaysia's day first, the US's month first
    malaysia = "SDN BHD\nJALAN SS 15/4B\n47500 SUBANG JAYA, SELANGOR\nGST ID 000123"
    for country in (malaysia, "CANOGA PARK, CA 91303\n(818) 576-0490"):
        settled = features(day, Extraction({"date": day}, country + "\n" + text), 0.9)
        assert settled["ambiguous"] == 0.0
    # so does a weekday printed beside the date: 4 May 2018 was a Friday, 5 April a Thursday
    for weekday in ("FRI 04/05/2018", "04/05/2018 (Thu)"):
        page = text.replace("04/05/2018", weekday) if "04/05/2018" in text else text + "\n" + weekday
        assert features(day, Extraction({"date": day}, page), 0.9)["ambiguous"] == 0.0
    assert features(day, Extraction({"date": day}, text + "\nMON 04/05/2018"), 0.9)["ambiguous"] == 1.0


def test_a_close_call_is_a_value_whose_rival_scored_within_the_calibrations_margin() -> None:
    def close(margin: float | None, within: float | None = 2.0) -> float:
        total = FieldValue("total", "9.00", Decimal("9.00"), "9.00", 0.9, "keyword", margin=margin)
        return features(total, Extraction({"total": total}, "TOTAL 9.00"), 0.9, close_within=within)["close"]

    assert close(0.5) == 1.0
    assert close(2.5) == 0.0
    assert close(None) == 0.0  # no rival was scored: nothing was close
    assert close(0.5, within=None) == 0.0  # a calibration that does not weigh it


def test_the_extractors_hand_on_how_far_the_value_led_its_rival() -> None:
    from icr.config import load_settings
    from icr.text import ocr_from_lines
    from icr.text.corrector import DefaultTextCorrector

    corrector = DefaultTextCorrector(load_settings())
    clear = corrector.extract(ocr_from_lines(["KEDAI", "SUBTOTAL 20.00", "TOTAL 21.20", "CASH 50.00", "CHANGE 28.80"]))
    rivals = corrector.extract(ocr_from_lines(["KEDAI", "TOTAL 20.00", "TOTAL 21.20"]))
    lone = corrector.extract(ocr_from_lines(["KEDAI", "TOTAL 21.20"]))
    clear_margin, rivals_margin = clear.fields["total"].margin, rivals.fields["total"].margin
    assert clear_margin is not None and rivals_margin is not None and 0 < rivals_margin < clear_margin
    assert lone.fields["total"].margin is None  # nothing else was scored
    dates = corrector.extract(ocr_from_lines(["KEDAI", "DATE: 04/06/2018", "printed 05/06/2018", "TOTAL 1.00"]))
    assert dates.fields["date"].value == "2018-06-04"
    assert (dates.fields["date"].margin or 0) > 0


def test_a_calibration_weighing_close_calls_must_say_how_close(tmp_path: Path) -> None:
    bad = tmp_path / "calibration.yaml"
    bad.write_text("fields:\n  total:\n    weights: {bias: 1, close: -1}\n")
    with pytest.raises(ConfigError, match=r"calibration\.yaml.*close_within"):
        load_calibration(bad)
    bad.write_text("fields:\n  total:\n    weights: {bias: 1, close: -1}\nclose_within: 2\n")
    assert load_calibration(bad).close_within == 2.0


def test_ledger_conflicts_count_the_sums_that_contradict_the_total() -> None:
    def conflicts(**amounts: str) -> int:
        return ledger_conflicts({n: _money(n, v) for n, v in amounts.items()})

    assert conflicts(total="10.00", paid="20.00", change="10.00", subtotal="9.40") == 0
    assert conflicts(total="10.00", paid="20.00") == 0  # the change may be unread
    assert conflicts(total="10.00", paid="5.00") == 1  # tendered less than the total
    assert conflicts(total="10.00", paid="20.00", change="9.00") == 1
    assert conflicts(total="10.00", subtotal="10.04") == 0  # a cash rounding
    assert conflicts(total="10.00", subtotal="12.00", discount="-2.00") == 0
    assert conflicts(total="1.00", subtotal="12.00", paid="20.00", change="9.00") == 2
    assert conflicts(subtotal="12.00") == 0  # no total: nothing to contradict


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
        "total": FieldValue("total", "12.50", Decimal("12.50"), "TOTAL 12.50", 0.9, "keyword"),
        "phone": FieldValue("phone", "123", None, "123", 0.2, "keyword"),
    }
    raw = Extraction(fields, review_reasons=["total: low confidence 0.45", "date: missing", "phone: odd"])
    sure = calibrate(raw, 0.8, cal)
    assert sure.fields["total"].confidence == pytest.approx(0.1 + 0.89 * 0.9)
    assert sure.fields["phone"].confidence == 0.2
    assert sure.review_reasons == ["date: missing", "phone: odd"] and sure.needs_review
    doubtful = calibrate(Extraction({"total": FieldValue("total", "1", None, "", 0.2, "")}), 0.8, cal)
    assert doubtful.needs_review and doubtful.review_reasons == ["total: low confidence 0.28"]


def test_a_total_printed_beside_its_rounding_partner_is_flagged(tmp_path: Path) -> None:
    cal = Calibration(
        {"total": FieldModel({"bias": 0.0, "confidence": 10.0}, ((0.0, 0.1), (10.0, 0.99)))},
        {"total": 0.5},
        rounding_pair=Decimal("0.05"),
    )
    total = FieldValue("total", "72.95", Decimal("72.95"), "72.95", 0.95, "keyword")
    rounded = "TOTAL: 72.93\nRND ADJ 0.02\nTTL ATF RND 72.95\nCASH 73.00\nCHANGE 0.05"
    flagged = calibrate(Extraction({"total": total}, rounded), 0.9, cal)
    assert flagged.needs_review and flagged.review_reasons == ["total: 72.93 printed beside it (rounded or not?)"]
    alone = calibrate(Extraction({"total": total}, "TOTAL 72.95\nCASH 80.00\nCHANGE 7.05"), 0.9, cal)
    assert not alone.needs_review  # 72.95 printed twice is one amount, and 7.05 is far from it
    assert not calibrate(Extraction({"total": total}, rounded), 0.9, replace(cal, rounding_pair=None)).needs_review
    assert load_calibration().rounding_pair == Decimal("0.05")
    bad = tmp_path / "calibration.yaml"
    bad.write_text("fields:\n  total:\n    weights: {bias: 1}\nrounding_pair: -1\n")
    with pytest.raises(ConfigError, match=r"calibration\.yaml.*rounding_pair"):
        load_calibration(bad)


def test_a_broken_calibration_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "calibration.yaml"
    bad.write_text("fields:\n  total:\n    weights: {colour: 1}\n")
    with pytest.raises(ConfigError, match=r"calibration\.yaml.*colour"):
        load_calibration(bad)


def test_ingest_calibrates_with_the_default_text_corrector_only() -> None:
    from icr.config import load_settings
    from icr.pipeline import build_stages

    def stages_of(overrides: dict[str, object]) -> Calibration | None:
        stages = build_stages(load_settings(overrides={"stages": {"recognizer": "fake"}, **overrides}))
        try:
            return stages.calibration
        finally:
            stages.close()

    shipped = stages_of({})
    assert shipped is not None and shipped.review_below == load_calibration().review_below
    assert stages_of({"calibration": {"enabled": False}}) is None
    assert stages_of({"stages": {"recognizer": "fake", "text_corrector": "fake"}}) is None  # not what was fitted


def test_typed_transcripts_add_readings_for_the_text_fields_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/calibration.py: transcripts read by the text corrector (a test set's ids left out)
    fit the total and the date; company and address keep to the scans."""
    import json

    from conftest import benchmark_module

    bench = benchmark_module("calibration", monkeypatch)

    texts, test_set = tmp_path / "train", tmp_path / "val"
    texts.mkdir()
    test_set.mkdir()
    lines = "TAN CHAY YEE\nSHOP ABC SDN BHD\nDATE: 25/12/2018\nTOTAL\n{}\nCASH\n50.00\n"
    right = {"company": "SHOP ABC SDN BHD", "date": "25/12/2018", "address": ""}
    wrong = {"company": "SHOP XYZ SDN BHD", "date": "26/12/2018", "address": ""}
    for i, (total, gold, label) in enumerate(
        [("9.00", "9.00", right), ("12.50", "12.50", right), ("7.10", "71.00", wrong)]
    ):
        (texts / f"r{i}.ocr.txt").write_text(lines.format(total), encoding="utf-8")
        keys = label | {"total": gold}
        (texts / f"r{i}.json").write_text(json.dumps(keys), encoding="utf-8")
    (test_set / "r1.json").write_text("{}", encoding="utf-8")

    docs = bench.load_text(texts, [test_set])
    assert [d.name for d in docs] == ["r0", "r2"] and not any(d.scanned for d in docs)
    assert [(d.right("total"), d.right("company"), d.right("date")) for d in docs] == [(True,) * 3, (False,) * 3]
    assert set(bench.fit_models(docs, 1.0)) == {"company", "date", "total"}
    assert set(bench.fit_models(docs, 1.0, text_fields=("total",))) == {"total"}
