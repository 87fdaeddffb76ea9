"""OCR language per document: the chosen template's, unless --lang fixes one for the batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from conftest import SAMPLES

from icr.cli import main
from icr.config import load_settings
from icr.imaging.corrector import NoopCorrector
from icr.pipeline import Stages, Task, build_stages, process_document
from icr.types import CorrectedPage, Extraction, OcrPage, OcrResult


@dataclass
class RecordingRecognizer:
    name: str = "recording"
    calls: list[str | None] = field(default_factory=list)

    def recognize(
        self, pages: Sequence[CorrectedPage], *, language: str | None = None, psm: int | None = None
    ) -> OcrResult:
        self.calls.append(language)
        return OcrResult([OcrPage(f"read in {language or 'eng'}", [])], self.name, language or "eng")

    def close(self) -> None:
        return None


class TemplateText:
    """Chooses the 'german_receipt' template, whose options ask for Tesseract's deu model."""

    name = "template-text"

    def __init__(self) -> None:
        self.templates = [SimpleNamespace(name="german_receipt", options={"language": "deu"})]
        self.seen: list[str] = []

    def extract(self, ocr: OcrResult) -> Extraction:
        self.seen.append(ocr.text)
        return Extraction(fields={}, template="german_receipt")


def run(language: str | None) -> tuple[RecordingRecognizer, TemplateText, str]:
    recognizer, text = RecordingRecognizer(), TemplateText()
    stages = Stages(NoopCorrector({}), recognizer, text, language=language)
    result = process_document(Task(str(SAMPLES / "green-valley-grocer.png"), "0" * 64), stages)
    assert result.ok, result.error
    assert result.ocr is not None
    return recognizer, text, result.ocr.language


def test_the_templates_language_rereads_the_document() -> None:
    recognizer, text, language = run(None)
    assert recognizer.calls == [None, "deu"]
    assert text.seen == ["read in eng", "read in deu"]
    assert language == "deu"


def test_lang_fixes_the_language_for_every_document() -> None:
    recognizer, text, language = run("fra")
    assert text.seen == ["read in fra"]
    assert recognizer.calls == ["fra"]
    assert language == "fra"


def test_lang_reaches_the_workers_stages() -> None:
    fake = {"stages": {"recognizer": "fake", "text_corrector": "fake", "image_corrector": "none"}}
    assert build_stages(load_settings(overrides=fake)).language is None
    forced = load_settings(overrides={**fake, "recognizer": {"force_language": "eng+deu"}})
    assert build_stages(forced).language == "eng+deu"


def test_lang_is_checked_on_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["ingest", str(SAMPLES / "green-valley-grocer.png"), "--db", f"sqlite:///{tmp_path / 'x.db'}",
               "--lang", "English please", "-q"],
    )  # fmt: skip
    assert result.exit_code == 5  # bad command-line input
    assert "Tesseract language such as eng" in result.output
