"""`icr export`: CSV and Parquet hold the same records and read back exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_reporting import RESULTS

from icr.cli import main
from icr.db.database import open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.errors import InputError
from icr.export import export_string, write_records


@pytest.fixture
def filled(db_url: str) -> str:
    engine = open_engine(db_url)
    upgrade(engine)
    SqlPopulator(engine).store(RESULTS)
    engine.dispose()
    return db_url


def test_csv_and_parquet_round_trip(filled: str, tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path, pq_path = tmp_path / "all.csv", tmp_path / "all.parquet"
    for fmt, path in (("csv", csv_path), ("parquet", pq_path)):
        res = runner.invoke(main, ["export", "--db", filled, "--format", fmt, "-o", str(path)])
        assert res.exit_code == 0, res.output
        assert f"wrote {len(RESULTS)} records" in res.stderr

    from_csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    from_pq = pd.read_parquet(pq_path)
    assert list(from_pq.columns) == list(from_csv.columns)
    assert list(from_pq.columns[:6]) == ["id", "source", "sha256", "doc_type", "status", "error"]
    assert {"company", "total", "tax", "date", "currency", "text"} <= set(from_pq.columns)
    assert len(from_pq) == len(RESULTS)
    # The same cells in both, Parquet keeping missing values as null where CSV has ''.
    for col in from_csv.columns:
        assert [v if isinstance(v, str) else "" for v in from_pq[col]] == list(from_csv[col]), col
    ying = from_pq[from_pq["id"] == "r02"].iloc[0]
    assert (ying["company"], ying["total"], ying["date"]) == ("YING THAI KITCHEN", "0.20", "2024-01-20")
    broken = from_pq[from_pq["id"] == "broken"].iloc[0]
    assert broken["status"] == "failed" and "cannot decode" in broken["error"] and pd.isna(broken["total"])


def test_parquet_needs_a_file(filled: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["export", "--db", filled, "--format", "parquet"])
    assert res.exit_code == 5
    assert "binary format" in res.stderr and "-o FILE" in res.stderr
    engine = open_engine(filled)
    with pytest.raises(InputError):
        export_string(engine, "parquet")
    buf = io.BytesIO()
    assert write_records(engine, buf, "parquet", with_text=False) == len(RESULTS)
    assert buf.getvalue()[:4] == b"PAR1"
    assert "text" not in pd.read_parquet(io.BytesIO(buf.getvalue())).columns
    engine.dispose()
