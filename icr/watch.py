"""Watch mode: ingest files as they arrive in a folder.

Every ``interval`` seconds the folder is scanned (recursively, supported extensions,
hidden files left alone). A file is *complete* once its size and modification time
are the same in two scans in a row and it is at least ``interval`` seconds old; then
it goes through :func:`icr.pipeline.ingest` like any other. Restarting is safe:
documents already stored (same sha256) are skipped, and only the documents that had
failed are tried again. Within one run a file is handed over once per version (a
file that changes is ingested again, as a new document).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from icr.consolidate import ConsolidateOptions
from icr.duplicates import DuplicateOptions
from icr.pipeline import Executor, IngestSummary, discover, ingest
from icr.stages import Populator
from icr.types import DocumentResult

Signature = tuple[int, int]
"""(size in bytes, modification time in ns): a file whose signature holds still is complete."""


@dataclass
class FolderScanner:
    """Tells which files in a folder are complete and not yet handed over."""

    folder: Path
    min_age: float = 0.0
    """Seconds since the last modification before a file counts as complete."""
    last_seen: dict[Path, Signature] = field(default_factory=dict)
    handed_over: dict[Path, Signature] = field(default_factory=dict)

    def scan(self, now: float | None = None) -> list[Path]:
        """The files complete since the last scan, in sorted order; marks them handed over."""
        now = time.time() if now is None else now
        current: dict[Path, Signature] = {}
        ready: list[Path] = []
        unlistable: list[Path] = []
        found = list(discover([self.folder], on_error=lambda folder, _exc: unlistable.append(folder)))
        # A folder that cannot be listed is handed over like a file: ingest records it failed.
        for path in [*found, *unlistable]:
            if any(part.startswith(".") for part in path.relative_to(self.folder).parts):
                continue  # hidden files and folders: editors' and copy tools' temporaries
            try:
                st = path.stat()
            except OSError:
                try:  # a symlink loop or a dangling link: ingest records why it cannot be read
                    st = path.lstat()
                except OSError:
                    continue  # gone since the listing
            sig = (st.st_size, st.st_mtime_ns)
            current[path] = sig
            if self.handed_over.get(path) == sig:
                continue
            if self.last_seen.get(path) == sig and now - st.st_mtime >= self.min_age:
                ready.append(path)
                self.handed_over[path] = sig
        self.last_seen = current
        for gone in set(self.handed_over) - set(current):
            del self.handed_over[gone]
        return ready


@dataclass
class WatchTotals:
    """What a watch did so far, over all its rounds."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    rounds: int = 0

    def add(self, summary: IngestSummary) -> None:
        self.ok += summary.ok
        self.failed += summary.failed
        self.skipped += summary.skipped
        self.rounds += 1


def move_into(path: Path, folder: Path, dest: Path) -> Path:
    """Move ``path`` (inside ``folder``) to the same relative place under ``dest``; a name
    already taken there gets a number (``receipt.1.png``), so nothing is overwritten."""
    target = dest / path.relative_to(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    while target.exists():
        n += 1
        target = target.with_name(f"{path.stem}.{n}{path.suffix}")
    shutil.move(str(path), str(target))
    return target


def _outside(folder: Path, dest: Path | None, option: str) -> Path | None:
    if dest is None:
        return None
    dest = Path(dest)
    if dest.resolve().is_relative_to(folder.resolve()):
        from icr.errors import InputError

        raise InputError(f"{option} {dest}: must be outside the watched folder {folder}")
    return dest


def watch(
    folder: str | Path,
    populator: Populator,
    executor: Executor,
    *,
    interval: float = 2.0,
    batch_size: int = 8,
    stop: threading.Event | None = None,
    on_result: Callable[[DocumentResult], None] | None = None,
    on_skipped: Callable[[int], None] | None = None,
    totals: WatchTotals | None = None,
    consolidate: ConsolidateOptions | None = None,
    duplicates: DuplicateOptions | None = None,
    done: Path | None = None,
    failed: Path | None = None,
    on_moved: Callable[[Path, Path], None] | None = None,
) -> WatchTotals:
    """Ingest complete files from ``folder`` until ``stop`` is set (or KeyboardInterrupt).

    ``totals`` is updated as rounds finish, so a caller interrupted by Ctrl-C still
    has the counts. With ``done`` / ``failed``, each file is moved there (keeping its
    place under ``folder``) once its document is stored — ``failed`` when it was
    recorded as failed, ``done`` otherwise (a file already stored included).
    """
    folder = Path(folder)
    if not folder.is_dir():
        from icr.errors import InputError

        raise InputError(f"{folder}: not a folder")
    done = _outside(folder, done, "--done")
    failed = _outside(folder, failed, "--failed")
    stop = stop or threading.Event()
    totals = totals if totals is not None else WatchTotals()
    scanner = FolderScanner(folder, min_age=interval)
    outcome: dict[str, bool] = {}

    def stored(result: DocumentResult) -> None:
        outcome[result.source] = result.ok
        if on_result:
            on_result(result)

    while not stop.is_set():
        ready = scanner.scan()
        if ready:
            outcome.clear()
            summary = ingest(
                ready,
                populator,
                executor,
                batch_size=batch_size,
                on_result=stored,
                consolidate=consolidate,
                duplicates=duplicates,
            )
            totals.add(summary)
            if on_skipped and summary.skipped:
                on_skipped(summary.skipped)
            if done is not None or failed is not None:
                for path in ready:
                    dest = failed if not outcome.get(str(path), True) else done
                    if dest is not None and path.exists():
                        target = move_into(path, folder, dest)
                        if on_moved:
                            on_moved(path, target)
        stop.wait(interval)
    return totals


def sigterm_as_interrupt() -> None:
    """Make SIGTERM (``kill``, ``systemctl stop``) stop a watch like Ctrl-C does."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread() and os.name == "posix":
        signal.signal(signal.SIGTERM, handler)
