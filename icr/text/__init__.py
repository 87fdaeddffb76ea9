"""Stage 3: spelling correction, templates and field extraction."""
