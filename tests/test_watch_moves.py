"""Issue 22, item 7: ``watch --done DIR --failed DIR`` move files once they are stored."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from icr.cli import main
from icr.db.populator import MemoryPopulator
from icr.errors import InputError
from icr.executor import InlineExecutor
from icr.watch import move_into, watch
from tests.test_pipeline import fake_settings, fake_stages, make_images


def test_stored_files_move_to_done_and_failed_ones_to_failed(tmp_path: Path) -> None:
    inbox, done, failed = tmp_path / "in", tmp_path / "done", tmp_path / "failed"
    make_images(inbox / "march", 2)
    (inbox / "broken.png").write_bytes(b"\x89PNG truncated")
    populator = MemoryPopulator()
    stop = threading.Event()
    moved: list[tuple[Path, Path]] = []

    def on_moved(source: Path, target: Path) -> None:
        moved.append((source, target))
        if len(moved) == 3:
            stop.set()

    executor = InlineExecutor(fake_settings(), fake_stages())
    thread = threading.Thread(
        target=watch,
        args=(inbox, populator, executor),
        kwargs={"interval": 0.05, "stop": stop, "done": done, "failed": failed, "on_moved": on_moved},
    )
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert sorted(p.relative_to(done).as_posix() for p in done.rglob("*.png")) == [
        "march/doc000.png",
        "march/doc001.png",
    ]
    assert [p.name for p in failed.iterdir()] == ["broken.png"]
    assert not list(inbox.rglob("*.png"))
    assert sum(1 for r in populator.documents.values() if r.ok) == 2  # stored before they moved


def test_a_taken_name_is_numbered_and_the_folders_must_be_outside(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "a.png").write_bytes(b"old")
    (tmp_path / "in" / "a.png").write_bytes(b"new")
    target = move_into(tmp_path / "in" / "a.png", tmp_path / "in", tmp_path / "done")
    assert target.name == "a.1.png" and target.read_bytes() == b"new"
    assert (tmp_path / "done" / "a.png").read_bytes() == b"old"
    with pytest.raises(InputError, match="outside"):
        watch(
            tmp_path / "in",
            MemoryPopulator(),
            InlineExecutor(fake_settings(), fake_stages()),
            done=tmp_path / "in" / "d",
        )
    res = CliRunner().invoke(main, ["watch", str(tmp_path / "in"), "--done", str(tmp_path / "in" / "x")])
    assert res.exit_code == 5 and "outside" in res.output
