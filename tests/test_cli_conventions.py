"""Issue 22, items 1-2: exit codes as documented, typed settings, logs, database URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from icr.cli import main
from icr.config import load_settings
from icr.db.database import database_url
from icr.errors import ConfigError
from tests.test_cli import fake_config
from tests.test_pipeline import make_images


@pytest.mark.parametrize(
    "args",
    [
        ["report", "nosuch"],
        ["ingest", ".", "--jobs", "-1"],
        ["export", "--no-such-option"],
        ["nosuchcommand"],
        ["ingest"],
    ],
)
def test_usage_errors_exit_5_not_2(args: list[str]) -> None:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 5, res.output


def test_reading_commands_never_create_a_database(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    for args in (["export"], ["report", "receipts"]):
        res = CliRunner().invoke(main, [*args, "--db", f"sqlite:///{typo}"])
        assert res.exit_code == 4, res.output
        assert "no such database" in res.output
        assert not typo.exists()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("text_corrector:\n  review_treshold: 0.7\n", "text_corrector.review_treshold"),  # a typo was accepted
        ("recognizer:\n  timeout: soon\n", "recognizer.timeout"),  # exited 1 with a traceback
        ("nosection: {a: 1}\n", "nosection"),
    ],
)
def test_a_bad_config_key_exits_3_naming_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(text)
    args = ["ingest", str(tmp_path), "--config", str(cfg), "--db", f"sqlite:///{tmp_path}/a.db"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 3, res.output
    assert f"mine.yaml: key '{key}'" in res.output and "Traceback" not in res.output
    with pytest.raises(ConfigError, match=r"mine\.yaml"):
        load_settings(cfg)


def test_settings_are_typed_and_plugin_sections_keep_their_keys() -> None:
    settings = load_settings(overrides={"recognizer": {"timeout": "30"}})
    assert settings.config.recognizer.timeout == 30.0 and settings.raw["recognizer"]["timeout"] == 30.0
    plugin = load_settings(overrides={"stages": {"recognizer": "pkg.mod:build"}, "recognizer": {"model": "x"}})
    assert plugin.raw["recognizer"]["model"] == "x"
    with pytest.raises(ConfigError, match=r"recognizer\.model"):
        load_settings(overrides={"recognizer": {"model": "x"}})
    with pytest.raises(ConfigError, match=r"overrides: key .ingest\.batch_size."):
        settings.with_overrides({"ingest": {"batch_size": 0}})


def test_postgres_scheme_means_postgresql() -> None:
    assert database_url("postgres://u@h/db") == "postgresql://u@h/db"
    assert database_url("postgres+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_log_format_json_is_one_object_per_document(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    args = ["--log-format", "json", "ingest", str(tmp_path / "in"), "--db", db, "-j", "1"]
    res = CliRunner().invoke(main, [*args, "--config", str(fake_config(tmp_path))])
    assert res.exit_code == 0, res.output
    events = [json.loads(line) for line in res.stderr.splitlines() if line.startswith("{")]
    docs = [e for e in events if e["event"] == "document"]
    assert sorted(Path(e["source"]).name for e in docs) == ["doc000.png", "doc001.png"]
    assert all(e["status"] == "ok" and e["level"] == "info" and len(e["sha256"]) == 64 for e in docs)
    assert "ingest" not in res.stderr.split("{")[0]  # no progress bar mixed into the JSON


def test_verbose_text_logs_a_line_per_document_and_quiet_none(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 1)
    cfg = str(fake_config(tmp_path))
    args = ["ingest", str(tmp_path / "in"), "--config", cfg, "--db"]
    loud = CliRunner().invoke(main, ["-v", *args, f"sqlite:///{tmp_path}/a.db"])
    assert "icr: INFO: document" in loud.stderr
    calm = CliRunner().invoke(main, [*args, f"sqlite:///{tmp_path}/b.db"])
    assert "icr: INFO" not in calm.stderr


def test_config_models_accept_the_shipped_file() -> None:
    from icr.config import config_dir

    shipped = yaml.safe_load((config_dir() / "icr.yaml").read_text())
    assert load_settings().raw["stages"] == shipped["stages"]


def test_a_missing_tesseract_language_is_one_error_before_the_batch(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    db = tmp_path / "x.db"
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--db", f"sqlite:///{db}", "--lang", "zzz"])
    assert res.exit_code == 5, res.output
    assert res.output.count("icr: error") == 1 and "tesseract-ocr-zzz" in res.output
    assert not db.exists()  # nothing was started, no document recorded as failed
