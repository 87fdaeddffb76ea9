"""Executors: run :func:`icr.pipeline.process_document` in worker processes.

Workers only compute; results come back to the parent, which writes them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from icr.config import Settings
from icr.pipeline import Executor, Stages, Task, build_stages, process_document
from icr.types import DocumentResult

_STAGES: Stages | None = None


def _init_worker(settings: Settings) -> None:
    """Build the stages once per worker: Tesseract's model and the dictionaries stay loaded."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    global _STAGES
    _STAGES = build_stages(settings)


def _work(task: Task) -> DocumentResult:
    assert _STAGES is not None, "worker not initialised"
    return process_document(task, _STAGES)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class InlineExecutor(Executor):
    """Runs every document in this process (``--jobs 1``, tests, debugging)."""

    def __init__(self, settings: Settings, stages: Stages | None = None) -> None:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        self.stages = stages or build_stages(settings)

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        for task in tasks:
            yield process_document(task, self.stages)

    def close(self) -> None:
        self.stages.close()


class ProcessExecutor(Executor):
    """A pool of worker processes, one per core by default, with a bounded window in flight.

    At most ``window`` documents are submitted at once, so memory stays flat however
    large the batch. When a worker dies, the documents it held are recorded failed and
    the pool is rebuilt; the rest of the batch goes on.
    """

    def __init__(self, settings: Settings, jobs: int = 0, window: int = 0) -> None:
        self.settings = settings
        self.jobs = jobs or default_jobs()
        self.window = window or self.jobs * 4
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.settings,),
        )

    max_attempts = 2
    """A document whose worker died is retried once; dying twice marks it failed."""

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        queue = list(reversed(tasks))
        attempts: dict[str, int] = {}
        inflight: dict[Future[DocumentResult], Task] = {}
        if self._pool is None:
            self._pool = self._new_pool()
        while queue or inflight:
            while queue and len(inflight) < self.window:
                task = queue.pop()
                inflight[self._pool.submit(_work, task)] = task
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task = inflight.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = True
                    attempts[task.sha256] = attempts.get(task.sha256, 0) + 1
                    if attempts[task.sha256] < self.max_attempts:
                        queue.append(task)
                    else:
                        error = f"{task.path}: the worker process died while reading it ({self.max_attempts} tries)"
                        yield DocumentResult(task.path, task.sha256, "failed", error=error)
                except Exception as exc:  # pickling or other infrastructure failures
                    error = f"{task.path}: {type(exc).__name__}: {exc}"
                    yield DocumentResult(task.path, task.sha256, "failed", error=error)
            if broken:
                # Documents still in flight on the broken pool go back to the queue as they were.
                queue.extend(reversed(list(inflight.values())))
                inflight.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_executor(settings: Settings, jobs: int = 0, kind: str = "process", scheduler: str | None = None) -> Executor:
    """``kind``: ``process`` (a local pool; inline for one job) or ``dask`` (``scheduler``
    address, else a LocalCluster of ``jobs`` workers; see :mod:`icr.dask_executor`)."""
    if kind == "dask" or scheduler:
        from icr.dask_executor import DaskExecutor

        return DaskExecutor(settings, scheduler, jobs=jobs)
    jobs = jobs or int(settings.get("ingest", "jobs", 0) or 0) or default_jobs()
    if jobs <= 1:
        return InlineExecutor(settings)
    return ProcessExecutor(settings, jobs)
