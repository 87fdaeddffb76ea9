"""Turn Tesseract's TSV columns into :class:`~icr.types.Word` objects and page text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from icr.types import OcrPage, Word


def words_from_tsv(data: Mapping[str, Sequence[Any]], page: int = 1) -> list[Word]:
    """Words (level 5 rows with text) with confidences scaled to 0..1."""
    words: list[Word] = []
    for i, text in enumerate(data.get("text", [])):
        if int(data["level"][i]) != 5:
            continue
        text = str(text).strip()
        if not text:
            continue
        # whole percents, as the CLI's TSV reaches us through pytesseract, whichever engine read it
        conf = float(int(float(data["conf"][i])))
        words.append(
            Word(
                text=text,
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                confidence=max(0.0, min(1.0, conf / 100.0)),
                block=int(data["block_num"][i]),
                paragraph=int(data["par_num"][i]),
                line=int(data["line_num"][i]),
                page=page,
            )
        )
    return words


def page_text(words: Sequence[Word]) -> str:
    """Plain text: one line per Tesseract line, a blank line between blocks."""
    out: list[str] = []
    last_block: tuple[int, int] | None = None
    last_line: tuple[int, int, int] | None = None
    for w in words:
        line_key = (w.block, w.paragraph, w.line)
        if line_key != last_line:
            if last_line is not None:
                out.append("\n")
                if (w.block, w.paragraph) != last_block:
                    out.append("\n")
            last_line = line_key
            last_block = (w.block, w.paragraph)
        elif out:
            out.append(" ")
        out.append(w.text)
    return "".join(out)


def page_from_words(words: list[Word], width: int, height: int, number: int = 1) -> OcrPage:
    return OcrPage(text=page_text(words), words=words, width=width, height=height, number=number)
