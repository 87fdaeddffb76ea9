"""Stages for executor tests (no tests here), importable by spawned workers: they find tests/ on sys.path.

The image's width tells the fake recognizer how to behave: 50 px hangs, 60 px
kills the worker, anything else reads at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from icr.config import Settings
from icr.errors import ConfigError
from icr.imaging.corrector import NoopCorrector
from icr.ocr.recognizer import FakeRecognizer
from icr.pipeline import Stages
from icr.text.corrector import FakeTextCorrector
from icr.types import CorrectedPage, OcrResult

HANG_WIDTH = 50
CRASH_WIDTH = 60


class MoodyRecognizer(FakeRecognizer):
    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        width = pages[0].image.shape[1]
        if width == HANG_WIDTH:
            time.sleep(3600)
        if width == CRASH_WIDTH:
            os._exit(9)
        time.sleep(0.05)  # a little work, so that no one worker finishes a batch before the other starts
        result = super().recognize(pages, language=language, psm=psm)
        result.engine = f"moody:{os.getpid()}"
        return result


def moody_stages(settings: Settings) -> Stages:
    return Stages(
        corrector=NoopCorrector({}),
        recognizer=MoodyRecognizer(default_lines=["MOODY SHOP", "TOTAL 12.50"]),
        text=FakeTextCorrector(settings),
    )


def broken_stages(settings: Settings) -> Stages:
    raise ConfigError("config/icr.yaml: key 'recognizer.psm': must be 0-13")
