"""OCR a folder of receipt images once into a cache of Tesseract TSV files.

The cache lives OUTSIDE the repository (default ``/tmp/icr-ocr-cache``) and lets
``benchmarks/text_eval.py --ocr-cache DIR`` iterate on the text corrector with
real OCR output without re-running Tesseract every time.

usage: python benchmarks/ocr_cache.py IMAGE_DIR [--out DIR] [--jobs 2] [--psm 6] [--pipeline [--profile NAME]]

Each ``<id>.jpg`` becomes ``<id>.tsv`` (``pytesseract.image_to_data`` on the
grayscale image; with ``--pipeline``, the words icr's configured image corrector and
recognizer read under ``--profile``, by default ``icr eval``'s, which is what it feeds the text
corrector). Tesseract runs
single-threaded (OMP_THREAD_LIMIT=1) in at most
``--jobs`` processes (never more than 2 on the shared machine).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

DEFAULT_OUT = Path("/tmp/icr-ocr-cache")


def ocr_one(image: Path, out: Path, psm: int, lang: str) -> str:
    import cv2
    import pytesseract

    target = out / f"{image.stem}.tsv"
    if target.exists() and target.stat().st_size > 0:
        return f"{image.stem}: cached"
    gray = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        return f"{image.stem}: unreadable"
    tsv = pytesseract.image_to_data(gray, lang=lang, config=f"--psm {psm}")
    tmp = target.with_suffix(".tmp")
    tmp.write_text(tsv, encoding="utf-8")
    tmp.replace(target)
    return f"{image.stem}: ok"


_STAGES: object = None
_PROFILE: str | None = None


def pipeline_one(image: Path, out: Path, psm: int, lang: str) -> str:
    """Stages 1 and 2 as ``icr ingest`` runs them (shipped config and ``_PROFILE``), written as Tesseract TSV."""
    global _STAGES
    from icr.config import load_settings
    from icr.imaging.load import load_pages
    from icr.pipeline import ReadOptions, Stages, _read, build_stages

    target = out / f"{image.stem}.tsv"
    if target.exists() and target.stat().st_size > 0:
        return f"{image.stem}: cached"
    if _STAGES is None:
        _STAGES = build_stages(load_settings(profile=_PROFILE))
    assert isinstance(_STAGES, Stages)
    _, ocr = _read(load_pages(image), _STAGES, ReadOptions(), {})
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [header]
    for page in ocr.pages:
        for n, w in enumerate(page.words, 1):
            rows.append(
                f"5\t{w.page}\t{w.block}\t{w.paragraph}\t{w.line}\t{n}\t{w.left}\t{w.top}"
                f"\t{w.width}\t{w.height}\t{w.confidence * 100:.2f}\t{w.text}"
            )
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tmp.replace(target)
    return f"{image.stem}: ok (pipeline)"


def _set_profile(profile: str | None) -> None:
    global _PROFILE
    _PROFILE = profile


def load_tsv(path: Path) -> object:
    """Read a cached TSV back as an :class:`icr.types.OcrResult`."""
    from icr.types import OcrPage, OcrResult, Word

    words: list[Word] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t") if lines else []
    col = {name: i for i, name in enumerate(header)}
    for row in lines[1:]:
        parts = row.split("\t")
        if len(parts) < len(header) or parts[col["level"]] != "5":
            continue
        text = parts[col["text"]]
        if not text.strip():
            continue
        conf = float(parts[col["conf"]])
        words.append(
            Word(
                text=text,
                left=int(parts[col["left"]]),
                top=int(parts[col["top"]]),
                width=int(parts[col["width"]]),
                height=int(parts[col["height"]]),
                confidence=max(0.0, conf) / 100.0,
                block=int(parts[col["block_num"]]),
                paragraph=int(parts[col["par_num"]]),
                line=int(parts[col["line_num"]]),
            )
        )
    page_text = "\n".join(" ".join(w.text for w in ws) for ws in _group(words))
    return OcrResult([OcrPage(page_text, words)], engine="tesseract-cache")


def _group(words: list[object]) -> list[list[object]]:
    groups: dict[tuple[int, int, int], list[object]] = {}
    for w in words:
        groups.setdefault((w.block, w.paragraph, w.line), []).append(w)  # type: ignore[attr-defined]
    return list(groups.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("image_dir", type=Path)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--psm", type=int, default=6)
    ap.add_argument("--lang", default="eng")
    ap.add_argument("--pipeline", action="store_true", help="read with icr's image corrector and recognizer")
    ap.add_argument("--profile", default=None, help="the pipeline's profile (default: icr eval's)")
    args = ap.parse_args(argv)
    global _PROFILE
    from icr.config import default_profile

    _PROFILE = args.profile or default_profile()
    jobs = max(1, min(args.jobs, 2))
    args.out.mkdir(parents=True, exist_ok=True)
    images = sorted(args.image_dir.glob("*.jpg")) + sorted(args.image_dir.glob("*.png"))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_set_profile, initargs=(_PROFILE,)) as pool:
        read = pipeline_one if args.pipeline else ocr_one
        futures = [pool.submit(read, p, args.out, args.psm, args.lang) for p in images]
        for i, fut in enumerate(futures, 1):
            print(f"[{i}/{len(images)}] {fut.result()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
