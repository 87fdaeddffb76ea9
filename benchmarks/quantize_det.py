"""Make icr's 8-bit detector, icr/ocr/models/PP-OCRv6_det_small_int8.onnx, from the rapidocr
wheel's pinned float one (``recognizer.det_model: int8``; benchmarks/README.md, "OCR engines").

    PYTHONPATH=. python benchmarks/quantize_det.py                # the shipped model, byte for byte
    PYTHONPATH=. python benchmarks/quantize_det.py --out /tmp/det --nodes Conv.44,Conv.45,Conv.49

The calibration pages are samples/make_samples.py's random receipts (``--seed``), rendered and
degraded as it makes them: pages the project generates, never a dataset's. Needs ``onnx``
(``pip install 'icr[htr-train]'`` or onnx alone); the same onnx and onnxruntime versions (the card
records them) make the same bytes. A new model needs its sha256 pinned in
``icr.ocr.rapidocr_api.OWN_MODELS``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

from icr.ocr.det_int8 import DetQuantizeSettings, quantize_detector  # noqa: E402
from icr.ocr.rapidocr_api import OWN_MODELS, OWN_MODELS_DIR  # noqa: E402


def pages(count: int, seed: int) -> list[np.ndarray]:
    """``count`` receipts as ``make_samples.py --count COUNT --seed SEED`` writes them."""
    import make_samples

    rng = random.Random(seed)
    out = []
    for i in range(count):
        receipt = make_samples.random_receipt(i, rng)
        out.append(make_samples.degrade(make_samples.render(receipt), receipt.degrade, seed * 1_000_003 + i))
    return out


def main() -> None:
    default = DetQuantizeSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OWN_MODELS_DIR)
    parser.add_argument("--pages", type=int, default=default.pages)
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--det-side", type=int, default=default.det_side)
    parser.add_argument("--float-below", type=float, default=default.float_below)
    parser.add_argument("--ranges", choices=["mean", "extremes"], default=default.ranges)
    parser.add_argument("--nodes", default=",".join(default.nodes), help="the nodes to quantize, comma-separated")
    args = parser.parse_args()
    nodes = tuple(n for n in args.nodes.split(",") if n)
    settings = DetQuantizeSettings(args.pages, args.seed, args.det_side, args.float_below, args.ranges, nodes)
    made_by = (
        f"python benchmarks/quantize_det.py --pages {settings.pages} --seed {settings.seed}"
        f" --det-side {settings.det_side} --float-below {settings.float_below} --ranges {settings.ranges}"
        f" --nodes {','.join(settings.nodes)}"
    )
    card = quantize_detector(pages(settings.pages, settings.seed), args.out, settings, made_by)
    name, pinned = OWN_MODELS["det-int8"]
    size = (args.out / name).stat().st_size
    print(f"{args.out / name}: {size / 1e6:.1f} MB, sha256 {card['sha256']}")
    print(f"{card['float_nodes']} convolutions kept in float ({card['float_share']:.1%} of the multiply-adds)")
    if card["sha256"] != pinned:
        print(f"not the pinned {pinned}: pin the new sha256 in icr/ocr/rapidocr_api.py OWN_MODELS")


if __name__ == "__main__":
    main()
