"""Executors: run :func:`icr.pipeline.process_document` in worker processes.

Workers only compute; results come back to the parent, which writes them.

:class:`ProcessExecutor` manages its own worker processes (``multiprocessing``
with the spawn context, one duplex pipe each) rather than a
``ProcessPoolExecutor``, because a pool cannot kill one worker: here a document
past the per-document time limit is recorded failed, its worker is killed and
replaced, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from icr.config import Settings
from icr.errors import IcrError
from icr.pipeline import Executor, Stages, Task, build_stages, process_document
from icr.types import DocumentResult

WORKER_MODULES = ["icr.executor", "icr.registry", "icr.text.corrector"]
"""Imported once by the forkserver, so every worker forked from it starts with them (and shares their pages)."""

BuildStages = Callable[[Settings], Stages]
"""Builds a worker's stages; a module-level function, so that it can be sent to a spawned worker."""


class WorkerStartError(IcrError):
    """A worker process could not build its stages (bad config, missing model, ...)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def limit_threads() -> None:
    """One thread per worker: Tesseract's OpenMP (set before Tesseract loads, which reads it then) and
    OpenCV's own pool, which with a worker per core only contends and spends CPU waking and waiting
    (the same pages, a little more CPU a receipt: benchmarks/README.md, "Recognizer throughput")."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2  # the image corrector's; a worker loads it anyway

    cv2.setNumThreads(1)


def return_freed_memory() -> None:
    """Hands the heap memory the last document freed back to the system (glibc; a no-op elsewhere).

    glibc raises its mmap threshold each time a large block is freed, so page images come from
    the heap, which fragments and is kept: a worker's memory crept up document after document.
    Fixing the thresholds low instead mapped every page-sized buffer afresh, which cost a tenth
    more CPU a receipt; one trim after each document keeps memory flat for a few milliseconds."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def document_timeout(settings: Settings) -> float:
    """Seconds one document may take in a worker (``recognizer.timeout``; 0 = no limit)."""
    return max(0.0, float(settings.get("recognizer", "timeout", 60) or 0))


def limit_memory(megabytes: int) -> None:
    """Cap this process's data (heap and anonymous mappings, ``RLIMIT_DATA``) at ``megabytes``
    (0: no cap): past it an allocation fails (a ``MemoryError``, one failed document) instead
    of the machine swapping or the OOM killer choosing a process."""
    if megabytes <= 0:
        return
    try:
        import resource
    except ImportError:  # not on this platform
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))


def worker_memory_mb(settings: Settings) -> int:
    return int(settings.get("ingest", "worker_memory_mb", 0) or 0)


class InlineExecutor(Executor):
    """Runs every document in this process (tests, debugging): no time or memory limit, so the
    command line never uses it (``--jobs 1`` is one worker process)."""

    def __init__(self, settings: Settings, stages: Stages | None = None) -> None:
        limit_threads()
        self.stages = stages or build_stages(settings)

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        for task in tasks:
            yield process_document(task, self.stages)

    def close(self) -> None:
        self.stages.close()


# -- the worker side --------------------------------------------------------------------------


def _worker_main(conn: Connection, settings: Settings, build: BuildStages) -> None:
    """A worker's life: build the stages once, then answer one task per message until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    limit_threads()
    limit_memory(worker_memory_mb(settings))
    try:
        stages = build(settings)
    except BaseException as exc:
        code = exc.exit_code if isinstance(exc, IcrError) else 1
        _tell(conn, ("failed", f"{type(exc).__name__}: {exc}", code))
        return
    try:
        if not _tell(conn, ("ready",)):
            return
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):  # the parent went away
                break
            if task is None or not _tell(conn, ("result", process_document(task, stages))):
                break
            return_freed_memory()
    finally:
        stages.close()


def _tell(conn: Connection, message: tuple[Any, ...]) -> bool:
    """Send ``message`` to the parent; False when it has gone (stopped by Ctrl-C while this worker
    was starting or reading): the worker then ends quietly, with no traceback of its own."""
    try:
        conn.send(message)
    except (EOFError, OSError):
        return False
    return True


# -- the parent side --------------------------------------------------------------------------


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    sent: deque[Task] = field(default_factory=deque)
    """Tasks sent and not yet answered, in order: the first is the one being read."""
    ready: bool = False
    since: float = 0.0
    """When the first of ``sent`` started (approximately: when the one before it came back)."""

    def busy(self) -> bool:
        return bool(self.sent)


class ProcessExecutor(Executor):
    """Worker processes, one per core by default, each holding its stages for its whole life.

    Documents are streamed to the workers ``prefetch`` at a time each, so at most
    ``jobs * prefetch`` are in flight and memory stays flat however large the batch.
    A document past ``timeout`` seconds is recorded failed and its worker replaced;
    a document whose worker dies is retried once, then recorded failed.
    """

    max_attempts = 2
    max_start_failures = 3

    def __init__(
        self,
        settings: Settings,
        jobs: int = 0,
        prefetch: int = 2,
        timeout: float | None = None,
        build: BuildStages = build_stages,
    ) -> None:
        self.settings = settings
        self.jobs = jobs or default_jobs()
        self.prefetch = max(1, prefetch)
        self.timeout = document_timeout(settings) if timeout is None else max(0.0, timeout)
        self.build = build
        # Workers fork from a small server process that has imported only icr's pipeline: not the
        # parent's __main__ (the whole CLI, pandas, alembic: ~100 MB and ~2 s per spawned worker),
        # and no threads of the parent (the progress bar's) are forked.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(WORKER_MODULES)
        self._workers: list[_Worker] = []
        self.replaced = 0
        """How many workers were killed or died and were replaced (for reports and tests)."""

    @property
    def window(self) -> int:
        return self.jobs * self.prefetch

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main, args=(child, self.settings, self.build), name="icr-worker", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if not kill and worker.process.is_alive():
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(5)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.process.close()

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker, kill=True)
        self._workers[self._workers.index(worker)] = self._start()
        self.replaced += 1

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        queue: deque[Task] = deque(tasks)
        attempts: dict[str, int] = {}
        start_failures = 0
        while len(self._workers) < self.jobs:
            self._workers.append(self._start())
        try:
            while queue or any(w.busy() for w in self._workers):
                now = time.monotonic()
                for worker in self._workers:
                    while worker.ready and queue and len(worker.sent) < self.prefetch:
                        if not worker.sent:
                            worker.since = now
                        task = queue.popleft()
                        worker.sent.append(task)
                        try:
                            worker.conn.send(task)
                        except OSError:  # it died meanwhile: its sentinel fires and _died() requeues
                            break
                wait(self._waitables(), self._next_deadline(time.monotonic()))
                for worker in list(self._workers):
                    messages = list(self._receive(worker))
                    dead = not worker.process.is_alive()
                    if dead:  # what it sent before dying still counts
                        messages.extend(self._receive(worker))
                    for message in messages:
                        kind = message[0]
                        if kind == "ready":
                            worker.ready = True
                            start_failures = 0
                        elif kind == "result":
                            worker.sent.popleft()
                            worker.since = time.monotonic()
                            yield message[1]
                        elif kind == "failed":
                            raise WorkerStartError(f"a worker could not start: {message[1]}", int(message[2]))
                    if dead:
                        if not worker.ready:
                            start_failures += 1
                            if start_failures >= self.max_start_failures:
                                code = worker.process.exitcode
                                raise WorkerStartError(f"worker processes die while starting (exit code {code})")
                        yield from self._died(worker, queue, attempts)
                    elif self._overdue(worker):
                        yield self._timed_out(worker, queue)
        finally:
            if any(w.busy() for w in self._workers):  # abandoned mid-batch: drop work in flight
                for worker in list(self._workers):
                    self._stop(worker, kill=True)
                self._workers.clear()

    def _overdue(self, worker: _Worker) -> bool:
        """Past the time limit on its current document (and no answer waiting in the pipe)."""
        late = bool(self.timeout and worker.sent and time.monotonic() - worker.since > self.timeout)
        return late and not worker.conn.poll()

    def _waitables(self) -> list[Any]:
        out: list[Any] = []
        for worker in self._workers:
            out.extend((worker.conn, worker.process.sentinel))
        return out

    def _next_deadline(self, now: float) -> float | None:
        if not self.timeout:
            return None
        deadlines = [w.since + self.timeout - now for w in self._workers if w.sent]
        return max(0.0, min(deadlines)) + 0.01 if deadlines else None

    @staticmethod
    def _receive(worker: _Worker) -> Iterator[tuple[Any, ...]]:
        while True:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return
            yield message

    def _requeue(self, worker: _Worker, queue: deque[Task]) -> None:
        """Tasks the worker had not begun go back to the front of the queue, in order."""
        queue.extendleft(reversed(worker.sent))
        worker.sent.clear()

    def _died(self, worker: _Worker, queue: deque[Task], attempts: dict[str, int]) -> Iterator[DocumentResult]:
        code = worker.process.exitcode
        how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        if worker.sent:
            task = worker.sent.popleft()
            attempts[task.sha256] = attempts.get(task.sha256, 0) + 1
            if attempts[task.sha256] < self.max_attempts:
                queue.appendleft(task)
            else:
                error = f"{task.path}: the worker process died while reading it ({how}; {self.max_attempts} tries)"
                yield DocumentResult(task.path, task.sha256, "failed", error=error)
        self._requeue(worker, queue)
        self._replace(worker)

    def _timed_out(self, worker: _Worker, queue: deque[Task]) -> DocumentResult:
        task = worker.sent.popleft()
        elapsed = time.monotonic() - worker.since
        self._requeue(worker, queue)
        self._replace(worker)
        error = (
            f"{task.path}: timed out after {elapsed:.0f} s (limit {self.timeout:g} s per document, "
            "recognizer.timeout); its worker was stopped and replaced"
        )
        return DocumentResult(task.path, task.sha256, "failed", error=error, timings={"total": elapsed})

    def close(self) -> None:
        for worker in self._workers:
            self._stop(worker, kill=worker.busy())
        self._workers.clear()


def make_executor(settings: Settings, jobs: int = 0, kind: str = "process", scheduler: str | None = None) -> Executor:
    """``kind``: ``process`` (a local pool of ``jobs`` worker processes) or ``dask`` (``scheduler``
    address, else a LocalCluster of ``jobs`` workers; see :mod:`icr.dask_executor`)."""
    if kind == "dask" or scheduler:
        from icr.dask_executor import DaskExecutor

        return DaskExecutor(settings, scheduler, jobs=jobs)
    jobs = jobs or int(settings.get("ingest", "jobs", 0) or 0) or default_jobs()
    # One job is one worker process too: only a process can be stopped at the time limit.
    return ProcessExecutor(settings, jobs, prefetch=int(settings.get("ingest", "prefetch", 2) or 2))
