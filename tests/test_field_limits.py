"""A value the database cannot hold is an error on that document's field, never a failed batch:
on PostgreSQL an amount of 10^12 overflowed NUMERIC(14,2) and aborted every run (exit 4)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from icr.db.database import open_engine, upgrade
from icr.db.models import Document, Field, LineItemRow
from icr.db.populator import SqlPopulator
from icr.types import DocumentResult, Extraction, FieldValue, LineItem


def _result(name: str, total: str, *, quantity: str = "1") -> DocumentResult:
    fields = {"total": FieldValue("total", total, Decimal(total), raw=f"TOTAL {total}", confidence=0.9)}
    items = [LineItem("COFFEE", Decimal(total), Decimal(quantity), Decimal("3.50"), raw=f"COFFEE {total}")]
    extraction = Extraction(fields=fields, line_items=items, review_reasons=["date: not found"], needs_review=True)
    return DocumentResult(f"/in/{name}.png", name * 64, "ok", extraction=extraction, pages=1)


def test_an_amount_out_of_range_is_a_field_error_and_the_batch_is_stored(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    batch = [
        _result("a", "3.50"),
        _result("b", "1000000000000.00", quantity="99999999999.9999"),
        _result("c", "999999999999.995"),  # rounds up to 10^12 in NUMERIC(14,2)
        _result("d", "999999999999.99"),  # the largest that fits
    ]
    SqlPopulator(engine).store(batch)
    with Session(engine) as s:
        docs = {d.name: d for d in s.scalars(select(Document))}
        totals = {n: v for n, v in s.execute(select(Document.name, Field.amount).join(Field))}
        values = {n: v for n, v in s.execute(select(Document.name, Field.value).join(Field))}
        items = {n: v for n, v in s.execute(select(Document.name, LineItemRow.quantity).join(LineItemRow))}
        assert {n: d.status for n, d in docs.items()} == dict.fromkeys("abcd", "ok")
        assert totals == {"a": Decimal("3.50"), "b": None, "c": None, "d": Decimal("999999999999.99")}
        assert values["b"] == "1000000000000.00"  # the value as read stays, for a reviewer
        assert items == {"a": Decimal("1"), "b": None, "c": Decimal("1"), "d": Decimal("1")}
        assert docs["b"].needs_review and docs["b"].review_reasons == (
            "date: not found; total: 1000000000000.00 is out of range (NUMERIC(14,2)); "
            "line item 1 quantity: 99999999999.9999 is out of range (NUMERIC(14,3)); "
            "line item 1 amount: 1000000000000.00 is out of range (NUMERIC(14,2))"
        )
        assert docs["a"].review_reasons == "date: not found"
    engine.dispose()


def test_text_no_database_can_hold_is_escaped_not_a_failed_batch(db_url: str) -> None:
    # PostgreSQL text refuses NUL, which a PDF's text layer can carry; no driver encodes the lone
    # surrogates a file name's stray bytes become in Python.
    engine = open_engine(db_url)
    upgrade(engine)
    result = _result("n", "3.50")
    assert result.extraction is not None
    result.extraction.fields["company"] = FieldValue("company", "SHOP\x00 SDN BHD", "SHOP\x00 SDN BHD")
    result.extraction.corrected_text = "TOTAL\x00 3.50"
    result.source = "/in/caf\udce9.png"
    SqlPopulator(engine).store([result, _result("m", "4.50")])
    with Session(engine) as s:
        docs = {d.name: d for d in s.scalars(select(Document))}
        assert set(docs) == {"caf\\xe9", "m"} and docs["caf\\xe9"].source == "/in/caf\\xe9.png"
        assert docs["caf\\xe9"].corrected_text == "TOTAL\\x00 3.50"
        company = s.scalars(select(Field.value).where(Field.name == "company")).one()
        assert company == "SHOP\\x00 SDN BHD"
    engine.dispose()
