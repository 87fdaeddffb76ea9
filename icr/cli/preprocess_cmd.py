"""``icr preprocess``: run the image corrector on one file and keep the image after every step."""

from __future__ import annotations

from pathlib import Path

import click

from icr.config import load_settings
from icr.errors import ConfigError, InputError
from icr.imaging.corrector import check_steps, run_steps
from icr.imaging.load import load_pages
from icr.imaging.steps import to_gray
from icr.types import Image


def _write_png(path: Path, image: Image) -> None:
    import cv2

    if not cv2.imwrite(str(path), image):
        raise InputError(f"{path}: cannot write the image")


@click.command("preprocess")
@click.argument("in_path", metavar="IN", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--steps",
    "steps_csv",
    metavar="A,B,C",
    help="Steps to run, comma-separated, in this order (default: image_corrector.steps in the config).",
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="A YAML file overriding config/icr.yaml."
)
def preprocess(in_path: Path, out_dir: Path, steps_csv: str | None, config_path: str | None) -> None:
    """Correct the image IN step by step, writing OUT_DIR/NN_<step>.png after each step.

    \b
    00_input.png is the page as read; then one image per step, numbered in the
    order they ran; the time each step took is printed and written to
    OUT_DIR/timings.tsv (step, seconds, what the step measured).
    A multi-page file gets one sub-folder per page (page-001, ...).
    """
    settings = load_settings(config_path)
    # Nothing reads the page here to settle an unclear orientation later: the step decides it now.
    options = {**settings.section("image_corrector"), "orientation_defer": False}
    if steps_csv is not None:
        names = [s.strip() for s in steps_csv.split(",") if s.strip()]
    else:
        names = list(options.get("steps", []))
    try:
        names = check_steps(names)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--steps") from exc
    pages = load_pages(in_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    for page in pages:
        folder = out_dir if len(pages) == 1 else out_dir / f"page-{page.number:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        _write_png(folder / "00_input.png", page.image)
        rows = ["step\tseconds\tinfo"]
        total = 0.0
        for index, (name, image, seconds, info) in enumerate(run_steps(page.image, names, options), start=1):
            _write_png(folder / f"{index:02d}_{name}.png", image)
            measured = ", ".join(f"{k}={v:.3g}" for k, v in info.items())
            rows.append(f"{name}\t{seconds:.4f}\t{measured}")
            total += seconds
            click.echo(f"{folder.name}/{index:02d}_{name}.png  {seconds * 1000:8.1f} ms  {measured}")
        if not names:
            _write_png(folder / "01_output.png", to_gray(page.image))
        rows.append(f"total\t{total:.4f}\t")
        (folder / "timings.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        click.echo(f"{folder}: {len(names)} steps in {total * 1000:.1f} ms")
