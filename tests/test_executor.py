"""The worker-process executor: every document once, bounded in flight, timeouts and dead workers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import text
from test_executor_helpers import CRASH_WIDTH, HANG_WIDTH, broken_stages, moody_stages

from icr.config import Settings, load_settings
from icr.db.database import open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.errors import ConfigError
from icr.executor import ProcessExecutor, WorkerStartError, document_timeout, make_executor
from icr.pipeline import Task, ingest


def image(folder: Path, name: str, width: int = 120) -> Task:
    path = folder / f"{name}.png"
    img = np.full((40, width), 255, dtype=np.uint8)
    cv2.putText(img, name[:6], (2, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
    cv2.imwrite(str(path), img)
    return Task(str(path), name.ljust(64, "0"))


@pytest.fixture
def fake_settings() -> Settings:
    stages = {"image_corrector": "none", "recognizer": "fake", "text_corrector": "fake"}
    return load_settings(overrides={"stages": stages})


def test_every_document_once_with_the_window_bounded(tmp_path: Path, fake_settings: Settings) -> None:
    tasks = [image(tmp_path, f"doc{i:02d}", 100 + i) for i in range(12)]
    executor = ProcessExecutor(fake_settings, jobs=2, prefetch=2, build=moody_stages)
    try:
        results = []
        for result in executor.run(tasks):
            in_flight = sum(len(w.sent) for w in executor._workers)
            assert in_flight <= executor.window == 4
            results.append(result)
        again = list(executor.run(tasks[:2]))  # the workers stay up between runs
    finally:
        executor.close()
    assert sorted(r.source for r in results) == sorted(t.path for t in tasks)
    assert all(r.ok for r in results), [r.error for r in results]
    assert len({r.ocr.engine for r in results if r.ocr}) == 2  # both workers did some
    assert len(again) == 2 and executor.replaced == 0


def test_a_document_past_the_time_limit_fails_and_the_batch_goes_on(tmp_path: Path, fake_settings: Settings) -> None:
    tasks = [image(tmp_path, "a"), image(tmp_path, "stuck", HANG_WIDTH), image(tmp_path, "b"), image(tmp_path, "c")]
    tasks += [image(tmp_path, f"more{i}") for i in range(4)]
    # a limit a loaded machine does not reach on the quick documents
    executor = ProcessExecutor(fake_settings, jobs=2, prefetch=2, timeout=4.0, build=moody_stages)
    try:
        results = {Path(r.source).stem: r for r in executor.run(tasks)}
    finally:
        executor.close()
    assert len(results) == len(tasks)
    stuck = results.pop("stuck")
    assert not stuck.ok
    assert "timed out after" in (stuck.error or "") and "limit 4 s per document" in (stuck.error or "")
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert executor.replaced == 1


def test_a_document_that_kills_its_worker_is_retried_once_then_failed(tmp_path: Path, fake_settings: Settings) -> None:
    tasks = [image(tmp_path, "a"), image(tmp_path, "crash", CRASH_WIDTH), image(tmp_path, "b"), image(tmp_path, "c")]
    executor = ProcessExecutor(fake_settings, jobs=2, prefetch=2, build=moody_stages)
    try:
        results = {Path(r.source).stem: r for r in executor.run(tasks)}
    finally:
        executor.close()
    assert sorted(results) == ["a", "b", "c", "crash"]
    assert not results["crash"].ok
    assert "worker process died while reading it (exit code 9; 2 tries)" in (results["crash"].error or "")
    assert all(results[k].ok for k in "abc")
    assert executor.replaced == 2


def test_a_worker_that_cannot_start_is_an_error_with_meaning(tmp_path: Path, fake_settings: Settings) -> None:
    executor = ProcessExecutor(fake_settings, jobs=2, build=broken_stages)
    try:
        with pytest.raises(WorkerStartError, match=r"ConfigError: config/icr\.yaml: key 'recognizer\.psm'") as info:
            list(executor.run([image(tmp_path, "a")]))
    finally:
        executor.close()
    assert info.value.exit_code == ConfigError.exit_code


def test_ingest_through_workers_writes_in_the_parent(tmp_path: Path, fake_settings: Settings) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(10):
        image(folder, f"r{i}", 100 + i)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    engine = open_engine(f"sqlite:///{tmp_path / 'icr.db'}")
    upgrade(engine)
    executor = make_executor(fake_settings, jobs=2)
    assert isinstance(executor, ProcessExecutor)
    try:
        summary = ingest([folder], SqlPopulator(engine), executor, batch_size=4)
    finally:
        executor.close()
    assert (summary.ok, summary.failed) == (10, 1)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM documents GROUP BY status ORDER BY status")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("failed", 1), ("ok", 10)]


def test_settings_choose_the_executor_and_the_time_limit(fake_settings: Settings) -> None:
    assert document_timeout(fake_settings) == 60
    assert document_timeout(fake_settings.with_overrides({"recognizer": {"timeout": 0}})) == 0
    single = make_executor(fake_settings, jobs=1)  # a process too: it can be stopped at the time limit
    assert isinstance(single, ProcessExecutor) and single.jobs == 1
    single.close()
    pool = make_executor(fake_settings, jobs=3)
    assert isinstance(pool, ProcessExecutor) and pool.jobs == 3 and pool.window == 6
    pool.close()


def test_a_worker_whose_parent_is_gone_ends_quietly() -> None:
    import multiprocessing

    from icr.executor import _tell

    parent, child = multiprocessing.Pipe(duplex=True)
    assert _tell(child, ("ready",)) and parent.recv() == ("ready",)
    parent.close()  # Ctrl-C stopped the parent while the worker was starting
    assert _tell(child, ("ready",)) is False
