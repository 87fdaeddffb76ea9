"""benchmarks/degrade.py's print-quality copies and the labelled layout `icr eval` reads, on a
receipt rendered here (no research data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import ROOT, benchmark_module


def _scan(path: Path) -> Path:
    page = np.full((1200, 600, 3), 245, np.uint8)
    for row, text in enumerate(["SHOP SDN BHD", "MILK 7.90", "TOTAL 7.90"]):
        cv2.putText(page, text, (30, 120 + 90 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    cv2.imwrite(str(path), page)
    return path


def test_quality_variants_fade_blur_and_shrink_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    degrade = benchmark_module("degrade", monkeypatch)
    img = cv2.imread(str(_scan(tmp_path / "r.jpg")))
    rng = np.random.default_rng(0)
    small = degrade.QUALITY_VARIANTS["lowres"](img, rng)
    assert max(small.shape[:2]) == 700 and small.shape[2] == 3
    faded = degrade.QUALITY_VARIANTS["faded"](img, rng)
    assert faded.shape == img.shape and faded.min() > img.min() + 80  # the ink is paler
    blurred = degrade.QUALITY_VARIANTS["blur"](img, rng)
    edges = lambda a: float((np.diff(a.astype(float), axis=1) ** 2).sum())  # noqa: E731 (sharpness)
    assert blurred.shape == img.shape and edges(blurred) < 0.7 * edges(img)


def test_light_variants_dim_glare_shake_and_crumple_a_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    degrade = benchmark_module("degrade", monkeypatch)
    img = cv2.imread(str(_scan(tmp_path / "r.jpg")))
    assert 20 <= degrade.letter_height(img) <= 40  # cv2's 1.2-scale capitals
    rng = np.random.default_rng(0)
    out = {name: make(img, rng) for name, make in degrade.LIGHT_VARIANTS.items()}
    assert all(o.shape == img.shape and o.dtype == np.uint8 for o in out.values())
    dim = out["dim"].astype(float)
    assert dim.mean() < 0.55 * img.mean() and dim[..., 0].mean() < dim[..., 2].mean()  # darker, warm
    ink = degrade.LIGHT_VARIANTS["glare"](np.full_like(img, 20), rng)[..., 0].astype(float)  # ink everywhere
    assert ink.max() > 150 and np.median(ink) < 40  # washed out in the patch, not elsewhere
    a, b = img.astype(float), out["motion"].astype(float)
    edges = lambda x: float((np.diff(x, axis=0) ** 2).sum() + (np.diff(x, axis=1) ** 2).sum())  # noqa: E731
    assert edges(b) < 0.8 * edges(a)
    moved = np.abs(out["crumpled"].astype(float) - img.astype(float)).mean()
    assert moved > 1.0 and abs(out["crumpled"].mean() - img.mean()) < 20  # warped and shaded, still paper


def test_the_flat_layout_pairs_each_copy_with_its_labels(tmp_path: Path) -> None:
    source = tmp_path / "set"
    source.mkdir()
    _scan(source / "r1.jpg")
    (source / "r1.json").write_text(json.dumps({"total": "7.90"}), encoding="utf-8")
    (source / "r1.ocr.txt").write_text("SHOP SDN BHD\nTOTAL 7.90\n", encoding="utf-8")
    out = tmp_path / "copies"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "degrade.py"), str(source), str(out)]
    subprocess.run([*cmd, "--variants", "faded,blur", "--flat"], check=True, capture_output=True, timeout=120)
    flat = sorted(p.name for p in (out / "flat").iterdir())
    assert flat == [f"{v}__r1{s}" for v in ("blur", "faded") for s in (".json", ".ocr.txt", ".png")]
    assert json.loads((out / "flat" / "faded__r1.json").read_text(encoding="utf-8")) == {"total": "7.90"}
    assert cv2.imread(str(out / "flat" / "blur__r1.png")) is not None
    bad = subprocess.run([*cmd, "--variants", "smudge"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown variants ['smudge']" in bad.stderr


def test_a_curled_photo_bends_its_lines_and_keeps_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    degrade = benchmark_module("degrade", monkeypatch)
    page = np.full((1200, 600, 3), 245, np.uint8)
    for y in range(150, 1100, 100):  # rules across the page (no print: the curl is scaled to 20 px letters)
        cv2.line(page, (20, y), (580, y), (20, 20, 20), 3)
    out = degrade.SHAPE_VARIANTS["curled"](page, np.random.default_rng(3))
    grown = out.shape[0] - page.shape[0]
    assert out.shape[1:] == page.shape[1:] and grown > 0  # paper for the ends of the roll to bend into

    def rise(img: np.ndarray) -> float:
        """How much higher the ink at the right end of the page stands than at its left, on average."""
        ink = img[..., 0] < 128
        rows = np.arange(img.shape[0])[:, None]
        left, right = ink[:, 20:80], ink[:, 440:500]
        return float((rows * left).sum() / left.sum() - (rows * right).sum() / right.sum())

    assert abs(rise(page)) < 2 and abs(rise(out)) > 5  # the lines are no longer level
