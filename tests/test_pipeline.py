"""The pipeline with fake stages: batching, skipping, reprocessing, bad input — no OCR."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from icr.config import Settings, load_settings
from icr.db.database import open_engine, upgrade
from icr.db.models import Document, Field
from icr.db.populator import MemoryPopulator, SqlPopulator
from icr.executor import InlineExecutor, ProcessExecutor
from icr.imaging.corrector import NoopCorrector
from icr.ocr.recognizer import FakeRecognizer
from icr.pipeline import Stages, Task, discover, ingest, plan, process_document
from icr.text.corrector import FakeTextCorrector

LINES = ["CORNER SHOP", "12 MAIN ST", "DATE 04/07/2013", "TOTAL 12.59"]


def fake_settings() -> Settings:
    return load_settings(
        overrides={
            "stages": {"image_corrector": "none", "recognizer": "fake", "text_corrector": "fake"},
            "recognizer": {"fake_lines": LINES},
        }
    )


def fake_stages() -> Stages:
    s = fake_settings()
    return Stages(NoopCorrector({}), FakeRecognizer(default_lines=LINES), FakeTextCorrector(s))


def make_images(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(start, start + n):
        img = np.full((64, 96), 255, np.uint8)
        cv2.putText(img, str(i), (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        path = folder / f"doc{i:03d}.png"
        cv2.imwrite(str(path), img)
        out.append(path)
    return out


def test_process_document_runs_the_stages_in_order(tmp_path: Path) -> None:
    (path,) = make_images(tmp_path, 1)
    result = process_document(Task(str(path), "x" * 64), fake_stages())
    assert result.ok and result.pages == 1
    assert result.ocr is not None and result.ocr.text.splitlines()[0] == "CORNER SHOP"
    assert result.extraction is not None and result.extraction.fields["total"].value == "12.59"
    assert {"load", "correct", "recognize", "extract", "total"} <= set(result.timings)


def test_discover_is_recursive_follows_symlinks_and_filters(tmp_path: Path) -> None:
    make_images(tmp_path / "a" / "b", 2)
    (tmp_path / "notes.txt").write_text("not a scan")
    other = tmp_path.parent / (tmp_path.name + "-linked")
    make_images(other, 1, start=50)
    (tmp_path / "link").symlink_to(other, target_is_directory=True)
    names = sorted(p.name for p in discover([tmp_path]))
    assert names == ["doc000.png", "doc001.png", "doc050.png"]


def test_ingest_skips_known_and_duplicates_then_reprocesses(tmp_path: Path) -> None:
    files = make_images(tmp_path / "in", 3)
    (tmp_path / "in" / "copy.png").write_bytes(files[0].read_bytes())  # same bytes, other name
    pop = MemoryPopulator()
    ex = InlineExecutor(fake_settings(), fake_stages())
    first = ingest([tmp_path / "in"], pop, ex)
    assert (first.ok, first.failed, first.skipped) == (3, 0, 1)
    again = ingest([tmp_path / "in"], pop, ex)
    assert (again.ok, again.skipped) == (0, 4)
    redo = ingest([tmp_path / "in"], pop, ex, reprocess=True)
    assert (redo.ok, redo.skipped) == (3, 1)
    assert len(pop.documents) == 3


def test_bad_inputs_become_failed_rows_and_the_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    make_images(folder, 2)
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.jpg").write_text("hello")
    (folder / "header.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    missing = tmp_path / "missing.png"
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = open_engine(url)
    upgrade(engine)
    summary = ingest([folder, missing], SqlPopulator(engine), InlineExecutor(fake_settings(), fake_stages()))
    assert (summary.ok, summary.failed) == (2, 4)
    with Session(engine) as s:
        rows = {Path(d.source).name: (d.status, d.error) for d in s.scalars(select(Document))}
    assert rows["empty.png"][0] == "failed" and "empty file" in rows["empty.png"][1]
    assert "not an image" in rows["text.jpg"][1] and "text.jpg" in rows["text.jpg"][1]
    assert "truncated or corrupt" in rows["header.png"][1]
    assert "no such file" in rows["missing.png"][1]
    assert rows["doc000.png"] == ("ok", None)
    # Running again retries the failed ones in place: still one row per document.
    ingest([folder, missing], SqlPopulator(engine), InlineExecutor(fake_settings(), fake_stages()))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 6
        assert s.scalar(select(func.count()).select_from(Field)) > 0
    engine.dispose()


def test_plan_reports_unreadable_path(tmp_path: Path) -> None:
    tasks, failed, skipped = plan([tmp_path / "nope.png"], MemoryPopulator())
    assert tasks == [] and skipped == 0
    assert failed[0].status == "failed" and "nope.png" in (failed[0].error or "")


@pytest.mark.slow
def test_process_executor_matches_inline(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 6)
    pop_a, pop_b = MemoryPopulator(), MemoryPopulator()
    ingest([tmp_path / "in"], pop_a, InlineExecutor(fake_settings(), fake_stages()))
    ex = ProcessExecutor(fake_settings(), jobs=2)
    try:
        summary = ingest([tmp_path / "in"], pop_b, ex, batch_size=2)
    finally:
        ex.close()
    assert summary.ok == 6
    assert set(pop_a.documents) == set(pop_b.documents)
    for sha, doc in pop_b.documents.items():
        assert doc.extraction is not None and pop_a.documents[sha].extraction is not None
        assert doc.extraction.fields.keys() == pop_a.documents[sha].extraction.fields.keys()


class _RecordingRecognizer(FakeRecognizer):
    def __init__(self) -> None:
        super().__init__(default_lines=LINES)
        self.calls: list[tuple[str | None, int | None]] = []

    def recognize(self, pages, *, language=None, psm=None):  # type: ignore[no-untyped-def]
        self.calls.append((language, psm))
        return super().recognize(pages, language=language, psm=psm)


class _RecordingCorrector(NoopCorrector):
    def __init__(self) -> None:
        super().__init__({})
        self.steps: list[list[str] | None] = []

    def correct(self, page, steps=None):  # type: ignore[no-untyped-def]
        self.steps.append(None if steps is None else list(steps))
        return super().correct(page, steps)


def test_template_read_options_make_a_second_reading(tmp_path: Path) -> None:
    from dataclasses import dataclass, field

    @dataclass
    class _Template:
        name: str
        options: dict[str, object] = field(default_factory=dict)

    class _Text(FakeTextCorrector):
        templates = (_Template("fake", {"psm": 4, "steps": ["grayscale"], "language": "eng"}),)

        def extract(self, ocr):  # type: ignore[no-untyped-def]
            out = super().extract(ocr)
            out.template = "fake"
            return out

    (path,) = make_images(tmp_path, 1)
    recognizer, corrector = _RecordingRecognizer(), _RecordingCorrector()
    result = process_document(Task(str(path), "y" * 64), Stages(corrector, recognizer, _Text(fake_settings())))
    assert result.ok
    assert recognizer.calls == [(None, None), ("eng", 4)]
    assert corrector.steps == [None, ["grayscale"]]
    assert "reread" in result.timings


def test_a_missing_required_field_gets_a_second_read(tmp_path: Path) -> None:
    (path,) = make_images(tmp_path, 1)
    first = _RecordingRecognizer()
    first.default_lines = ["CORNER SHOP", "12 MAIN ST", "DATE 04/07/2013"]  # the total is not read
    second = FakeRecognizer(default_lines=LINES)
    corrector = _RecordingCorrector()
    stages = Stages(
        corrector, first, FakeTextCorrector(fake_settings()), second_read=("orientation",), second_recognizer=second
    )
    result = process_document(Task(str(path), "z" * 64), stages)
    assert result.ok and result.extraction is not None
    assert result.extraction.fields["total"].value == "12.59"
    assert not result.extraction.missing and not result.extraction.needs_review
    assert corrector.steps == [None, ["orientation"]]  # the second read keeps only the listed steps
    assert "second_read" in result.timings
    # nothing missing: read once
    corrector.steps.clear()
    stages = Stages(
        corrector,
        FakeRecognizer(default_lines=LINES),
        FakeTextCorrector(fake_settings()),
        second_read=("orientation",),
        second_recognizer=second,
    )
    result = process_document(Task(str(path), "z" * 64), stages)
    assert corrector.steps == [None] and "second_read" not in result.timings


def test_second_read_is_configured_with_its_own_recognizer() -> None:
    from icr.ocr.libtesseract import SystemRecognizer
    from icr.pipeline import build_stages

    stages = build_stages(load_settings())
    assert stages.second_read is not None and "orientation" in stages.second_read
    assert isinstance(stages.second_recognizer, SystemRecognizer)
    off = build_stages(load_settings(overrides={"second_read": {"enabled": False}}))
    assert off.second_read is None and off.second_recognizer is None
    fake = build_stages(fake_settings())
    assert fake.second_read is None and fake.second_recognizer is None
    stages.close()
    off.close()
