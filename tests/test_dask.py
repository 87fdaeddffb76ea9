"""The Dask executor on a real LocalCluster (2 worker processes) and without a cluster."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

pytest.importorskip("distributed")

from test_faults_support import (
    fake_config,
    fake_settings,
    subprocess_env,
    write_poison,
    write_receipts,
)

from icr.cli import main
from icr.dask_executor import DaskExecutor, Parcel, process_batch
from icr.db.database import open_engine, upgrade
from icr.db.models import Document
from icr.db.populator import MemoryPopulator, SqlPopulator
from icr.errors import ClusterError
from icr.pipeline import Task, file_sha256, ingest, plan

DELAY = 0.1
"""Seconds the fake recognizer takes per page: long enough to kill a worker mid-task."""


@pytest.fixture(scope="module")
def build_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask") / "builds.txt"


@pytest.fixture(scope="module")
def cluster(build_log: Path) -> Iterator[DaskExecutor]:
    """One LocalCluster of 2 single-threaded worker processes for the module's tests."""
    executor = DaskExecutor(fake_settings(delay=DELAY, build_log=build_log), jobs=2, batch_size=2)
    executor.connect()
    yield executor
    executor.close()


def worker_pids(executor: DaskExecutor) -> dict[str, int]:
    return dict(executor.connect().run(os.getpid))


@pytest.mark.dask
def test_samples_on_a_local_cluster_are_stored_once(
    cluster: DaskExecutor, samples_dir: Path, tmp_path: Path, build_log: Path
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'd.db'}")
    upgrade(engine)
    summary = ingest([samples_dir], SqlPopulator(engine), cluster)
    images = sorted(samples_dir.rglob("*.png"))  # the sample forms too, in their folder
    assert (summary.ok, summary.failed) == (len(images), 0)
    with Session(engine) as session:
        docs = session.scalars(select(Document)).all()
        assert sorted(Path(d.source) for d in docs) == images
        assert all(d.status == "ok" and d.fields for d in docs)
    engine.dispose()
    assert len(worker_pids(cluster)) == 2
    builds = build_log.read_text().split()
    assert len(builds) == len(set(builds)), f"stages built more than once in a worker: {Counter(builds)}"


@pytest.mark.dask
@pytest.mark.slow
def test_worker_killed_during_a_batch_loses_nothing(cluster: DaskExecutor, tmp_path: Path) -> None:
    write_receipts(tmp_path / "in", 24)
    tasks, failed, _ = plan([tmp_path / "in"], MemoryPopulator())
    assert len(tasks) == 24 and not failed
    victim = next(iter(worker_pids(cluster).values()))
    results = []
    for result in cluster.run(tasks):
        if not results:  # both workers are busy with a batch now
            os.kill(victim, signal.SIGKILL)
        results.append(result)
    assert Counter(r.sha256 for r in results) == Counter(t.sha256 for t in tasks)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert victim not in worker_pids(cluster).values()  # it really died (and the nanny replaced it)


@pytest.mark.dask
@pytest.mark.slow
def test_poison_document_is_recorded_failed_and_the_rest_completes(cluster: DaskExecutor, tmp_path: Path) -> None:
    write_receipts(tmp_path / "in", 7)
    poison = write_poison(tmp_path / "in" / "receipt-00003b.png")  # shares a batch with others
    populator = MemoryPopulator()
    summary = ingest([tmp_path / "in"], populator, cluster)
    assert (summary.ok, summary.failed) == (7, 1)
    [(source, error)] = summary.failures
    assert source == str(poison)
    assert "worker process died" in error and str(poison) in error


def test_a_file_travels_as_bytes_so_workers_need_no_shared_disk(samples_dir: Path, tmp_path: Path) -> None:
    source = samples_dir / "acme-invoice.png"
    data = source.read_bytes()
    elsewhere = "/nonexistent/on/this/worker/acme invoice.png"
    sha = file_sha256(source)
    settings = fake_settings()
    [good, empty] = process_batch(
        settings, "k", [Parcel(Task(elsewhere, sha), data), Parcel(Task("/nowhere/e.png", "0" * 64), b"")]
    )
    assert good.ok and good.source == elsewhere and good.sha256 == sha
    assert not empty.ok and empty.error == "/nowhere/e.png: empty file (0 bytes)"


def test_a_file_changed_after_hashing_is_failed_not_misfiled(tmp_path: Path) -> None:
    [path] = write_receipts(tmp_path, 1)
    task = Task(str(path), file_sha256(path))
    path.write_bytes(path.read_bytes() + b"more")
    packed = DaskExecutor(fake_settings()).pack(task)
    assert not isinstance(packed, Parcel) and packed.error and "changed" in packed.error


def test_a_large_file_is_sent_by_path(tmp_path: Path) -> None:
    [path] = write_receipts(tmp_path, 1)
    packed = DaskExecutor(fake_settings(), inline_bytes=10).pack(Task(str(path), file_sha256(path)))
    assert isinstance(packed, Parcel) and packed.data is None


def test_unreachable_scheduler_is_a_clear_error_with_its_exit_code(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=re.escape("cannot reach the Dask scheduler at tcp://127.0.0.1:9")):
        DaskExecutor(fake_settings(), "tcp://127.0.0.1:9", connect_timeout=1).connect()
    config = tmp_path / "c.yaml"
    config.write_text("dask:\n  connect_timeout: 1\n", encoding="utf-8")
    [image] = write_receipts(tmp_path / "in", 1)
    args = ["ingest", str(image), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--scheduler", "tcp://127.0.0.1:9"]
    result = CliRunner().invoke(main, [*args, "--config", str(config), "-q"])
    assert result.exit_code == ClusterError.exit_code == 6, result.output
    assert "cannot reach the Dask scheduler" in result.output


@pytest.mark.dask
@pytest.mark.slow
def test_cli_ingest_with_the_dask_executor(samples_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "empty.jpg").write_bytes(b"")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    cmd = [sys.executable, "-m", "icr", "ingest", str(samples_dir), str(tmp_path / "bad"), "--db", db]
    cmd += ["--executor", "dask", "-j", "2", "-q", "--config", str(fake_config(tmp_path / "c.yaml"))]
    proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    images = len(list(samples_dir.rglob("*.png")))
    assert f"ok {images}, failed 1" in proc.stderr and "empty file (0 bytes)" in proc.stderr
