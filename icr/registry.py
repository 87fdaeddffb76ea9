"""Stage implementations by name, as ``config/icr.yaml`` chooses them."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from icr.config import Settings
from icr.errors import ConfigError
from icr.imaging.corrector import NoopCorrector, OpenCVCorrector
from icr.ocr.recognizer import FakeRecognizer, PytesseractRecognizer
from icr.stages import ImageCorrector, Recognizer, TextCorrector

if TYPE_CHECKING:
    from icr.ocr.neural import OtherScripts
    from icr.ocr.spacing import Spacing


def load_factory(kind: str, name: str) -> Callable[[Settings], Any]:
    """The extension point: a stage named ``package.module:function`` is built by calling
    ``function(settings)`` (the module must be importable in every worker)."""
    module_name, _, attr = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{kind} '{name}': cannot import it: {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"{kind} '{name}': not a callable")
    return factory


def build_image_corrector(settings: Settings) -> ImageCorrector:
    name = settings.stage("image_corrector")
    if ":" in name:
        return load_factory("image_corrector", name)(settings)
    options = settings.section("image_corrector")
    if name == "opencv":
        return OpenCVCorrector(options)
    if name in ("none", "noop", "fake"):
        return NoopCorrector(options)
    raise ConfigError(f"unknown image_corrector '{name}' (known: opencv, none)")


def tesserocr_available() -> bool:
    return importlib.util.find_spec("tesserocr") is not None


def build_recognizer(settings: Settings) -> Recognizer:
    name = settings.stage("recognizer")
    if ":" in name:
        return load_factory("recognizer", name)(settings)
    opts = settings.section("recognizer")
    language = str(opts.get("language", "eng"))
    psm = int(opts.get("psm", 6))
    if name == "auto":
        name = "tesserocr" if tesserocr_available() and _has_tesserocr_engine() else "pytesseract"
    if name == "pytesseract":
        return PytesseractRecognizer(language=language, psm=psm)
    if name == "tesserocr":
        from icr.ocr.tesserocr_engine import TesserocrRecognizer  # type: ignore[import-not-found,unused-ignore]

        return TesserocrRecognizer(language=language, psm=psm)  # type: ignore[no-any-return,unused-ignore]
    if name == "system":
        from icr.ocr.libtesseract import SystemRecognizer

        return SystemRecognizer(language=language, psm=psm)
    if name in ("rapidocr", "hybrid", "fusion"):
        from icr.ocr import neural, rapidocr_api

        if not rapidocr_api.available():
            raise ConfigError(
                f"recognizer '{name}' needs the rapidocr and onnxruntime packages: pip install 'icr[neural]'"
            )
        slips = {str(k): str(v) for k, v in (opts.get("letter_slips") or {}).items()}
        reader = neural.RapidOcrRecognizer(
            language,
            slips,
            float(opts.get("text_score", 0.5)),
            int(opts.get("det_side", 960)),
            int(opts.get("rec_width", 96)),
            float(opts.get("small_text", 0.0)),
            neural.alphabet(opts.get("alphabet") or ()),
            tuple(str(x) for x in (opts.get("reread") or {}).get("suspects", ())),
            float((opts.get("reread") or {}).get("pad", 0.3)),
            spacing(opts.get("spacing")),
            str(opts.get("det_model", "float")),
            float(opts.get("tile_aspect", 0.0)),
            other_scripts(opts.get("other_scripts")),
            float(opts.get("zoom", 0.0)),
            int(opts.get("retry_side", 0)),
            float(opts.get("retry_below", 20.0)),
            float(opts.get("column_gap", 0.0)),
            float(opts.get("column_zoom", 1.2)),
            int(opts.get("block_growth", 0)),
        )
        if name in ("hybrid", "fusion"):
            tesseract = build_recognizer(settings.with_overrides({"stages": {"recognizer": "auto"}}))
            if name == "hybrid":
                return neural.HybridRecognizer(tesseract, gap=float(opts.get("line_gap", 1.2)))
            from icr.ocr.fusion import FusionRecognizer, FusionRules

            fusion = dict(opts.get("fusion") or {})
            rules = FusionRules(
                tuple(str(p) for p in fusion.get("valid_tokens", ())), int(fusion.get("max_edits", 2))
            )
            return FusionRecognizer(reader, tesseract, rules)
        return reader
    if name == "fake":
        return FakeRecognizer(default_lines=list(opts.get("fake_lines", [])))
    known = "auto, tesserocr, pytesseract, system, rapidocr, hybrid, fusion, fake"
    raise ConfigError(f"unknown recognizer '{name}' (known: {known})")


def other_scripts(opts: Any) -> OtherScripts | None:
    """``recognizer.other_scripts`` as the neural recognizer takes it (None or false: off)."""
    from icr.ocr.neural import OtherScripts

    if not opts:
        return None
    return OtherScripts(**{str(k): v for k, v in dict(opts).items()})


def spacing(opts: Any) -> Spacing | None:
    """``recognizer.spacing`` as the neural recognizer takes it (None: off)."""
    if not opts:
        return None
    from icr.ocr.spacing import Spacing

    return Spacing(
        float(opts.get("gap", Spacing.gap)),
        float(opts.get("relative", Spacing.relative)),
        float(opts.get("digits", Spacing.digits)),
    )


def _has_tesserocr_engine() -> bool:
    return importlib.util.find_spec("icr.ocr.tesserocr_engine") is not None


def build_text_corrector(settings: Settings) -> TextCorrector:
    name = settings.stage("text_corrector")
    if ":" in name:
        return load_factory("text_corrector", name)(settings)
    from icr.text import corrector

    if name == "default":
        return corrector.DefaultTextCorrector(settings)
    if name == "fake":
        return corrector.FakeTextCorrector(settings)
    raise ConfigError(f"unknown text_corrector '{name}' (known: default, fake)")
