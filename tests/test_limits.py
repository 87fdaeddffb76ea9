"""Hostile input that must stay bounded: long documents, bombs, runaway patterns; privacy of
what is stored (issue 23)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_faults_support import subprocess_env
from test_pdf import pdf_file, text_pdf

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
start = time.process_time()  # CPU time: the shared machine's load does not count
result = process_document(Task(sys.argv[1], "x" * 64), stages)
print(result.status, result.pages, result.error or result.extraction.fields.get("total"))
print(f"{time.process_time() - start:.2f}")
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
    # linear: ~3 CPU s here; the cubic choice took over a minute
    assert float(seconds) < 12.0, f"a 500-page typed PDF took {seconds} CPU s to read ({wall:.1f} s with start-up)"


def blank_pdf(pages: int, side_pt: int) -> bytes:
    """A tiny PDF of ``pages`` empty square pages ``side_pt`` points wide (no text: rendered at 300 DPI)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {side_pt} {side_pt}] >>".encode()] * pages
    return pdf_file(objects)


def jpeg_with_stray_byte(path: Path, width: int, height: int) -> Path:
    """A real 16x16 JPEG claiming ``width`` x ``height``, one junk byte before its frame header
    (decoders skip it with a warning; a hand-written header parser gave up and let it through)."""
    import struct

    import cv2
    import numpy as np

    _, buf = cv2.imencode(".jpg", np.full((16, 16), 200, np.uint8))
    data = bytearray(buf.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    data[sof:sof] = b"\x00"
    path.write_bytes(bytes(data))
    return path


def big_tiff(path: Path, frames: int, side: int) -> Path:
    from PIL import Image

    page = Image.new("L", (side, side), 255)
    page.save(path, save_all=True, append_images=[page] * (frames - 1), compression="tiff_deflate")
    return path


_LOAD = """
import sys
from pathlib import Path
from icr.errors import DocumentError
from icr.imaging import load
try:
    limits = [load.PageLimits(max_bytes=int(sys.argv[2]) * 2**20)] if len(sys.argv) > 2 else []
    pages = load.load_pages(Path(sys.argv[1]), *limits)
    print("loaded", len(pages))
except DocumentError as exc:
    print("error", exc)
# this process's peak since it started (ru_maxrss would keep a forking parent's peak across exec)
print(next(int(ln.split()[1]) // 1024 for ln in open("/proc/self/status") if ln.startswith("VmHWM")))
"""


def _load_in_child(path: Path, limit_mb: int | None = None) -> tuple[str, int]:
    """Load ``path`` in a fresh process: what it said, and its peak memory in MB."""
    cmd = [sys.executable, "-c", _LOAD, str(path), *([str(limit_mb)] if limit_mb else [])]
    proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    said, peak = proc.stdout.strip().rsplit("\n", 1)
    return said, int(peak)


def test_a_jpeg_bomb_with_a_stray_byte_is_refused_before_decoding(tmp_path: Path) -> None:
    # A 336-byte file once made a worker take 6 GB: the size check missed its frame header.
    said, peak = _load_in_child(jpeg_with_stray_byte(tmp_path / "stray.jpg", 20000, 20000))
    assert said.startswith(f"error {tmp_path / 'stray.jpg'}: image too large: 20000x20000 pixels"), said
    assert peak < 400, f"the refused bomb took {peak} MB"


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_a_multi_page_bomb_stops_at_the_document_memory_limit(tmp_path: Path, kind: str) -> None:
    # A 2.6 KB 20-page PDF took 2.3 GB, a 0.9 MB 60-page TIFF 3.1 GB: each page was under the
    # per-page limit, all of them together were not.
    if kind == "pdf":
        pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
        path = tmp_path / "many.pdf"
        path.write_bytes(blank_pdf(20, 2300))  # 9583 px square at 300 DPI: 92 MB a page
    else:
        path = big_tiff(tmp_path / "many.tif", 12, 4000)  # 48 MB a page in colour
    said, peak = _load_in_child(path, limit_mb=128)
    assert said.startswith(f"error {path}: pages 1-"), said
    assert "(limit 128 MB, ingest.max_document_mb)" in said
    assert peak < 400, f"{kind}: loading took {peak} MB"


def test_the_page_limit_is_configurable_and_names_the_file(tmp_path: Path) -> None:
    from PIL import Image

    from icr.errors import DocumentError
    from icr.imaging.load import PageLimits, load_pages

    path = tmp_path / "six.tif"
    Image.new("L", (64, 64), 255).save(path, save_all=True, append_images=[Image.new("L", (64, 64), 0)] * 5)
    assert len(load_pages(path, PageLimits(max_pages=6))) == 6
    with pytest.raises(DocumentError, match=r"six\.tif: TIFF has 6 pages \(limit 5, ingest\.max_pages\)"):
        load_pages(path, PageLimits(max_pages=5))
    if importlib.util.find_spec("pypdfium2"):
        pdf = tmp_path / "three.pdf"
        pdf.write_bytes(text_pdf([["A"], ["B"], ["C"]]))
        with pytest.raises(DocumentError, match=r"three\.pdf: PDF has 3 pages \(limit 2, ingest\.max_pages\)"):
            load_pages(pdf, PageLimits(max_pages=2))


def _ingest_cli(folder: Path, db: str, config: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "icr", "ingest", str(folder), "--db", db, "-q", "--config", config, *extra]
    return subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=90)


def _rows(db: str) -> dict[str, tuple[str, str | None]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        rows = {Path(s).name: (st, e) for s, st, e in conn.execute(text("SELECT source, status, error FROM documents"))}
    engine.dispose()
    return rows


def _blank_images(folder: Path, n: int) -> None:
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"r{i}.png"), np.full((64, 96 + i), 255, np.uint8))


def test_with_one_job_the_document_time_limit_holds(tmp_path: Path) -> None:
    # --jobs 1 ran documents in the ingest process itself, where nothing could stop one.
    from test_faults_support import fake_config

    _blank_images(tmp_path / "in", 1)
    config = fake_config(tmp_path / "slow.yaml", delay=30)
    with config.open("a", encoding="utf-8") as fh:
        fh.write("  timeout: 0.5\n")  # recognizer.timeout
    db = f"sqlite:///{tmp_path / 't.db'}"
    start = time.monotonic()
    proc = _ingest_cli(tmp_path / "in", db, str(config), "--jobs", "1")
    assert proc.returncode == 2, proc.stderr
    assert time.monotonic() - start < 40
    rows = _rows(db)
    assert sorted(rows) == ["r0.png"]
    for name, (status, error) in rows.items():
        assert status == "failed" and error is not None, name
        assert error.startswith(str(tmp_path / "in" / name)) and "timed out after" in error and "limit 0.5 s" in error


_RUNAWAY = """
import sys
from pathlib import Path
import numpy as np
from icr.config import load_settings
from icr.errors import TemplateError
from icr.ocr.recognizer import FakeRecognizer
from icr.text.corrector import DefaultTextCorrector
from icr.types import CorrectedPage
settings = load_settings(overrides={"text_corrector": {"spelling": False}})
corrector = DefaultTextCorrector.from_templates(settings, [Path(sys.argv[1])])
lines = ["ACME TRADING", "REF " + "a" * 60 + "b", "TOTAL 3.50"]
ocr = FakeRecognizer(default_lines=lines).recognize([CorrectedPage(np.zeros((8, 8), np.uint8), 1)])
try:
    corrector.extract(ocr)
except TemplateError as exc:
    print(exc)
"""


def test_a_runaway_template_pattern_is_an_error_naming_the_template(tmp_path: Path) -> None:
    # A pattern like (a|a)+$ backtracks without end: it hung the batch even with a time limit.
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "runaway.yaml").write_text(
        "name: runaway\nkeywords: [acme, trading]\nmin_score: 0.2\n"
        "fields:\n  ref:\n    pattern: '(?P<value>(a|a)+$)'\n    type: text\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-c", _RUNAWAY, str(templates)]
    proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "runaway.yaml: key 'fields.ref.pattern': the pattern ran longer than 1 s" in proc.stdout, proc.stdout


_CAPPED = """
import numpy as np
from icr.executor import limit_memory
limit_memory(1024)
small = np.ones(50 * 2**20, np.uint8)  # 50 MB: fine under the cap
try:
    big = np.ones(1500 * 2**20, np.uint8)
    print("allocated", big.nbytes)
except MemoryError:
    print("MemoryError")
"""


def test_a_worker_memory_cap_makes_a_big_allocation_fail_not_the_machine() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CAPPED], env=subprocess_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "MemoryError"
