"""`icr export`: CSV and Parquet hold the same records and read back exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_reporting import RESULTS

from icr.cli import main
from icr.db.database import open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.errors import InputError
from icr.export import CSV_FIXED, ITEM_KEYS, export_string, write_records


@pytest.fixture
def filled(db_url: str) -> str:
    engine = open_engine(db_url)
    upgrade(engine)
    SqlPopulator(engine).store(RESULTS)
    engine.dispose()
    return db_url


def test_csv_and_parquet_hold_the_same_records_parquet_typed(filled: str, tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path, pq_path = tmp_path / "all.csv", tmp_path / "all.parquet"
    for path in (csv_path, pq_path):  # the suffix picks the format
        res = runner.invoke(main, ["export", "--db", filled, "-o", str(path)])
        assert res.exit_code == 0, res.output
        assert f"wrote {len(RESULTS)} records" in res.stderr
    assert csv_path.read_text().startswith("id,source,sha256")  # not JSONL written into a .csv

    from_csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    from_pq = pd.read_parquet(pq_path)
    assert list(from_pq.columns) == list(from_csv.columns)
    assert list(from_pq.columns[:8]) == [*CSV_FIXED]
    assert {"company", "total", "tax", "date", "currency", "line_items", "text"} <= set(from_pq.columns)
    assert len(from_pq) == len(RESULTS)
    ying = from_pq[from_pq["id"] == "r02"].iloc[0]
    assert (ying["company"], ying["total"], ying["date"]) == (
        "YING THAI KITCHEN",
        Decimal("0.20"),
        dt.date(2024, 1, 20),
    )
    assert [i["description"] for i in ying["line_items"]] == ["Soup"] and ying["line_items"][0]["amount"] == Decimal(
        "0.20"
    )
    acme = from_pq[from_pq["id"] == "r03"].iloc[0]
    assert bool(acme["needs_review"]) is True and list(acme["review_reasons"]) == [
        "tax: missing",
        "date: low confidence 0.40",
    ]
    broken = from_pq[from_pq["id"] == "broken"].iloc[0]
    assert broken["status"] == "failed" and "cannot decode" in broken["error"] and pd.isna(broken["total"])
    # The same values in the CSV, as text.
    csv_acme = from_csv[from_csv["id"] == "r03"].iloc[0]
    assert (csv_acme["total"], csv_acme["needs_review"]) == ("12.59", "true")
    assert csv_acme["review_reasons"] == "tax: missing; date: low confidence 0.40"
    for col in ("id", "source", "sha256", "status", "company"):
        assert [v if isinstance(v, str) else "" for v in from_pq[col]] == list(from_csv[col]), col

    import pyarrow.parquet as pq

    types = {f.name: str(f.type) for f in pq.read_schema(pq_path)}
    assert types["total"].startswith("decimal128") and types["date"] == "date32[day]"
    assert types["needs_review"] == "bool" and types["review_reasons"] == "list<element: string>"


def test_jsonl_records_carry_review_flags_and_line_items(filled: str) -> None:
    res = CliRunner().invoke(main, ["export", "--db", filled, "--no-text"])
    records = {r["id"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert records["r03"]["needs_review"] is True and records["r03"]["review_reasons"][0] == "tax: missing"
    assert records["r01"]["line_items"] == [
        {
            "position": 1,
            "description": "Rice",
            "quantity": "1.000",
            "unit_price": "0.04",
            "amount": "0.04",
            "raw": "Rice 0.04",
        },
        {
            "position": 2,
            "description": "Tea",
            "quantity": "1.000",
            "unit_price": "0.06",
            "amount": "0.06",
            "raw": "Tea 0.06",
        },
    ]


def test_line_items_as_rows(filled: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["export", "--db", filled, "--items", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["id"], r["description"], r["amount"]) for r in rows] == [
        ("r01", "Rice", "0.04"),
        ("r01", "Tea", "0.06"),
        ("r02", "Soup", "0.20"),
    ]
    out = tmp_path / "items.parquet"
    assert CliRunner().invoke(main, ["export", "--db", filled, "--items", "-o", str(out)]).exit_code == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == list(ITEM_KEYS) and table["amount"].sum() == Decimal("0.30")


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["--status", "failed"], ["broken"]),
        (["--needs-review"], ["r03", "r30"]),
        (["--doc-type", "nosuch"], []),
        (["--since", "2999-01-01"], []),
    ],
)
def test_filters(filled: str, args: list[str], ids: list[str]) -> None:
    res = CliRunner().invoke(main, ["export", "--db", filled, "--no-text", *args])
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ids
    assert len(res.stdout.splitlines()) <= len(RESULTS)


def test_the_suffix_and_the_format_must_agree(filled: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["export", "--db", filled, "--format", "jsonl", "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 5 and "suffix" in res.output


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
