"""``icr locales``: list, check and try the locale packs from the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from icr.cli import main
from icr.config import config_dir

GOLDEN = Path(__file__).resolve().parent / "golden" / "locales"


def test_list_names_every_pack_with_its_currency() -> None:
    res = CliRunner().invoke(main, ["locales", "list"])
    assert res.exit_code == 0, res.output
    rows = [line.split("\t") for line in res.output.splitlines()]
    assert rows[0] == ["tag", "countries", "currencies", "date_order", "decimal", "tax_ids", "description"]
    tags = {row[0]: row for row in rows[1:]}
    assert set(tags) == {p.stem for p in (config_dir() / "locales").glob("*.yaml")}
    assert tags["hu_HU"][1:5] == ["HU", "HUF", "day_first", ","]
    assert tags["de_DE"][5] == "de.vat" and tags["sv_SE"][5] == "se.orgnr,se.vat"
    assert tags["base"][5] == "eu.vat" and tags["en_US"][5] == ""


def test_check_passes_the_shipped_packs_and_stops_a_bad_one(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["locales", "check"])
    assert res.exit_code == 0, res.output
    assert len([ln for ln in res.output.splitlines() if ln.startswith("ok ")]) == len(
        list((config_dir() / "locales").glob("*.yaml"))
    )
    config = tmp_path / "config"
    shutil.copytree(config_dir(), config)
    with (config / "locales" / "zz_ZZ.yaml").open("w", encoding="utf-8") as f:
        f.write("tag: zz_ZZ\namount_labels:\n  - {tier: 1, role: total, patterns: ['(unclosed']}\n")
    res = CliRunner().invoke(main, ["locales", "check"], env={"ICR_CONFIG_DIR": str(config)})
    assert res.exit_code == 3
    assert "zz_ZZ.yaml" in res.output


def test_detect_shows_the_scores_the_choice_and_the_fields() -> None:
    res = CliRunner().invoke(main, ["locales", "detect", str(GOLDEN / "hu_HU.txt")])
    assert res.exit_code == 0, res.output
    out = dict(line.split("\t", 1) for line in res.output.splitlines() if not line.startswith("score"))
    assert out["chosen"] == "hu_HU" and out["total"] == "570.00" and out["currency"] == "HUF"
    assert res.output.startswith("score\thu_HU\t")
    res = CliRunner().invoke(main, ["locales", "detect", "-"], input="TOTAL 5.00\n")
    assert "chosen\tevery pack (none sure)\n" in res.output


def test_detect_says_when_the_users_home_country_orders_the_dates(tmp_path: Path) -> None:
    cfg = tmp_path / "home.yaml"
    cfg.write_text("text_corrector: {home_locale: en_US}\n", encoding="utf-8")
    receipt = "SHOP\n06/10/17\nTOTAL 5.00\n"
    res = CliRunner().invoke(main, ["locales", "detect", "-"], input=receipt, env={"ICR_CONFIG": str(cfg)})
    assert res.exit_code == 0, res.output
    out = dict(line.split("\t", 1) for line in res.output.splitlines() if not line.startswith("score"))
    assert out["chosen"] == "every pack (none sure); dates and currency as en_US's (text_corrector.home_locale)"
    assert (out["date"], out["currency"]) == ("2017-06-10", "USD")
    weak = "BURGER PLACE\n(562) 699-7484\n06/10/17\nTOTAL 5.00\n"  # a US phone number alone
    res = CliRunner().invoke(main, ["locales", "detect", "-"], input=weak)
    assert "chosen\tevery pack (none sure); dates and currency as en_US's (a weak cue)" in res.output


def test_detect_names_an_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "receipt.txt"
    bad.write_bytes(b"\xff\xfe\x00TOTAL")
    res = CliRunner().invoke(main, ["locales", "detect", str(bad)])
    assert res.exit_code == 5
    assert "receipt.txt" in res.output
