"""A person reviews 20 flagged receipts in ``icr serve`` with the keyboard alone (Debian's chromium
driven by Playwright): the queue opens the first, each receipt is corrected or confirmed, Enter
saves and goes on, j/k move back and forth, a value of the wrong kind comes back with its reason;
afterwards the database holds every correction and nothing is left to review. The screenshots of
a refused value and of the last receipt go to the test's tmp folder (and to $ICR_SCREENSHOT_DIR when set)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from review_support import page_png, serving
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from icr.db.database import open_engine, upgrade
from icr.db.models import Correction, Document, Field
from icr.db.populator import SqlPopulator
from icr.store import FileStore
from icr.types import DocumentResult, Extraction, FieldValue, OcrPage, OcrResult

pytest.importorskip("fastapi", reason="icr serve needs the web extra (pip install icr[web])")
pytest.importorskip("uvicorn", reason="icr serve needs the web extra (pip install icr[web])")
playwright = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (icr[dev])")

from test_review_browser import CHROMIUM, _shot, chromium_page  # noqa: E402

pytestmark = pytest.mark.slow

N = 20
SHOPS = ("KEDAI MAJU JAYA", "GREEN VALLEY GROCER", "NORTHWAY FUEL", "ACME OFFICE SUPPLIES", "YING THAI KITCHEN")


def flagged_receipt(n: int) -> DocumentResult:
    """Receipt ``n`` (1..N), flagged: odd ones for their total (1, 5, 9, ... for their date too),
    even ones for their date."""
    company = SHOPS[n % len(SHOPS)]
    day = dt.date(2019, 4, n)
    total = Decimal(f"{n}.{n:02d}")
    reasons = []
    if n % 2:
        reasons.append("total: low confidence 0.31")
    if n % 4 != 3:
        reasons.append("date: low confidence 0.42")
    fields = {
        "company": FieldValue("company", company, company, company, 0.93, "header", 1, (10, 20, 220, 45)),
        "date": FieldValue("date", str(day), day, f"{day:%d/%m/%Y}", 0.6, "keyword", 1, (10, 60, 130, 85)),
        "total": FieldValue("total", str(total), total, f"TOTAL {total}", 0.4, "keyword", 1, (10, 100, 160, 125)),
    }
    text = f"{company}\n{day:%d/%m/%Y}\nTOTAL {total}"
    return DocumentResult(
        f"/scans/receipt-{n:02d}.png",
        hashlib.sha256(f"keyboard receipt {n}".encode()).hexdigest(),
        "ok",
        ocr=OcrResult([OcrPage(text, [], 300, 400)], engine="fake"),
        extraction=Extraction(fields, text, needs_review=True, review_reasons=reasons),
        pages=1,
        page_images=[page_png([company[:20], f"{day:%d/%m/%Y}", f"TOTAL {total}"])],
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    store = FileStore(tmp_path / "inbox.files")
    engine = open_engine(url)
    upgrade(engine)
    results = [flagged_receipt(n) for n in range(1, N + 1)]
    for r in results:
        store.put_pages(r.sha256, r.page_images)
    SqlPopulator(engine).store(results)
    engine.dispose()
    with serving(url, store) as base:
        yield base, url


def test_twenty_flagged_receipts_reviewed_with_the_keyboard_alone(served: tuple[str, str], tmp_path: Path) -> None:
    base, db = served
    expected: dict[int, dict[str, str]] = {}  # receipt -> field -> the value typed
    with chromium_page(base) as (page, dialogs):
        assert page.locator("table.queue tbody tr").count() == N
        page.keyboard.press("j")  # the queue's selection moves down and back up
        page.keyboard.press("k")
        page.keyboard.press("Enter")
        page.wait_for_url("**/documents/1?*")

        for n in range(1, N + 1):
            assert page.url.split("?")[0].endswith(f"/documents/{n}")
            assert page.locator("#position").inner_text() == f"1 of {N - n + 1}"
            focused = page.evaluate("document.activeElement.id")
            if n == 3:
                # a look ahead and back first: Esc leaves the field, j/→ and k/← move
                page.keyboard.press("Escape")
                page.keyboard.press("j")
                page.wait_for_url("**/documents/4?*")
                assert page.locator("#position").inner_text() == f"2 of {N - n + 1}"
                page.keyboard.press("Escape")  # the next page put the cursor in its field again
                page.keyboard.press("ArrowLeft")
                page.wait_for_url("**/documents/3?*")
                page.keyboard.press("e")  # back into the flagged field
                focused = page.evaluate("document.activeElement.id")
            if n % 2:
                expected[n] = {}
                if n % 4 == 1:  # the date is flagged too and comes first: fix it, Tab to the total
                    assert focused == "field-date"
                    day = dt.date(2019, 6, n).isoformat()
                    page.keyboard.press("Control+A")
                    page.keyboard.type(day)
                    expected[n]["date"] = day
                    page.keyboard.press("Tab")
                assert page.evaluate("document.activeElement.id") == "field-total"
                if n == 5:  # a total that is not an amount comes back with its reason
                    page.keyboard.press("Control+A")
                    page.keyboard.type("abc")
                    page.keyboard.press("Enter")
                    page.locator(".error").wait_for()  # the page again, the value as typed and why
                    assert "not an amount" in page.locator(".error").inner_text()
                    page.wait_for_load_state()
                    _shot(page, tmp_path, "review-twenty-refused.png")
                    assert page.evaluate("document.activeElement.id") == "field-total"
                value = f"{n + 100}.{n:02d}"
                page.keyboard.press("Control+A")
                page.keyboard.type(value)
                expected[n]["total"] = value
                page.keyboard.press("Enter")  # saves and goes on
            else:
                assert focused == "field-date"
                if n % 4 == 0:
                    day = dt.date(2019, 5, n).isoformat()
                    page.keyboard.press("Control+A")
                    page.keyboard.type(day)
                    expected[n] = {"date": day}
                    page.keyboard.press("Enter")
                else:  # read right: confirm all as it stands
                    page.keyboard.press("Control+Enter")
            if n < N:
                page.wait_for_url(f"**/documents/{n + 1}?*")
        page.wait_for_url("**/?*done=1*")
        assert page.locator("p.done").count() == 1
        assert page.locator("table.queue tbody tr[data-href]").count() == 0
        assert page.locator("p.count").inner_text() == "0 documents"
        page.goto(f"{base}/documents/{N}?needs_review=any")
        _shot(page, tmp_path, "review-twenty.png")
        assert dialogs == []

    engine = open_engine(db)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Document.needs_review.is_(True))) == 0
        fixes = {(c.document_id, c.field): (c.new_value, c.corrected_by) for c in s.scalars(select(Correction))}
        want = {(n, name): (value, "ana") for n, typed in expected.items() for name, value in typed.items()}
        assert fixes == want
        for (n, name), (value, _) in want.items():
            f = s.scalars(select(Field).where(Field.document_id == n, Field.name == name)).one()
            assert (f.value, f.source, f.reviewed_by) == (value, "review", "ana")
            if name == "total":
                assert f.amount == Decimal(value)
        confirmed = [n for n in range(1, N + 1) if n not in expected]
        for n in confirmed:  # confirmed as read: reviewed, value unchanged
            f = s.scalars(select(Field).where(Field.document_id == n, Field.name == "date")).one()
            assert f.value == dt.date(2019, 4, n).isoformat() and f.reviewed_by == "ana"
    engine.dispose()
