"""``icr watch DIR``: ingest files as they arrive, until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import click

from icr.cli.commands import (
    config_option,
    db_option,
    executor_option,
    jobs_option,
    make_settings,
    profile_option,
    scheduler_option,
    templates_option,
)
from icr.consolidate import options_from
from icr.db.database import open_engine, shown_url, upgrade
from icr.db.populator import SqlPopulator
from icr.duplicates import options_from as duplicate_options
from icr.executor import make_executor
from icr.files import storable
from icr.types import DocumentResult
from icr.watch import sigterm_as_interrupt, watch


@click.command("watch")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@db_option
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=2.0,
    show_default=True,
    help="Seconds between scans; a file is complete once its size holds still this long.",
)
@jobs_option
@executor_option
@scheduler_option
@templates_option
@config_option
@profile_option
@click.option(
    "--done",
    type=click.Path(file_okay=False, path_type=Path),
    help="Move each file here once its document is stored (folders kept; outside DIRECTORY).",
)
@click.option(
    "--failed",
    "failed_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Move each file whose document failed here (its error is stored; outside DIRECTORY).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the final summary, not one line per document.")
def watch_cmd(
    directory: str,
    db_url: str | None,
    interval: float,
    jobs: int,
    executor_kind: str,
    scheduler: str | None,
    template_dirs: tuple[str, ...],
    config_path: str | None,
    profile: str | None,
    done: Path | None,
    failed_dir: Path | None,
    quiet: bool,
) -> None:
    """Ingest every image that appears in DIRECTORY (searched recursively) until Ctrl-C.

    A file is ingested once it is complete: its size and modification time hold
    still for --interval seconds. Stopping and starting again is safe: stored
    documents are skipped, failed ones are tried again. Ctrl-C (or SIGTERM) stops
    it with exit code 0; a document that fails is stored with its error and the
    watch goes on.
    """
    settings = make_settings(config_path, template_dirs, profile)
    engine = open_engine(db_url)
    upgrade(engine)
    populator = SqlPopulator(engine)
    executor = make_executor(settings, jobs, executor_kind, scheduler)
    counts = {"ok": 0, "failed": 0, "skipped": 0}

    def stored(result: DocumentResult) -> None:
        counts["ok" if result.ok else "failed"] += 1
        if quiet:
            return
        if result.ok:
            click.echo(f"ok: {storable(result.source)}", err=True)
        else:
            click.echo(f"failed: {storable(result.error or '')}", err=True)

    def skipped(count: int) -> None:
        counts["skipped"] += count
        if not quiet:
            click.echo(f"skipped {count} already stored", err=True)

    sigterm_as_interrupt()
    click.echo(f"watching {directory} every {interval:g} s into {shown_url(db_url)} (Ctrl-C stops)", err=True)
    try:
        watch(
            directory,
            populator,
            executor,
            interval=interval,
            batch_size=int(settings.get("ingest", "batch_size", 8)),
            on_result=stored,
            on_skipped=skipped,
            consolidate=options_from(settings.section("consolidate")),
            duplicates=duplicate_options(settings.section("duplicates")),
            done=done,
            failed=failed_dir,
        )
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        executor.close()
        engine.dispose()
    click.echo(f"ok {counts['ok']}, failed {counts['failed']}, skipped {counts['skipped']}", err=True)
