"""Fuzz and stress (issue 23): 2,000 documents with a hostile mix through ``icr ingest -j 2``.

Real receipts, PDFs and a multi-page TIFF, cut short at random and with random bytes flipped,
under random file names, beside decompression bombs, multi-page bombs, empty and mislabelled
files, among good documents. The batch always finishes; every file is one row; every bad file
is a failed row whose error starts with its path; and the process tree (the ingest parent, the
forkserver and its workers) stays under ``CEILING_MB`` of resident memory the whole time.

OCR is not the point here: the replaying fake recognizer stands in for Tesseract, while files
are decoded, checked and corrected for real. ``ICR_FUZZ_SEED`` replays another random mix.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest
from conftest import SAMPLES
from sqlalchemy import create_engine, text
from test_bad_input import png_bomb
from test_faults_support import subprocess_env
from test_limits import big_tiff, blank_pdf, jpeg_with_stray_byte
from test_pdf import scanned_pdf, text_pdf

pytestmark = pytest.mark.slow

DOCUMENTS = 2000
CEILING_MB = 2048
"""Resident memory of the whole process tree: the parent (~150 MB) and two workers, each within
ingest.max_document_mb (512 MB of decoded pages) plus its stages."""
SEED = int(os.environ.get("ICR_FUZZ_SEED", "23"))
NAME_CHARS = "abcXYZ019 _-.,;'$&()[]{}#%!~+=@^éüßøñçあ東京Ωж€£🧾"


def random_name(rng: random.Random, suffix: str, taken: set[str]) -> str:
    """A file name of random length and characters (valid UTF-8; never ``/`` or NUL)."""
    while True:
        stem = "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 60))).strip()
        name = f"{stem or 'x'}{suffix}"
        if rng.random() < 0.02:  # as long as a file name may be: 255 bytes
            name = "ü" * ((255 - len(suffix)) // 2) + "a" * ((255 - len(suffix)) % 2) + suffix
        if name not in taken and name not in (".", "..") and len(name.encode()) <= 255:
            taken.add(name)
            return name


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Cut short at a random place, or a few random bytes flipped (the header spared half the time)."""
    if rng.random() < 0.5:
        return data[: rng.randint(1, max(1, len(data) - 1))]
    out = bytearray(data)
    start = 0 if rng.random() < 0.5 else min(64, len(out) - 1)
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(start, len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def good_png(i: int) -> bytes:
    img = np.full((40, 64), 255, np.uint8)
    img[5:10, i % 50 : i % 50 + 5] = 0
    img[20, (i // 50) % 64] = 0
    img[30, i % 64] = (i * 7) % 255
    return cv2.imencode(".png", img)[1].tobytes()


def real_files(folder: Path) -> list[Path]:
    """The real documents that get fuzzed: receipts as PNG and JPEG, PDFs with and without a
    text layer, and a multi-page TIFF."""
    folder.mkdir()
    files = sorted(SAMPLES.glob("*.png"))
    receipt = cv2.imread(str(files[0]))
    jpeg = folder / "receipt.jpg"
    jpeg.write_bytes(cv2.imencode(".jpg", receipt)[1].tobytes())
    typed = folder / "typed.pdf"
    typed.write_bytes(text_pdf([["ACME TRADING", "TOTAL 12.50"], ["PAGE TWO", "THANK YOU"]]))
    scanned = folder / "scanned.pdf"
    scanned_pdf(scanned, 2)
    tiff = folder / "pages.tif"
    gray = cv2.cvtColor(receipt, cv2.COLOR_BGR2GRAY)
    from PIL import Image

    Image.fromarray(gray).save(tiff, save_all=True, append_images=[Image.fromarray(gray[::-1])])
    return [*files, jpeg, typed, scanned, tiff]


def hostile_corpus(root: Path, rng: random.Random) -> tuple[dict[Path, str | None], int]:
    """path -> the piece its error must hold (``""``: fuzzed, any clear error or ok; ``None``:
    must be stored ok), and how many of them are crafted bombs and bad files."""
    work = root / "work"
    inbox = root / "inbox"
    (inbox / "deep" / "er").mkdir(parents=True)
    expected: dict[Path, str | None] = {}
    taken: set[str] = set()

    def put(data: bytes, suffix: str, expect: str | None) -> None:
        folder = inbox if rng.random() < 0.7 else inbox / "deep" / "er"
        path = folder / random_name(rng, suffix, taken)
        path.write_bytes(data)
        expected[path] = expect

    work.mkdir()
    bombs = [
        (png_bomb(work / "bomb.png", side=30000).read_bytes(), ".png", "image too large"),
        (jpeg_with_stray_byte(work / "stray.jpg", 20000, 20000).read_bytes(), ".jpg", "image too large"),
        (blank_pdf(20, 2300), ".pdf", "ingest.max_document_mb"),
        (text_pdf([["PAGE"]] * 501), ".pdf", "(limit 500, ingest.max_pages)"),
        (big_tiff(work / "many.tif", 12, 4000).read_bytes(), ".tif", "ingest.max_document_mb"),
    ]
    put(b"", ".png", "empty file (0 bytes)")
    for copy in range(6):  # distinct bytes: each copy is its own document
        for data, suffix, problem in bombs[: len(bombs) if copy < 2 else 0]:  # bytes after the end change nothing
            put(data + f"\n%copy {copy}\n".encode(), suffix, problem)
        put(f"a shopping list, not a photo ({copy})\n".encode(), ".jpg", "not an image file")
        put(cv2.imencode(".png", np.full((1, 1), copy, np.uint8))[1].tobytes(), ".png", "image too small")
        put(f"%PDF-1.7\nnot a pdf at all {copy}".encode(), ".pdf", "broken PDF")
    n_crafted = len(expected)
    for real in real_files(work / "real"):
        data = real.read_bytes()
        for _ in range(10):
            put(mutate(data, rng), real.suffix, "")
    i = 0
    while len(expected) < DOCUMENTS:
        put(good_png(i), ".png", None)
        i += 1
    return expected, n_crafted


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak_mb = 0.0
        self.samples = 0
        self.cpu: dict[int, float] = {}
        """CPU seconds of each process seen, as last read."""
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):  # a worker ending between listing and reading
                        total += proc.memory_info().rss
                        times = proc.cpu_times()
                        self.cpu[proc.pid] = times.user + times.system
            except psutil.Error:
                return
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self.samples += 1
            self.done.wait(0.05)


def test_a_hostile_batch_of_2000_documents_finishes_with_one_row_each(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    expected, n_crafted = hostile_corpus(tmp_path, rng)
    config = tmp_path / "fuzz.yaml"
    config.write_text(
        "stages: {image_corrector: opencv, recognizer: fake, text_corrector: fake}\n"
        "image_corrector: {steps: [crop, grayscale, deskew]}\n"  # real decoding and correcting, no Tesseract
        "recognizer: {fake_lines: ['FUZZ SHOP', 'TOTAL 3.50'], timeout: 30}\n"
        "ingest: {batch_size: 64, prefetch: 4}\n",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'fuzz.db'}"
    cmd = [sys.executable, "-m", "icr", "ingest", str(tmp_path / "inbox"), "--db", db, "-j", "2", "-q"]
    cmd += ["--config", str(config)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    memory.start()
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        memory.done.set()
        memory.join()
        if proc.poll() is None:
            proc.kill()
    took = time.monotonic() - start
    assert proc.returncode == 2, err[-3000:]  # finished, some documents failed
    assert "Traceback" not in err, err[-3000:]
    assert memory.samples > 10 and memory.peak_mb < CEILING_MB, f"process tree peaked at {memory.peak_mb:.0f} MB"

    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source, status, error FROM documents")).all()
    engine.dispose()
    by_source = {source: (status, error) for source, status, error in rows}
    assert len(rows) == len(by_source) == len(expected) == DOCUMENTS  # one row per file, none lost
    failed = 0
    for path, problem in expected.items():
        status, error = by_source[str(path)]
        if status == "failed":
            failed += 1
            assert error and error.startswith(f"{path}: ") and len(error) > len(f"{path}: ") + 5, (path, error)
        if problem is None:
            assert status == "ok", (path, error)
        elif problem:
            assert status == "failed" and problem in (error or ""), (path, error)
    assert failed >= n_crafted
    cpu = sum(memory.cpu.values())
    print(f"seed {SEED}: {DOCUMENTS} documents, {failed} failed, {took:.0f} s ({cpu:.0f} CPU s), ", end="")
    print(f"process tree peak {memory.peak_mb:.0f} MB (ceiling {CEILING_MB})")
