"""A poison document with the local process pool, through ``icr ingest`` (real processes):
it kills its worker every time, is recorded failed, and everything else completes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_faults_support import fake_config, subprocess_env, write_poison, write_receipts


@pytest.mark.slow
def test_poison_document_with_the_process_pool(tmp_path: Path) -> None:
    write_receipts(tmp_path / "in", 12)
    poison = write_poison(tmp_path / "in" / "receipt-00005x.png")
    db = f"sqlite:///{tmp_path / 'p.db'}"
    cmd = [sys.executable, "-m", "icr", "ingest", str(tmp_path / "in"), "--db", db, "-j", "2", "-q"]
    cmd += ["--config", str(fake_config(tmp_path / "c.yaml"))]
    proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "ok 12, failed 1" in proc.stderr
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source, status, error FROM documents WHERE status = 'failed'")).all()
    engine.dispose()
    [(source, _, error)] = rows
    assert source == str(poison) and str(poison) in error and "died" in error
