"""Memory guards for issue 4's flat-memory target (the figures themselves: benchmarks/memory.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tracemalloc

import numpy as np

orientation = importlib.import_module("icr.imaging.steps.orientation")


def test_the_cli_does_not_import_the_heavy_libraries() -> None:
    # The ingest parent only plans and writes: pandas (reports) and OpenCV (workers) stay out of it.
    heavy = "('pandas', 'cv2', 'pyarrow', 'tesserocr')"
    code = f"import sys, icr.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_orientation_geometry_on_a_speckled_page_stays_small() -> None:
    # Thousands of letter- and dot-sized specks once made the all-pairs comparisons take ~55 MB.
    rng = np.random.default_rng(3)
    page = np.full((1400, 1000), 235, np.uint8)
    page[rng.random(page.shape) < 0.04] = 40
    tracemalloc.start()
    try:
        orientation.geometry(page)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 25 * 2**20, f"geometry() peaked at {peak / 2**20:.0f} MB"
