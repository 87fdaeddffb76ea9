"""A real cluster, as an operator runs one: ``dask scheduler`` and two ``dask worker`` processes
started from the command line on 127.0.0.1 (not a LocalCluster), ``icr ingest --scheduler`` into
the PostgreSQL server. A worker is killed with SIGKILL mid-batch (its documents run elsewhere),
then the scheduler is killed (``icr ingest`` stops with exit code 6, within seconds); the same command on a
restarted cluster finishes the batch: every document stored exactly once."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_faults_support import fake_config, subprocess_env, write_receipts

from icr.errors import ClusterError

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
N = 200


def _dask() -> str:
    beside = Path(sys.executable).with_name("dask")
    found = str(beside) if beside.exists() else shutil.which("dask")
    if not found:
        pytest.skip("the dask command is not installed (pip install icr[dask])")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """Scheduler and worker processes started as commands; every one is killed at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = subprocess_env()
        self.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), self.env["PYTHONPATH"]])
        self.env["OMP_THREAD_LIMIT"] = "1"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [_dask(), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        """A scheduler on the port and two single-threaded workers (no nanny: the process
        started is the worker, so SIGKILL kills the worker itself), waiting until both joined."""
        from distributed import Client

        self.scheduler = self._start(
            "scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"]
        )
        self.workers = [
            self._start(
                f"worker{i}",
                [
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(self.folder / f"w{i}"),
                ],
            )
            for i in (1, 2)
        ]
        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        self.procs = [p for p in self.procs if p.poll() is None]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    started = Cluster(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _stored(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total, distinct = conn.execute(text("SELECT count(*), count(DISTINCT sha256) FROM documents")).one()
            return int(total), int(distinct)
    except Exception:  # the schema is not there yet
        return 0, 0
    finally:
        engine.dispose()


def _wait_until(url: str, n: int, proc: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        total, distinct = _stored(url)
        assert total == distinct, "a document stored twice"
        if total >= n:
            return total
        assert proc.poll() is None, f"ingest ended early ({proc.returncode}) with {total} stored"
        assert time.monotonic() < deadline, f"only {total} of {n} documents after {timeout} s"
        time.sleep(0.1)


@pytest.mark.dask
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_a_command_line_cluster_loses_a_worker_and_its_scheduler_and_loses_nothing(
    cluster: Cluster, postgres_url: str, tmp_path: Path
) -> None:
    write_receipts(tmp_path / "in", N)
    config = fake_config(tmp_path / "c.yaml", delay=0.04)
    cmd = [sys.executable, "-m", "icr", "ingest", str(tmp_path / "in"), "--db", postgres_url]
    cmd += ["--scheduler", cluster.address, "--config", str(config), "-q"]
    cluster.start()

    first = subprocess.Popen(cmd, env=cluster.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until(postgres_url, 20, first, timeout=60)
        victim = cluster.workers[0]
        os.kill(victim.pid, signal.SIGKILL)  # mid-batch: both workers hold a batch now
        victim.wait(timeout=10)
        after_kill = _wait_until(postgres_url, 60, first, timeout=60)  # the other worker carries on
        assert cluster.scheduler is not None
        os.kill(cluster.scheduler.pid, signal.SIGKILL)  # the scheduler is lost mid-run, without a goodbye
        _, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    stderr = err.decode()
    assert first.returncode == ClusterError.exit_code == 6, stderr
    assert "lost the Dask scheduler" in stderr or "cannot reach the Dask scheduler" in stderr, stderr
    stored, _ = _stored(postgres_url)
    assert after_kill <= stored < N

    cluster.stop()
    cluster.start()  # a new scheduler on the same address, two new workers
    again = subprocess.run(cmd, env=cluster.env, capture_output=True, text=True, timeout=90)
    assert again.returncode == 0, again.stderr
    assert f"ok {N - stored}, failed 0, skipped {stored}" in again.stderr
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source, status FROM documents")).all()
    engine.dispose()
    assert len(rows) == N and len({source for source, _ in rows}) == N
    assert {status for _, status in rows} == {"ok"}
    assert sorted(Path(source).name for source, _ in rows) == sorted(p.name for p in (tmp_path / "in").iterdir())
