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


def test_fast_reads_with_tesseract_and_accurate_with_the_neural_engine() -> None:
    fast = load_settings(profile="fast")
    assert fast.stage("recognizer") in ("auto", "tesserocr", "pytesseract")
    assert fast.raw["profile"] == "fast"
    accurate = load_settings(profile="accurate")
    assert accurate.stage("recognizer") == "rapidocr"
    assert not accurate.get("date_check", "enabled")  # a crop through the neural detector costs seconds


def test_accurate_does_not_crop_and_forms_keep_their_steps() -> None:
    accurate, fast = load_settings(profile="accurate"), load_settings(profile="fast")
    steps = accurate.section("image_corrector")["steps"]
    assert "orientation" in steps and not {"crop", "border", "lines"} & set(steps)
    assert "crop" in fast.section("image_corrector")["steps"]  # Tesseract keeps the cleaning
    assert accurate.section("forms")["read_steps"] == fast.section("forms")["read_steps"]


def test_accurate_is_the_commands_default_and_icr_profile_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICR_PROFILE", raising=False)
    assert make_settings(None).raw["profile"] == "accurate"
    assert make_settings(None).stage("recognizer") == load_settings(profile="accurate").stage("recognizer")
    monkeypatch.setenv("ICR_PROFILE", "fast")
    assert make_settings(None).raw["profile"] == "fast"
    assert make_settings(None, (), "accurate").raw["profile"] == "accurate"


def test_a_config_file_overrides_the_profile(tmp_path: Path) -> None:
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(yaml.safe_dump({"date_check": {"enabled": True}, "stages": {"text_corrector": "fake"}}))
    settings = load_settings(cfg, profile="accurate")
    assert settings.get("date_check", "enabled") is True
    assert settings.stage("text_corrector") == "fake"
    assert settings.stage("recognizer") == "rapidocr"  # the rest of the profile stays
    assert not settings.get("second_read", "enabled")


def test_an_unknown_profile_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown profile 'quick'.*accurate"):
        load_settings(profile="quick")
    for command in (["ingest", str(tmp_path)], ["eval", str(tmp_path)], ["watch", str(tmp_path)]):
        res = CliRunner().invoke(main, [*command, "--profile", "quick", "--db", f"sqlite:///{tmp_path}/a.db"])
        assert res.exit_code != 0 and "unknown profile 'quick'" in res.output, (command, res.output)
