"""Stage 1: loading pages and correcting images for OCR."""
