"""Test-only stages, plugged in through the registry's ``module:function`` extension point.

Workers import this module by name (``test_faults_support``), so the tests put
``tests/`` on the path of every process they start. Nothing here is production code.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from icr.config import Settings, load_settings
from icr.ocr.recognizer import FakeRecognizer
from icr.types import CorrectedPage, OcrResult

TESTS = Path(__file__).resolve().parent
FAKE_LINES = ["TEST SHOP SDN BHD", "1 COFFEE 3.50", "TOTAL 3.50"]


class PoisonRecognizer(FakeRecognizer):
    """The fake recognizer, slowed down by ``recognizer.fake_delay`` seconds per page, that
    kills its own process (SIGKILL, like the kernel's OOM killer) on an all-black page."""

    delay: float = 0.0

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        for page in pages:
            if int(page.image.max()) < 16:
                os.kill(os.getpid(), signal.SIGKILL)
            if self.delay:
                time.sleep(self.delay)
        return super().recognize(pages, language=language, psm=psm)


def poison_recognizer(settings: Settings) -> PoisonRecognizer:
    opts = settings.section("recognizer")
    recognizer = PoisonRecognizer(default_lines=list(opts.get("fake_lines", FAKE_LINES)))
    recognizer.delay = float(opts.get("fake_delay", 0.0))
    if opts.get("build_log"):  # one line per build: shows that stages are built once per worker
        with open(opts["build_log"], "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
    return recognizer


def fake_settings(delay: float = 0.0, build_log: Path | None = None, **dask: Any) -> Settings:
    """Fast stages: no image correction, the poison fake recognizer, the fake text corrector."""
    overrides: dict[str, Any] = {
        "stages": {
            "image_corrector": "none",
            "recognizer": "test_faults_support:poison_recognizer",
            "text_corrector": "fake",
        },
        "recognizer": {"fake_lines": FAKE_LINES, "fake_delay": delay, "build_log": str(build_log or "")},
    }
    if dask:
        overrides["dask"] = dask
    return load_settings(overrides=overrides)


def fake_config(path: Path, delay: float = 0.0) -> Path:
    """The same settings as a YAML file for ``icr --config`` in a subprocess."""
    path.write_text(
        "stages:\n"
        "  image_corrector: none\n"
        "  recognizer: test_faults_support:poison_recognizer\n"
        "  text_corrector: fake\n"
        "recognizer:\n"
        f"  fake_delay: {delay}\n"
        "  fake_lines: ['TEST SHOP SDN BHD', '1 COFFEE 3.50', 'TOTAL 3.50']\n",
        encoding="utf-8",
    )
    return path


def subprocess_env() -> dict[str, str]:
    """The environment for an ``icr`` subprocess: this module importable, no stray config."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), env.get("PYTHONPATH", "")) if p)
    env.pop("ICR_CONFIG", None)
    env.pop("ICR_DATABASE_URL", None)
    return env


def write_receipts(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    """``count`` small distinct PNG images (distinct bytes, so distinct documents)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        img = np.full((48, 120), 255, np.uint8)
        cv2.putText(img, f"R{i}", (4, 34), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        path = folder / f"receipt-{i:05d}.png"
        cv2.imwrite(str(path), img)
        paths.append(path)
    return paths


def write_poison(path: Path) -> Path:
    """An all-black image: the poison recognizer kills whichever worker reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros((40, 40), np.uint8))
    return path
