"""``icr locales``: list and check the locale packs, and show which packs a text calls up."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from icr.errors import InputError


@click.group("locales")
def locales() -> None:
    """List and check the locale packs (config/locales), and try one on a text."""


@locales.command("list")
def list_cmd() -> None:
    """The packs: tag, countries, currencies, date order, decimal separator, the python-stdnum schemes
    a tax or company number is checked with, description.

    Tab-separated with a header line (for a terminal, `column -ts$'\\t'`)."""
    from icr.text.locales import load_packs, tax_id_schemes

    click.echo("tag\tcountries\tcurrencies\tdate_order\tdecimal\ttax_ids\tdescription")
    for tag, pack in load_packs().items():
        currencies = ",".join(dict.fromkeys(c.code for c in pack.currencies))
        click.echo(
            f"{tag}\t{','.join(pack.countries)}\t{currencies}\t{pack.date_order or ''}\t{pack.decimal or ''}"
            f"\t{','.join(tax_id_schemes(pack))}\t{pack.description}"
        )


@locales.command("check")
def check_cmd() -> None:
    """Validate every pack (an unknown key or a bad pattern is an error naming the file: exit 3)."""
    from icr.text.locales import lexicon_for, load_packs

    packs = load_packs()
    for tag, pack in packs.items():
        if tag != "base":
            lexicon_for((tag,))  # compiles every pattern the pack adds to the base pack's
        labels = sum(len(rule.patterns) for rule in pack.amount_labels)
        click.echo(f"ok    {tag} ({len(pack.detect)} cues, {labels} amount labels, {len(pack.slips)} slips)")


@locales.command("detect")
@click.argument("text_file", type=click.Path(dir_okay=False, allow_dash=True))
def detect_cmd(text_file: str) -> None:
    """Which packs TEXT_FILE (a receipt's text, one line per line; - for stdin) calls up: each pack's
    score, the packs chosen, and the fields the text corrector reads with them."""
    from icr.config import load_settings
    from icr.text import ocr_from_lines
    from icr.text.corrector import DefaultTextCorrector
    from icr.text.locales import MIN_SCORE, detect_locales, score_locales

    if text_file == "-":
        text = sys.stdin.read()
    else:
        path = Path(text_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
    lines = [ln for ln in text.splitlines() if ln.strip()]
    scores = {t: s for t, s in score_locales(lines).items() if s > 0}
    for tag, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"score\t{tag}\t{score:g}")
    settings = load_settings()
    home = settings.section("text_corrector").get("home_locale")
    choice = detect_locales(lines, home=home)
    chosen = ", ".join(choice.tags) if max(scores.values(), default=0.0) >= MIN_SCORE else "every pack (none sure)"
    if choice.hint is not None:
        why = "a weak cue" if detect_locales(lines).hint == choice.hint else "text_corrector.home_locale"
        chosen += f"; dates and currency as {choice.hint}'s ({why})"
    click.echo(f"chosen\t{chosen}")
    extraction = DefaultTextCorrector(settings).extract(ocr_from_lines(lines))
    for name in ("company", "address", "date", "total", "currency"):
        field = extraction.fields.get(name)
        click.echo(f"{name}\t{field.value if field is not None and field.value is not None else ''}")
