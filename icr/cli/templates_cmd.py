"""``icr templates``: list, check, show and learn document templates."""

from __future__ import annotations

from pathlib import Path

import click

from icr.config import config_dir
from icr.errors import InputError, TemplateError
from icr.text.templates import Template, choose_template, load_templates

templates_option = click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="An extra template folder, searched before the shipped ones (repeatable).",
)


def template_folders(template_dirs: tuple[str, ...]) -> list[Path]:
    """The user's folders (in order), then the shipped ``config/templates``."""
    return [*(Path(d) for d in template_dirs), config_dir() / "templates"]


def check_templates(templates: list[Template]) -> list[str]:
    """Each template with a ``sample`` must be the one chosen for that sample, and each zone's grammar
    one of ``config/htr.yaml``; returns one line per template."""
    report: list[str] = []
    for tpl in templates:
        for zone in tpl.layout.zones if tpl.layout else ():
            if zone.grammar is not None and zone.grammar not in _grammar_names():
                raise TemplateError(
                    tpl.path or tpl.name,
                    f"layout.zones.{zone.name}.grammar",
                    f"unknown grammar '{zone.grammar}' (config/htr.yaml has: {', '.join(sorted(_grammar_names()))})",
                )
        zones = f", {len(tpl.layout.zones)} zones on {len(tpl.layout.anchors)} anchors" if tpl.layout else ""
        if not tpl.sample:
            report.append(f"ok    {tpl.name} (no sample{zones})")
            continue
        chosen, score = choose_template(templates, tpl.sample)
        if chosen is None or chosen.name != tpl.name:
            raise TemplateError(
                tpl.path or tpl.name,
                "sample",
                f"its sample text is matched by '{chosen.name if chosen else None}', not by itself",
            )
        report.append(f"ok    {tpl.name} (sample matched, score {score:.2f}{zones})")
    return report


def _grammar_names() -> set[str]:
    from icr.htr.reader import grammars

    return set(grammars())


@click.group("templates")
def templates() -> None:
    """List, check, show and learn document templates (YAML files)."""


@templates.command("list")
@templates_option
def list_cmd(template_dirs: tuple[str, ...]) -> None:
    """List the templates in effect: name, document type, priority, keywords, file.

    Tab-separated with a header line, every value whole (for a terminal, `column -ts$'\\t'`)."""
    click.echo("name\tdoc_type\tpriority\tkeywords\tfile")
    for tpl in sorted(load_templates(template_folders(template_dirs)), key=lambda t: (-t.priority, t.name)):
        keywords = ", ".join(tpl.keywords[:4]) + (" ..." if len(tpl.keywords) > 4 else "")
        click.echo(f"{tpl.name}\t{tpl.doc_type}\t{tpl.priority}\t{keywords}\t{tpl.path}")


@templates.command("check")
@templates_option
def check_cmd(template_dirs: tuple[str, ...]) -> None:
    """Validate every template; each one with a sample must match its own sample text.

    Exits with code 3 naming the file and key of the first problem.
    """
    found = load_templates(template_folders(template_dirs))
    for line in check_templates(found):
        click.echo(line)
    click.echo(f"{len(found)} template(s) valid")


@templates.command("show")
@click.argument("name")
@templates_option
def show_cmd(name: str, template_dirs: tuple[str, ...]) -> None:
    """Print the YAML of template NAME (as loaded, from the folder that wins)."""
    for tpl in load_templates(template_folders(template_dirs)):
        if tpl.name == name:
            assert tpl.path is not None
            click.echo(f"# {tpl.path}")
            click.echo(tpl.path.read_text(encoding="utf-8").rstrip())
            return
    raise InputError(f"no template named '{name}' (see 'icr templates list')")


@templates.command("learn")
@click.argument("labelled_dir", required=False, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--from-db",
    "db_url",
    metavar="URL",
    help="Learn from the receipts reviewed in this database (icr serve) instead of LABELLED_DIR.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write one vendor template per vendor into.",
)
@click.option(
    "--exclude-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Skip receipts whose <id>.json is also in this folder (e.g. a held-out set).",
)
@click.option("--priority", type=int, default=10, show_default=True, help="Priority of the learned templates.")
def learn_cmd(
    labelled_dir: str | None, db_url: str | None, out_dir: str, exclude_dir: str | None, priority: int
) -> None:
    """Learn vendor templates from LABELLED_DIR (SROIE layout: <id>.json + <id>.ocr.txt),
    or with --from-db from the receipts whose company a person confirmed or corrected.

    Each template gets the vendor's identifying header lines as keywords, its
    company and address as static fields, and the date order and currency
    its receipts use.
    """
    from icr.text.learn import learn_templates, read_labelled, write_templates

    if (labelled_dir is None) == (db_url is None):
        raise InputError("give either LABELLED_DIR or --from-db URL")
    exclude = {p.stem for p in Path(exclude_dir).glob("*.json")} if exclude_dir else set()
    if db_url is not None:
        from icr.db.database import open_engine, upgrade
        from icr.text.learn import labelled_from_db

        engine = open_engine(db_url)
        try:
            upgrade(engine)
            docs = [d for d in labelled_from_db(engine) if d.stem not in exclude]
        finally:
            engine.dispose()
        source = db_url
    else:
        assert labelled_dir is not None
        docs = read_labelled(Path(labelled_dir), exclude)
        source = labelled_dir
    if not docs:
        raise InputError(f"{source}: no labelled receipts (<id>.json with <id>.ocr.txt, or reviewed in icr serve)")
    learned = learn_templates(docs, priority=priority)
    paths = write_templates(learned, Path(out_dir))
    click.echo(f"learned {len(paths)} vendor template(s) from {len(docs)} receipt(s) into {out_dir}")


__all__ = ["templates"]
