"""Migrations and the populator, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from icr.db.database import downgrade, open_engine, upgrade
from icr.db.models import Base, Document, Field, LineItemRow
from icr.db.populator import SqlPopulator
from icr.types import DocumentResult, Extraction, FieldValue, LineItem, OcrPage, OcrResult


def _result(sha: str, total: str = "12.59", status: str = "ok") -> DocumentResult:
    fields = {
        "total": FieldValue("total", total, Decimal(total), f"TOTAL {total}", 0.9, "keyword", margin=1.5),
        "date": FieldValue("date", "2013-07-04", dt.date(2013, 7, 4), "7/4/2013", 0.8, "keyword"),
        "company": FieldValue("company", "YING THAI KITCHEN", "YING THAI KITCHEN", "Ying Thai Kitchen", 0.7),
    }
    items = [LineItem("Brown Rice", Decimal("2.00"), Decimal("1"), Decimal("2.00"), "Brown Rice $2.00")]
    ocr = OcrResult([OcrPage("Ying Thai Kitchen\nTOTAL 12.59", [])], engine="fake")
    return DocumentResult(
        f"/x/{sha}.png",
        sha * 64 if len(sha) == 1 else sha,
        status,
        ocr=ocr,
        extraction=Extraction(fields, "text", line_items=items),
        pages=1,
        timings={"recognize": 0.1},
    )


def test_migrations_match_models(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations drift apart: {diff}"


def test_migrations_down_and_up(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    downgrade(engine, "base")
    assert not {"documents", "fields", "line_items"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"documents", "fields", "line_items"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_receipts_view_carries_the_vendor_s_tax_and_phone_numbers(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    result = _result("d")
    assert result.extraction is not None
    result.extraction.fields["tax_id"] = FieldValue("tax_id", "GB220430231", "GB220430231", "VAT NO: GB 220 4302 31")
    result.extraction.fields["phone"] = FieldValue("phone", "+12062858424", "+12062858424", "Tel (206) 285-8424")
    SqlPopulator(engine).store([result])
    query = text("SELECT company, tax_id, phone FROM v_receipts")
    with engine.connect() as conn:
        assert conn.execute(query).one() == ("YING THAI KITCHEN", "GB220430231", "+12062858424")
    downgrade(engine, "0008")  # the view as it was, the rows kept
    with engine.connect() as conn:
        assert conn.execute(text("SELECT company FROM v_receipts")).scalar_one() == "YING THAI KITCHEN"
        assert "tax_id" not in {c["name"] for c in inspect(conn).get_columns("v_receipts")}
    engine.dispose()


def test_store_types_skip_and_reprocess(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    pop = SqlPopulator(engine)
    pop.store([_result("a")])
    pop.store([_result("a", total="99.99")])  # same sha256, not reprocessing: left alone
    with Session(engine) as s:
        assert s.scalar(select(Field.amount).where(Field.name == "total")) == Decimal("12.59")
    pop.store([_result("a", total="13.00")], reprocess=True)
    with Session(engine) as s:
        docs = s.scalars(select(Document)).all()
        assert len(docs) == 1
        total = s.scalar(select(Field.amount).where(Field.name == "total"))
        assert isinstance(total, Decimal) and total == Decimal("13.00")
        assert s.scalar(select(Field.margin).where(Field.name == "total")) == 1.5  # what the calibration weighs
        assert s.scalar(select(Field.date_value).where(Field.name == "date")) == dt.date(2013, 7, 4)
        assert s.scalar(select(LineItemRow.amount)) == Decimal("2.00")
        assert len(s.scalars(select(Field)).all()) == 3
    assert pop.known(["a" * 64, "b" * 64]) == {"a" * 64}
    engine.dispose()


def test_failed_document_is_retried_in_place(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    pop = SqlPopulator(engine)
    failed = DocumentResult("/x/c.png", "c" * 64, "failed", error="/x/c.png: cannot decode")
    pop.store([failed])
    assert pop.known(["c" * 64]) == set()  # a failed one is not "known": the next run retries it
    pop.store([_result("c")])
    with Session(engine) as s:
        docs = s.scalars(select(Document)).all()
        assert [(d.status, d.error) for d in docs] == [("ok", None)]
    engine.dispose()


def test_concurrent_first_upgrades_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    """Several processes opening a new SQLite database at once: one migrates, none fails."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = "import sys; from icr.db.database import open_engine, upgrade; upgrade(open_engine(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = open_engine(url)
    assert {"documents", "fields", "line_items"} <= set(inspect(engine).get_table_names())
    engine.dispose()
