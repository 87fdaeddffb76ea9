"""Originals kept: every ingested file once, by its sha256, in a content-addressed folder.

A document can then be shown (and read again) after its source moved. Beside each original
the pages as the recognizer saw them are kept as PNG: the field boxes are drawn on those.
Layout: ``ROOT/ab/<sha256>/original<.ext>`` and ``ROOT/ab/<sha256>/page-<n>.png``.

Configured by ``store.path`` in ``config/icr.yaml``: ``auto`` keeps them next to a SQLite
database file (``icr.db`` -> ``icr.files/``) and nowhere for other databases; a folder keeps them
there; ``off`` keeps none.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from icr.errors import ConfigError
from icr.types import Image

_SHA256 = re.compile(r"[0-9a-f]{64}")


def encode_png(image: Image) -> bytes:
    """A page image as PNG bytes (OpenCV is imported here: the worker side only)."""
    import cv2

    ok, buf = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("cannot encode the page as PNG")
    return bytes(buf)


class FileStore:
    """A content-addressed folder of originals and their page images."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _folder(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def _write(self, target: Path, data: bytes | Path) -> None:
        """Write atomically (a temporary file renamed), so a reader never sees half a file."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, Path):
                    with data.open("rb") as src:
                        shutil.copyfileobj(src, out)
                else:
                    out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_original(self, source: Path | str, sha256: str) -> Path:
        """Copy ``source`` in once (a second call for the same sha256 does nothing)."""
        existing = self.original(sha256)
        if existing is not None:
            return existing
        suffix = Path(source).suffix.lower()[:8]
        target = self._folder(sha256) / f"original{suffix}"
        self._write(target, Path(source))
        return target

    def original(self, sha256: str) -> Path | None:
        folder = self._folder(sha256)
        found = sorted(folder.glob("original*")) if folder.is_dir() else []
        return found[0] if found else None

    def put_pages(self, sha256: str, pngs: list[bytes]) -> None:
        """Keep the pages as read (replacing those of an earlier reading)."""
        folder = self._folder(sha256)
        for number, png in enumerate(pngs, start=1):
            self._write(folder / f"page-{number}.png", png)

    def page(self, sha256: str, number: int) -> Path | None:
        path = self._folder(sha256) / f"page-{int(number)}.png"
        return path if path.is_file() else None


def store_for(url: str, configured: object = "auto") -> FileStore | None:
    """The store for the database ``url`` under the setting ``store.path`` (see the module)."""
    setting = "auto" if configured is None else str(configured).strip()
    if setting.lower() in ("off", "false", "none", ""):
        return None
    if setting.lower() != "auto":
        return FileStore(Path(setting).expanduser())
    try:
        parsed = make_url(url)
    except Exception as exc:
        from icr.db.database import shown_url

        raise ConfigError(f"store.path: cannot tell where to keep originals for '{shown_url(url)}': {exc}") from exc
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    db = Path(database)
    return FileStore(db.with_name(f"{db.stem}.files"))
