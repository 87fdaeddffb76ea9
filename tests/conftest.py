"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when configured), fakes."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from icr.config import Settings, load_settings
from icr.pipeline import Executor, Task
from icr.types import DocumentResult, Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES


def dataset(name: str) -> Path:
    """A dataset folder under ../shared/datasets, or skip the test with the reason."""
    path = DATASETS / name
    if not path.is_dir():
        pytest.skip(f"dataset {name} not found at {path} (it is read from ../shared/datasets, never copied in)")
    return path


def benchmark_module(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script ``benchmarks/<name>.py`` loaded as a module for the test's length."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(f"{name}_bench", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def requires_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("the tesseract binary is not installed (Debian package tesseract-ocr)")


def _postgres_url() -> str | None:
    return os.environ.get("ICR_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    base = _postgres_url()
    if not base:
        pytest.skip("ICR_TEST_POSTGRES_URL is not set (scripts/test.sh sets it when PostgreSQL runs)")
    name = f"icr_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


class Replay(Executor):
    """A fake executor: each task's result is the one given for its file's stem, as if read."""

    def __init__(self, results: dict[str, DocumentResult]) -> None:
        self.results = results

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        for task in tasks:
            r = self.results[Path(task.path).stem]
            yield DocumentResult(task.path, task.sha256, r.status, ocr=r.ocr, extraction=r.extraction, pages=1)


def printed(lines: Sequence[str], font: Path, width: int, step: int, size: int = 26) -> Image:
    """``lines`` typed in ``font`` (black on white, one every ``step`` px, 20 px margins): a page to read."""
    from PIL import Image as PilImage
    from PIL import ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), size)
    page = PilImage.new("L", (width, step * len(lines) + 40), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((20, 20 + step * i), line, font=face, fill=20)
    return np.asarray(page)
