"""Analytics reports, views and `icr report`, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text

from icr.cli import main
from icr.db.database import downgrade, open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.errors import InputError
from icr.reporting import (
    Filters,
    draw_chart,
    dsum,
    failed_documents,
    monthly_spend_view,
    receipts,
    review_fields,
    spend_by_month,
    spend_by_vendor,
    tax_summary,
    write_report,
)
from icr.reporting.queries import parse_reasons
from icr.types import DocumentResult, Extraction, FieldValue, LineItem, OcrPage, OcrResult

D = Decimal


def receipt(
    n: int,
    company: str | None,
    day: dt.date | None,
    total: str | None,
    *,
    tax: str | None = None,
    subtotal: str | None = None,
    currency: str | None = "USD",
    reasons: tuple[str, ...] = (),
    items: tuple[tuple[str, str], ...] = (),
) -> DocumentResult:
    fields: dict[str, FieldValue] = {}
    if company is not None:
        fields["company"] = FieldValue("company", company, company, company, 0.9, "header")
    if day is not None:
        fields["date"] = FieldValue("date", day.isoformat(), day, day.isoformat(), 0.4 if reasons else 0.9, "keyword")
    for name, amount in (("total", total), ("tax", tax), ("subtotal", subtotal)):
        if amount is not None:
            fields[name] = FieldValue(name, amount, D(amount), f"{name.upper()} {amount}", 0.9, "keyword")
    if currency is not None:
        fields["currency"] = FieldValue("currency", currency, currency, currency, 0.9, "keyword")
    line_items = [LineItem(desc, D(amount), D(1), D(amount), f"{desc} {amount}") for desc, amount in items]
    extraction = Extraction(
        fields, "text", line_items=line_items, needs_review=bool(reasons), review_reasons=list(reasons)
    )
    ocr = OcrResult([OcrPage(f"{company}\nTOTAL {total}", [])], engine="fake")
    return DocumentResult(f"/scans/r{n:02d}.png", f"{n:064x}", "ok", ocr=ocr, extraction=extraction, pages=1)


JAN, FEB, MAR = dt.date(2024, 1, 5), dt.date(2024, 2, 3), dt.date(2024, 3, 31)

RESULTS = [
    receipt(1, "YING THAI KITCHEN", JAN, "0.10", tax="0.01", items=(("Rice", "0.04"), ("Tea", "0.06"))),
    receipt(2, "YING THAI KITCHEN", dt.date(2024, 1, 20), "0.20", tax="0.02", items=(("Soup", "0.20"),)),
    receipt(3, "Acme Mart", FEB, "12.59", reasons=("tax: missing", "date: low confidence 0.40")),
    receipt(4, "BAKERY 100% CAFE", dt.date(2024, 2, 28), "1000.05", tax="60.00", subtotal="940.05", currency="MYR"),
    receipt(5, "NO DATE SHOP", None, "5.55"),
    *(receipt(10 + i, "TEN CENT STORE", MAR, "0.10", tax="0.01") for i in range(10)),
    receipt(30, None, MAR, "7.00", currency=None, reasons=("company: missing",)),
    DocumentResult("/scans/broken.png", "f" * 64, "failed", error="/scans/broken.png: cannot decode image"),
]
"""Known totals: USD 0.30 in January (0.10 + 0.20, which floats get wrong), ..."""


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_engine(db_url)
    upgrade(eng)
    SqlPopulator(eng).store(RESULTS)
    yield eng
    eng.dispose()


def _row(df: pd.DataFrame, **match: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in match.items():
        mask &= df[col].map(lambda v, value=value: v == value or (v is None and value is None))
    rows = df[mask]
    assert len(rows) == 1, f"expected one row for {match}, found {len(rows)}:\n{df}"
    return rows.iloc[0]


def test_float_sums_would_be_wrong() -> None:
    assert 0.1 + 0.2 != 0.3  # the reason money is Decimal everywhere below
    assert dsum([D("0.10"), D("0.20"), None]) == D("0.30")


def test_receipts_are_typed_and_filtered(engine: Engine) -> None:
    df = receipts(engine)
    assert len(df) == 16  # every ok document, the failed one not
    assert list(df.columns[:6]) == ["document_id", "name", "company", "date", "total", "tax"]
    first = df.iloc[0]
    assert first["company"] == "YING THAI KITCHEN" and first["date"] == JAN
    assert isinstance(first["total"], Decimal) and first["total"] == D("0.10")
    assert isinstance(first["date"], dt.date)
    assert df.iloc[-1]["company"] == "NO DATE SHOP"  # undated last
    assert dsum(df["total"]) == D("1026.49")  # 0.30 + 12.59 + 1000.05 + 5.55 + 1.00 + 7.00
    assert bool(_row(df, name="r03")["needs_review"]) is True

    january = receipts(engine, Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31)))
    assert list(january["name"]) == ["r01", "r02"]
    assert dsum(january["total"]) == D("0.30")
    assert list(receipts(engine, Filters(vendor="acme"))["name"]) == ["r03"]
    assert list(receipts(engine, Filters(vendor="100%"))["name"]) == ["r04"]  # % is literal, not a wildcard
    assert receipts(engine, Filters(vendor="nobody")).empty


def test_spend_by_vendor(engine: Engine) -> None:
    df = spend_by_vendor(engine)
    assert list(df.columns) == ["company", "currency", "receipts", "total", "tax", "first_date", "last_date"]
    assert df.iloc[0]["company"] == "BAKERY 100% CAFE"  # biggest spend first
    ying = _row(df, company="YING THAI KITCHEN")
    assert (ying["receipts"], ying["total"], ying["tax"]) == (2, D("0.30"), D("0.03"))
    assert (ying["first_date"], ying["last_date"]) == (JAN, dt.date(2024, 1, 20))
    ten = _row(df, company="TEN CENT STORE")
    assert (ten["receipts"], ten["total"], ten["tax"]) == (10, D("1.00"), D("0.10"))
    assert isinstance(ten["total"], Decimal)
    unknown = _row(df, company=None)
    assert unknown["currency"] is None and unknown["total"] == D("7.00")
    assert dsum(df["total"]) == dsum(receipts(engine)["total"]) == D("1026.49")
    one = spend_by_vendor(engine, Filters(vendor="kitchen", end=dt.date(2024, 1, 10)))
    assert list(one["total"]) == [D("0.10")]


def test_spend_by_month_matches_the_view(engine: Engine) -> None:
    df = spend_by_month(engine)
    assert [(m, c) for m, c in zip(df["month"], df["currency"], strict=True)] == [
        ("2024-01", "USD"),
        ("2024-02", "MYR"),
        ("2024-02", "USD"),
        ("2024-03", "USD"),
        ("2024-03", None),
        (None, "USD"),
    ]
    jan = _row(df, month="2024-01")
    assert (jan["receipts"], jan["total"], jan["tax"]) == (2, D("0.30"), D("0.03"))
    assert _row(df, month="2024-03", currency="USD")["total"] == D("1.00")
    assert _row(df, month="2024-02", currency="USD")["tax"] == D("0.00")  # no tax amounts: zero, exactly
    assert dsum(df["total"]) == D("1026.49")

    view = monthly_spend_view(engine)  # the SQL view analysts query, summed by the database
    by_key = {(r.month, r.currency): (r.receipts, r.total) for r in view.itertuples()}
    for r in df.itertuples():
        assert by_key[(r.month, r.currency)] == (r.receipts, r.total)
    assert len(by_key) == len(df)
    assert by_key[("2024-01", "USD")][1] == D("0.30") and isinstance(by_key[("2024-01", "USD")][1], Decimal)


def test_tax_summary(engine: Engine) -> None:
    df = tax_summary(engine)
    feb_myr = _row(df, month="2024-02", currency="MYR")
    assert (feb_myr["receipts"], feb_myr["taxed"]) == (1, 1)
    assert (feb_myr["taxed_total"], feb_myr["tax"], feb_myr["net"]) == (D("1000.05"), D("60.00"), D("940.05"))
    assert feb_myr["rate_percent"] == D("6.38")  # 60.00 / 940.05
    mar = _row(df, month="2024-03", currency="USD")
    assert (mar["taxed_total"], mar["tax"], mar["net"], mar["rate_percent"]) == (
        D("1.00"),
        D("0.10"),
        D("0.90"),
        D("11.11"),
    )
    feb_usd = _row(df, month="2024-02", currency="USD")  # Acme has no tax amount
    assert (feb_usd["receipts"], feb_usd["taxed"], feb_usd["tax"], feb_usd["rate_percent"]) == (1, 0, D("0.00"), None)
    assert dsum(df["tax"]) == D("60.13")


def test_failed_and_review(engine: Engine) -> None:
    failed = failed_documents(engine)
    assert list(failed["name"]) == ["broken"]
    assert "cannot decode" in failed.iloc[0]["error"]
    today = dt.datetime.now(dt.UTC).date()
    assert len(failed_documents(engine, Filters(start=today - dt.timedelta(days=1)))) == 1
    assert failed_documents(engine, Filters(end=today - dt.timedelta(days=2))).empty

    review = review_fields(engine)
    got = {(r.name, r.field, r.reason, r.value) for r in review.itertuples()}
    assert got == {
        ("r03", "tax", "missing", None),
        ("r03", "date", "low confidence 0.40", "2024-02-03"),
        ("r30", "company", "missing", None),
    }
    assert _row(review, field="date")["confidence"] == pytest.approx(0.4)
    assert list(review_fields(engine, Filters(vendor="acme"))["field"]) == ["tax", "date"]


def test_parse_reasons() -> None:
    assert parse_reasons("total: missing; date: low confidence 0.40") == [
        ("total", "missing"),
        ("date", "low confidence 0.40"),
    ]
    assert parse_reasons("looks odd: twice") == [(None, "looks odd: twice")]
    assert parse_reasons(None) == [(None, "flagged for review")]


def test_views_answer_sql(engine: Engine) -> None:
    with engine.connect() as conn:
        n, kitchen = conn.execute(
            text("SELECT COUNT(*), SUM(CASE WHEN company = 'YING THAI KITCHEN' THEN 1 ELSE 0 END) FROM v_receipts")
        ).one()
        assert (n, kitchen) == (16, 2)
        items = conn.execute(text("SELECT name, description, amount FROM v_line_items ORDER BY name, position")).all()
        assert [(name, desc) for name, desc, _ in items] == [("r01", "Rice"), ("r01", "Tea"), ("r02", "Soup")]
        assert sum(D(str(a)) for _, _, a in items) == D("0.30")
        jan = conn.execute(text("SELECT receipts, total FROM v_monthly_spend WHERE month = '2024-01'")).one()
        assert jan[0] == 2 and D(str(jan[1])) == D("0.30")
        undated = conn.execute(text("SELECT COUNT(*) FROM v_receipts WHERE date IS NULL")).scalar_one()
        assert undated == 1


def test_csv_json_and_parquet_round_trip(engine: Engine, tmp_path: Path) -> None:
    df = spend_by_vendor(engine)
    csv_path, pq_path = tmp_path / "vendors.csv", tmp_path / "vendors.parquet"
    write_report(df, "csv", csv_path)
    write_report(df, "parquet", pq_path)

    back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(back.columns) == list(df.columns)
    assert [D(v) for v in back["total"]] == list(df["total"])
    assert "0.30" in set(back["total"])  # exact, never 0.30000000000000004
    assert list(back["first_date"]) == [d.isoformat() if d else "" for d in df["first_date"]]

    pq = pd.read_parquet(pq_path)
    assert list(pq.columns) == list(df.columns)
    assert list(pq["total"]) == list(df["total"]) and all(isinstance(v, Decimal) for v in pq["total"])
    assert list(pq["first_date"]) == list(df["first_date"])
    assert list(pq["receipts"]) == list(df["receipts"])
    assert [None if pd.isna(c) else c for c in pq["company"]] == list(df["company"])

    buf = io.StringIO()
    write_report(df, "json", stdout=buf)
    rows = json.loads(buf.getvalue())
    assert _pick(rows, "YING THAI KITCHEN") == {
        "total": "0.30",
        "tax": "0.03",
        "receipts": 2,
        "first_date": "2024-01-05",
    }


def _pick(rows: list[dict[str, object]], company: str) -> dict[str, object]:
    row = next(r for r in rows if r["company"] == company)
    return {k: row[k] for k in ("total", "tax", "receipts", "first_date")}


def test_xlsx(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "months.xlsx"
    write_report(spend_by_month(engine), "xlsx", path)
    back = pd.read_excel(path)
    assert list(back["month"].fillna("")) == ["2024-01", "2024-02", "2024-02", "2024-03", "2024-03", ""]
    assert round(float(back["total"].iloc[0]), 2) == 0.30


def test_chart_is_a_png(engine: Engine, tmp_path: Path) -> None:
    for report, frame in (
        ("spend-by-month", spend_by_month(engine)),
        ("spend-by-vendor", spend_by_vendor(engine)),
        ("tax", tax_summary(engine)),
    ):
        path = draw_chart(frame, report, tmp_path / f"{report}.png")
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    empty = draw_chart(spend_by_month(engine, Filters(vendor="nobody")), "spend-by-month", tmp_path / "none.png")
    assert empty.read_bytes()[:4] == b"\x89PNG"  # an empty report still draws (saying so)
    with pytest.raises(InputError):
        draw_chart(receipts(engine), "receipts", tmp_path / "r.png")


def test_report_command(db_url: str, engine: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["report", "spend-by-month", "--db", db_url], terminal_width=120)
    assert res.exit_code == 0, res.output
    assert "2024-01" in res.stdout and "0.30" in res.stdout
    assert "19.44 USD" in res.stdout and "1000.05 MYR" in res.stdout  # the footer: totals per currency

    res = runner.invoke(
        main, ["report", "receipts", "--db", db_url, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("document_id,name,company,date,total")

    out, chart = tmp_path / "v.parquet", tmp_path / "v.png"
    res = runner.invoke(
        main,
        ["report", "spend-by-vendor", "--db", db_url, "--vendor", "kitchen", "-o", str(out), "--chart", str(chart)],
    )
    assert res.exit_code == 0, res.output
    assert list(pd.read_parquet(out)["total"]) == [D("0.30")]
    assert chart.read_bytes()[:4] == b"\x89PNG"

    res = runner.invoke(main, ["report", "tax", "--db", db_url, "--format", "parquet"])
    assert res.exit_code == 5 and "-o FILE" in res.stderr
    res = runner.invoke(main, ["report", "receipts", "--db", db_url, "--chart", str(tmp_path / "r.png")])
    assert res.exit_code == 5 and "no chart" in res.stderr
    res = runner.invoke(main, ["report", "failed", "--db", db_url, "--vendor", "x"])
    assert res.exit_code == 5
    res = runner.invoke(main, ["report", "receipts", "--db", db_url, "--from", "2024-02-01", "--to", "2024-01-01"])
    assert res.exit_code == 5
    res = runner.invoke(main, ["report", "failed", "--db", db_url, "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["name"] == "broken"


def test_views_migrate_down_and_up(engine: Engine) -> None:
    views = {"v_receipts", "v_line_items", "v_monthly_spend"}
    assert views <= set(inspect(engine).get_view_names())
    downgrade(engine, "0001")
    assert not views & set(inspect(engine).get_view_names())
    with engine.connect() as conn:  # the data stays; only the views go
        assert conn.execute(text("SELECT COUNT(*) FROM documents")).scalar_one() == len(RESULTS)
    upgrade(engine)
    assert views <= set(inspect(engine).get_view_names())
    assert dsum(receipts(engine)["total"]) == D("1026.49")
