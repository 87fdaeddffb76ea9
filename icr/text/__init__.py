"""Stage 3: spelling correction, templates and field extraction."""

from icr.text.lines import ocr_from_lines

__all__ = ["ocr_from_lines"]
