"""Exact resume: ``kill -9`` of ``icr ingest`` at any moment, then the same command again.

Every document ends in the database exactly once (none lost, none duplicated), and a
reader watching the database meanwhile never sees a half-written document.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from test_faults_support import fake_config, subprocess_env, write_receipts

from icr.db.database import open_engine, upgrade

N = 80

HALF_WRITTEN = text(
    "SELECT d.source FROM documents d WHERE d.status = 'ok' AND "
    "(SELECT count(*) FROM fields f WHERE f.document_id = d.id) <> 2"
)


def _counts(engine: Engine) -> tuple[int, int, list[str]]:
    """(documents, distinct sha256s, ok documents missing a field) as another reader sees them."""
    with engine.connect() as conn:
        # One statement, so that both counts come from the same snapshot.
        total, distinct = conn.execute(text("SELECT count(*), count(DISTINCT sha256) FROM documents")).one()
        partial = list(conn.execute(HALF_WRITTEN).scalars())
    return int(total), int(distinct), partial


def _start(cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def _kill_when(proc: subprocess.Popen[bytes], reader: Engine, *, stored: int, or_after: float) -> int:
    """SIGKILL the ingest process once ``stored`` documents are visible (or after ``or_after`` s),
    checking all the while that no half-written document is visible; returns the count at the kill."""
    deadline = time.monotonic() + or_after
    seen = 0
    while proc.poll() is None:
        try:
            seen, distinct, partial = _counts(reader)
        except Exception:  # the schema is not there yet
            seen, distinct, partial = 0, 0, []
        assert not partial, f"half-written documents visible: {partial}"
        assert seen == distinct, "a document stored twice"
        if seen >= stored or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # kill -9 of icr ingest itself
    proc.wait(timeout=10)
    time.sleep(0.2)
    # Then tidy up its orphaned workers (they can write nothing: only the parent writes).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return seen


@pytest.mark.slow
def test_kill_9_at_any_moment_then_rerun_stores_every_document_exactly_once(db_url: str, tmp_path: Path) -> None:
    write_receipts(tmp_path / "in", N)
    config = fake_config(tmp_path / "c.yaml", delay=0.03)
    cmd = [sys.executable, "-m", "icr", "ingest", str(tmp_path / "in"), "--db", db_url, "-j", "2", "-q"]
    cmd += ["--config", str(config)]
    engine = open_engine(db_url)
    upgrade(engine)
    reader = create_engine(db_url)
    rng = random.Random(7)
    try:
        kills = []
        # A kill while starting up (hashing, spawning workers), then two while storing.
        kills.append(_kill_when(_start(cmd), reader, stored=1, or_after=rng.uniform(0.2, 0.8)))
        kills.append(_kill_when(_start(cmd), reader, stored=N // 4, or_after=60))
        kills.append(_kill_when(_start(cmd), reader, stored=N // 2 + rng.randrange(10), or_after=60))
        assert kills[1] < N and kills[2] < N, f"ingest finished before it was killed: {kills}"
        final = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
        total, distinct, partial = _counts(reader)
        assert (total, distinct, partial) == (N, N, [])
        with reader.connect() as conn:
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM documents GROUP BY status")).all())
            sources = set(conn.execute(text("SELECT source FROM documents")).scalars())
        assert statuses == {"ok": N}
        assert sources == {str(p) for p in (tmp_path / "in").iterdir()}
        resumed = re.search(r"ok (\d+), failed 0, skipped (\d+)", final.stderr)
        assert resumed and int(resumed[1]) + int(resumed[2]) == N and int(resumed[2]) >= kills[2]
    finally:
        reader.dispose()
        engine.dispose()


@pytest.mark.dask
@pytest.mark.slow
def test_kill_9_with_the_dask_executor_then_rerun(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    n = 24
    write_receipts(tmp_path / "in", n)
    db_url = f"sqlite:///{tmp_path / 'dask.db'}"
    cmd = [sys.executable, "-m", "icr", "ingest", str(tmp_path / "in"), "--db", db_url, "-j", "2", "-q"]
    cmd += ["--executor", "dask", "--config", str(fake_config(tmp_path / "c.yaml", delay=0.1))]
    engine = open_engine(db_url)
    upgrade(engine)
    reader = create_engine(db_url)
    try:
        killed_at = _kill_when(_start(cmd), reader, stored=n // 4, or_after=90)
        assert 0 < killed_at < n
        final = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
        skipped = re.search(r"ok (\d+), failed 0, skipped (\d+)", final.stderr)
        assert skipped and int(skipped[2]) >= killed_at and int(skipped[1]) + int(skipped[2]) == n
        assert _counts(reader) == (n, n, [])
    finally:
        reader.dispose()
        engine.dispose()
