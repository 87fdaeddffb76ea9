"""Writing a report DataFrame: a rich table, CSV, JSON, Parquet or Excel — money exact in each."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pandas as pd
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from icr.cells import inert
from icr.errors import IcrError, InputError
from icr.reporting.queries import SUMMED_COLUMNS, dsum

TEXT_FORMATS = ("table", "csv", "json")
BINARY_FORMATS = ("parquet", "xlsx")
FORMATS = (*TEXT_FORMATS, *BINARY_FORMATS)
SUFFIXES = {".txt": "table", ".csv": "csv", ".json": "json", ".parquet": "parquet", ".xlsx": "xlsx"}


class MissingExtra(IcrError):
    """An optional dependency (the ``reports`` extra) is not installed."""


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def plain(value: Any) -> Any:
    """A cell as a JSON-able value: Decimal and dates as strings, missing as None, numpy scalars unwrapped."""
    if is_missing(value):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    return value


def text_cell(value: Any) -> str:
    v = plain(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def _is_numeric_column(series: pd.Series) -> bool:
    present = [v for v in series if not is_missing(v)]
    return bool(present) and all(
        isinstance(v, Decimal | int | float) and not isinstance(v, bool) for v in (plain_num(x) for x in present)
    )


def plain_num(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and not isinstance(value, Decimal) else value


def _column_total(df: pd.DataFrame, col: str) -> str:
    """The footer cell: a count's sum, or the exact money sum — one line per currency when they differ."""
    values = [plain_num(v) for v in df[col]]
    if not any(isinstance(v, Decimal) for v in values):
        return str(sum(int(v) for v in values if not is_missing(v)))
    if "currency" not in df.columns:
        return str(dsum(values))
    by_currency: dict[str, list[Any]] = {}
    for cur, v in zip(df["currency"], values, strict=True):
        by_currency.setdefault("" if is_missing(cur) else str(cur), []).append(v)
    if len(by_currency) == 1:
        return str(dsum(values))
    return "\n".join(f"{dsum(vs)} {cur or '?'}" for cur, vs in sorted(by_currency.items(), key=lambda kv: kv[0] or "~"))


WRAPPING = frozenset({"company", "source", "error", "reason", "description", "value", "review_reasons"})
"""Long text columns the table wraps first."""
KEEP_WHOLE = frozenset({"date", "month", "first_date", "last_date", "currency", "name"})
"""Columns never wrapped (numbers neither)."""


def rich_table(df: pd.DataFrame, title: str | None = None) -> Table:
    """The report as a rich Table: numbers right-aligned, a footer with the totals of summable columns
    (money per currency when the rows mix currencies)."""
    footer = len(df) > 1 and any(c in SUMMED_COLUMNS for c in df.columns)
    table = Table(title=title, show_footer=footer, header_style="bold", footer_style="bold")
    for i, col in enumerate(df.columns):
        numeric = _is_numeric_column(df[col])
        foot = _column_total(df, col) if footer and col in SUMMED_COLUMNS else ("total" if i == 0 and footer else "")
        wraps = col in WRAPPING or (not numeric and col not in KEEP_WHOLE)
        longest = max((len(text_cell(v)) for v in df[col]), default=0)
        table.add_column(
            str(col),
            justify="right" if numeric else "left",
            footer=foot,
            no_wrap=not wraps,
            overflow="fold",
            min_width=max(len(str(col)), min(longest, 16)) if wraps else None,
        )
    for row in df.itertuples(index=False):
        table.add_row(*(text_cell(v) for v in row))
    if df.empty:
        table.caption = "no rows"
    return table


TABLE_LEAVES_OUT = ("source", "doc_type")
"""Columns the terminal table leaves out to fit the screen when there are others; files keep every column."""


def _records_view(table_df: pd.DataFrame, title: str | None, footer: dict[str, str]) -> Group:
    """Each row as a block of ``column  value`` lines (values wrap, never cut): the view for a
    table too wide for the screen, as psql's expanded display."""
    blocks: list[Any] = [Text(title, style="bold")] if title else []
    columns = [str(c) for c in table_df.columns]
    for n, row in enumerate(table_df.itertuples(index=False), start=1):
        block = Table(show_header=False, box=None, pad_edge=False, title=f"[{n}]", title_justify="left")
        block.add_column(style="bold", no_wrap=True)
        block.add_column(overflow="fold")
        for col, value in zip(columns, row, strict=True):
            block.add_row(col, text_cell(value))
        blocks.append(block)
    if footer:
        total = Table(show_header=False, box=None, pad_edge=False, title="total", title_justify="left")
        total.add_column(style="bold", no_wrap=True)
        total.add_column(overflow="fold")
        for col, value in footer.items():
            total.add_row(col, value)
        blocks.append(total)
    if table_df.empty:
        blocks.append(Text("no rows"))
    return Group(*blocks)


def render_table(df: pd.DataFrame, out: IO[str], title: str | None = None, width: int | None = None) -> None:
    """The report as a table that keeps every value: as wide as its values on a file or pipe
    (``width`` None and ``out`` not a terminal); on a terminal, a table when it fits and each
    row as a block of lines when it does not — never a cut or squeezed column."""
    shown = df.drop(columns=[c for c in TABLE_LEAVES_OUT if c in df.columns and "error" not in df.columns])
    table = rich_table(shown, title)
    probe = Console(file=io.StringIO(), width=10_000)
    natural = probe.measure(table).maximum
    terminal = width is None and hasattr(out, "isatty") and out.isatty()
    if not terminal and width is None:
        Console(file=out, width=max(natural, 20), soft_wrap=False).print(table)
        return
    console = Console(file=out, width=width, soft_wrap=False)
    if natural <= console.width:
        console.print(table)
        return
    footer = {}
    if len(shown) > 1:
        footer = {str(c): _column_total(shown, c) for c in shown.columns if c in SUMMED_COLUMNS}
    console.print(_records_view(shown, title, footer))


def write_csv(df: pd.DataFrame, out: IO[str]) -> None:
    """CSV with amounts as exact decimal strings, dates ISO-8601, missing values empty."""
    frame = pd.DataFrame({c: [_csv_cell(v) for v in df[c]] for c in df.columns}, columns=df.columns, dtype=object)
    frame.columns = [inert(str(c)) for c in df.columns]
    frame.to_csv(out, index=False, lineterminator="\n")


def _csv_cell(value: Any) -> Any:
    v = plain(value)
    return inert(v) if isinstance(v, str) and not isinstance(value, Decimal) else v


def write_json(df: pd.DataFrame, out: IO[str]) -> None:
    """A JSON array of row objects; amounts as decimal strings (exact), dates ISO-8601, missing as null."""
    rows = [{str(c): plain(v) for c, v in zip(df.columns, row, strict=True)} for row in df.itertuples(index=False)]
    json.dump(rows, out, ensure_ascii=False, indent=2)
    out.write("\n")


def arrow_table(df: pd.DataFrame) -> Any:
    """A pyarrow Table with exact types: Decimal columns as decimal128(18, 2), dates as date32."""
    try:
        import pyarrow as pa
    except ImportError as exc:
        raise MissingExtra("Parquet needs pyarrow: install icr[reports]") from exc
    arrays = {}
    for col in df.columns:
        values = [None if is_missing(v) else plain_num(v) for v in df[col]]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, Decimal) for v in present):
            scale = max(2, *(-int(v.as_tuple().exponent) for v in present))
            arrays[str(col)] = pa.array(values, type=pa.decimal128(18 + scale - 2, scale))
        elif present and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
            arrays[str(col)] = pa.array(values, type=pa.date32())
        elif not present and df[col].dtype == object:
            arrays[str(col)] = pa.array(values, type=pa.string())
        else:
            arrays[str(col)] = pa.array(values)
    return pa.table(arrays)


def write_parquet(df: pd.DataFrame, out: IO[bytes]) -> None:
    import pyarrow.parquet as pq

    pq.write_table(arrow_table(df), out)


def write_xlsx(df: pd.DataFrame, out: IO[bytes], sheet: str = "report") -> None:
    """An Excel sheet; amounts are numbers shown with two decimals (Excel itself keeps binary floats)."""
    try:
        from openpyxl import Workbook
    except ImportError as exc:
        raise MissingExtra("Excel output needs openpyxl: install icr[reports]") from exc
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([None if is_missing(v) else plain_num(v) for v in row])
    for col_cells in ws.iter_cols(min_row=1):
        for cell in col_cells:
            if cell.data_type == "f":  # text starting with "=": stored as text, never as a live formula
                cell.data_type = "s"
                cell.quotePrefix = True
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    wb.save(out)


TEXT_WRITERS: dict[str, Callable[[pd.DataFrame, IO[str]], None]] = {
    "table": render_table,
    "csv": write_csv,
    "json": write_json,
}
BINARY_WRITERS: dict[str, Callable[[pd.DataFrame, IO[bytes]], None]] = {
    "parquet": write_parquet,
    "xlsx": write_xlsx,
}


def format_for(fmt: str | None, output: str | Path | None) -> str:
    """The format asked for, else the one the output file's suffix names, else a table."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
        return fmt
    if output is None:
        return "table"
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{output}: cannot tell the format from '{suffix or 'no suffix'}': give --format")
    return SUFFIXES[suffix]


def write_report(
    df: pd.DataFrame,
    fmt: str,
    output: str | Path | None = None,
    *,
    stdout: IO[str] | None = None,
    title: str | None = None,
) -> None:
    """Write ``df`` as ``fmt`` to the file ``output``, or to ``stdout`` for the text formats."""
    if fmt in BINARY_WRITERS:
        if output is None:
            raise InputError(f"{fmt} is a binary format: give an output file with -o FILE")
        buf = io.BytesIO()
        BINARY_WRITERS[fmt](df, buf)
        Path(output).write_bytes(buf.getvalue())
        return
    if fmt not in TEXT_WRITERS:
        raise InputError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    writer = TEXT_WRITERS[fmt]
    if output is None:
        if stdout is None:
            raise InputError("no output: give -o FILE")
        if fmt == "table":
            render_table(df, stdout, title)
        else:
            writer(df, stdout)
        return
    with open(output, "w", encoding="utf-8", newline="") as fh:
        if fmt == "table":
            render_table(df, fh, title)
        else:
            writer(df, fh)
