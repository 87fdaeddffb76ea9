"""Watch mode: files are ingested once complete, until Ctrl-C (exit 0), idempotent across restarts."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_faults_support import fake_config, subprocess_env, write_receipts

from icr.watch import FolderScanner


def test_a_file_is_ready_only_once_its_size_holds_still(tmp_path: Path) -> None:
    scanner = FolderScanner(tmp_path)
    growing = tmp_path / "a.png"
    growing.write_bytes(b"\x89PNG part")
    (tmp_path / ".partial.png").write_bytes(b"hidden temporaries are left alone")
    assert scanner.scan() == []  # first sighting
    with growing.open("ab") as fh:
        fh.write(b" more bytes")
    assert scanner.scan() == []  # still growing
    assert scanner.scan() == [growing]  # held still between two scans
    assert scanner.scan() == []  # handed over once
    growing.write_bytes(b"a new version")
    assert scanner.scan() == []
    assert scanner.scan() == [growing]  # a changed file is a new document


def test_a_recent_file_waits_for_min_age(tmp_path: Path) -> None:
    scanner = FolderScanner(tmp_path, min_age=60)
    (tmp_path / "b.png").write_bytes(b"x")
    assert scanner.scan() == [] and scanner.scan() == []
    assert scanner.scan(now=time.time() + 61) == [tmp_path / "b.png"]


def _count(db: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM documents")).scalar_one())
    except Exception:
        return 0
    finally:
        engine.dispose()


def _wait_for(db: str, n: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _count(db) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"only {_count(db)} of {n} documents after {timeout} s"
        time.sleep(0.2)


def _stopped(proc: subprocess.Popen[str], how: signal.Signals, timeout: float = 90) -> str:
    """Send ``how`` and wait for the watch to end; its stderr. A watch that does not stop is dumped
    (faulthandler: every thread's stack, on SIGABRT) and killed, and the test fails with the dump."""
    proc.send_signal(how)
    try:
        return proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            err = proc.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            err = proc.communicate()[1]
        pytest.fail(f"the watch did not stop within {timeout} s of {how.name}:\n{err}")


def _watch_env() -> dict[str, str]:
    return {**subprocess_env(), "PYTHONFAULTHANDLER": "1"}


@pytest.mark.slow
def test_watch_ingests_arrivals_until_ctrl_c_and_restarts_idempotently(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_receipts(inbox, 3)
    db = f"sqlite:///{tmp_path / 'w.db'}"
    cmd = [sys.executable, "-m", "icr", "watch", str(inbox), "--db", db, "--interval", "0.3", "-j", "1"]
    cmd += ["--config", str(fake_config(tmp_path / "c.yaml"))]

    proc = subprocess.Popen(cmd, env=_watch_env(), stderr=subprocess.PIPE, text=True)
    _wait_for(db, 3, proc)
    # A file written slowly, in pieces: not ingested while it grows, then once, whole.
    [late] = write_receipts(tmp_path / "staging", 1, start=100)
    data = late.read_bytes()
    target = inbox / "sub" / "late.png"
    target.parent.mkdir()
    with target.open("wb") as fh:
        for i in range(0, len(data), max(1, len(data) // 4)):
            fh.write(data[i : i + max(1, len(data) // 4)])
            fh.flush()
            time.sleep(0.25)
    write_receipts(inbox, 2, start=10)
    _wait_for(db, 6, proc)
    err = _stopped(proc, signal.SIGINT)  # Ctrl-C
    assert proc.returncode == 0, err
    assert "ok 6, failed 0" in err
    assert "cannot decode" not in err  # the growing file was never read half-written

    # Restart: nothing stored twice; a file added while it was down is picked up; SIGTERM stops it too.
    write_receipts(inbox, 1, start=20)
    proc = subprocess.Popen(cmd, env=_watch_env(), stderr=subprocess.PIPE, text=True)
    _wait_for(db, 7, proc)
    time.sleep(1.0)  # a few more rounds: still nothing new
    err = _stopped(proc, signal.SIGTERM)
    assert proc.returncode == 0, err
    assert "ok 1, failed 0, skipped 6" in err
    assert _count(db) == 7
