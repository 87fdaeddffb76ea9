"""``icr eval``'s scoring agrees with the reference scorer (shared/tools/score_sroie.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from icr.evaluate import EVAL_FIELDS, field_correct, read_gold, score, to_amount, to_date
from tests.conftest import DATASETS, dataset

SCORER = DATASETS.parent / "tools" / "score_sroie.py"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("25/12/2018", dt.date(2018, 12, 25)),
        ("24-01-18", dt.date(2018, 1, 24)),
        ("27 MAR 2018", dt.date(2018, 3, 27)),
        ("01-NOV-2017", dt.date(2017, 11, 1)),
        ("25/FEB/2017", dt.date(2017, 2, 25)),
        ("OCT 3, 2016", dt.date(2016, 10, 3)),
        ("2016-07-31", dt.date(2016, 7, 31)),
        ("20180304", dt.date(2018, 3, 4)),
        ("11.02.18", dt.date(2018, 2, 11)),
        ("(06/12/2016)", dt.date(2016, 12, 6)),
        ("4/22/2018", dt.date(2018, 4, 22)),
        ("no date", None),
    ],
)
def test_gold_dates_read_day_first(text: str, want: dt.date | None) -> None:
    assert to_date(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("RM8.35", "8.35"),
        ("RM 3.90", "3.90"),
        ("$6.90", "6.90"),
        ("1,007.50", "1007.50"),
        ("-1.73", "-1.73"),
        ("12,50", "12.50"),
        ("31.00", "31.00"),
        ("", None),
    ],
)
def test_gold_amounts(text: str, want: str | None) -> None:
    assert to_amount(text) == (Decimal(want) if want else None)


def test_text_fields_compare_upper_with_spaces_collapsed() -> None:
    assert field_correct("company", "Book  Ta .K Sdn Bhd ", "BOOK TA .K SDN BHD")
    assert not field_correct("company", "BOOK TA.K SDN BHD", "BOOK TA .K SDN BHD")
    assert not field_correct("total", None, "1.00")


def _reference(gold_dir: Path, preds: list[dict[str, object]], tmp_path: Path) -> dict[str, object]:
    if not SCORER.is_file():
        pytest.skip(f"reference scorer not found at {SCORER}")
    pred_file = tmp_path / "pred.jsonl"
    pred_file.write_text("".join(json.dumps(p) + "\n" for p in preds))
    out = subprocess.run(
        [sys.executable, str(SCORER), str(gold_dir), str(pred_file), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def _perturbed_predictions(gold_dir: Path, seed: int) -> list[dict[str, object]]:
    """Predictions a real run might make: right in other spellings, or wrong in typical ways."""
    rng = random.Random(seed)
    preds: list[dict[str, object]] = []
    for path in sorted(gold_dir.glob("*.json")):
        gold = read_gold(path) or {}
        fields: dict[str, object] = {}
        for name in EVAL_FIELDS:
            g = gold.get(name)
            if not g:
                continue
            roll = rng.random()
            if roll < 0.15:
                continue  # missing
            if name == "date":
                d = to_date(g)
                if d is None:
                    fields[name] = g
                elif roll < 0.6:
                    fields[name] = d.isoformat()
                elif roll < 0.8:
                    fields[name] = f"{d.month}/{d.day}/{d.year}"  # month-first spelling
                else:
                    fields[name] = (d + dt.timedelta(days=1)).isoformat()
            elif name == "total":
                a = to_amount(g)
                fields[name] = str(a) if roll < 0.6 else (f"RM {a}" if roll < 0.8 else str((a or 0) + 1))
            else:
                text = str(g)
                fields[name] = text.lower() if roll < 0.5 else (text + "  " if roll < 0.7 else text[:-1])
        preds.append({"id": path.stem, "fields": fields})
    return preds[: len(preds) - 3]  # a few documents missing altogether


@pytest.mark.datasets
def test_agrees_with_reference_scorer_on_sroie_dev(tmp_path: Path) -> None:
    gold_dir = dataset("sroie-dev")
    for seed in (1, 2):
        preds = _perturbed_predictions(gold_dir, seed)
        ref = _reference(gold_dir, preds, tmp_path)
        mine = score(gold_dir, preds).as_dict()
        assert mine["documents"] == ref["documents"]
        assert mine["predicted"] == ref["predicted"]
        assert mine["accuracy"] == ref["accuracy"]
        assert mine["fuzzy"] == ref["fuzzy"]


def test_agrees_with_reference_scorer_on_made_up_gold(tmp_path: Path) -> None:
    gold = {
        "a": {"company": "ALPHA TRADING", "date": "05/03/2018", "address": "1 ROAD", "total": "RM 1,007.50"},
        "b": {"company": "BETA", "date": "4/22/2018", "address": "2 ROAD", "total": "$6.90"},
        "c": {"company": "GAMMA", "date": "", "address": "3 ROAD", "total": "-1.73"},
    }
    for k, v in gold.items():
        (tmp_path / f"{k}.json").write_text(json.dumps(v))
    preds: list[dict[str, object]] = [
        {
            "id": "a",
            "fields": {"company": "alpha  trading", "date": "2018-03-05", "address": "1 ROAD", "total": "1007.5"},
        },
        {"id": "b", "fields": {"company": "BETA", "date": "2018-04-22", "address": "2 RD", "total": "6.90"}},
        {"id": "c", "fields": {"company": "GAMA", "date": "2018-01-01", "total": "-1.73"}},
    ]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ref = _reference(tmp_path, preds, out_dir)
    assert score(tmp_path, preds).as_dict()["accuracy"] == ref["accuracy"]


def test_subtotal_tax_and_currency_are_scored_only_where_the_gold_labels_them(tmp_path: Path) -> None:
    gold = {
        "a": {"total": "26.96", "subtotal": "25.22", "tax": "1.74", "currency": "USD"},
        "b": {"total": "9.50", "subtotal": "", "tax": "0.75", "currency": "USD"},
    }
    for k, v in gold.items():
        (tmp_path / f"{k}.json").write_text(json.dumps(v))
    preds: list[dict[str, object]] = [
        {"id": "a", "fields": {"total": "26.96", "subtotal": "25.22", "tax": "$1.74", "currency": "usd"}},
        {"id": "b", "fields": {"total": "9.50", "subtotal": "8.75", "tax": "0.57"}},
    ]
    report = score(tmp_path, preds)
    other = report.as_dict()["other"]
    assert other == {
        "subtotal": {"accuracy": 1.0, "counted": 1},
        "tax": {"accuracy": 0.5, "counted": 2},
        "currency": {"accuracy": 0.5, "counted": 2},
    }
    assert [m["id"] for m in report.misses["tax"]] == ["b"]
    (tmp_path / "a.json").write_text(json.dumps({"total": "26.96"}))
    (tmp_path / "b.json").write_text(json.dumps({"total": "9.50"}))
    assert "other" not in score(tmp_path, preds).as_dict()


def test_learned_bound_counts_labels_no_training_receipt_has(tmp_path: Path) -> None:
    """benchmarks/learned_bound.py: the ceiling of learned templates is the labels a training receipt
    has plus the unseen ones the run read exactly."""
    gold, train = tmp_path / "gold", tmp_path / "train"
    gold.mkdir()
    train.mkdir()
    labels = {
        "a": ("SHOP ONE SDN BHD", "1 JALAN SATU, 43000 KAJANG"),
        "b": ("SHOP TWO", "2 JALAN DUA"),
        "c": ("SHOP THREE", "3 JALAN TIGA"),
        "d": ("SHOP FOUR", "4 JALAN EMPAT"),
    }
    for stem, (company, address) in labels.items():
        (gold / f"{stem}.json").write_text(json.dumps({"company": company, "address": address}))
    # "a" and "b" are known vendors (b's address labelled another way); "a" is also in the gold folder
    (train / "t1.json").write_text(
        json.dumps({"company": "shop one  sdn bhd", "address": "1 JALAN SATU, 43000 KAJANG"})
    )
    (train / "t2.json").write_text(json.dumps({"company": "SHOP TWO", "address": "NO. 2 JALAN DUA"}))
    (train / "a.json").write_text(json.dumps({"company": "SHOP FOUR", "address": "4 JALAN EMPAT"}))
    preds = tmp_path / "run.jsonl"
    rows = [
        {"id": "a", "fields": {"company": "SHOP ONE SDN BHD", "address": "1 JALAN SATU, 43000 KAJANG"}},
        {"id": "b", "fields": {"company": "SHOP TWO", "address": "2 JALAN DUA"}},
        {"id": "c", "fields": {"company": "SHOP THREE", "address": "3 JALAN TIGE"}},
        {"source": "/scans/d.jpg", "fields": {"company": "SHOP F0UR"}},
    ]
    preds.write_text("\n".join(json.dumps(r) for r in rows))
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [
            sys.executable,
            str(root / "benchmarks" / "learned_bound.py"),
            str(gold),
            str(train),
            "--predictions",
            str(preds),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "4 receipts scored; 2 training receipts not among them" in out
    company = next(line for line in out.splitlines() if line.startswith("company:"))
    address = next(line for line in out.splitlines() if line.startswith("address:"))
    # company: a, b seen (the training "a" is a gold receipt: not counted); c read exactly, d not
    assert "on a training receipt 2/4, on none 2" in company
    assert "this run exact 3 (2 of the seen, 1 of the unseen)" in company
    assert "ceiling with perfect vendor matching 3/4" in company
    assert "0.90 needs 2 of the 2 unseen" in company
    # address: only a seen; b read exactly though unseen; c misread
    assert "on a training receipt 1/4, on none 3" in address
    assert "this run exact 2 (1 of the seen, 1 of the unseen)" in address
    assert "0.80 needs 3 of the 3 unseen" in address


def test_ocr_engines_counts_a_date_read_in_another_format_apart_from_one_printed_as_labelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """benchmarks/ocr_engines.py: "date in text" is the label's string in the OCR text; "date read" the
    label's calendar date among the dates the text prints, each as the OCR read it (no slip repaired)."""
    from conftest import benchmark_module

    bench = benchmark_module("ocr_engines", monkeypatch)
    text = "KEDAI ABC SDN BHD\nDATE: 04/03/2018 10:12\nTOTAL RM 3.50"
    printed = bench.score(text, text, {"date": "04/03/2018", "total": "3.50"})
    assert (printed.date, printed.date_read, printed.total) == (True, True, True)
    labelled_otherwise = bench.score(text, text, {"date": "20180304"})
    assert (labelled_otherwise.date, labelled_otherwise.date_read) == (False, True)
    slipped = "KEDAI ABC SDN BHD\nDATE: O4/03/2018 10:12"  # the extractor repairs O for 0; the OCR misread it
    assert bench.score(slipped, slipped, {"date": "04/03/2018"}).date_read is False
    wrong = "KEDAI ABC SDN BHD\nDATE: 04/03/2013"
    assert bench.score(wrong, wrong, {"date": "04/03/2018"}).date_read is False
