#!/usr/bin/env python3
"""Peak memory of ``icr ingest`` against batch size (not a test).

Runs ``icr ingest --jobs N`` over the first K images of a folder for each K in
``--sizes`` into a fresh SQLite database, and samples (every 50 ms) the RSS of
the parent and of its workers. Memory must stay flat as K grows: documents are
streamed to the workers a few at a time and results written in batches.

    python samples/make_samples.py --count 2000 --out /tmp/load2000 --seed 7
    .venv/bin/python benchmarks/memory.py /tmp/load2000 --sizes 200,2000 --fake
    .venv/bin/python benchmarks/memory.py /tmp/load2000 --sizes 50,300          # real OCR

``--fake`` uses the fake recognizer (``stages.recognizer: fake``) to keep a 2,000
document run short; every other stage runs for real.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from throughput import ENV, PeakRss, list_images


class PerProcessPeak(PeakRss):
    """Also the largest RSS of the root alone and of any single worker."""

    def __init__(self, root: int) -> None:
        super().__init__(root)
        self.parent_peak = 0
        self.worker_peak = 0
        self.pss_peak = 0
        """Proportional set size summed over the tree: shared library pages counted once."""

    def _sample(self) -> int:
        try:
            proc = psutil.Process(self.root)
            children = proc.children(recursive=True)
            parent = proc.memory_info().rss
        except psutil.NoSuchProcess:
            return 0
        sizes, pss = [], 0
        for child in [*children, proc]:
            try:
                info = child.memory_full_info()
            except psutil.NoSuchProcess:
                continue
            pss += info.pss
            if child is not proc:
                sizes.append(info.rss)
        self.pss_peak = max(self.pss_peak, pss)
        self.parent_peak = max(self.parent_peak, parent)
        self.worker_peak = max([self.worker_peak, *sizes])
        return parent + sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", type=Path)
    parser.add_argument("--sizes", default="200,2000", help="Batch sizes (comma-separated).")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fake", action="store_true", help="The fake recognizer instead of Tesseract.")
    parser.add_argument("--steps", help="Image-corrector steps instead of the configured ones, e.g. grayscale,deskew")
    args = parser.parse_args()
    available = list_images(args.images, 0)
    icr = str(Path(sys.executable).with_name("icr"))
    print(f"{len(available)} images in {args.images}; {args.jobs} jobs; recognizer {'fake' if args.fake else 'auto'}; "
          f"image-corrector steps {args.steps or 'as configured'}")
    print("documents   seconds   s/doc   peak RSS total   peak PSS total   peak parent   peak one worker")
    with tempfile.TemporaryDirectory(prefix="icr-memory-") as tmp:
        config = Path(tmp) / "config.yaml"
        lines = ["stages:", "  recognizer: fake"] if args.fake else []
        if args.steps:
            lines += ["image_corrector:", f"  steps: [{args.steps}]"]
        config.write_text("\n".join(lines) + "\n" if lines else "{}\n", encoding="utf-8")
        for size in (int(s) for s in args.sizes.split(",")):
            images = available[:size]
            if len(images) < size:
                raise SystemExit(f"only {len(images)} images in {args.images}, asked for {size}")
            db = Path(tmp) / f"{size}.db"
            cmd = [icr, "ingest", "--jobs", str(args.jobs), "--db", f"sqlite:///{db}", "--quiet",
                   "--config", str(config), *map(str, images)]  # fmt: skip
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            with PerProcessPeak(proc.pid) as rss:
                _, err = proc.communicate()
            seconds = time.perf_counter() - start
            if proc.returncode not in (0, 2):
                raise SystemExit(f"icr ingest failed ({proc.returncode}): {err.decode()[-2000:]}")
            mb = 2**20
            print(f"{size:9}   {seconds:7.1f}   {seconds / size:.3f}   {rss.peak / mb:11.0f} MB   "
                  f"{rss.pss_peak / mb:11.0f} MB   "
                  f"{rss.parent_peak / mb:8.0f} MB   {rss.worker_peak / mb:8.0f} MB", flush=True)
    print(f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
