"""``icr serve`` in a real browser: Debian's chromium driven by Playwright (no browser download).

Opens the queue, corrects a total with the keyboard alone and sees the database change; a
receipt whose text holds HTML runs none of it. The screenshots go to the test's tmp folder
(and to $ICR_SCREENSHOT_DIR when set, to look at)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from review_support import HOSTILE, review_db, serving
from sqlalchemy import select
from sqlalchemy.orm import Session

from icr.db.database import open_engine
from icr.db.models import Correction, Document, Field

pytest.importorskip("fastapi", reason="icr serve needs the web extra (pip install icr[web])")
pytest.importorskip("uvicorn", reason="icr serve needs the web extra (pip install icr[web])")
playwright = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (icr[dev])")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The review app on a real server in a thread: (base URL, database URL)."""
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    url, store = review_db(tmp_path)
    with serving(url, store) as base:
        yield base, url


@contextmanager
def chromium_page(base: str) -> Iterator[tuple[Any, list[str]]]:
    """Debian's chromium open on the queue: (the page, the messages of any dialog it opened)."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base}/")
            yield page, dialogs
        finally:
            browser.close()


def _shot(page: object, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    out = os.environ.get("ICR_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(out) / name)


def test_review_with_the_keyboard_in_chromium(served: tuple[str, str], tmp_path: Path) -> None:
    base, db = served
    with chromium_page(base) as (page, dialogs):
        assert page.locator("table.queue tbody tr").count() == 3  # the three flagged receipts

        page.keyboard.press("Enter")  # open the first one
        page.wait_for_url("**/documents/1?*")
        assert page.locator("#position").inner_text() == "1 of 3"
        assert page.locator("svg.boxes rect").count() == 3  # every field's box drawn on the page
        assert page.evaluate("document.activeElement.id") == "field-total"  # the flagged field
        page.keyboard.press("Control+A")
        page.keyboard.type("15.75")
        page.keyboard.press("Enter")  # saves and goes on
        page.wait_for_url("**/documents/2?*")
        # receipt 1 left the queue: receipt 2 is now the first of two
        assert page.locator("#position").inner_text() == "1 of 2"

        engine = open_engine(db)
        with Session(engine) as s:
            total = s.scalars(select(Field).where(Field.document_id == 1, Field.name == "total")).one()
            assert (total.amount, total.source, total.reviewed_by) == (Decimal("15.75"), "review", "ana")
            assert s.scalars(select(Correction.old_value)).all() == ["12.50"]
            assert s.get(Document, 1).needs_review is False  # type: ignore[union-attr]
        engine.dispose()

        page.keyboard.press("Escape")
        page.keyboard.press("j")  # the next one: the receipt whose text is HTML
        page.wait_for_url("**/documents/3?*")
        page.get_by_text("Text as read").click()
        assert HOSTILE in page.locator("pre.ocr").inner_text()  # shown as text ...
        assert page.evaluate("window.__pwned === undefined")  # ... and nothing of it ran
        assert page.locator("main script, main img[src=x]").count() == 0
        _shot(page, tmp_path, "review-hostile.png")

        page.keyboard.press("k")
        page.wait_for_url("**/documents/2?*")
        assert page.evaluate("document.activeElement.id") == "field-total"
        page.keyboard.press("Control+Enter")  # confirm all and go on
        page.wait_for_url("**/documents/3?*")
        assert page.locator("#position").inner_text() == "1 of 1"
        _shot(page, tmp_path, "review-document.png")
        assert dialogs == []
