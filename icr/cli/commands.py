"""Core commands: ingest, export, eval, db."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from icr.cli import cli_state, logs
from icr.config import Settings, default_profile, load_settings
from icr.consolidate import options_from
from icr.db.database import database_url, downgrade, open_engine, open_existing, shown_url, upgrade
from icr.db.populator import SqlPopulator
from icr.duplicates import options_from as duplicate_options
from icr.errors import EXIT_SOME_FAILED, ConfigError, InputError
from icr.evaluate import format_report, score
from icr.executor import make_executor
from icr.export import (
    BINARY_FORMATS,
    WRITERS,
    ExportFilters,
    ExportOptions,
    format_for,
    iter_records,
    write_pairs,
    write_records,
)
from icr.files import storable
from icr.pipeline import IngestSummary, ingest
from icr.store import store_for
from icr.types import DocumentResult

db_option = click.option(
    "--db", "db_url", metavar="URL", help="Database URL (default: $ICR_DATABASE_URL, else sqlite:///icr.db)."
)
config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="A YAML file overriding config/icr.yaml."
)
profile_option = click.option(
    "--profile",
    metavar="NAME",
    help="accurate (the default, or $ICR_PROFILE) or fast: config/profiles/NAME.yaml over config/icr.yaml, "
    "under --config.",
)
templates_option = click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(file_okay=False, exists=True),
    help="A folder of templates taking precedence over the shipped ones (repeatable).",
)
jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (0: one per core)."
)
executor_option = click.option(
    "--executor",
    "executor_kind",
    type=click.Choice(["process", "dask"]),
    default="process",
    show_default=True,
    help="Local process pool, or Dask distributed (a LocalCluster of --jobs workers unless --scheduler).",
)
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS", help="A Dask scheduler to run on, e.g. tcp://host:8786 (implies --executor dask)."
)


def make_settings(config_path: str | None, template_dirs: tuple[str, ...] = (), profile: str | None = None) -> Settings:
    settings = load_settings(config_path, profile=profile or default_profile())
    settings.template_dirs = [Path(d) for d in template_dirs]
    return settings


TESSERACT_STAGES = ("auto", "tesserocr", "pytesseract", "system", "hybrid", "fusion")
"""Recognizers that read with Tesseract (the neural one reads forms and second reads with it too)."""


def check_languages(settings: Settings, lang: str | None = None) -> None:
    """A Tesseract language without its model is one error before the batch (not one
    failed document per file): exit 5 when it came from --lang, 3 from the config."""
    if settings.stage("recognizer") not in (*TESSERACT_STAGES, "rapidocr"):
        return  # a plugin or a fake: its languages are its own
    from icr.ocr.tesseract_api import installed_languages

    wanted = str(lang or settings.get("recognizer", "language", "eng"))
    installed = installed_languages()
    missing = [code for code in wanted.split("+") if code not in installed]
    if not missing:
        return
    problem = (
        f"Tesseract has no model for {', '.join(missing)} (installed: {', '.join(sorted(installed)) or 'none'}); "
        f"install Debian's {' '.join('tesseract-ocr-' + m.replace('_', '-') for m in missing)} or set TESSDATA_PREFIX"
    )
    if lang:
        raise InputError(f"--lang {lang}: {problem}")
    raise ConfigError(f"recognizer.language {wanted}: {problem}")


def run_ingest(
    paths: list[str],
    settings: Settings,
    db_url: str | None,
    jobs: int,
    reprocess: bool,
    quiet: bool = False,
    executor_kind: str = "process",
    scheduler: str | None = None,
    on_result: Callable[[DocumentResult], None] | None = None,
) -> IngestSummary:
    """Ingest with a progress bar on stderr; returns the summary."""
    engine = open_engine(db_url)
    upgrade(engine)
    populator = SqlPopulator(engine)
    store = store_for(database_url(db_url), settings.get("store", "path", "auto"))
    if store is not None:
        settings = settings.with_overrides({"store": {"keep_pages": True}})
    executor = make_executor(settings, jobs, executor_kind, scheduler)
    console = Console(stderr=True, quiet=quiet or not cli_state().progress)
    try:
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ok {task.fields[ok]} failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            bar = progress.add_task("ingest", total=None, ok=0, failed=0)
            counts = {"ok": 0, "failed": 0}

            def planned(to_process: int, skipped: int) -> None:
                progress.update(bar, total=to_process)

            def done(result: DocumentResult) -> None:
                counts["ok" if result.ok else "failed"] += 1
                log_document(result)
                progress.update(bar, advance=1, ok=counts["ok"], failed=counts["failed"])
                if on_result is not None:
                    on_result(result)

            summary = ingest(
                paths,
                populator,
                executor,
                reprocess=reprocess,
                batch_size=int(settings.get("ingest", "batch_size", 8)),
                on_planned=planned,
                on_result=done,
                consolidate=options_from(settings.section("consolidate")),
                duplicates=duplicate_options(settings.section("duplicates")),
                store=store,
            )
    finally:
        executor.close()
        engine.dispose()
    return summary


def log_document(result: DocumentResult) -> None:
    """One log event per document (a JSON object with --log-format json)."""
    logs.event(
        logging.INFO,
        "document",
        source=result.source,
        sha256=result.sha256,
        status=result.status,
        error=result.error,
        pages=result.pages,
        seconds=round(sum(result.timings.values()), 3),
    )


def print_summary(summary: IngestSummary, most: int = 20) -> None:
    """The failures (each names its file and problem), then one line of counts."""
    for _source, error in summary.failures[:most]:
        click.echo(f"failed: {storable(error)}", err=True)
    if len(summary.failures) > most:
        click.echo(f"... and {len(summary.failures) - most} more failed (see `icr export`)", err=True)
    respelled = f" ({summary.consolidated} names/addresses respelled after their vendor's receipts)"
    repeated = f" ({summary.duplicates} flagged as a purchase stored before: see `icr report review`)"
    click.echo(
        f"ok {summary.ok}, failed {summary.failed}, skipped {summary.skipped} "
        f"in {summary.seconds:.1f} s ({summary.docs_per_second:.2f} documents/s)"
        + (respelled if summary.consolidated else "")
        + (repeated if summary.duplicates else ""),
        err=True,
    )


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@jobs_option
@executor_option
@scheduler_option
@click.option("--reprocess", is_flag=True, help="Redo documents already stored (in place).")
@click.option(
    "--split",
    type=click.Choice(["auto", "pages", "none"]),
    help="A multi-page file: one document per page when its pages read as receipts of their own, as a "
    "scanner batch's do (auto, the default: ingest.split); always (pages); or one document, flagged "
    "when pages print totals of their own (none). Receipts side by side on a page are cut apart under "
    "auto and pages.",
)
@click.option(
    "--lang",
    metavar="LANG",
    help="Tesseract language(s) for every document, e.g. eng or eng+deu (default: each template's, else config).",
)
@templates_option
@config_option
@profile_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    db_url: str | None,
    jobs: int,
    executor_kind: str,
    scheduler: str | None,
    reprocess: bool,
    split: str | None,
    lang: str | None,
    template_dirs: tuple[str, ...],
    config_path: str | None,
    profile: str | None,
    quiet: bool,
) -> None:
    """Read every image or PDF in PATHS (files or folders, searched recursively) into the database.

    Documents already stored (same sha256) are skipped unless --reprocess. A
    document that cannot be read is stored with status 'failed' and its error;
    the batch goes on, and the exit code is 2.
    """
    settings = make_settings(config_path, template_dirs, profile)
    if split:
        settings = settings.with_overrides({"ingest": {"split": split}}, origin="--split")
    if lang:
        if not re.fullmatch(r"[a-z_]{3,}(\+[a-z_]{3,})*", lang):
            raise click.BadParameter("must be a Tesseract language such as eng or eng+deu", param_hint="--lang")
        settings = settings.with_overrides({"recognizer": {"language": lang, "force_language": lang}})
    check_languages(settings, lang)
    summary = run_ingest(list(paths), settings, db_url, jobs, reprocess, quiet, executor_kind, scheduler)
    print_summary(summary)
    if summary.processed == 0 and summary.skipped == 0:
        click.echo("icr: nothing to ingest (no supported files found)", err=True)
    if summary.failed:
        ctx.exit(EXIT_SOME_FAILED)


@click.command("export")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(WRITERS)),
    default=None,
    help="jsonl, csv or parquet (default: the suffix of -o, else jsonl).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@click.option("--no-text", is_flag=True, help="Leave out the OCR text (for reading the fields at a glance).")
@click.option("--items", is_flag=True, help="One row per line item (with its document's id) instead of per document.")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE", help="Documents stored on or after DATE (YYYY-MM-DD)."
)
@click.option("--status", type=click.Choice(["ok", "failed"]), help="Only documents with this status.")
@click.option("--doc-type", metavar="TYPE", help="Only documents of this type (receipt, invoice, form, ...).")
@click.option(
    "--needs-review/--reviewed",
    "needs_review",
    default=None,
    help="Only documents flagged for review (or only those not flagged).",
)
@click.option(
    "--crops",
    "crops_dir",
    type=click.Path(file_okay=False),
    help="Also write training crops of reviewed and low-confidence fields here (PNG + labels.tsv).",
)
@click.option(
    "--pairs", is_flag=True, help="Export the forms' key/value pairs and tick boxes as rows (csv or parquet)."
)
def export_cmd(
    db_url: str | None,
    fmt: str | None,
    output: str | None,
    no_text: bool,
    items: bool,
    since: dt.datetime | None,
    status: str | None,
    doc_type: str | None,
    needs_review: bool | None,
    crops_dir: str | None,
    pairs: bool,
) -> None:
    """Write one record per stored document (jsonl, csv, or parquet with -o).

    \b
    A jsonl record is exactly:
    {"id", "source", "sha256", "doc_type", "status", "error",
     "needs_review", "review_reasons": [...], "fields": {name: value},
     "confidence": {name: float}, "line_items": [{"position", "description",
     "quantity", "unit_price", "amount", "raw"}], "text"}
    and a form's has "form": {"pairs": [...], "checkboxes": [...]} too.
    With -o the file's suffix picks the format (.jsonl, .csv, .parquet).
    Parquet keeps the types: amounts decimal, dates date, flags boolean.
    With --items: one row per line item. With --pairs: one row per form
    pair or tick box (default csv).
    """
    if items and pairs:
        raise InputError("--items and --pairs are two kinds of rows: choose one")
    fmt = ("csv" if pairs and not fmt and not output else None) or format_for(fmt, output)
    if pairs and fmt == "jsonl":
        raise InputError("--pairs writes rows: use --format csv or --format parquet")
    if fmt in BINARY_FORMATS and not output:
        raise InputError(f"{fmt} is a binary format: give an output file with -o FILE")
    filters = ExportFilters(
        since=since.date() if since else None, status=status, doc_type=doc_type, needs_review=needs_review
    )
    options = ExportOptions(with_text=not no_text, items=items, filters=filters)

    def write(out: IO[Any]) -> int:
        return write_pairs(engine, out, fmt) if pairs else write_records(engine, out, fmt, options=options)

    what = "pair rows" if pairs else "line items" if items else "records"
    engine = open_existing(db_url)
    upgrade(engine)
    try:
        if output and fmt in BINARY_FORMATS:
            with open(output, "wb") as bfh:
                n = write(bfh)
            click.echo(f"wrote {n} {what} to {output}", err=True)
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                n = write(fh)
            click.echo(f"wrote {n} {what} to {output}", err=True)
        else:
            write(sys.stdout)
        if crops_dir:
            _write_crops(engine, db_url, Path(crops_dir))
    finally:
        engine.dispose()


def _write_crops(engine: Engine, db_url: str | None, out_dir: Path) -> None:
    from icr.crops import export_crops

    settings = load_settings()
    store = store_for(database_url(db_url), settings.get("store", "path", "auto"))
    if store is None:
        raise InputError("--crops: no originals are kept for this database (store.path in config/icr.yaml)")
    below = float(settings.get("text_corrector", "review_threshold", 0.5))
    n = export_crops(engine, store, out_dir, below=below)
    click.echo(f"wrote {n} crops and labels.tsv to {out_dir}", err=True)


@click.command("eval")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--kind",
    type=click.Choice(["sroie", "funsd"]),
    default="sroie",
    show_default=True,
    help="sroie: receipts' fields; funsd: forms' segment labels and question->answer pairs.",
)
@db_option
@jobs_option
@templates_option
@config_option
@profile_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="Also list every wrong field (gold vs predicted).")
@click.option(
    "--forms-model",
    type=click.Path(dir_okay=False, exists=True),
    help="A linker from `icr forms train` for the forms (forms.model); default: the rules.",
)
def eval_cmd(
    directory: str,
    kind: str,
    db_url: str | None,
    jobs: int,
    template_dirs: tuple[str, ...],
    config_path: str | None,
    profile: str | None,
    as_json: bool,
    misses: bool,
    forms_model: str | None,
) -> None:
    """Run the pipeline on DIRECTORY and score it against <stem>.json ground truth.

    \b
    --kind sroie (receipts): field accuracy is exact match (company/address
    upper-cased with spaces collapsed, date as a calendar date, total as a
    decimal amount); the OCR character error rate is reported when
    <stem>.ocr.txt transcripts exist.
    --kind funsd (forms, FUNSD layout): segment labelling F1 and
    question->answer pair precision/recall/F1; a pair counts when its key and
    value match a linked gold pair at rapidfuzz ratio >= 80 (upper-cased,
    spaces collapsed).
    Uses a temporary database unless --db is given. Purchases stored twice are
    not flagged (each document is scored on its own).
    """
    settings = make_settings(config_path, template_dirs, profile)
    # each document is scored on its own reading: a labelled set may hold one receipt scanned several
    # ways, which ingest would flag as a purchase stored twice
    settings = settings.with_overrides({"duplicates": {"enabled": False}})
    folder = Path(directory)
    if not any(folder.glob("*.json")):
        raise InputError(f"{folder}: no <stem>.json ground-truth files")
    if not db_url:  # a throw-away database needs no originals kept
        settings = settings.with_overrides({"store": {"path": "off"}})
    if forms_model:
        settings = settings.with_overrides({"forms": {"model": str(Path(forms_model).resolve())}})
    if kind == "funsd":
        _eval_forms(folder, settings, db_url, jobs, as_json)
        return
    with tempfile.TemporaryDirectory(prefix="icr-eval-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'eval.db'}"
        summary = run_ingest([str(folder)], settings, url, jobs, reprocess=False, quiet=as_json)
        engine = open_engine(url)
        try:
            report = score(folder, iter_records(engine))
        finally:
            engine.dispose()
    if as_json:
        out = report.as_dict()
        out["seconds"] = round(summary.seconds, 2)
        if misses:
            out["misses"] = report.misses
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(format_report(report))
        click.echo(f"{summary.processed} documents in {summary.seconds:.1f} s")
        if misses:
            for name, rows in report.misses.items():
                for row in rows:
                    click.echo(f"miss {name} {row['id']}: gold={row['gold']!r} predicted={row['predicted']!r}")


def _eval_forms(folder: Path, settings: Settings, db_url: str | None, jobs: int, as_json: bool) -> None:
    """``icr eval --kind funsd``: pairs from the stored records, segment labels as the forms step saw them."""
    from icr.forms.funsd import format_forms_report, score_forms

    segments: dict[str, list[tuple[str, str]]] = {}

    def keep(result: DocumentResult) -> None:
        if result.form is not None:
            segments[Path(result.source).stem] = list(result.form.segments)

    with tempfile.TemporaryDirectory(prefix="icr-eval-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'eval.db'}"
        summary = run_ingest([str(folder)], settings, url, jobs, reprocess=True, quiet=as_json, on_result=keep)
        engine = open_engine(url)
        try:
            pairs = {
                str(rec["id"]): [(p["key"], p["value"]) for p in rec["form"]["pairs"]]
                for rec in iter_records(engine)
                if "form" in rec
            }
        finally:
            engine.dispose()
    report = score_forms(folder, pairs, segments)
    if as_json:
        out = report.as_dict()
        out["seconds"] = round(summary.seconds, 2)
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(format_forms_report(report))
        click.echo(f"{summary.processed} documents in {summary.seconds:.1f} s")


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@db_option
@click.argument("revision", default="head")
def db_upgrade(db_url: str | None, revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    engine = open_engine(db_url)
    upgrade(engine, revision)
    click.echo(f"{shown_url(db_url)}: at {revision}", err=True)


@db_group.command("downgrade")
@db_option
@click.argument("revision")
@click.option("--yes", "-y", is_flag=True, help="Do not ask: a downgrade drops tables and the data in them.")
def db_downgrade(db_url: str | None, revision: str, yes: bool) -> None:
    """Migrate the database down to REVISION ('base' removes every table).

    A downgrade deletes data; it asks first, unless --yes (required when not on a terminal).
    """
    target = shown_url(db_url)
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(f"db downgrade {revision} drops tables of {target}: pass --yes to confirm")
        click.confirm(f"Downgrade {target} to {revision}? Tables and their data will be dropped", abort=True)
    engine = open_existing(db_url)
    downgrade(engine, revision)
    click.echo(f"{shown_url(db_url)}: at {revision}", err=True)


def register(group: click.Group) -> None:
    for command in (ingest_cmd, export_cmd, eval_cmd, db_group):
        group.add_command(command)
