"""Hostile paths in a batch: names that are not UTF-8, FIFOs and devices named like images,
symlink loops, folders that cannot be listed. Each is one failed row (or a stored document)
and the batch goes on; none stops, hangs or explodes a run, in ``ingest`` or in ``watch``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_pipeline import fake_settings, fake_stages, make_images

from icr.db.database import open_engine, upgrade
from icr.db.models import Document
from icr.db.populator import MemoryPopulator, SqlPopulator
from icr.executor import InlineExecutor
from icr.pipeline import discover, ingest, plan
from icr.watch import FolderScanner, watch

CAFE = os.fsdecode(b"caf\xe9.png")
"""A Latin-1 file name, as Python sees it on a UTF-8 system: the stray byte as a lone surrogate."""


def _rows(url: str) -> dict[str, tuple[str, str | None]]:
    engine = open_engine(url)
    try:
        with Session(engine) as s:
            rows = [(Path(d.source).name, (d.status, d.error)) for d in s.scalars(select(Document))]
    finally:
        engine.dispose()
    named = dict(rows)
    assert len(named) == len(rows), f"a file with more than one row: {rows}"
    return named


def _database(url: str) -> SqlPopulator:
    engine = open_engine(url)
    upgrade(engine)
    return SqlPopulator(engine)


class Rounds(threading.Event):
    """A stop event for :func:`watch` that stops it after ``n`` rounds, without waiting."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n

    def wait(self, timeout: float | None = None) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.set()
        return self.is_set()


@pytest.mark.timeout(30)
def test_a_file_name_that_is_not_utf8_is_stored_with_its_bytes_escaped(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    [good] = make_images(folder, 1)
    (folder / CAFE).write_bytes(good.read_bytes() + b"\0")  # other bytes: another document
    missing = tmp_path / os.fsdecode(b"gone\xff.png")
    populator = _database(db_url)
    summary = ingest([folder, missing], populator, InlineExecutor(fake_settings(), fake_stages()))
    assert (summary.ok, summary.failed) == (2, 1)
    rows = _rows(db_url)
    assert rows["caf\\xe9.png"] == ("ok", None)
    assert rows["gone\\xff.png"] == ("failed", f"{tmp_path}/gone\\xff.png: no such file")
    populator.engine.dispose()


@pytest.mark.timeout(30)
def test_watch_goes_on_past_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    [good] = make_images(folder, 1)
    (folder / CAFE).write_bytes(good.read_bytes() + b"\0")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    populator = _database(url)
    totals = watch(folder, populator, InlineExecutor(fake_settings(), fake_stages()), interval=0, stop=Rounds(3))
    assert (totals.ok, totals.failed) == (2, 0)
    assert set(_rows(url)) == {"doc000.png", "caf\\xe9.png"}
    populator.engine.dispose()


@pytest.fixture
def specials(tmp_path: Path) -> Iterator[Path]:
    """A folder with a good image, a FIFO and a link to a device, both named like images."""
    folder = tmp_path / "in"
    make_images(folder, 1)
    os.mkfifo(folder / "pipe.jpg")
    (folder / "zero.png").symlink_to("/dev/zero")
    yield folder


@pytest.mark.timeout(20)
def test_a_fifo_or_a_device_named_like_an_image_is_a_failed_row_not_a_hang(specials: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    populator = _database(url)
    summary = ingest([specials], populator, InlineExecutor(fake_settings(), fake_stages()))
    assert (summary.ok, summary.failed) == (1, 2)
    rows = _rows(url)
    why = "cannot read file: {}, not a regular file"
    assert rows["pipe.jpg"] == ("failed", f"{specials}/pipe.jpg: " + why.format("a FIFO (named pipe)"))
    assert rows["zero.png"] == ("failed", f"{specials}/zero.png: " + why.format("a character device"))
    populator.engine.dispose()


@pytest.mark.timeout(20)
def test_watch_records_a_fifo_and_goes_on(specials: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    populator = _database(url)
    executor = InlineExecutor(fake_settings(), fake_stages())
    totals = watch(specials, populator, executor, interval=0, stop=Rounds(3))
    assert (totals.ok, totals.failed) == (1, 2)
    make_images(specials, 1, start=7)  # arrives after the FIFO: still ingested
    totals = watch(specials, populator, executor, interval=0, stop=Rounds(3))
    assert (totals.ok, totals.failed, totals.skipped) == (1, 2, 1)
    assert _rows(url)["doc007.png"] == ("ok", None)
    populator.engine.dispose()


@pytest.mark.timeout(20)
def test_symlink_loops_end_and_each_real_folder_is_visited_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    make_images(folder / "sub", 2)
    (folder / "self.jpg").symlink_to("self.jpg")
    (folder / "a").symlink_to(".", target_is_directory=True)
    (folder / "b").symlink_to(".", target_is_directory=True)
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    other = tmp_path / "elsewhere"
    make_images(other, 1, start=50)
    (folder / "link1").symlink_to(other, target_is_directory=True)
    (folder / "link2").symlink_to(other, target_is_directory=True)
    found = [p.relative_to(folder).as_posix() for p in discover([folder])]
    assert found == ["link1/doc050.png", "self.jpg", "sub/doc000.png", "sub/doc001.png"]
    tasks, failed, _ = plan([folder, folder / "self.jpg"], MemoryPopulator())
    assert len(tasks) == 3
    [loop] = failed  # named twice, one row
    assert loop.error == f"{folder}/self.jpg: cannot read file: Too many levels of symbolic links"


@pytest.mark.timeout(20)
def test_a_folder_that_cannot_be_listed_is_a_failed_row(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    make_images(folder, 1)
    make_images(folder / "locked", 1, start=5)
    locked = str(folder / "locked")
    real_scandir = os.scandir

    def scandir(path: str = ".") -> object:  # tests run as root, whom permissions never stop
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    populator = _database(db_url)
    summary = ingest([folder], populator, InlineExecutor(fake_settings(), fake_stages()))
    assert (summary.ok, summary.failed) == (1, 1)
    assert _rows(db_url)["locked"] == ("failed", f"{locked}: cannot list folder: Permission denied")
    # watch hands the folder over like a file that holds still, and it is recorded the same way
    scanner = FolderScanner(folder)
    assert scanner.scan() == []
    assert scanner.scan() == [folder / "doc000.png", folder / "locked"]
    # once it can be listed, its files replace its failure
    monkeypatch.undo()
    summary = ingest([folder], populator, InlineExecutor(fake_settings(), fake_stages()))
    assert (summary.ok, summary.failed, summary.skipped) == (1, 0, 1)
    assert _rows(db_url) == {"doc000.png": ("ok", None), "doc005.png": ("ok", None)}
    populator.engine.dispose()


@pytest.mark.timeout(30)
def test_a_fixed_file_replaces_its_failure_one_document_per_file(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    [good, other] = make_images(tmp_path / "staging", 2)
    folder.mkdir()
    (folder / "late.png").symlink_to(tmp_path / "not-yet.png")  # unreadable: no bytes to name it by
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # readable, but cannot be decoded
    (folder / "same.png").symlink_to(tmp_path / "copy.png")
    populator = _database(db_url)
    executor = InlineExecutor(fake_settings(), fake_stages())
    assert ingest([folder], populator, executor).failed == 3
    (tmp_path / "not-yet.png").write_bytes(good.read_bytes())
    (folder / "broken.png").write_bytes(other.read_bytes())
    (tmp_path / "copy.png").write_bytes(good.read_bytes())  # the bytes of another file: skipped
    summary = ingest([folder], populator, executor)
    assert (summary.ok, summary.failed, summary.skipped) == (2, 0, 1)
    assert _rows(db_url) == {"late.png": ("ok", None), "broken.png": ("ok", None)}
    # and a failure after a failure: the later one stays, alone
    (folder / "broken.png").write_bytes(b"not an image any more")
    assert ingest([folder], populator, executor).failed == 1
    (folder / "broken.png").write_bytes(b"still not an image")
    assert ingest([folder], populator, executor).failed == 1
    engine = populator.engine
    with Session(engine) as s:
        failed = [
            (Path(d.source).name, d.error) for d in s.scalars(select(Document).where(Document.status == "failed"))
        ]
    assert failed == [("broken.png", f"{folder}/broken.png: cannot decode: not an image file")]
    engine.dispose()
