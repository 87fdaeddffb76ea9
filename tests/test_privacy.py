"""What icr shows, stores and exports keeps secrets secret: database passwords, card numbers,
spreadsheet formulas (issue 23)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url
from test_faults_support import fake_config, subprocess_env

from icr.cli import main
from icr.db.database import shown_url

PASSWORD = "s3cr3t-pw"


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_db_upgrade_and_watch_never_print_the_password(postgres_url: str, tmp_path: Path) -> None:
    url = _with_password(postgres_url)  # the test server trusts local connections whatever the password
    res = CliRunner().invoke(main, ["db", "upgrade", "--db", url])
    assert res.exit_code == 0, res.output
    assert ":***@" in res.output and PASSWORD not in res.output

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cmd = [sys.executable, "-m", "icr", "watch", str(inbox), "--db", url, "--interval", "0.2", "-j", "1"]
    cmd += ["--config", str(fake_config(tmp_path / "c.yaml"))]
    proc = subprocess.Popen(cmd, env=subprocess_env(), stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    start = proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=30)[1]
    assert start.startswith("watching ") and ":***@" in start, start
    assert PASSWORD not in start + rest


@pytest.mark.parametrize(
    "url",
    [f"postgresql://icr:{PASSWORD}@db.example:5432/icr", f"postgresql+psycopg://icr:{PASSWORD}@db:bad-port/icr"],
)
def test_a_shown_url_masks_the_password_even_when_it_cannot_be_parsed(url: str) -> None:
    shown = shown_url(url)
    assert PASSWORD not in shown and "icr:***@" in shown


def test_an_invalid_url_error_does_not_show_the_password() -> None:
    res = CliRunner().invoke(main, ["db", "upgrade", "--db", f"postgresql://icr:{PASSWORD}@db:port/icr"])
    assert res.exit_code != 0
    assert PASSWORD not in res.output and "***" in res.output, res.output
