"""``icr report NAME``: the analytics reports as a table, a file, and a bar chart."""

from __future__ import annotations

import datetime as dt
import sys

import click

from icr.db.database import open_existing, upgrade
from icr.errors import InputError
from icr.reporting import CHARTS, FORMATS, REPORTS, Filters, draw_chart, format_for, run_report, write_report


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@click.command("report")
@click.argument("name", type=click.Choice(list(REPORTS)), metavar="NAME")
@click.option("--db", "db_url", metavar="URL", help="Database URL (default: $ICR_DATABASE_URL, else sqlite:///icr.db).")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Receipts dated on or after DATE (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Receipts dated on or before DATE (YYYY-MM-DD).",
)
@click.option("--vendor", metavar="TEXT", help="Receipts whose company contains TEXT (any case).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="table (default on the terminal), csv, json, parquet or xlsx; with -o, the file's suffix decides.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE.png",
    help=f"Also draw a bar chart as PNG ({', '.join(CHARTS)}).",
)
def report_cmd(
    name: str,
    db_url: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    vendor: str | None,
    fmt: str | None,
    output: str | None,
    chart: str | None,
) -> None:
    """Print the report NAME, or write it to a file with -o.

    \b
    Reports:
      receipts         one row per receipt: company, date, total, tax, currency, ...
      spend-by-vendor  receipts and spend per company and currency, biggest first
      spend-by-month   receipts and spend per month (YYYY-MM) and currency
      tax              tax per month and currency: taxed totals, tax, net, rate
      failed           documents that could not be read, with their error
      review           one row per field a receipt was flagged for review

    \b
    Amounts are exact decimals in every format (strings in CSV and JSON,
    decimal128 in Parquet). --from/--to select by receipt date; for the
    failed report, by the day the document was stored.
    """
    filters = Filters(start=_day(start), end=_day(end), vendor=vendor)
    fmt = format_for(fmt, output)
    if chart and name not in CHARTS:
        raise InputError(f"--chart: no chart for the {name} report (charts: {', '.join(CHARTS)})")
    if chart and not chart.lower().endswith(".png"):
        raise InputError(f"--chart {chart}: the chart is a PNG file: name it *.png")
    engine = open_existing(db_url)
    try:
        upgrade(engine)
        df = run_report(engine, name, filters)
    finally:
        engine.dispose()
    write_report(df, fmt, output, stdout=sys.stdout, title=name)
    if output:
        click.echo(f"wrote {len(df)} rows to {output}", err=True)
    if chart:
        draw_chart(df, name, chart)
        click.echo(f"drew {chart}", err=True)
