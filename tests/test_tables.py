"""Issue 22, item 4: terminal tables keep every value, piped output too; template list headers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from test_reporting import RESULTS

from icr.cli import main
from icr.db.database import open_engine, upgrade
from icr.db.populator import SqlPopulator
from icr.reporting import Filters, run_report
from icr.reporting.output import render_table, text_cell


@pytest.fixture
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = open_engine(f"sqlite:///{tmp_path_factory.mktemp('t') / 'r.db'}")
    upgrade(eng)
    SqlPopulator(eng).store(RESULTS)
    yield eng
    eng.dispose()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _values(engine: Engine, name: str) -> list[str]:
    df = run_report(engine, name, Filters())
    return [text_cell(v) for col in df.columns if col not in ("source", "doc_type") for v in df[col] if text_cell(v)]


@pytest.mark.parametrize("name", ["receipts", "review", "spend-by-vendor", "failed"])
@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_terminal_table_keeps_every_value_at_any_width(engine: Engine, name: str, width: int) -> None:
    df = run_report(engine, name, Filters())
    out = Terminal()
    render_table(df, out, name, width=width)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # colours on a terminal
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    flat = re.sub(r"\s+", "", text)
    for value in _values(engine, name):  # whole, though perhaps folded over lines
        assert re.sub(r"\s+", "", value) in flat, value


def test_piped_output_is_a_table_as_wide_as_its_values(engine: Engine) -> None:
    df = run_report(engine, "receipts", Filters())
    out = io.StringIO()  # not a terminal
    render_table(df, out, "receipts")
    lines = out.getvalue().splitlines()
    for value in _values(engine, "receipts"):
        assert any(value in line for line in lines), value  # on one line, never wrapped


def test_report_through_a_pipe_keeps_dates_and_names(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    res = CliRunner().invoke(main, ["report", "receipts", "--db", url], terminal_width=80)
    assert res.exit_code == 0, res.output
    assert "YING THAI KITCHEN" in res.stdout and "2024-01-20" in res.stdout


def test_templates_list_has_headers() -> None:
    res = CliRunner().invoke(main, ["templates", "list"])
    lines = res.stdout.splitlines()
    assert lines[0].split("\t") == ["name", "doc_type", "priority", "keywords", "file"]
    assert all(len(line.split("\t")) == 5 for line in lines)
    assert any(line.startswith("generic_receipt\t") for line in lines[1:])
