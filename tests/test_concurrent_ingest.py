"""Two `icr ingest` processes writing into one database at once lose and duplicate nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from icr.db.database import open_engine, upgrade
from icr.db.models import Document, Field

CONFIG = """\
stages: {recognizer: fake, text_corrector: fake, image_corrector: none}
recognizer:
  fake_lines: ["CONCURRENT MART", "TOTAL 0.10"]
ingest:
  batch_size: 2
"""

N_ONLY_A, N_SHARED, N_ONLY_B = 20, 80, 20


def _png(path: Path, n: int) -> str:
    """A small grayscale PNG, different for every n; returns its sha256."""
    img = np.full((24, 24), 255, dtype=np.uint8)
    img[0, :16] = [(n >> bit & 1) * 200 for bit in range(16)]
    ok, buf = cv2.imencode(".png", img)
    assert ok
    data = buf.tobytes()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_two_ingests_at_once(db_url: str, tmp_path: Path) -> None:
    """Both start together on overlapping folders; the shared files end up stored once each.

    PostgreSQL starts empty: both processes migrate it at once (under an advisory lock). A fresh
    SQLite file has no such lock — two processes creating its schema at once collide on
    ``alembic_version`` — so the SQLite case starts from a migrated file.
    """
    if db_url.startswith("sqlite"):
        engine = open_engine(db_url)
        upgrade(engine)
        engine.dispose()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shas = set()
    for n in range(N_ONLY_A + N_SHARED + N_ONLY_B):
        target = a if n < N_ONLY_A + N_SHARED else b
        sha = _png(target / f"r{n:04d}.png", n)
        shas.add(sha)
        if N_ONLY_A <= n < N_ONLY_A + N_SHARED:
            shutil.copyfile(target / f"r{n:04d}.png", b / f"r{n:04d}.png")  # in both folders
    assert len(shas) == N_ONLY_A + N_SHARED + N_ONLY_B
    config = tmp_path / "fake.yaml"
    config.write_text(CONFIG, encoding="utf-8")

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    env.pop("ICR_DATABASE_URL", None)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "icr",
                "ingest",
                str(folder),
                "--db",
                db_url,
                "--config",
                str(config),
                "--jobs",
                "1",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for folder in (a, b)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, f"exit {p.returncode}\n{out}\n{err}"
    oks = [int(err.rsplit("ok ", 1)[1].split(",")[0]) for _, err in outputs]
    assert sum(oks) >= len(shas)  # together they read every file (shared ones once or twice)

    engine = open_engine(db_url)
    try:
        with Session(engine) as s:
            stored = s.execute(select(Document.sha256, Document.status)).all()
            assert sorted(sha for sha, _ in stored) == sorted(shas)  # none lost, none twice
            assert {status for _, status in stored} == {"ok"}
            per_doc = dict(s.execute(select(Field.document_id, func.count()).group_by(Field.document_id)).all())
            assert len(per_doc) == len(shas) and set(per_doc.values()) == {2}  # company and total, every one
        with engine.connect() as conn:
            total = conn.execute(text("SELECT COUNT(*), SUM(total) FROM v_receipts")).one()
            assert total[0] == len(shas)
    finally:
        engine.dispose()
