#!/usr/bin/env python3
"""Recognizer throughput: how close ``icr ingest`` comes to the Tesseract floor (not a test).

On a folder of images (default ../shared/datasets/sroie-dev) it measures, in one
run and interleaved round by round (the order rotates, so a noisy neighbour on
a shared machine hits every method alike):

  (a) cli   - the ``tesseract`` CLI once per image (``--psm 6``), ``--jobs`` at a time;
  (b) seed  - ``pytesseract.image_to_string(cv2.imread(p), config="--psm 6")`` in a
              ``--jobs``-process pool (the seed project's approach);
  (c) floor - the Tesseract API kept loaded (tesserocr), no preprocessing, ``--jobs`` processes;
  (d) icr   - ``icr ingest --jobs N`` into a fresh SQLite database (every stage, hashing, writes).

Every method pays its own start-up (processes, model loading), as a user would.
It prints s/doc per method, the ratios (b)/(d) and (d)/(c) per round and their
medians, the peak memory (RSS summed over the process tree, sampled every 50 ms)
and where (d)'s time goes (the per-stage timings icr stores per document).

    .venv/bin/python benchmarks/throughput.py                       # 2 rounds over sroie-dev
    .venv/bin/python benchmarks/throughput.py --rounds 3 --limit 40 --only b,c,d
    ICR_PROFILE=fast .venv/bin/python benchmarks/throughput.py --interleaved   # CPU per document only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "sroie-dev"
EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


# -- peak memory -------------------------------------------------------------------------------


class PeakRss:
    """Samples the summed RSS of a process tree (the root's descendants, and the root unless excluded)."""

    def __init__(self, root: int, include_root: bool = True, every: float = 0.05) -> None:
        self.root, self.include_root, self.every = root, include_root, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> int:
        try:
            proc = psutil.Process(self.root)
            procs = proc.children(recursive=True) + ([proc] if self.include_root else [])
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the four methods --------------------------------------------------------------------------


def run_cli(images: list[Path], jobs: int) -> None:
    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "stdout", "--psm", "6"], env=ENV, check=True, capture_output=True)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, images))


def _seed_read(path: str) -> int:
    import cv2
    import pytesseract

    return len(pytesseract.image_to_string(cv2.imread(path), config="--psm 6"))


_API: Any = None


def _floor_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    global _API
    import tesserocr

    from icr.ocr.tesseract_api import tessdata_path

    _API = tesserocr.PyTessBaseAPI(path=tessdata_path(), lang="eng", psm=tesserocr.PSM.SINGLE_BLOCK)


def _floor_read(path: str) -> float:
    """Reads one page; returns the CPU seconds it took in this worker."""
    start = time.process_time()
    _API.SetImageFile(path)
    _API.GetUTF8Text()
    return time.process_time() - start


def run_pool(images: list[Path], jobs: int, work: Callable[[str], Any], init: Callable[[], None] | None) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=init) as pool:
        return list(pool.imap_unordered(work, [str(p) for p in images], chunksize=1))


def run_icr(images: list[Path], jobs: int, db: Path, config: str | None = None) -> int:
    """``icr ingest`` as a user runs it; returns its pid's exit code."""
    paths = [str(p) for p in images]
    icr = str(Path(sys.executable).with_name("icr"))
    cmd = [
        icr,
        "ingest",
        "--jobs",
        str(jobs),
        "--db",
        f"sqlite:///{db}",
        "--quiet",
        *(["--config", config] if config else []),
        *paths,
    ]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
        with PeakRss(proc.pid) as rss:
            # wait4 for the parent's own CPU (hashing, database writes): the workers, children of
            # the forkserver, are not in it; their CPU per document is in the stored timings
            _, status, usage = os.wait4(proc.pid, 0)
        returncode = os.waitstatus_to_exitcode(status)
        proc.returncode = returncode
        err.seek(0)
        message = err.read().decode(errors="replace")[-2000:]
    run_icr.peak = rss.peak  # type: ignore[attr-defined]
    run_icr.parent_cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
    if returncode not in (0, 2):
        raise SystemExit(f"icr ingest failed ({returncode}): {message}")
    return returncode


def run_interleaved(images: list[Path], config: str | None) -> tuple[float, float]:
    """CPU seconds per document of (c) and of icr's stages 1-3, in this one process, image by image
    (the floor's read, then icr's): the two see the same neighbours on a shared machine. The
    profile is ``$ICR_PROFILE``; icr's parent (hashing, writes) is not in it."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    sys.path.insert(0, str(ROOT))
    from icr.config import load_settings
    from icr.executor import limit_threads, return_freed_memory
    from icr.pipeline import Task, build_stages, cpu_seconds, process_document

    limit_threads()  # as a worker does

    stages = build_stages(load_settings(config, profile=os.environ.get("ICR_PROFILE") or None))
    _floor_init()
    _floor_read(str(images[0]))  # loading is not reading
    process_document(Task(str(images[0]), ""), stages)
    floor = icr = 0.0
    for path in images:
        floor += _floor_read(str(path))
        start = cpu_seconds()
        process_document(Task(str(path), ""), stages)
        return_freed_memory()  # as a worker does after each document
        icr += cpu_seconds() - start
    stages.close()
    return floor / len(images), icr / len(images)


# -- reporting ---------------------------------------------------------------------------------


def stage_profile(db: Path) -> dict[str, float]:
    """Mean seconds per document of each stage, from the ``timings`` icr stored."""
    sums: dict[str, float] = {}
    n = 0
    with sqlite3.connect(db) as conn:
        for (raw,) in conn.execute("SELECT timings FROM documents WHERE status = 'ok'"):
            timings = json.loads(raw) if isinstance(raw, str) else raw or {}
            n += 1
            for key, value in timings.items():
                sums[key] = sums.get(key, 0.0) + float(value)
    return {k: v / n for k, v in sorted(sums.items())} if n else {}


def list_images(folder: Path, limit: int) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    return found[:limit] if limit else found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="?", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="Only the first N images.")
    parser.add_argument("--config", help="A YAML file for icr ingest (e.g. other image-corrector steps).")
    parser.add_argument("--only", default="a,b,c,d", help="Which methods (comma-separated letters).")
    parser.add_argument(
        "--interleaved", action="store_true", help="Only CPU per document of (c) and icr's stages, in one process."
    )
    args = parser.parse_args()
    if not args.images.is_dir():
        raise SystemExit(f"no image folder at {args.images} (it is read from ../shared/datasets, never copied in)")
    images = list_images(args.images, args.limit)
    if not images:
        raise SystemExit(f"no images in {args.images}")
    if args.interleaved:
        floor, icr = run_interleaved(images, args.config)
        print(
            f"{len(images)} images, one process, load average {os.getloadavg()[0]:.1f}: CPU s/doc (c) {floor:.3f}, "
            f"icr stages 1-3 {icr:.3f}; ratio {icr / floor:.2f}; {1 / icr:.2f} receipts/s per core"
        )
        return
    methods = [m for m in "abcd" if m in args.only.split(",")]
    names = {"a": "cli", "b": "seed", "c": "floor", "d": "icr"}
    print(
        f"{len(images)} images from {args.images}, {args.jobs} jobs, {args.rounds} rounds, "
        f"{psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    per_doc: dict[str, list[float]] = {m: [] for m in methods}
    cpu_per_doc: dict[str, list[float]] = {"c": [], "d": []}
    peaks: dict[str, int] = {m: 0 for m in methods}
    profile: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="icr-throughput-") as tmp:
        for r in range(args.rounds):
            order = methods[r % len(methods) :] + methods[: r % len(methods)]
            for m in order:
                db = Path(tmp) / f"round{r}.db"
                start = time.perf_counter()
                if m == "d":
                    run_icr(images, args.jobs, db, args.config)
                    peak = run_icr.peak  # type: ignore[attr-defined]
                    worker_cpu = stage_profile(db).get("cpu", float("nan"))
                    cpu_per_doc["d"].append(worker_cpu + run_icr.parent_cpu / len(images))  # type: ignore[attr-defined]
                else:
                    with PeakRss(os.getpid(), include_root=False) as rss:
                        if m == "a":
                            run_cli(images, args.jobs)
                        elif m == "b":
                            run_pool(images, args.jobs, _seed_read, None)
                        else:
                            seconds_each = run_pool(images, args.jobs, _floor_read, _floor_init)
                            cpu_per_doc["c"].append(sum(seconds_each) / len(images))
                    peak = rss.peak
                seconds = time.perf_counter() - start
                per_doc[m].append(seconds / len(images))
                peaks[m] = max(peaks[m], peak)
                print(
                    f"round {r + 1} ({names[m]:5}) {seconds / len(images):.3f} s/doc  peak {peak / 2**20:.0f} MB",
                    flush=True,
                )
                if m == "d":
                    profile = stage_profile(db)

    print("\nmethod        s/doc (median)   peak RSS")
    for m in methods:
        print(f"({m}) {names[m]:6}    {statistics.median(per_doc[m]):.3f}          {peaks[m] / 2**20:.0f} MB")
    if "b" in methods and "d" in methods:
        ratios = [b / d for b, d in zip(per_doc["b"], per_doc["d"], strict=True)]
        print(
            f"(b)/(d) per round {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}"
            " (target >= 2.0)"
        )
    if "c" in methods and "d" in methods:
        ratios = [d / c for c, d in zip(per_doc["c"], per_doc["d"], strict=True)]
        print(
            f"(d)/(c) per round {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}"
            " (target <= 1.25)"
        )
    if cpu_per_doc["c"] and cpu_per_doc["d"]:
        # CPU seconds per document hold still when other work shares the cores; wall time does not
        c_cpu, d_cpu = statistics.median(cpu_per_doc["c"]), statistics.median(cpu_per_doc["d"])
        ratios = [d / c for c, d in zip(cpu_per_doc["c"], cpu_per_doc["d"], strict=True)]
        print(
            f"CPU s/doc: (c) {c_cpu:.3f}, (d) {d_cpu:.3f} (workers and parent); (d)/(c) per round "
            f"{', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}; "
            f"(d) reads {1 / d_cpu:.2f} receipts/s per core"
        )
    if profile:
        print("\nwhere (d)'s time goes, mean seconds per document inside a worker (last round):")
        for key, value in profile.items():
            print(f"  {key:28} {value:.4f}")


if __name__ == "__main__":
    main()
