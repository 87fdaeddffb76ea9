"""Hostile input that must stay bounded: long documents, bombs, runaway patterns; privacy of
what is stored (issue 23)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_faults_support import subprocess_env
from test_pdf import text_pdf

TESTS = Path(__file__).resolve().parent


def receipt_pages(n: int) -> list[list[str]]:
    """``n`` receipt pages, each printing its own subtotal, tax, total, cash and change."""
    return [
        [f"SHOP {i}", f"ITEM A {i % 7 + 1}.00", "SUBTOTAL 10.00", "GST 0.60", f"TOTAL {10 + i % 13}.60", "CASH 50.00"]
        for i in range(n)
    ]


_PROCESS = """
import sys, time
from icr.config import load_settings
from icr.pipeline import Task, build_stages, process_document
settings = load_settings()  # a page with a text layer is not OCRed
stages = build_stages(settings)
start = time.perf_counter()
result = process_document(Task(sys.argv[1], "x" * 64), stages)
print(result.status, result.pages, result.error or result.extraction.fields.get("total"))
print(f"{time.perf_counter() - start:.2f}")
"""


def test_a_500_page_typed_pdf_is_read_in_linear_time(tmp_path: Path) -> None:
    # Choosing the total compared every pair (and triple) of TOTAL lines: 200 pages took 6 s,
    # 500 pages ran past the per-document time limit.
    pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
    path = tmp_path / "statement.pdf"
    path.write_bytes(text_pdf(receipt_pages(500)))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _PROCESS, str(path)], env=subprocess_env(), capture_output=True, text=True, timeout=40
    )
    assert proc.returncode == 0, proc.stderr
    status, seconds = proc.stdout.splitlines()
    assert status.split()[:2] == ["ok", "500"] and "typed=Decimal(" in status, proc.stdout
    wall = time.monotonic() - start
    assert float(seconds) < 6.0, f"a 500-page typed PDF took {seconds} s to read ({wall:.1f} s with start-up)"
