"""``icr forms``: fit the learned linker of forms on the user's own labelled forms."""

from __future__ import annotations

import json
from pathlib import Path

import click

from icr.cli.commands import config_option, make_settings, profile_option
from icr.errors import InputError


@click.group("forms")
def forms() -> None:
    """Forms: train a linker of questions to answers on your own labelled forms."""


@forms.command("train")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The model (JSON).")
@click.option(
    "--min-precision",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Choose the threshold that keeps at least this share of pairs right on held-out forms (0: best F1).",
)
@click.option("--trees", type=click.IntRange(1, 2000), default=100, show_default=True, help="Boosting rounds.")
@click.option("--depth", type=click.IntRange(1, 8), default=3, show_default=True, help="Depth of each tree.")
@config_option
@profile_option
def train_cmd(
    directory: Path,
    out: Path,
    min_precision: float,
    trees: int,
    depth: int,
    config_path: str | None,
    profile: str | None,
) -> None:
    """Fit a question->answer linker on DIRECTORY's labelled forms and write it to --out.

    \b
    DIRECTORY holds FUNSD-layout forms: <stem>.png (or .jpg) beside <stem>.json
    with {"form": [{"id", "box", "text", "label", "words", "linking"}, ...]}.
    Each form is read as the forms step reads it (config's forms.read_steps and
    psm); the trees learn which pairs of its text segments are a linked
    question and answer. Use the model with `forms: {model: MODEL}` in a
    config file (--config), or `icr eval --kind funsd DIR --forms-model MODEL`.
    Pure numpy: no extra package to train or to read with it.
    """
    from icr.forms.segments import Segment
    from icr.forms.train import read_folder, train
    from icr.forms.trees import FitOptions
    from icr.imaging.load import load_pages
    from icr.pipeline import build_stages, read_as_form

    settings = make_settings(config_path, (), profile)
    if not any(directory.glob("*.json")):
        raise InputError(f"{directory}: no <stem>.json annotations")
    stages = build_stages(settings)
    reader = stages.forms
    if reader is None:
        raise InputError("forms.enabled is off in the configuration")

    def read(scan: Path) -> list[tuple[list[Segment], int, int]]:
        corrected, ocr = read_as_form(load_pages(scan, stages.limits), stages, reader)
        images = {page.number: page.image for page in corrected}
        out_pages = []
        for page in ocr.pages:
            segments, width, height, _ = reader.page_segments(ocr, page, images.get(page.number))
            out_pages.append((segments, width, height))
        return out_pages

    try:
        examples = read_folder(directory, read, reader.link_options, lambda stem: click.echo(f"read {stem}", err=True))
    finally:
        stages.close()
    if not examples:
        raise InputError(f"{directory}: no scans beside the annotations")
    try:
        model, report = train(examples, reader.link_options, FitOptions(trees=trees, depth=depth), min_precision)
    except ValueError as exc:
        raise InputError(f"{directory}: {exc}") from exc
    model.save(out)
    click.echo(json.dumps(report.__dict__, indent=2))
