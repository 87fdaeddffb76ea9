"""Stage 2: Tesseract recognizers."""
