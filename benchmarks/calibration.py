"""Fit and measure the field-confidence calibration (icr/calibrate.py, config/calibration.yaml).

    # a database of raw readings (calibration off) for a labelled set:
    icr eval DIR --db sqlite:////tmp/dev.db --config raw.yaml     # raw.yaml: calibration: {enabled: false}
    python benchmarks/calibration.py fit /tmp/dev.db DIR [/tmp/dev2.db DIR2 ...] --out config/calibration.yaml \
        [--text TEXT_DIR --exclude-dir VAL_DIR --text-fields total,date]
    python benchmarks/calibration.py measure /tmp/val.db VAL_DIR [--json]

``fit`` fits one logistic model per field (company, date, address, total) on whether each
reading is right (the SROIE rules of icr/evaluate.py), then picks the review thresholds for
total and date that catch the most wrong totals and dates while flagging at most
``--max-flagged`` of the documents. ``--text`` adds the text corrector's readings of
typed transcripts (``<id>.ocr.txt`` beside ``<id>.json``; ``--exclude-dir`` leaves out a test
set's ids) to the fit of the ``--text-fields`` and to the wrong totals and dates the thresholds
should catch and to the documents the budget counts. ``measure`` applies the calibration exactly as ingest does
(:func:`icr.calibrate.calibrate` on the stored readings; ``--stored`` takes a database ingested
with calibration on as it is) and prints aggregate figures only: the share right of fields with
confidence >= 0.9, the reliability curve, the share of documents flagged and the share of
wrong totals and dates the flag catches. It never lists individual documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import sys
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from icr.calibrate import (
    FEATURES,
    Calibration,
    FieldModel,
    calibrate,
    features,
    fit_logistic,
    load_calibration,
    monotone_curve,
)
from icr.db.database import open_engine
from icr.db.models import Document
from icr.evaluate import EVAL_FIELDS, field_correct, read_gold
from icr.types import Extraction, FieldValue

FLAG_FIELDS = ("total", "date")
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass
class Doc:
    name: str
    ocr_confidence: float
    fields: dict[str, FieldValue]
    reasons: list[str]
    needs_review: bool
    gold: dict[str, Any]
    text: str = ""
    scanned: bool = True
    """Read off a scan (False: a typed transcript, read by the text corrector alone)."""

    def extraction(self) -> Extraction:
        return Extraction(dict(self.fields), self.text, review_reasons=list(self.reasons))

    def features(
        self, name: str, keep: tuple[str, ...] = FEATURES, close_within: float | None = None
    ) -> dict[str, float]:
        x = features(self.fields[name], self.extraction(), self.ocr_confidence, close_within=close_within)
        return {k: v for k, v in x.items() if k in keep}

    def labelled(self, name: str) -> bool:
        """Whether the ground truth has the field (expressexpense labels no address)."""
        return bool(self.gold.get(name))

    def right(self, name: str) -> bool:
        fv = self.fields.get(name)
        return fv is not None and field_correct(name, fv.value, self.gold.get(name))


def load(db: str, gold_dir: Path) -> list[Doc]:
    url = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    engine = open_engine(url)
    out: list[Doc] = []
    with Session(engine) as session:
        for d in session.scalars(select(Document).options(selectinload(Document.fields))):
            gold = read_gold(gold_dir / f"{d.name}.json")
            if gold is None:
                continue
            fields = {
                f.name: FieldValue(
                    f.name,
                    f.value or "",
                    f.amount if f.amount is not None else f.date_value,
                    f.raw or "",
                    f.confidence or 0.0,
                    f.source or "",
                    margin=f.margin,
                )
                for f in d.fields
                if f.value is not None
            }
            reasons = [r.strip() for r in (d.review_reasons or "").split(";") if r.strip()]
            text = d.corrected_text or ""
            out.append(Doc(d.name, d.ocr_confidence or 0.0, fields, reasons, d.needs_review, gold, text))
    engine.dispose()
    return out


def load_text(gold_dir: Path, exclude: list[Path]) -> list[Doc]:
    """Readings of the typed transcripts ``<id>.ocr.txt`` of ``gold_dir`` by the text corrector
    alone (no image: more labelled readings than the scanned sets have, from their distribution),
    leaving out the ids labelled in any folder of ``exclude`` (a test set)."""
    from icr.config import load_settings
    from icr.text import ocr_from_lines
    from icr.text.corrector import DefaultTextCorrector

    corrector = DefaultTextCorrector(load_settings())
    skip = {p.stem for folder in exclude for p in folder.glob("*.json")}
    out: list[Doc] = []
    for path in sorted(gold_dir.glob("*.ocr.txt")):
        name = path.name.removesuffix(".ocr.txt")
        gold = read_gold(gold_dir / f"{name}.json")
        if name in skip or gold is None:
            continue
        ocr = ocr_from_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())
        ex = corrector.extract(ocr)
        fields = {n: fv for n, fv in ex.fields.items() if fv.value is not None}
        reasons = list(ex.review_reasons)
        out.append(Doc(name, ocr.mean_confidence, fields, reasons, ex.needs_review, gold, ex.corrected_text, False))
    return out


def applied(docs: list[Doc], cal: Calibration | None) -> list[Doc]:
    """The documents as ingest with ``cal`` stores them (None: as they are)."""
    if cal is None:
        return docs
    out = []
    for d in docs:
        ex = calibrate(d.extraction(), d.ocr_confidence, cal)
        out.append(replace(d, fields=ex.fields, reasons=ex.review_reasons, needs_review=ex.needs_review))
    return out


def figures(docs: list[Doc]) -> dict[str, Any]:
    readings = [
        (d.fields[n].confidence, d.right(n)) for d in docs for n in EVAL_FIELDS if n in d.fields and d.labelled(n)
    ]
    high = [ok for c, ok in readings if c >= 0.9]
    curve = []
    for lo, hi in itertools.pairwise(BINS):
        inside = [(c, ok) for c, ok in readings if lo <= c < hi]
        curve.append(
            {
                "bin": f"{lo:.2f}-{min(hi, 1.0):.2f}",
                "fields": len(inside),
                "mean_confidence": round(sum(c for c, _ in inside) / len(inside), 3) if inside else None,
                "right": round(sum(ok for _, ok in inside) / len(inside), 3) if inside else None,
            }
        )
    caught = {}
    for name in FLAG_FIELDS:
        wrong = [d for d in docs if d.labelled(name) and not d.right(name)]
        caught[name] = {
            "wrong": len(wrong),
            "caught": round(sum(d.needs_review for d in wrong) / len(wrong), 3) if wrong else None,
        }
    wrong_any = [d for d in docs if any(d.labelled(n) and not d.right(n) for n in FLAG_FIELDS)]
    return {
        "documents": len(docs),
        "fields_at_0.9": len(high),
        "right_at_0.9": round(sum(high) / len(high), 4) if high else None,
        "flagged": round(sum(d.needs_review for d in docs) / len(docs), 3) if docs else None,
        "caught": caught,
        "caught_total_or_date": round(sum(d.needs_review for d in wrong_any) / len(wrong_any), 3)
        if wrong_any
        else None,
        "curve": curve,
    }


def fit_models(
    docs: list[Doc],
    l2: float,
    caution: float = 1.0,
    keep: tuple[str, ...] = FEATURES,
    close_within: float | None = None,
    text_fields: tuple[str, ...] = EVAL_FIELDS,
) -> dict[str, FieldModel]:
    """Per field: logistic weights for the score (on the features ``keep``; one that never varies
    for the field is left out), then the measured chance of being right at each score. Readings
    of transcripts count for ``text_fields`` only (a clean text reads company and address better
    than a scan: their chance would be too high on scans)."""
    models = {}
    for name in EVAL_FIELDS:
        rows = [
            (d.features(name, keep, close_within), d.right(name))
            for d in docs
            if name in d.fields and d.labelled(name) and (d.scanned or name in text_fields)
        ]
        varying = {k for k in keep if k == "bias" or len({x[k] for x, _ in rows}) > 1}
        rows = [({k: v for k, v in x.items() if k in varying}, ok) for x, ok in rows]
        if len({ok for _, ok in rows}) < 2:
            continue  # no labels (expressexpense has no address), or nothing to tell apart
        bare = FieldModel(fit_logistic(rows, l2=l2))
        models[name] = FieldModel(bare.weights, monotone_curve([(bare.score(x), ok) for x, ok in rows], caution))
    return models


def thresholds(
    docs: list[Doc],
    models: dict[str, FieldModel],
    max_flagged: float,
    close_within: float | None = None,
    rounding_pair: Decimal | None = None,
) -> dict[str, float]:
    """The review thresholds for total and date catching the most wrong ones within the budget
    (ties: the budget used, the least confident readings flagged — 5-fold cross-validation on the
    dev sets caught more held out so than flagging the fewest). A document is flagged as :func:`icr.calibrate.calibrate`
    flags it: a reason it keeps (a missing field), or a calibrated total or date under its threshold.
    Scans and transcripts count alike (5-fold cross-validation on both caught as many held out so
    as with the budget on the scans alone, and kept the transcripts' flagged share in it)."""
    rows = []
    # no thresholds: the reasons every threshold keeps (a missing field, a rounding pair)
    for d in applied(docs, Calibration(models, {}, close_within, rounding_pair)):
        p = {n: d.fields[n].confidence if n in d.fields else None for n in FLAG_FIELDS}
        wrong = any(d.labelled(n) and not d.right(n) for n in FLAG_FIELDS)
        rows.append((d.needs_review, p["total"], p["date"], wrong))

    def cuts(i: int) -> list[float]:
        values = sorted({r[i] for r in rows if r[i] is not None})
        return [0.0] + [round(v + 0.0005, 4) for v in values]

    best: tuple[float, float, dict[str, float]] | None = None
    n_wrong = max(1, sum(r[3] for r in rows))
    for t in cuts(1):
        for d in cuts(2):
            flags = [kept or (pt is not None and pt < t) or (pd is not None and pd < d) for kept, pt, pd, _ in rows]
            flagged = sum(flags) / len(rows)
            if flagged > max_flagged:
                continue
            caught = sum(f for f, r in zip(flags, rows, strict=True) if r[3]) / n_wrong
            if best is None or (caught, flagged) > best[:2]:
                best = (caught, flagged, {"total": t, "date": d})
    assert best is not None, "no thresholds within the flagging budget"
    return best[2]


def cross_validated(
    docs: list[Doc],
    l2: float,
    max_flagged: float,
    caution: float = 1.0,
    folds: int = 5,
    keep: tuple[str, ...] = FEATURES,
    close_within: float | None = None,
    text_fields: tuple[str, ...] = EVAL_FIELDS,
    rounding_pair: Decimal | None = None,
) -> list[Doc]:
    """Each held-out fold of ``docs`` as calibrated when fitted on the rest, pooled. A receipt's
    scan and its transcript fall in one fold."""
    names = sorted({d.name for d in docs})
    random.Random(0).shuffle(names)
    fold = {n: i % folds for i, n in enumerate(names)}
    held: list[Doc] = []
    for k in range(folds):
        test = [d for d in docs if fold[d.name] == k]
        train = [d for d in docs if fold[d.name] != k]
        m = fit_models(train, l2, caution, keep, close_within, text_fields)
        below = thresholds(train, m, max_flagged, close_within, rounding_pair)
        cal = Calibration(m, below, close_within, rounding_pair)
        held += applied(test, cal)
    return held


def split_figures(docs: list[Doc]) -> dict[str, Any]:
    """:func:`figures` of the scanned documents and of the transcripts apart."""
    parts = {"scanned": [d for d in docs if d.scanned], "text": [d for d in docs if not d.scanned]}
    return {k: figures(v) for k, v in parts.items() if v}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("sets", nargs="+", metavar="DB GOLD_DIR", help="one or more pairs of a database and its labels")
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--l2", type=float, default=1.0)
    f.add_argument("--max-flagged", type=float, default=0.25)
    f.add_argument("--caution", type=float, default=1.0, help="standard deviations below each run's share right")
    f.add_argument("--features", default=",".join(FEATURES), help="the features to weigh (comma-separated)")
    f.add_argument(
        "--close-within", type=float, default=2.0, help="a lead in the extractor's score under this is a close call"
    )
    f.add_argument("--text", type=Path, action="append", default=[], help="a folder of labelled transcripts")
    f.add_argument("--exclude-dir", type=Path, action="append", default=[], help="leave out the ids labelled here")
    f.add_argument("--text-fields", default="total,date", help="the fields the transcripts' readings fit")
    f.add_argument(
        "--rounding-pair",
        type=float,
        default=None,
        help="flag a total that another printed amount lies within this of (the budget counts these flags)",
    )
    m = sub.add_parser("measure")
    m.add_argument("db")
    m.add_argument("gold", type=Path)
    m.add_argument("--calibration", type=Path, default=None)
    m.add_argument("--stored", action="store_true", help="the database was ingested with calibration on")
    m.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "fit":
        if len(args.sets) % 2:
            ap.error("fit takes pairs: DB GOLD_DIR [DB GOLD_DIR ...]")
        pairs = list(zip(args.sets[::2], map(Path, args.sets[1::2]), strict=True))
        docs = [d for db, gold in pairs for d in load(db, gold)]
        texts = [d for folder in args.text for d in load_text(folder, args.exclude_dir)]
        keep = tuple(k.strip() for k in args.features.split(",") if k.strip())
        unknown = set(keep) - set(FEATURES)
        if unknown:
            ap.error(f"unknown features {sorted(unknown)} (known: {', '.join(FEATURES)})")
        text_fields = tuple(k.strip() for k in args.text_fields.split(",") if k.strip())
        if set(text_fields) - set(EVAL_FIELDS):
            ap.error(f"--text-fields: one of {', '.join(EVAL_FIELDS)}")
        close = args.close_within if "close" in keep else None
        docs += texts
        pair = Decimal(str(args.rounding_pair)) if args.rounding_pair else None
        models = fit_models(docs, args.l2, args.caution, keep, close, text_fields)
        below = thresholds(docs, models, args.max_flagged, close, pair)
        cal = Calibration(models, below, close, pair)
        scanned = len(docs) - len(texts)
        folders = " and ".join(t.name for t in args.text)
        transcripts = f"# and {len(texts)} transcripts of {folders} (for {', '.join(text_fields)})\n" if texts else ""
        header = (
            f"# Field-confidence calibration (icr/calibrate.py): fitted {dt.date.today()} on {scanned} receipts\n"
            f"# of {' and '.join(g.name for _, g in pairs)} by benchmarks/calibration.py fit\n"
            f"{transcripts}"
            f"# (l2 {args.l2}, caution {args.caution}, at most {args.max_flagged:.0%} of documents flagged).\n"
            "# Per field: a score z = sum(weight * feature), and the measured chance of being right\n"
            "# at each score (curve: [z, p] points, linear between them).\n"
        )
        args.out.write_text(header + yaml.safe_dump(cal.as_dict(), sort_keys=False), encoding="utf-8")
        held = cross_validated(
            docs,
            args.l2,
            args.max_flagged,
            args.caution,
            keep=keep,
            close_within=close,
            text_fields=text_fields,
            rounding_pair=pair,
        )
        report = {"fitted_on": split_figures(applied(docs, cal)), "cross_validated": split_figures(held)}
        print(json.dumps(report, indent=2))
        return 0
    docs = load(args.db, args.gold)
    cal = None if args.stored else load_calibration(args.calibration)
    result = figures(applied(docs, cal))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"documents {result['documents']}, flagged {result['flagged']}")
        print(f"fields with confidence >= 0.9: {result['fields_at_0.9']}, right {result['right_at_0.9']}")
        for name, c in result["caught"].items():
            print(f"wrong {name}: {c['wrong']}, caught by the flag {c['caught']}")
        for row in result["curve"]:
            print(f"  {row['bin']}: {row['fields']} fields, mean {row['mean_confidence']}, right {row['right']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
