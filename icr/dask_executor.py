"""The Dask distributed executor: the same pipeline on a cluster of machines.

``icr ingest --executor dask [--scheduler tcp://HOST:8786]`` runs
:func:`icr.pipeline.process_document` on Dask workers. Without an address it starts a
:class:`distributed.LocalCluster` on this machine (one single-threaded worker process
per job).

* **The parent keeps a bounded window.** At most ``window`` batches of ``batch_size``
  documents are on the cluster at once, so memory on both sides stays flat however many
  files there are. Results come back to the parent, which writes them (workers need
  no database credentials).
* **Workers need not share the parent's disk.** A file up to ``inline_bytes`` travels
  with its task as bytes (checked against the sha256 the parent computed while
  planning); a larger one is sent by path, which then must be readable on the workers
  (shared storage mounted at the same path).
* **Stages are built once per worker** (per worker thread, keyed by the settings), not
  per document: Tesseract's model and the dictionaries stay loaded.
* **Worker deaths.** When a worker dies mid-task the scheduler runs its tasks elsewhere.
  A task that was on ``allowed-failures + 1`` dying workers comes back as
  :class:`distributed.KilledWorker`: a batch is then split into single documents, and
  a single document is recorded failed — the rest of the batch completes.

Dask is an optional extra (``pip install icr[dask]``); this module imports it lazily.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from icr.config import Settings
from icr.errors import ClusterError
from icr.executor import limit_threads
from icr.files import open_regular
from icr.pipeline import Executor, Stages, Task, build_stages, process_document
from icr.types import DocumentResult

log = logging.getLogger(__name__)

DEFAULT_INLINE_BYTES = 32 << 20
"""Files up to this size are sent to the workers as bytes; larger ones by path."""


# -- the worker side -------------------------------------------------------------------------

_local = threading.local()


def settings_key(settings: Settings) -> str:
    """A fingerprint of the settings: workers keep one set of stages per fingerprint."""
    blob = pickle.dumps((settings.raw, [str(p) for p in settings.template_dirs]), protocol=4)
    return hashlib.sha256(blob).hexdigest()[:16]


def worker_stages(settings: Settings, key: str) -> Stages:
    """This worker thread's stages for these settings, built on first use and then kept."""
    cache: dict[str, Stages] | None = getattr(_local, "stages", None)
    if cache is None:
        cache = _local.stages = {}
    stages = cache.get(key)
    if stages is None:
        limit_threads()
        for old in cache.values():
            old.close()
        cache.clear()
        stages = cache[key] = build_stages(settings)
    return stages


@dataclass(frozen=True)
class Parcel:
    """One document as sent to a worker: its task, and its bytes unless sent by path."""

    task: Task
    data: bytes | None = None


def process_parcel(parcel: Parcel, stages: Stages, scratch: Path) -> DocumentResult:
    """Process one document on a worker; its bytes, when sent, go to a scratch file first."""
    if parcel.data is None:
        return process_document(parcel.task, stages)
    # Keep the suffix: it decides how the file is decoded (multi-page TIFF, PDF).
    local = scratch / ("document" + Path(parcel.task.path).suffix.lower())
    local.write_bytes(parcel.data)
    try:
        result = process_document(Task(str(local), parcel.task.sha256), stages)
    finally:
        local.unlink(missing_ok=True)
    result.source = parcel.task.path
    if result.error:
        result.error = result.error.replace(str(local), parcel.task.path)
    return result


def process_batch(settings: Settings, key: str, parcels: list[Parcel]) -> list[DocumentResult]:
    """The Dask task: a small batch of documents, one result each (never raises for a document)."""
    stages = worker_stages(settings, key)
    with tempfile.TemporaryDirectory(prefix="icr-worker-") as tmp:
        return [process_parcel(p, stages, Path(tmp)) for p in parcels]


# -- the parent side -------------------------------------------------------------------------


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (Python keeps an inherited SIG_IGN): Ctrl-C
    reaches the whole process group, and only the parent should act on it, closing the cluster."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGINT"):
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _killed_worker() -> type[BaseException]:
    from distributed import KilledWorker

    return KilledWorker


class DaskExecutor(Executor):
    """Runs documents on a Dask cluster; yields results as they come back, in any order.

    ``scheduler``: a scheduler address (``tcp://host:8786``), or ``None`` for a
    LocalCluster of ``jobs`` worker processes. ``batch_size`` documents go in one Dask
    task; at most ``window`` tasks are in flight (default: twice the cluster's threads).
    """

    def __init__(
        self,
        settings: Settings,
        scheduler: str | None = None,
        *,
        jobs: int = 0,
        batch_size: int = 0,
        window: int = 0,
        inline_bytes: int | None = None,
        allowed_failures: int = 1,
        connect_timeout: float | None = None,
    ) -> None:
        opts = settings.section("dask") if isinstance(settings.raw.get("dask"), dict) else {}
        self.settings = settings
        self.key = settings_key(settings)
        self.scheduler = scheduler or (str(opts["scheduler"]) if opts.get("scheduler") else None)
        self.jobs = jobs or int(opts.get("workers", 0) or 0)
        self.batch_size = max(1, batch_size or int(opts.get("batch_size", 4) or 4))
        self.window = window or int(opts.get("window", 0) or 0)
        self.inline_bytes = (
            inline_bytes if inline_bytes is not None else int(opts.get("inline_bytes", DEFAULT_INLINE_BYTES))
        )
        self.allowed_failures = allowed_failures
        self.connect_timeout = float(connect_timeout or opts.get("connect_timeout", 30) or 30)
        self._client: Any = None
        self._cluster: Any = None

    # -- connection

    def connect(self) -> Any:
        """The Dask client, connecting (or starting the LocalCluster) on first use."""
        if self._client is not None:
            return self._client
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ClusterError(f"the Dask executor needs dask[distributed] (pip install icr[dask]): {exc}") from exc
        try:
            if self.scheduler is None:
                from icr.executor import default_jobs

                # The scheduler runs in this process: its retry policy is ours to set. Only the
                # task a worker is running sits on it (saturation 1.0), so a death blames no bystander.
                with (
                    dask.config.set(
                        {
                            "distributed.scheduler.allowed-failures": self.allowed_failures,
                            "distributed.scheduler.worker-saturation": 1.0,
                            "distributed.admin.log-length": 1000,
                            "distributed.admin.low-level-log-length": 100,
                        }
                    ),
                    _workers_ignore_ctrl_c(),
                ):
                    self._cluster = LocalCluster(
                        n_workers=self.jobs or default_jobs(),
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,  # failures reach us through the futures
                    )
                self._client = Client(self._cluster, timeout=self.connect_timeout)
            else:
                self._client = Client(self.scheduler, timeout=self.connect_timeout)
        except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: a worker failed to start
            self.close()
            where = self.scheduler or "a LocalCluster"
            raise ClusterError(f"cannot reach the Dask scheduler at {where}: {exc}") from exc
        return self._client

    def threads(self) -> int:
        """Worker threads on the cluster now (at least 1)."""
        info = self.connect().scheduler_info(n_workers=-1) if self._client else {}
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    # -- packing

    def pack(self, task: Task) -> Parcel | DocumentResult:
        """A parcel for the task: its bytes when small enough, else its path (shared storage)."""
        path = Path(task.path)
        try:
            with open_regular(path) as fh:
                if os.fstat(fh.fileno()).st_size > self.inline_bytes:
                    return Parcel(task)
                data = fh.read()
        except OSError as exc:
            error = f"{task.path}: cannot read file: {exc.strerror or exc}"
            return DocumentResult(task.path, task.sha256, "failed", error=error)
        if hashlib.sha256(data).hexdigest() != task.sha256:
            error = f"{task.path}: the file changed while it was being ingested; ingest it again"
            return DocumentResult(task.path, task.sha256, "failed", error=error)
        return Parcel(task, data)

    # -- running

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        if not tasks:
            return
        from distributed import as_completed

        client = self.connect()
        killed_worker = _killed_worker()
        window = self.window or 2 * self.threads()
        todo: deque[list[Task]] = deque(
            list(tasks[i : i + self.batch_size]) for i in range(0, len(tasks), self.batch_size)
        )
        inflight: dict[Any, list[Task]] = {}
        done = as_completed()
        while todo or inflight:
            while todo and len(inflight) < window:
                batch = todo.popleft()
                parcels: list[Parcel] = []
                for task in batch:
                    packed = self.pack(task)
                    if isinstance(packed, DocumentResult):
                        yield packed
                    else:
                        parcels.append(packed)
                if not parcels:
                    continue
                future = client.submit(process_batch, self.settings, self.key, parcels, pure=False)
                inflight[future] = [p.task for p in parcels]
                done.add(future)
            if not inflight:
                continue
            future = next(done)
            batch = inflight.pop(future)
            status = future.status
            if status == "finished":
                try:
                    results = future.result()
                except Exception as exc:  # the result could not be fetched (worker lost meanwhile)
                    log.warning("resubmitting a batch whose result was lost: %s", exc)
                    todo.appendleft(batch)
                else:
                    yield from results
            elif status == "error" and isinstance(future.exception(), killed_worker):
                if len(batch) > 1:
                    # Someone in this batch kills workers: try each document on its own.
                    todo.extendleft([t] for t in reversed(batch))
                else:
                    task = batch[0]
                    tries = self.allowed_failures + 1
                    error = f"{task.path}: the worker process died while reading it ({tries} tries)"
                    yield DocumentResult(task.path, task.sha256, "failed", error=error)
            elif status == "error":
                problem = future.exception()
                for task in batch:
                    error = f"{task.path}: {type(problem).__name__}: {problem}"
                    yield DocumentResult(task.path, task.sha256, "failed", error=error)
            elif status == "cancelled":  # the scheduler went away; the documents are not at fault
                self._cancel(inflight)
                raise ClusterError("lost the Dask scheduler; run the same command again to resume")
            else:  # "lost": its result went with a worker before we fetched it
                todo.appendleft(batch)
            future.release()

    def _cancel(self, inflight: dict[Any, list[Task]]) -> None:
        for future in inflight:
            future.cancel()
        inflight.clear()

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            try:
                client.close()
            except Exception as exc:  # closing must not hide the real error
                log.debug("closing the Dask client: %s", exc)
        if cluster is not None:
            try:
                cluster.close()
            except Exception as exc:
                log.debug("closing the LocalCluster: %s", exc)
