"""A small review database for the web tests: receipts stored by the real populator, their
pages kept in a real store, one of them with hostile OCR text."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from icr.db.database import open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.store import FileStore, encode_png
from icr.types import DocumentResult, Extraction, FieldValue, OcrPage, OcrResult

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def page_png(lines: list[str]) -> bytes:
    image = np.full((400, 300), 255, np.uint8)
    for i, text in enumerate(lines):
        cv2.putText(image, text, (10, 40 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1)
    return encode_png(image)


def receipt(n: int, company: str, total: str, total_confidence: float) -> DocumentResult:
    sha = hashlib.sha256(f"receipt {n}".encode()).hexdigest()
    fields = {
        "company": FieldValue("company", company, company, company, 0.9, "header", 1, (10, 20, 200, 45)),
        "date": FieldValue(
            "date", f"2019-03-0{n}", dt.date(2019, 3, n), f"0{n}/03/2019", 0.9, "keyword", 1, (10, 60, 120, 85)
        ),
        "total": FieldValue(
            "total", total, Decimal(total), f"TOTAL {total}", total_confidence, "keyword", 1, (10, 100, 160, 125)
        ),
    }
    reasons = [f"total: low confidence {total_confidence:.2f}"] if total_confidence < 0.5 else []
    text = f"{company}\n0{n}/03/2019\nTOTAL {total}"
    return DocumentResult(
        f"/gone/receipt-{n}.png",
        sha,
        "ok",
        ocr=OcrResult([OcrPage(text, [], 300, 400)], engine="fake"),
        extraction=Extraction(fields, text, needs_review=bool(reasons), review_reasons=reasons),
        pages=1,
        page_images=[page_png([company[:20], f"0{n}/03/2019", f"TOTAL {total}"])],
    )


def review_db(tmp_path: Path) -> tuple[str, FileStore]:
    """Three flagged receipts (the third's text and name hostile HTML) and one that is fine."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    store = FileStore(tmp_path / "review.files")
    engine = open_engine(url)
    upgrade(engine)
    results = [
        receipt(1, "KEDAI MAJU JAYA", "12.50", 0.3),
        receipt(2, "GREEN VALLEY GROCER", "8.20", 0.4),
        receipt(3, HOSTILE, "3.00", 0.2),
        receipt(4, "ACME OFFICE SUPPLIES", "120.29", 0.95),
    ]
    for r in results:
        store.put_pages(r.sha256, r.page_images)
    SqlPopulator(engine).store(results)
    engine.dispose()
    return url, store


@contextmanager
def running(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free local port in a thread: its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the review server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving(url: str, store: FileStore) -> Iterator[str]:
    """The review app over the database at ``url`` and ``store``, served as :func:`running` does,
    with the reviewer "ana": its base URL."""
    from icr.web.app import create_app

    engine = open_engine(url)
    app = create_app(engine, store=store, field_types={"total": "amount", "date": "date"}, reviewer="ana")
    try:
        with running(app) as base:
            yield base
    finally:
        engine.dispose()
