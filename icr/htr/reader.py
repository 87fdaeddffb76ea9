"""Reading handwritten crops: the model, a decoder, and an optional field grammar or
lexicon. This is what a form zone of kind ``handwriting`` calls."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import regex

from icr.config import config_dir, load_yaml
from icr.errors import ConfigError
from icr.htr.decode import Reading, beam, greedy
from icr.htr.model import HandwritingModel
from icr.htr.preprocess import dark_on_light, ink_box, pieces, straighten, text_lines

ENGINE = "htr"  # what a word read here records as its engine


@cache
def grammars() -> dict[str, regex.Pattern[str]]:
    """The named field grammars of ``config/htr.yaml``, compiled."""
    path = config_dir() / "htr.yaml"
    data = load_yaml(path).get("grammars", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: key 'grammars': must be a mapping of name to regular expression")
    out = {}
    for name, pattern in data.items():
        try:
            out[str(name)] = regex.compile(str(pattern))
        except regex.error as exc:
            raise ConfigError(f"{path}: key 'grammars.{name}': not a regular expression: {exc}") from exc
    return out


@dataclass
class HandwritingReader:
    """Reads crops of handwriting (a word, a field value or a short line).

    ``decoding`` is ``greedy`` (the default: as accurate as an unconstrained beam on
    words, and 0.2-1 ms a word faster) or ``beam``; a ``grammar`` (a name from ``config/htr.yaml``
    or a compiled pattern) or a ``lexicon`` always uses the beam."""

    model: HandwritingModel
    decoding: str = "greedy"
    beam_width: int = 8

    @classmethod
    def load(cls, folder: Path | None = None, decoding: str = "greedy") -> HandwritingReader:
        if decoding not in ("greedy", "beam"):
            raise ConfigError(f"decoding '{decoding}': must be greedy or beam")
        return cls(HandwritingModel.load(folder), decoding)

    def read(
        self,
        images: Sequence[np.ndarray],
        grammar: str | regex.Pattern[str] | None = None,
        lexicon: Sequence[str] | None = None,
        trim: bool = False,
    ) -> list[Reading]:
        """One reading (text, confidence 0..1, its words) per crop, in order. Light writing on a dark
        ground is inverted and a sloping line sheared level first (:func:`straighten`). ``trim``: a
        loose crop (a form's zone) is read cut down to its ink (:func:`ink_box`); its words' places
        stay shares of the whole crop's width."""
        pattern = _pattern(grammar)
        images = [straighten(dark_on_light(image)) for image in images]
        boxes = [ink_box(image) if trim else None for image in images]
        cut = [image if b is None else image[b[1] : b[3], b[0] : b[2]] for image, b in zip(images, boxes, strict=True)]
        # a crop is read as one line and, where it holds several (text_lines), line by line, the surer
        # reading kept; a long line is read piece by piece (squeezed into the model's widest input it
        # reads as nothing)
        parts: list[np.ndarray] = []
        layouts: list[list[list[bool]]] = []  # per crop, per way of reading it: the gaps after its parts
        for image in cut:
            lines = text_lines(image)
            layouts.append([])
            for rows in [[(0, image.shape[0])], lines] if len(lines) > 1 else [[(0, image.shape[0])]]:
                gaps: list[bool] = []
                for top, bottom in rows:
                    spans = pieces(image[top:bottom])
                    parts.extend(image[top:bottom, a:b] for a, b, _ in spans)
                    gaps.extend([*(gap for _, _, gap in spans[:-1]), True])  # a new line starts a new word
                layouts[-1].append(gaps)
        flat = self.model.probabilities(parts)
        out = []
        for ways, image, box in zip(layouts, images, boxes, strict=True):
            readings = []
            for gaps in ways:
                probs = self._joined(flat[: len(gaps)], gaps)
                flat = flat[len(gaps) :]
                if pattern is None and lexicon is None and self.decoding == "greedy":
                    readings.append(greedy(probs, self.model.alphabet))
                else:
                    readings.append(beam(probs, self.model.alphabet, self.beam_width, pattern, lexicon))
            reading = max(readings, key=_sureness)  # the first (whole) on a tie
            out.append(reading if box is None else _placed(reading, box, image.shape[1]))
        return out

    def _joined(self, probs: list[np.ndarray], gaps: list[bool]) -> np.ndarray:
        """The frames of a crop's parts (its lines, a long line's pieces) in a row, one frame between
        two parts: a space where a new line or a word gap parts them (a blank without one in the
        alphabet), else a blank, so that a letter ending one piece and starting the next is read twice."""
        if len(probs) == 1:
            return probs[0]
        space = self.model.alphabet.find(" ") + 1  # class 0 is CTC's blank
        rows: list[np.ndarray] = []
        for frames, gap in zip(probs, gaps, strict=True):
            rows.append(frames)
            between = np.zeros((1, frames.shape[1]), frames.dtype)
            between[0, space if gap else 0] = 1.0
            rows.append(between)
        return np.concatenate(rows[:-1])


def _sureness(reading: Reading) -> float:
    """How sure a reading is of its letters (the geometric mean over its words' characters): the
    spaces set between a crop's lines and pieces are no evidence either way."""
    letters = sum(len(w.text) for w in reading.words)
    if not letters:
        return 0.0
    return math.exp(sum(len(w.text) * math.log(max(w.confidence, 1e-12)) for w in reading.words) / letters)


def _placed(reading: Reading, box: tuple[int, int, int, int], width: int) -> Reading:
    """A reading of the part ``box`` of a crop ``width`` wide, its words placed along the whole crop."""
    left, span = box[0], box[2] - box[0]
    words = tuple(replace(w, start=(left + w.start * span) / width, end=(left + w.end * span) / width)
                  for w in reading.words)  # fmt: skip
    return replace(reading, words=words)


def _pattern(grammar: str | regex.Pattern[str] | None) -> regex.Pattern[str] | None:
    if grammar is None or isinstance(grammar, regex.Pattern):
        return grammar
    known = grammars()
    if grammar not in known:
        raise ConfigError(f"grammar '{grammar}': unknown (config/htr.yaml has: {', '.join(sorted(known))})")
    return known[grammar]


_LOCK = threading.Lock()
_SHARED: HandwritingReader | None = None


def shared_reader() -> HandwritingReader:
    """This process's reader over the shipped model, loaded on first use."""
    global _SHARED
    with _LOCK:
        if _SHARED is None:
            _SHARED = HandwritingReader.load()
        return _SHARED


def read_crop(
    image: np.ndarray, grammar: str | None = None, lexicon: Sequence[str] | None = None, trim: bool = True
) -> tuple[str, float]:
    """Read one crop of handwriting with the shipped model: (text, confidence 0..1).

    ``grammar`` names a field grammar of ``config/htr.yaml`` (digits, amount, date,
    phone, letters); ``lexicon`` limits the reading to those words; ``trim`` reads a loose
    crop (a form's zone) cut down to its ink (a tight crop is read as it is)."""
    reading = shared_reader().read([image], grammar, lexicon, trim)[0]
    return reading.text, reading.confidence
