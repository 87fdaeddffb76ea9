"""The command line, through click's runner, with fake stages (no OCR)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from icr.cli import main
from icr.export import RECORD_KEYS
from tests.test_pipeline import LINES, make_images


def fake_config(tmp_path: Path) -> Path:
    path = tmp_path / "fake.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "stages": {"image_corrector": "none", "recognizer": "fake", "text_corrector": "fake"},
                "recognizer": {"fake_lines": LINES},
            }
        )
    )
    return path


def test_ingest_then_export_jsonl_has_the_exact_record_shape(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    res = runner.invoke(
        main, ["ingest", str(tmp_path / "in"), "--db", db, "--jobs", "1", "-q", "--config", str(fake_config(tmp_path))]
    )
    assert res.exit_code == 0, res.output
    assert "ok 2, failed 0, skipped 0" in res.output
    res = runner.invoke(main, ["export", "--db", db, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["id"] for r in records] == ["doc000", "doc001"]
    for r in records:
        assert tuple(r) == RECORD_KEYS
        assert r["status"] == "ok" and r["error"] is None
        assert r["fields"]["total"] == "12.59"
        assert 0.0 <= r["confidence"]["total"] <= 1.0
        assert r["text"].startswith("CORNER SHOP")


def test_reingest_skips_and_failed_input_exits_2(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 1)
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    cfg = str(fake_config(tmp_path))
    runner = CliRunner()
    args = ["ingest", str(tmp_path / "in"), "--db", db, "--jobs", "1", "-q", "--config", cfg]
    res = runner.invoke(main, args)
    assert res.exit_code == 2, res.output
    assert "broken.jpg" in res.output and "ok 1, failed 1" in res.output
    res = runner.invoke(main, args)
    assert "ok 0, failed 1, skipped 1" in res.output  # the failed one is retried, the good one skipped
    res = runner.invoke(main, ["export", "--db", db, "--format", "csv", "--no-text"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted((r["id"], r["status"]) for r in rows) == [("broken", "failed"), ("doc000", "ok")]
    assert "text" not in rows[0]


def test_export_to_file_and_db_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "--db", db]).exit_code == 0
    out = tmp_path / "out.jsonl"
    res = runner.invoke(main, ["export", "--db", db, "-o", str(out)])
    assert res.exit_code == 0 and out.read_text() == ""
    res = runner.invoke(main, ["db", "downgrade", "base", "--db", db])
    assert res.exit_code == 5 and "--yes" in res.output  # drops every table: not without asking
    assert runner.invoke(main, ["export", "--db", db]).exit_code == 0  # the tables are still there
    assert runner.invoke(main, ["db", "downgrade", "base", "--db", db, "--yes"]).exit_code == 0


def test_errors_map_to_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [unclosed")
    res = runner.invoke(main, ["ingest", str(tmp_path), "--config", str(bad), "--db", f"sqlite:///{tmp_path}/a.db"])
    assert res.exit_code == 3 and "bad.yaml" in res.output
    res = runner.invoke(main, ["export", "--db", "nosuchdriver://x"])
    assert res.exit_code == 4 and "nosuchdriver" in res.output
    res = runner.invoke(main, ["eval", str(tmp_path)])
    assert res.exit_code == 5 and "ground-truth" in res.output


def test_ctrl_c_exits_130_with_a_resume_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import icr.cli.commands as commands

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run_ingest", interrupted)
    res = CliRunner().invoke(main, ["ingest", str(tmp_path), "--db", f"sqlite:///{tmp_path}/a.db"])
    assert res.exit_code == 130 and "run the same command again" in res.output
