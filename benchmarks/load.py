#!/usr/bin/env python3
"""Load benchmark: documents per second and peak memory of ``icr ingest`` on many receipts.

    python benchmarks/load.py fake --count 10000        # OCR replayed: the pipeline around OCR
    python benchmarks/load.py fake --count 1000         # same, a tenth: memory must not grow
    python benchmarks/load.py real --count 1000         # real Tesseract
    ... [--jobs 2] [--distinct 50] [--executor process|dask] [--work /tmp/icr-load]

**fake**: ``--distinct`` receipts are rendered with ``samples/make_samples.py``; each is
OCR'd once with real Tesseract and the words are recorded, keyed by the page's pixels
(:func:`icr.ocr.recognizer.image_key`). ``--count`` files are then written as copies
whose bytes differ (a PNG ``tEXt`` chunk with a serial number) but whose pixels do not,
so every file is a distinct document and the replaying recognizer finds its
recording. The image corrector is off (``none``); loading, hashing, the executor,
the text corrector and the database writes are real. **real**: ``--count`` rendered
receipts through the default pipeline (image corrector, Tesseract, text corrector).

``icr ingest`` runs as a subprocess into a fresh SQLite file; its process tree is
sampled every 0.1 s for the peak resident memory of the parent and of the largest
worker. Work files live in ``--work`` (outside the repository) and are reused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def replay_recognizer(settings: Any) -> Any:
    """The recognizer for ``fake`` runs (``recognizer: load:replay_recognizer``): replays the
    recordings file named by ``recognizer.recordings``."""
    from icr.ocr.recognizer import FakeRecognizer

    return FakeRecognizer.from_file(Path(settings.get("recognizer", "recordings")))


# -- inputs ----------------------------------------------------------------------------------


def render(count: int, out: Path, seed: int = 11) -> list[Path]:
    """``count`` receipts from samples/make_samples.py (made once, then reused)."""
    out.mkdir(parents=True, exist_ok=True)
    have = sorted(out.glob("receipt-*.png"))
    if len(have) < count:
        cmd = [sys.executable, str(ROOT / "samples" / "make_samples.py"), "--count", str(count)]
        subprocess.run([*cmd, "--out", str(out), "--seed", str(seed)], check=True)
        have = sorted(out.glob("receipt-*.png"))
    return have[:count]


def record(images: list[Path], target: Path) -> Path:
    """OCR each distinct image once with real Tesseract; save words keyed by the page's pixels."""
    if target.exists():
        return target
    from dataclasses import asdict

    from icr.config import load_settings
    from icr.imaging.corrector import NoopCorrector
    from icr.imaging.load import load_pages
    from icr.ocr.recognizer import PytesseractRecognizer, image_key

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = load_settings()
    corrector = NoopCorrector(settings.section("image_corrector"))
    engine = PytesseractRecognizer(psm=int(settings.get("recognizer", "psm", 6)))
    recordings: dict[str, list[dict[str, Any]]] = {}
    for n, path in enumerate(images, start=1):
        page = corrector.correct(load_pages(path)[0])
        words = engine.recognize([page]).pages[0].words
        recordings[image_key(page.image)] = [asdict(w) for w in words]
        print(f"recorded {n}/{len(images)}", file=sys.stderr, end="\r")
    target.write_text(json.dumps({"recordings": recordings}), encoding="utf-8")
    return target


def png_variant(data: bytes, serial: int) -> bytes:
    """The same PNG with a ``tEXt`` chunk before IEND: other bytes (sha256), same pixels."""
    body = b"icr-load\x00" + str(serial).encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


def copies(images: list[Path], count: int, out: Path) -> Path:
    """``count`` files cycling over ``images`` with distinct bytes (made once, then reused)."""
    out.mkdir(parents=True, exist_ok=True)
    blobs = [p.read_bytes() for p in images]
    for i in range(count):
        target = out / f"doc-{i:06d}.png"
        if not target.exists():
            target.write_bytes(png_variant(blobs[i % len(blobs)], i))
    return out


# -- measuring -------------------------------------------------------------------------------


class PeakMemory(threading.Thread):
    """Samples a process tree: peak RSS of the root and of its largest descendant (MiB)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.parent_mib = 0.0
        self.worker_mib = 0.0
        self.total_mib = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.stop.is_set():
            try:
                parent = root.memory_info().rss / 2**20
                kids = []
                for child in root.children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        kids.append(child.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                return
            self.parent_mib = max(self.parent_mib, parent)
            self.worker_mib = max(self.worker_mib, max(kids, default=0.0))
            self.total_mib = max(self.total_mib, parent + sum(kids))
            self.stop.wait(self.every)


def ingest(folder: Path, config: Path, db: Path, jobs: int, executor: str) -> dict[str, Any]:
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):  # a stale WAL would replay into the new file
        stale.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "icr", "ingest", str(folder), "--db", f"sqlite:///{db}", "-j", str(jobs), "-q"]
    cmd += ["--config", str(config), "--executor", executor]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    meter = PeakMemory(proc.pid)
    meter.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    meter.stop.set()
    meter.join()
    summary = err.strip().splitlines()[-1] if err.strip() else ""
    if proc.returncode not in (0, 2):
        raise SystemExit(f"icr ingest failed ({proc.returncode}):\n{err}")
    docs = int(summary.split("ok ")[1].split(",")[0]) + int(summary.split("failed ")[1].split(",")[0])
    return {
        "documents": docs,
        "wall_seconds": round(seconds, 1),
        "docs_per_second": round(docs / seconds, 2),
        "peak_parent_mib": round(meter.parent_mib),
        "peak_worker_mib": round(meter.worker_mib),
        "peak_total_mib": round(meter.total_mib),
        "icr_summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fake", "real"])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=50, help="fake: receipts rendered and OCR'd for real")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--executor", choices=["process", "dask"], default="process")
    parser.add_argument("--work", type=Path, default=Path("/tmp/icr-load"))
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    config = work / f"{args.mode}.yaml"
    if args.mode == "fake":
        distinct = render(args.distinct, work / f"distinct-{args.distinct}")
        recordings = record(distinct, work / f"recordings-{args.distinct}.json")
        folder = copies(distinct, args.count, work / f"fake-{args.distinct}")
        # The folder may hold more copies from a larger run: ingest exactly --count of them.
        folder = _subset(folder, args.count, work / f"fake-{args.distinct}-{args.count}")
        config.write_text(
            "stages: {image_corrector: none, recognizer: 'load:replay_recognizer', text_corrector: default}\n"
            f"recognizer: {{recordings: '{recordings}'}}\n",
            encoding="utf-8",
        )
    else:
        folder = work / f"real-{args.count}"
        render(args.count, folder)
        config.write_text("{}\n", encoding="utf-8")
    result = ingest(folder, config, work / f"{args.mode}.db", args.jobs, args.executor)
    result.update(mode=args.mode, count=args.count, jobs=args.jobs, executor=args.executor, cpus=os.cpu_count())
    print(json.dumps(result, indent=2))


def _subset(folder: Path, count: int, out: Path) -> Path:
    """A folder of symlinks to the first ``count`` files (reused across runs)."""
    out.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        link = out / f"doc-{i:06d}.png"
        if not link.exists():
            link.symlink_to(folder / link.name)
    return out


if __name__ == "__main__":
    main()
