"""``icr preprocess``: one PNG per step and the timings."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from click.testing import CliRunner

from icr.cli.preprocess_cmd import preprocess


def _receipt(path: Path) -> None:
    img = np.full((400, 600, 3), 255, np.uint8)
    for i, t in enumerate(["SHOP SDN BHD", "TOTAL 12.50", "THANK YOU"]):
        cv2.putText(img, t, (30, 80 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    m = cv2.getRotationMatrix2D((300, 200), 5, 1.0)
    cv2.imwrite(str(path), cv2.warpAffine(img, m, (600, 400), borderValue=(255, 255, 255)))


def test_preprocess_writes_every_step_and_timings(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    _receipt(src)
    out = tmp_path / "out"
    result = CliRunner().invoke(preprocess, [str(src), str(out), "--steps", "grayscale,deskew,background,rescale"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["00_input.png", "01_grayscale.png", "02_deskew.png", "03_background.png", "04_rescale.png"]
    written = cv2.imread(str(out / "04_rescale.png"), cv2.IMREAD_UNCHANGED)
    assert written is not None and written.ndim == 2
    rows = (out / "timings.tsv").read_text().splitlines()
    assert rows[0] == "step\tseconds\tinfo"
    assert [r.split("\t")[0] for r in rows[1:]] == ["grayscale", "deskew", "background", "rescale", "total"]
    assert "skew_degrees=" in rows[2]


def test_preprocess_rejects_an_unknown_step(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    _receipt(src)
    result = CliRunner().invoke(preprocess, [str(src), str(tmp_path / "o"), "--steps", "grayscale,blur"])
    assert result.exit_code == 2
    assert "unknown image corrector step 'blur'" in result.output
