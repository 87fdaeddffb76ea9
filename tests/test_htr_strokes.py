"""Handwriting written stroke by stroke (icr/htr/strokes.py): the Hershey format read from a
file written here, words written by random hands, and the installed fonts when present."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from icr.errors import ConfigError
from icr.htr.model import ALPHABET
from icr.htr.render import TextSampler
from icr.htr.strokes import CAP, Hand, load_hershey, render_stroke_sample, stroke_fonts, write


def _record(left: int, right: int, strokes: list[list[tuple[int, int]]]) -> str:
    """One glyph in the .jhf layout: number, pair count, then pairs as offsets from 'R'."""
    pairs = [chr(82 + left) + chr(82 + right)]
    for i, stroke in enumerate(strokes):
        if i:
            pairs.append(" R")
        pairs += [chr(82 + x) + chr(82 + y) for x, y in stroke]
    return f"12345{len(pairs):3d}" + "".join(pairs)


@pytest.fixture
def font(tmp_path: Path) -> Path:
    """95 glyphs: a space, a two-stroke 'I' with a bar at every letter, a box for the rest."""
    box = [[(-5, -12), (5, -12), (5, 9), (-5, 9), (-5, -12)]]
    lines = [_record(-8, 8, [])]
    lines += [_record(-6, 6, [[(0, -12), (0, 9)], [(-4, -1), (4, -1)]]) if chr(c) == "I" else _record(-6, 6, box)
              for c in range(33, 127)]  # fmt: skip
    path = tmp_path / "test.jhf"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def test_the_format_is_read_glyph_by_glyph(font: Path) -> None:
    glyphs = load_hershey(str(font))
    assert len(glyphs) == 95 and glyphs[" "].strokes == ()
    i = glyphs["I"]
    assert (i.left, i.right) == (-6, 6) and len(i.strokes) == 2
    assert i.strokes[0].tolist() == [[0, -12], [0, 9]] and i.strokes[1].tolist() == [[-4, -1], [4, -1]]


def test_a_cut_record_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.jhf"
    path.write_text("12345  9MWRFRT RR\n", encoding="ascii")
    with pytest.raises(ConfigError, match=r"cut\.jhf: glyph 1 holds 4 of its 9 pairs"):
        load_hershey(str(path))


def test_a_word_is_as_tall_as_asked_and_every_hand_writes_it_its_own_way(font: Path) -> None:
    glyphs = load_hershey(str(font))
    upright = Hand(slant=0.0, width=1.0, spacing=0.0, jitter=0.0, wobble=0.0, pen=1.0, corners=0)
    ink = write("II", glyphs, upright, 42.0, random.Random(1))
    rows = np.flatnonzero(ink.max(axis=1) > 128)
    assert rows.max() - rows.min() + 1 == pytest.approx(42.0, abs=4)  # a capital, pen width aside
    assert ink.shape[0] >= 3 * 42 - 4  # one capital's margin above and below
    rng = random.Random(2)
    words = [write("IIII", glyphs, Hand.random(rng), 42.0, rng) for _ in range(4)]
    assert len({w.shape for w in words}) > 1  # slant, width and spacing differ between hands


def test_a_sample_spells_what_it_shows(font: Path) -> None:
    rng = random.Random(3)
    for _ in range(20):
        image, text = render_stroke_sample(TextSampler(("word", "Form")), [font], rng, ALPHABET)
        assert image.dtype == np.uint8 and image.ndim == 2 and min(image.shape) >= 8
        assert text.strip() and all(c in ALPHABET for c in text)


@pytest.mark.skipif(not stroke_fonts(), reason="Debian's hershey-fonts-data is not installed")
def test_the_installed_single_line_fonts_cover_printable_ascii() -> None:
    for path in stroke_fonts():
        glyphs = load_hershey(str(path))
        assert set(glyphs) == {chr(c) for c in range(32, 127)}, path
        cap = glyphs["H"]
        ys = np.vstack(cap.strokes)[:, 1]
        assert ys.max() - ys.min() == pytest.approx(CAP, abs=2), path
