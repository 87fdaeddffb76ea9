"""Profiles (config/profiles/*.yaml): merged over config/icr.yaml, under a --config file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from icr.cli import main
from icr.cli.commands import make_settings
from icr.config import load_settings, profiles
from icr.errors import ConfigError


def test_the_shipped_profiles() -> None:
    assert {"accurate", "fast"} <= set(profiles())


def test_fast_reads_once_with_tesseract() -> None:
    fast = load_settings(profile="fast")
    assert fast.stage("recognizer") in ("auto", "tesserocr", "pytesseract")
    assert not fast.get("second_read", "enabled")
    assert not fast.get("date_check", "enabled")
    assert fast.raw["profile"] == "fast"


def test_accurate_is_the_commands_default_and_icr_profile_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICR_PROFILE", raising=False)
    assert make_settings(None).raw["profile"] == "accurate"
    assert make_settings(None).stage("recognizer") == load_settings(profile="accurate").stage("recognizer")
    monkeypatch.setenv("ICR_PROFILE", "fast")
    assert make_settings(None).raw["profile"] == "fast"
    assert make_settings(None, (), "accurate").raw["profile"] == "accurate"


def test_a_config_file_overrides_the_profile(tmp_path: Path) -> None:
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(yaml.safe_dump({"date_check": {"enabled": True}, "stages": {"recognizer": "fake"}}))
    settings = load_settings(cfg, profile="fast")
    assert settings.get("date_check", "enabled") is True
    assert settings.stage("recognizer") == "fake"
    assert not settings.get("second_read", "enabled")  # the rest of the profile stays


def test_an_unknown_profile_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown profile 'quick'.*accurate"):
        load_settings(profile="quick")
    for command in (["ingest", str(tmp_path)], ["eval", str(tmp_path)], ["watch", str(tmp_path)]):
        res = CliRunner().invoke(main, [*command, "--profile", "quick", "--db", f"sqlite:///{tmp_path}/a.db"])
        assert res.exit_code != 0 and "unknown profile 'quick'" in res.output, (command, res.output)
