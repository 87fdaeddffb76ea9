"""Issue 22, item 8: the public Python API and the README's example as a saved script."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import icr
from tests.test_pipeline import LINES, make_images

ROOT = Path(__file__).resolve().parent.parent


def fake_settings() -> icr.Settings:
    return icr.load_settings(
        overrides={
            "stages": {"image_corrector": "none", "recognizer": "fake", "text_corrector": "default"},
            "recognizer": {"fake_lines": LINES},
        }
    )


def test_all_names_the_public_api_and_every_name_resolves() -> None:
    assert {"read", "ingest", "records", "Document", "Settings", "load_settings", "IcrError"} <= set(icr.__all__)
    for name in icr.__all__:
        assert getattr(icr, name) is not None, name
    assert issubclass(icr.ConfigError, icr.IcrError) and issubclass(icr.DocumentError, icr.IcrError)
    with pytest.raises(AttributeError):
        _ = icr.no_such_name  # type: ignore[attr-defined]


def test_settings_default_to_the_profile_the_command_line_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICR_PROFILE", raising=False)
    assert icr.load_settings().config.profile == "accurate"
    assert icr.load_settings().stage("recognizer") == "rapidocr"
    assert icr.load_settings(profile="fast").config.profile == "fast"
    monkeypatch.setenv("ICR_PROFILE", "fast")
    assert icr.load_settings().config.profile == "fast"
    with pytest.raises(icr.ConfigError, match="unknown profile"):
        icr.load_settings(profile="quick")


def test_read_one_file_without_a_database(tmp_path: Path) -> None:
    (path,) = make_images(tmp_path, 1)
    doc = icr.read(path, settings=fake_settings())
    assert isinstance(doc, icr.Document)
    assert doc.fields["total"] == Decimal("12.59") and isinstance(doc.fields["date"], dt.date)
    assert doc.text.startswith("CORNER SHOP") and doc.pages == 1
    assert not list(tmp_path.glob("*.db"))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(icr.DocumentError, match=r"bad\.png"):
        icr.read(tmp_path / "bad.png", settings=fake_settings())


def test_ingest_and_records(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    db = f"sqlite:///{tmp_path / 'r.db'}"
    summary = icr.ingest([tmp_path / "in"], db, settings=fake_settings(), jobs=1)
    assert (summary.ok, summary.failed) == (2, 0)
    assert sorted(r["id"] for r in icr.records(db)) == ["doc000", "doc001"]
    with pytest.raises(icr.DatabaseError):
        list(icr.records(f"sqlite:///{tmp_path / 'none.db'}"))


@pytest.mark.slow
def test_the_readmes_python_example_runs_as_a_saved_script(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using icr from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    (tmp_path / "scans").mkdir()
    shutil.copy(ROOT / "samples" / "green-valley-grocer.png", tmp_path / "scans" / "receipt.png")
    script = tmp_path / "example.py"
    script.write_text(code.group(1), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert "ok 1, failed 0" in done.stdout
    assert "receipt ok" in done.stdout
