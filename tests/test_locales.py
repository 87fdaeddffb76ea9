"""Locale packs (config/locales): validation, choice by the document, and one golden receipt per pack."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from icr.config import config_dir, load_settings
from icr.errors import ConfigError, LocaleError
from icr.text import ocr_from_lines
from icr.text.corrector import DefaultTextCorrector
from icr.text.fields import extract_currency, extract_tax_rate
from icr.text.lines import Line
from icr.text.locales import default_lexicon, detect_locales, lexicon_for, load_packs, score_locales
from icr.text.parsers import ParseOptions, find_amounts, parse_date

GOLDEN = Path(__file__).resolve().parent / "golden" / "locales"
PACKS = sorted(p.stem for p in (config_dir() / "locales").glob("*.yaml"))
RECEIPTS = sorted(p.stem for p in GOLDEN.glob("*.txt"))


def test_every_pack_loads_and_has_a_golden_receipt() -> None:
    packs = load_packs()
    assert set(packs) == set(PACKS)
    assert {"base", "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "ms_MY", "id_ID", "vi_VN"} <= set(
        packs
    )
    assert set(RECEIPTS) == set(PACKS) - {"base"}


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_unknown_key_names_the_file_and_key(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", "tag: base\n")
    pack = "tag: xx_XX\namount_labels:\n  - {tier: 1, role: total, patterns: [X], colour: red}\n"
    _write(tmp_path, "xx_XX.yaml", pack)
    with pytest.raises(LocaleError) as err:
        load_packs(tmp_path)
    assert isinstance(err.value, ConfigError) and err.value.exit_code == 3
    assert "xx_XX.yaml" in str(err.value) and "amount_labels.0.colour" in str(err.value)
    assert "unknown key" in str(err.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tag: xx_XX\nlegal_sufixes: [GMBH]\n", "legal_sufixes"),
        ("tag: xx_XX\nfinal_total: ['(unclosed']\n", "final_total"),
        ("tag: xx_XX\ntax_rate_label: [MWST]\n", "tax_rate_label"),
        ("tag: xx_XX\nreceipt_labels: ['RECHNUNG(']\n", "receipt_labels"),
        ("tag: xx_XX\namount_labels: [{tier: 1, role: totl, patterns: [X]}]\n", "amount_labels.0.role"),
        ("tag: yy_YY\n", "tag"),
    ],
)
def test_bad_pack_is_an_error(tmp_path: Path, text: str, key: str) -> None:
    _write(tmp_path, "base.yaml", "tag: base\n")
    _write(tmp_path, "xx_XX.yaml", text)
    with pytest.raises(LocaleError, match=f"xx_XX.yaml: key '{key}"):
        load_packs(tmp_path)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["KEDAI MAJU SDN BHD", "NO 3, JALAN SATU, TAMAN DUA", "43000 KAJANG, SELANGOR", "TOTAL RM 5.00"], ("ms_MY",)),
        (["Musterweg 4", "80331 München", "SUMME EUR 4,20", "MwSt 19% 0,67", "Bäckerei Huber GmbH"], ("de_DE",)),
        (["BLUE DINER", "12 MAIN ST", "AUSTIN, TX 78701", "TOTAL 9.00"], ("en_US",)),
        (["BLUE DINER", "12 MAIN ST", "AUSTIN, TX78701", "TOTAL 9.00"], ("en_US",)),  # OCR lost the space
        (["KEDAI MAJU SDN BHD", "43000 KAJANG, SELANGOR", "INV NO, IN12345", "TOTAL RM 5.00"], ("ms_MY",)),
        (["HARBOR GRILL", "7 Bay Road", "Sandy Springs, Georgia", "30328", "Total 9.00"], ("en_US",)),
        (["BURGER PLACE", "(562) 699-7484", "2/09/19", "Sales Tax 0.70", "Total 9.00"], ("en_US",)),
        (["BURGER PLACE", "(562) 699-7484", "2/09/19", "Total 9.00"], None),  # one weak cue: every pack
        (["KEDAI MAJU SDN BHD", "TEL: 012-345 6789", "TOTAL RM 5.00"], ("ms_MY",)),
        (["SHOP", "TOTAL 9.00"], None),
    ],
)
def test_the_document_chooses_its_packs(lines: list[str], expected: tuple[str, ...] | None) -> None:
    chosen = detect_locales(lines).tags
    if expected is None:
        assert len(chosen) == len(PACKS) - 1  # nothing recognised: every pack applies
    else:
        assert chosen == expected


def test_a_weak_cue_still_orders_the_dates_when_every_pack_applies() -> None:
    weak = ["BURGER PLACE", "(562) 699-7484", "06/10/17 11:47a", "Total 9.00"]
    assert len(detect_locales(weak).tags) == len(PACKS) - 1
    assert detect_locales(weak).date_order == "month_first"
    assert detect_locales(["SHOP", "06/10/17", "TOTAL 9.00"]).date_order is None
    ex = DefaultTextCorrector(load_settings()).extract(ocr_from_lines(weak))
    assert ex.fields["date"].value == "2017-06-10"


def test_a_receipt_that_names_no_country_is_read_as_one_of_the_users_own() -> None:
    blank = ["SHOP", "06/10/17", "TOTAL 9.00"]  # a photo too dark to read its address: no cue at all
    home = detect_locales(blank, home="en_US")
    assert len(home.tags) == len(PACKS) - 1 and (home.date_order, home.hint) == ("month_first", "en_US")
    # the document's own cues come first: a Malaysian receipt, or a weak cue of another country
    assert detect_locales(["KEDAI MAJU SDN BHD", "TEL: 012-345 6789", "TOTAL RM 5.00"], home="en_US").tags == ("ms_MY",)
    weak = ["BURGER PLACE", "(562) 699-7484", "06/10/17 11:47a", "Total 9.00"]
    assert detect_locales(weak, home="en_GB").hint == "en_US"

    def read(home: str | None) -> dict[str, str | None]:
        settings = load_settings(overrides={"text_corrector": {"home_locale": home}})
        fields = DefaultTextCorrector(settings).extract(ocr_from_lines(blank)).fields
        return {name: fields[name].value if name in fields else None for name in ("date", "currency")}

    assert read(None) == {"date": "2017-10-06", "currency": None}
    assert read("en_US") == {"date": "2017-06-10", "currency": "USD"}
    assert read("de_DE") == {"date": "2017-10-06", "currency": "EUR"}
    with pytest.raises(ConfigError, match=r"home_locale.*'xx_YY' is no country's locale pack"):
        load_settings(overrides={"text_corrector": {"home_locale": "xx_YY"}})


def test_month_names_come_from_babel_per_language() -> None:
    de = ParseOptions(lexicon=lexicon_for(("de_DE",)))
    fr = ParseOptions(lexicon=lexicon_for(("fr_FR",)))
    assert parse_date("3. März 2023", de) == dt.date(2023, 3, 3)
    assert parse_date("12 févr. 2023", fr) == dt.date(2023, 2, 12)
    assert parse_date("5 OGOS 2018", ParseOptions(lexicon=lexicon_for(("ms_MY",)))) == dt.date(2018, 8, 5)
    # a German month name means nothing to a Malaysian receipt's lexicon
    assert parse_date("3 MÄRZ 2023", ParseOptions(lexicon=lexicon_for(("ms_MY",)))) is None


def test_a_weekday_printed_beside_a_numeric_date_tells_its_day_from_its_month() -> None:
    day_first, month_first = ParseOptions(day_first=True), ParseOptions(day_first=False)
    # 9 February 2019 was a Saturday, 2 September a Monday: the weekday settles the order either way
    for opts in (day_first, month_first):
        assert parse_date("SAT 2/09/19 5:30pm", opts) == dt.date(2019, 2, 9)
        assert parse_date("Date: 03/04/2018 (SUN)", opts) == dt.date(2018, 3, 4)
        assert parse_date("03/04/2018 12:30 PM Tue", opts) == dt.date(2018, 4, 3)
    # without one, or with a word that names no weekday, the document's order decides
    assert parse_date("2/09/19 5:30pm", day_first) == dt.date(2019, 9, 2)
    assert parse_date("TO 03/04/2018", day_first) == dt.date(2018, 4, 3)
    assert parse_date("SATAY 2/09/19", day_first) == dt.date(2019, 9, 2)
    # a weekday not next to the date may be another's
    assert parse_date("SAT CASHIER 01 2/09/19", day_first) == dt.date(2019, 9, 2)
    # a weekday that fits neither order (misread, or the date is) leaves the order as it was
    assert parse_date("WED 2/09/19", day_first) == dt.date(2019, 9, 2)
    # the names come from babel for the packs' languages: German "Samstag", Spanish "sáb."
    de = ParseOptions(lexicon=lexicon_for(("de_DE",)))
    assert parse_date("Samstag, 09.02.2019", de) == dt.date(2019, 2, 9)
    assert parse_date("Montag, 09.02.2019", de) == dt.date(2019, 9, 2)
    es = ParseOptions(lexicon=lexicon_for(("es_ES",)), day_first=False)
    assert parse_date("sáb. 09/02/2019", es) == dt.date(2019, 2, 9)
    assert parse_date("lun. 09/02/2019", es) == dt.date(2019, 9, 2)


def test_the_words_between_a_dates_parts_come_from_babel_per_language() -> None:
    es = ParseOptions(lexicon=lexicon_for(("es_ES",)))
    assert parse_date("Fecha: 3 de diciembre de 2026", es) == dt.date(2026, 12, 3)
    assert parse_date("03 DE DIC. DE 2026 18:04", es) == dt.date(2026, 12, 3)
    assert parse_date("3 diciembre 2026", es) == dt.date(2026, 12, 3)
    # English writes no such word: "3 de DEC 2026" is no English date
    assert parse_date("3 de DEC 2026", ParseOptions(lexicon=lexicon_for(("en_GB",)))) is None


def test_amount_slips_are_scoped_to_their_pack() -> None:
    # the ringgit mark misread and glued ("RH43.40") is repaired only where ms_MY applies
    assert [v for v, _, _ in find_amounts("TOTAL RH43. 40", lexicon_for(("ms_MY",)))] == [Decimal("43.40")]
    assert [v for v, _, _ in find_amounts("TOTAL RH43. 40", lexicon_for(("de_DE",)))] != [Decimal("43.40")]
    # the dollar mark read as a glued S ("S93.58") is a dollar only where en_US applies
    assert find_amounts("Total: S93.58", lexicon_for(("en_US",))) == [(Decimal("93.58"), "$93.58", 7)]
    # ... its decimal point read as a comma too
    assert [v for v, _, _ in find_amounts("SubTotal S32,70", lexicon_for(("en_US",)))] == [Decimal("32.70")]
    assert [v for v, _, _ in find_amounts("Total: S93.58", lexicon_for(("ms_MY",)))] != [Decimal("93.58")]


def test_labels_are_classified_by_the_applied_packs() -> None:
    de, my = lexicon_for(("de_DE",)), lexicon_for(("ms_MY",))
    assert de.classify("SUMME") == "total" and my.classify("SUMME") == ""
    assert de.classify("ZU 7ZAHLEN") == "total"  # the label read with a slip
    assert de.classify("Bar") == "paid" and de.classify("Rückgeld") == "change"
    assert my.classify("TUNAI") == "paid" and my.classify("BAKI") == "change"
    assert de.classify("Netto") == "net" and de.classify("Brutto") == "vat_table"
    us = lexicon_for(("en_US",))
    # "Sub/Ttl" abbreviated, its l read as 1 or its digit-like end cut off with the amount
    assert us.classify("Sub/Ttl") == us.classify("Sub/Tt1") == us.classify("SUB TT") == "subtotal"
    assert us.classify("SUBTTLE") == ""


def test_tax_and_registration_words_come_from_the_applied_packs(tmp_path: Path) -> None:
    vat = [Line(0, "MwSt 19% 1,52", 1.0)]
    assert extract_tax_rate(vat, ParseOptions(lexicon=lexicon_for(("de_DE",)))).value == Decimal("19")  # type: ignore[union-attr]
    assert extract_tax_rate(vat, ParseOptions(lexicon=lexicon_for(("ms_MY",)))) is None
    assert lexicon_for(("ms_MY",)).registration.search("SSM NO: 1234567") is not None
    assert lexicon_for(("de_DE",)).registration.search("SSM NO: 1234567") is None
    # a new country's tax is one line of its pack
    _write(tmp_path, "base.yaml", "tag: base\ntax_rate_labels: [VAT]\n")
    _write(tmp_path, "tr_TR.yaml", "tag: tr_TR\ntax_rate_labels: [KDV]\n")
    kdv = [Line(0, "KDV 18% 3,05", 1.0)]
    assert extract_tax_rate(kdv, ParseOptions(lexicon=lexicon_for(("tr_TR",), tmp_path))) is not None
    assert extract_tax_rate(kdv, ParseOptions(lexicon=lexicon_for((), tmp_path))) is None


def test_a_tills_month_day_year_keeps_its_date_when_the_apostrophe_is_lost() -> None:
    opts = ParseOptions(lexicon=lexicon_for(("en_US",)))
    assert parse_date("Feb2319", opts) == dt.date(2019, 2, 23)
    assert parse_date("Feb23'19", opts) == dt.date(2019, 2, 23)
    assert parse_date("FEB2019", opts) is None  # a month and a year, no day
    # with a point after the month, and a till's number before it that is no day
    assert parse_date("0203-20:57 #02 MAY.2119 REG0002", opts) == dt.date(2019, 5, 21)


def test_a_month_name_with_a_letter_read_as_a_digit_before_its_day_is_still_the_month() -> None:
    opts = ParseOptions(lexicon=lexicon_for(("en_US",)))
    assert parse_date("GUESTS 4 FE8 18/17 8:19PM", opts) == dt.date(2017, 2, 18)
    assert parse_date("AU6 05, 2019", opts) == dt.date(2019, 8, 5)
    assert parse_date("5EP 03 2019", opts) == dt.date(2019, 9, 3)
    assert parse_date("CAFE8 18/17", opts) != dt.date(2017, 2, 18)  # only a month standing alone


def test_a_month_name_with_a_bar_digit_or_capital_i_for_a_letter_is_still_the_month() -> None:
    opts = ParseOptions(lexicon=lexicon_for(("en_US",)), day_first=False)
    assert parse_date("13-Ju|-2018 8:53:47P", opts) == dt.date(2018, 7, 13)  # the l of Jul read as a bar
    assert parse_date("13-JuI-2018", opts) == dt.date(2018, 7, 13)  # JUN or JUL one letter off: I is an l
    assert parse_date("Ju1 13, 2018", opts) == dt.date(2018, 7, 13)
    assert parse_date("0ct 12, 2018", opts) == dt.date(2018, 10, 12)  # the month first, its O a zero
    assert parse_date("N0V 5 18", opts) == dt.date(2018, 11, 5)
    assert parse_date("13-JUN-2018", opts) == dt.date(2018, 6, 13)
    assert parse_date("A1R 12 2018", opts) is None  # no month reads from it
    assert parse_date("0ct 12 10:45", opts) is None  # a day and a time, no year


def test_a_date_run_into_its_time_or_with_a_comma_for_a_point_keeps_its_day() -> None:
    us = ParseOptions(lexicon=lexicon_for(("en_US",)), day_first=False)
    de = ParseOptions(lexicon=lexicon_for(("de_DE",)))
    # the gap before the time read as nothing: the year ends where the time begins
    assert parse_date("05/12/2319:42:11", us) == dt.date(2023, 5, 12)  # not the year slip 2319 -> 2019
    assert parse_date("JAN 15, 202410:22AM", us) == dt.date(2024, 1, 15)
    assert parse_date("3 MAR 202312:30", us) == dt.date(2023, 3, 3)
    assert parse_date("06-05-201812:43:19", de) == dt.date(2018, 5, 6)
    assert parse_date("12/03/2518", de) == dt.date(2018, 3, 12)  # the year slip still applies
    # one point of a dotted date read as a comma, as small print often is
    assert parse_date("03,01.2024 08:12", de) == dt.date(2024, 1, 3)
    assert parse_date("02.03,23 14:22", de) == dt.date(2023, 3, 2)
    # a month's letter read as a digit: i as 1, O as 0, S as 5
    assert parse_date("12-me1-2023", ParseOptions(lexicon=lexicon_for(("nl_NL",)))) == dt.date(2023, 5, 12)
    assert parse_date("05-0CT-2018", us) == dt.date(2018, 10, 5)
    assert parse_date("3-5EP-2019", us) == dt.date(2019, 9, 3)
    assert parse_date("12-A1-2023", us) is None  # one letter is no month


def test_a_greeting_before_the_name_is_no_part_of_it() -> None:
    from icr.text.header import clean_company

    us = lexicon_for(("en_US",))
    assert clean_company("Welcome to Yogurtland", lexicon=us) == "Yogurtland"
    assert clean_company("Nelcome to Yogurtland", lexicon=us) == "Yogurtland"  # W read as N
    assert clean_company("WELCOME", lexicon=us) == "WELCOME"


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


@pytest.mark.parametrize("tag", RECEIPTS)
def test_pack_golden_receipt(tag: str, corrector: DefaultTextCorrector) -> None:
    lines = (GOLDEN / f"{tag}.txt").read_text(encoding="utf-8").splitlines()
    expected: dict[str, Any] = json.loads((GOLDEN / f"{tag}.json").read_text(encoding="utf-8"))
    assert tuple(expected.pop("_locale")) == detect_locales(lines).tags
    ex = corrector.extract(ocr_from_lines(lines))
    got = {name: (ex.fields[name].value if name in ex.fields else None) for name in expected}
    assert got == expected


def test_a_bad_pack_stops_the_cli_with_exit_code_3(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    config = tmp_path / "config"
    shutil.copytree(config_dir(), config)
    with (config / "locales" / "de_DE.yaml").open("a", encoding="utf-8") as f:
        f.write("colour: red\n")
    image = Path(__file__).resolve().parent.parent / "sample-locales" / "de_DE.png"
    # a process of its own: worker processes started here must not inherit the broken config
    res = subprocess.run(
        [sys.executable, "-m", "icr", "ingest", str(image), "--db", f"sqlite:///{tmp_path / 'icr.db'}", "-q"],
        env={**os.environ, "ICR_CONFIG_DIR": str(config)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 3, res.stderr
    assert "de_DE.yaml: key 'colour': unknown key" in res.stderr


LOGO_ONLY = {
    # the brand is a logo OCR does not read: the first text line is the street, the legal name is
    # printed only in the footer
    "de_DE prepositional street": (
        ["An der Alster 12", "20099 Hamburg", "Tee 2,10", "Summe EUR 2,10", "Datum 03.04.2023", "Teehaus Alster GmbH"],
        "Teehaus Alster GmbH",
        "An der Alster 12 20099 Hamburg",
    ),
    "de_DE -weg": (
        ["Am Mühlenweg 7", "28195 Bremen", "Kaffee 2,80", "Gesamt 2,80 EUR", "Datum 03.04.2023", "Café Sonne GmbH"],
        "Café Sonne GmbH",
        "Am Mühlenweg 7 28195 Bremen",
    ),
    "en_US": (
        [
            "1234 Main St",
            "Austin, TX 78701",
            "(512) 555-1234",
            "BANANAS 0.99",
            "TOTAL $0.99",
            "06/10/2023",
            "Sunshine Market LLC",
        ],
        "Sunshine Market LLC",
        "1234 Main St Austin, TX 78701",
    ),
    "en_GB": (
        ["27 High Street", "Oxford OX1 4AH", "Tea 1.20", "TOTAL £1.20", "04/03/2023", "The Corner Bakery Ltd"],
        "The Corner Bakery Ltd",
        "27 High Street Oxford OX1 4AH",
    ),
    "fr_FR": (
        ["14 rue de la Paix", "75002 PARIS", "PAIN 1,20", "TOTAL 1,20 €", "12/03/2023", "BOULANGERIE DU MARCHE SARL"],
        "BOULANGERIE DU MARCHE SARL",
        "14 rue de la Paix 75002 PARIS",
    ),
    "es_ES": (
        ["Calle Mayor 8", "28013 Madrid", "PAN 1,10", "TOTAL 1,10 €", "02/11/2023", "Panadería Sol S.L."],
        "Panadería Sol S.L.",
        "Calle Mayor 8 28013 Madrid",
    ),
    "it_IT": (
        ["Via Garibaldi 21", "00153 Roma", "CAFFE 1,20", "TOTALE 1,20 €", "15-09-2023", "Bar Roma S.R.L."],
        "Bar Roma S.R.L.",
        "Via Garibaldi 21 00153 Roma",
    ),
    "nl_NL": (
        ["Kerkstraat 5", "1017 GB Amsterdam", "KAAS 4,99", "TOTAAL 4,99", "12-05-2023", "Bakkerij De Zon B.V."],
        "Bakkerij De Zon B.V.",
        "Kerkstraat 5 1017 GB Amsterdam",
    ),
    "nl_NL street without its kind": (
        ["ALBERT HEIJN", "Damrak 2", "1012 LG Amsterdam", "MELK 1,19", "TOTAAL 1,19", "18-08-2023"],
        "ALBERT HEIJN",
        "Damrak 2 1012 LG Amsterdam",
    ),
    "id_ID legal form first": (
        ["JL. MERDEKA NO. 45", "BANDUNG 40111", "ROTI 5.000", "TOTAL 5.000", "17-08-2023", "PT TOKO SERBA ADA"],
        "PT TOKO SERBA ADA",
        "JL. MERDEKA NO. 45 BANDUNG 40111",
    ),
}


@pytest.mark.parametrize("case", sorted(LOGO_ONLY))
def test_a_logo_only_receipt_takes_its_street_as_address_and_its_footer_name(
    case: str, corrector: DefaultTextCorrector
) -> None:
    lines, company, address = LOGO_ONLY[case]
    ex = corrector.extract(ocr_from_lines(lines))
    assert (ex.fields["company"].value, ex.fields["address"].value) == (company, address)


def test_a_currency_without_cents_prints_whole_amounts() -> None:
    lex = lexicon_for(())  # the base pack alone
    assert [a for a, _, _ in find_amounts("TOTAL ¥290", lex)] == [Decimal("290.00")]  # ISO 4217: no minor unit
    assert [a for a, _, _ in find_amounts("TOTAL ₩12000", lex)] == [Decimal("12000.00")]
    # a whole number after a mark of a currency with cents is a promotion or a quantity, not an amount
    assert find_amounts("GET RM5 VOUCHER", lex) == [] and find_amounts("$5 OFF", lex) == []



def test_a_point_after_a_mark_of_a_currency_without_cents_groups_thousands() -> None:
    # a faded till's comma read as a point: the yen has no cents, so "1.480" is 1480
    lex = lexicon_for(("ja_JP",))
    assert [a for a, _, _ in find_amounts("合計 ¥1.480", lex)] == [Decimal("1480.00")]
    assert [a for a, _, _ in find_amounts("TOTAL ₩12.345.000", lexicon_for(()))] == [Decimal("12345000.00")]
    assert find_amounts("TOTAL $1.480", lexicon_for(("en_US",))) == []  # dollars have cents: no amount


def test_rupiah_and_dong_print_whole_amounts_grouped_by_points_or_commas() -> None:
    # no cents in either currency: a point or a comma before three digits groups thousands
    for tag in ("vi_VN", "id_ID"):
        lex = lexicon_for((tag,))
        assert lex.whole_money
        assert [a for a, _, _ in find_amounts("TONG CONG 77,000 TIEN MAT 100.000", lex)] == [
            Decimal("77000.00"),
            Decimal("100000.00"),
        ]
    assert not lexicon_for(("de_DE",)).whole_money and not lexicon_for(()).whole_money  # euros have cents


def test_a_vietnamese_receipt_read_without_its_tone_marks_still_reads() -> None:
    lines = ["CIRCLE K", "123 Nguyen Hue, Quan 1, TP.HCM", "HOA DON BAN LE", "Ngay: 12/05/2021 14:22"]
    lines += ["Nuoc suoi 16.000", "Banh mi 25.000", "Tong cong: 41.000", "Tien khach dua: 50.000", "Tien thua: 9.000"]
    assert detect_locales(lines).tags == ("vi_VN",)
    ex = DefaultTextCorrector(load_settings()).extract(ocr_from_lines(lines))
    got = {name: str(ex.fields[name].value) for name in ("total", "paid", "change", "date", "currency")}
    assert got == {
        "total": "41000.00",
        "paid": "50000.00",
        "change": "9000.00",
        "date": "2021-05-12",
        "currency": "VND",
    }


@pytest.mark.parametrize(
    ("lines", "address"),
    [
        (["ACME STORE", "Address: 12 Main St", "Springfield, IL 62701"], "12 Main St Springfield, IL 62701"),
        (["CIRCLE K", "Địa chỉ: 123 Nguyễn Huệ, Quận 1, TP.HCM", "HÓA ĐƠN"], "123 Nguyễn Huệ, Quận 1, TP.HCM"),
        (["TOKO ABC", "Alamat: Jl. Merdeka No. 5", "Bandung 40111"], "Jl. Merdeka No. 5 Bandung 40111"),
    ],
)
def test_the_label_before_an_address_is_no_part_of_it(
    lines: list[str], address: str, corrector: DefaultTextCorrector
) -> None:
    ex = corrector.extract(ocr_from_lines([*lines, "TOTAL 5.00", "17/08/2023"]))
    assert ex.fields["address"].value == address


@pytest.mark.parametrize(
    ("name", "read", "typed"),
    [
        ("ALDI sÜD", "ALDI SÜD", "ALDI sÜD"),  # typed text is as typed
        ("MERCadONA, S.a.", "MERCADONA S.A.", "MERCadONA S.a."),
        ("CAFE de PARIS", "CAFE de PARIS", "CAFE de PARIS"),  # a word all small is printed so
        ("Café de Jaren", "Café de Jaren", "Café de Jaren"),  # not a name in capitals
    ],
)
def test_a_name_in_capitals_keeps_them_where_a_few_were_read_small(
    name: str, read: str, typed: str, corrector: DefaultTextCorrector
) -> None:
    lines = [name, "Hauptstr. 5", "80331 München", "Summe 3,18", "15.11.2022"]
    # read by a recognizer, surely (0.995, above the bar of OCR mends) or not
    for confidence in (0.995, 0.8):
        assert corrector.extract(ocr_from_lines(lines, confidence=confidence)).fields["company"].value == read
    assert corrector.extract(ocr_from_lines(lines)).fields["company"].value == typed


NAME_LINES = {
    # the company's tax number printed on its name's line: the name keeps its legal form
    "es_ES tax number": (["MERCADONA, S.A.  A-46103834", "C/ GRAN VIA, 45", "28013 MADRID"], "MERCADONA S.A."),
    "es_ES comma glued to the legal form": (["MERCADONA,S.A.", "C/ GRAN VIA, 45", "28013 MADRID"], "MERCADONA S.A."),
    "de_DE tax number": (["Muster GmbH DE812706034", "Hauptstr. 5", "10115 Berlin"], "Muster GmbH"),
    "ms_MY registration number": (["KEDAI ABC SDN BHD 123456-X", "NO 3 JALAN 1", "41150 KLANG"], "KEDAI ABC SDN BHD"),
    # a brand over a line of its kind of business and legal form
    "en_GB brand over its legal form": (
        ["TESCO", "Stores Ltd", "12 High Street", "London SW1A 1AA"],
        "TESCO Stores Ltd",
    ),
    "de_DE brand over its legal form": (
        ["REWE", "Markt GmbH", "Schönhauser Allee 80", "10439 Berlin"],
        "REWE Markt GmbH",
    ),
    # a short brand above its street: the street line is never the name
    "es_ES short brand": (["DIA", "Calle Sol 3", "41001 Sevilla"], "DIA"),
    # a brand over a kind of business a line ("BREWERY" / "RESTAURANT")
    "en_US brand over two kinds of business": (
        ["Basalt", "BREWERY", "RESTAURANT", "12 Oak Lane", "Bend, OR 97701"],
        "Basalt BREWERY RESTAURANT",
    ),
    "ms_MY name over two lines": (
        ["WESTERN EASTERN", "STATIONERY SDN. BHD", "NO 3 JALAN 1", "41150 KLANG"],
        "WESTERN EASTERN STATIONERY SDN. BHD",
    ),
}


@pytest.mark.parametrize("case", sorted(NAME_LINES))
def test_the_company_is_read_whole_off_its_lines(case: str, corrector: DefaultTextCorrector) -> None:
    lines, company = NAME_LINES[case]
    ex = corrector.extract(ocr_from_lines([*lines, "TOTAL 3,00", "14.03.2023"]))
    assert ex.fields["company"].value == company


def test_a_us_address_shows_by_its_town_and_state_and_its_street_s_kind(corrector: DefaultTextCorrector) -> None:
    lines = ["BURGER BARN 1100375", "(916) 555-3415", "8105 OAK AVE", "FAIR OAKS, CA", "Register 1 Order 15"]
    ex = corrector.extract(ocr_from_lines([*lines, "12/19/2016 7:42 PM", "Sub Total $12.08", "Total $13.05"]))
    assert ex.fields["company"].value == "BURGER BARN"
    assert ex.fields["address"].value.endswith("8105 OAK AVE FAIR OAKS, CA")
    # a street of a kind fewer receipts print stays the address's first line
    lines = ["GOLDEN BUFFET", "2988 N. Expressway", "Brownsville, TX", "(956) 555-6600"]
    ex = corrector.extract(ocr_from_lines([*lines, "02/24/2019 3:22 PM", "Total $33.73"]))
    assert ex.fields["address"].value == "2988 N. Expressway Brownsville, TX"


def test_a_receipt_without_a_currency_mark_takes_its_countrys(corrector: DefaultTextCorrector) -> None:
    german = ["EDEKA Center", "Lindenstr. 3", "10969 Berlin", "Apfel 1,49 A", "ZU ZAHLEN 1,49", "14.03.2023"]
    ex = corrector.extract(ocr_from_lines(german))
    assert ex.fields["currency"].value == "EUR" and ex.fields["currency"].source == "locale"
    # no pack recognised: every country's packs apply, and no currency is guessed
    assert "currency" not in corrector.extract(ocr_from_lines(["SHOP", "ITEM 1.49", "TOTAL 1.49"])).fields


def test_a_printed_code_names_a_currency_no_pack_has(corrector: DefaultTextCorrector) -> None:
    # a Swiss receipt reads as German, but it prints its francs: the mark beats the pack's country
    swiss = ["MIGROS", "Limmatstrasse 152", "8005 Zürich", "Brot 2.90", "Total CHF 6.30", "Bar 10.00", "23.09.2023"]
    assert corrector.extract(ocr_from_lines(swiss)).fields["currency"].value == "CHF"
    polish = ["BIEDRONKA NR 1234", "00-001 Warszawa", "Chleb 3,49", "SUMA PLN 9,47", "2023-06-14"]
    assert corrector.extract(ocr_from_lines(polish)).fields["currency"].value == "PLN"
    # a code in letters starts a word: "CHAUD" at a line's end is no Australian dollar
    cafe = ["CAFE DE PARIS", "1 CHOCOLAT CHAUD", "TOTAL 4.50", "01/02/2018"]
    assert "currency" not in corrector.extract(ocr_from_lines(cafe)).fields
    # a mark printed in small letters before its amount; at a line's end only in capitals (a room)
    indian = ["RELIANCE FRESH", "MG Road, Bengaluru 560001", "Rice Rs. 350.00", "Total Rs. 350.00", "05-11-2023"]
    assert corrector.extract(ocr_from_lines(indian)).fields["currency"].value == "INR"
    diner = ["AM Dining Rm", "TOTAL 5.00", "01/02/2020"]
    assert "currency" not in corrector.extract(ocr_from_lines(diner)).fields


def test_where_the_town_ends_the_address_an_item_under_it_does_not_join(corrector: DefaultTextCorrector) -> None:
    # OCR read the columns as lines: "BANANE" under "10115 Berlin" is the first item, not the address
    lines = ["REWE Markt GmbH", "Bahnhofstr. 5", "10115 Berlin", "BANANE", "1,99 B", "SUMME", "EUR", "1,99"]
    lines += ["14.03.2023"]
    assert corrector.extract(ocr_from_lines(lines)).fields["address"].value == "Bahnhofstr. 5 10115 Berlin"
    # a Malaysian address goes on after its postcode line with its state
    lines = ["KEDAI MAJU SDN BHD", "NO 12, JALAN MAWAR 3,", "47400 PETALING JAYA", "SELANGOR DE", "TOTAL RM 3.50"]
    assert corrector.extract(ocr_from_lines(lines)).fields["address"].value.endswith("PETALING JAYA SELANGOR DE")


def test_a_spanish_vat_table_gives_its_tax_not_its_base(corrector: DefaultTextCorrector) -> None:
    lines = ["SUPERMERCADO DIA S.A.", "Calle Alcalá 100", "28009 Madrid", "LECHE 0,89", "PAN 1,20"]
    lines += ["TOTAL A PAGAR 2,09", "EFECTIVO 5,00", "CAMBIO 2,91", "IVA 10% BASE 1,90 CUOTA 0,19", "15/06/2023"]
    ex = corrector.extract(ocr_from_lines(lines))
    assert (ex.fields["total"].value, ex.fields["tax"].value) == ("2.09", "0.19")


def test_a_mark_the_language_never_writes_is_an_ocr_slip(corrector: DefaultTextCorrector) -> None:
    malaysian = ["KEDAI MAJU SDN BHD", "NO 12, JALAN MAWAR 3,", "40170 SETIA ÁLAM, SELANGOR", "TOTAL RM 3.50"]
    fields = corrector.extract(ocr_from_lines(malaysian)).fields
    assert fields["address"].value == "NO 12, JALAN MAWAR 3, 40170 SETIA ALAM, SELANGOR"
    # a German receipt keeps its umlauts
    german = ["Bäckerei Müller GmbH", "Mühlenweg 7", "10115 Berlin", "Brötchen 1,49 A", "SUMME 1,49", "14.03.2023"]
    assert corrector.extract(ocr_from_lines(german)).fields["company"].value == "Bäckerei Müller GmbH"


def test_a_whole_amount_before_the_mark_of_a_currency_without_cents() -> None:
    hungarian = lexicon_for(("hu_HU",))
    assert [a for a, _, _ in find_amounts("ÖSSZESEN:   3 490 Ft", hungarian)] == [Decimal("3490")]
    assert [a for a, _, _ in find_amounts("Bankkártya 5680 Ft", hungarian)] == [Decimal("5680")]
    # where the country is not known, a number before FT is a length
    assert find_amounts("LUMBER 2X4 8 FT") == []


def test_a_space_before_the_point_of_grouped_pesos() -> None:
    colombian = lexicon_for(("es_CO",))
    assert [a for a, _, _ in find_amounts("TOTAL A PAGAR $45 .900", colombian)] == [Decimal("45900")]
    assert find_amounts("TOTAL 1 .850", lexicon_for(("ms_MY",))) == []  # ringgit have cents: a digit lost


def test_a_mark_the_chosen_packs_give_one_currency_is_theirs() -> None:
    lines = [Line(i, t) for i, t in enumerate(["PANADERIA EL TRIGAL S.A.S.", "NIT 900.123.456-7", "TOTAL $5.500"])]
    colombian = lexicon_for(detect_locales([ln.text for ln in lines]).tags)
    found = extract_currency(lines, ParseOptions(lexicon=colombian))
    assert found is not None and found.value == "COP"
    # a one-letter mark names nothing where the country is unknown ("R" is a rand only in South Africa)
    shop = [Line(0, "SHOP"), Line(1, "TOTAL R 12.50")]
    anywhere = lexicon_for(detect_locales([ln.text for ln in shop]).tags)
    assert extract_currency(shop, ParseOptions(lexicon=anywhere)) is None


def test_indian_grouping_in_lakhs_is_an_amount() -> None:
    assert [a for a, _, _ in find_amounts("Grand Total ₹ 1,05,000.00")] == [Decimal("105000.00")]
    assert [a for a, _, _ in find_amounts("TOTAL Rs. 12,34,567.50")] == [Decimal("1234567.50")]
    assert find_amounts("DATE 12,05,2023") == []


def test_wide_spaces_group_thousands() -> None:
    # no-break and narrow no-break spaces, as exported text and some recognizers write them
    assert [a for a, _, _ in find_amounts("TOTAL 1\u00a0234,56 €")] == [Decimal("1234.56")]
    assert [a for a, _, _ in find_amounts("Summe 12\u202f345,00")] == [Decimal("12345.00")]


def test_a_language_written_without_spaces_glues_labels_and_groups_no_thousands_by_spaces() -> None:
    japanese, chinese = lexicon_for(("ja_JP",)), lexicon_for(("zh_CN",))
    assert japanese.spaceless and chinese.spaceless and not lexicon_for(("fr_FR",)).spaceless
    assert [a for a, _, _ in find_amounts("合計3,300円", japanese)] == [Decimal("3300")]
    assert [a for a, _, _ in find_amounts("焼き鳥盛り合わせ 1 980円", japanese)] == [Decimal("980")]  # 1 is the count
    assert [a for a, _, _ in find_amounts("烤鸭 1 268.00", chinese)] == [Decimal("268.00")]
    assert find_amounts("ITEM12.50", japanese) == []  # a Latin word glued to an amount is no label of the script
    assert find_amounts("TOTAL12.50", japanese) == [(Decimal("12.50"), "12.50", 5)]  # but a label the packs know
    assert [a for a, _, _ in find_amounts("TOTAL 1 234,56 €", lexicon_for(("fr_FR",)))] == [Decimal("1234.56")]
    # a pack's word is found inside a run of kanji; "No." is no stop word outside the pack's script
    assert japanese.stop_line.search("登録番号T1234") and chinese.address_cue.search("上海市黄浦区南京东路100号")
    assert not default_lexicon().spaceless


def test_a_year_counted_in_an_era_is_a_western_year() -> None:
    japanese, chinese = ParseOptions(lexicon=lexicon_for(("ja_JP",))), ParseOptions(lexicon=lexicon_for(("zh_CN",)))
    assert parse_date("令和5年5月12日", japanese) == dt.date(2023, 5, 12)
    assert parse_date("令和元年5月1日 10:00", japanese) == dt.date(2019, 5, 1)  # an era's first year
    assert parse_date("平成30年12月1日(土)", japanese) == dt.date(2018, 12, 1)
    assert parse_date("中華民國 112 年 05 月 12 日", chinese) == dt.date(2023, 5, 12)
    assert parse_date("2023年05月12日(金)", japanese) == dt.date(2023, 5, 12)



def test_a_year_of_the_buddhist_era_is_a_western_year(corrector: DefaultTextCorrector) -> None:
    thai = ["7-ELEVEN", "CP ALL PUBLIC COMPANY LIMITED", "Silom Bangkok 10500", "TAX ID 0107542000011", "TOTAL 85.00"]
    assert detect_locales(thai).tags == ("th_TH",)
    for printed in ("14/03/2567 22:05", "14/03/67 22:05", "14/03/2024 22:05"):  # the era's years, and a Western one
        ex = corrector.extract(ocr_from_lines([*thai, printed]))
        assert ex.fields["date"].value == "2024-03-14", printed
    # elsewhere two digits are still this century's
    malaysian = ["KEDAI MAJU SDN BHD", "TEL: 012-345 6789", "TOTAL RM 5.00"]
    assert detect_locales(malaysian).tags == ("ms_MY",)
    assert corrector.extract(ocr_from_lines([*malaysian, "14/03/67 22:05"])).fields["date"].value == "2067-03-14"
    th = ParseOptions(lexicon=lexicon_for(("th_TH",)))
    assert (
        parse_date("14 MAR 2567", th)
        == parse_date("MAR 14, 67", th)
        == parse_date("2567-03-14", th)
        == dt.date(2024, 3, 14)
    )
    assert parse_date("14/03/24", th) == dt.date(2024, 3, 14)  # 2524 would be 1981: two digits of a Western year
    assert parse_date("14/03/2518", th) is None  # 1975, not 2018 misread: the era's years are no misread ones
    # the offset applies only where every applied country pack counts in the era
    assert lexicon_for(("th_TH",)).year_offset == 543
    assert lexicon_for(("th_TH", "ms_MY")).year_offset == 0 and default_lexicon().year_offset == 0


def test_a_year_before_the_month_in_words() -> None:
    hungarian = ParseOptions(lexicon=lexicon_for(("hu_HU",)))
    assert parse_date("2024. március 5.", hungarian) == dt.date(2024, 3, 5)
    assert parse_date("Kelt: 2024. márc. 15. 10:11", hungarian) == dt.date(2024, 3, 15)
    assert parse_date("2024-MAR-05 10:22") == dt.date(2024, 3, 5)
    # two digits before a colon are an hour, not a year
    assert parse_date("MAR 05 10:22") is None and parse_date("27 MAR 18:30") is None


def test_a_month_name_one_language_prints_whole_wins_a_clash() -> None:
    from icr.text.locales import month_names

    months = month_names(["en", "fi"])  # Finnish November (marraskuu) starts with MAR
    assert months["MAR"] == 3 and months["MARRASKUU"] == 11
    assert parse_date("27 MAR 2018") == dt.date(2018, 3, 27)


def test_a_name_keeps_its_own_number_and_paired_quotes() -> None:
    from icr.text.header import clean_company

    assert clean_company("REMA 1000") == "REMA 1000"  # three or four bare digits: the brand's
    assert clean_company("99 SPEED MART S/B (519537-X)") == "99 SPEED MART S/B"
    assert clean_company("GARDENIA BAKERIES 139386") == "GARDENIA BAKERIES"  # five or more: a registration
    assert clean_company("Firepoint Gr111") == "Firepoint Gr"  # digits glued to a word: OCR debris
    assert clean_company('UAB "MAXIMA LT"') == 'UAB "MAXIMA LT"'
    assert clean_company('"MAXIMA" UAB') == '"MAXIMA" UAB'
    assert clean_company('~ "SOME SHOP ~') == "SOME SHOP"  # an unpaired quote at an end is a speck
    # a time of day read onto the name's line (a tilted photo); a name's own figures stay
    assert clean_company("IN-N-OUT BURGER SANTA CLARA 12:48 PM") == "IN-N-OUT BURGER SANTA CLARA"
    assert clean_company("KEDAI RUNCIT 19:05:33") == "KEDAI RUNCIT"
    assert clean_company("SHOP 24:7") == "SHOP 24:7"
    assert clean_company("12:30 CAFE") == "12:30 CAFE"


def test_initials_of_a_legal_form_read_with_digits_or_a_comma() -> None:
    from icr.text.header import clean_company

    assert clean_company("KONZUM plus d.0.0.") == "KONZUM plus d.o.o."  # small letters stay small
    assert clean_company("ALMACENES EXITO S,A.") == "ALMACENES EXITO S.A."
    assert clean_company("A.1.¥. HARDWARE") == "A.I.Y. HARDWARE"
    assert clean_company("X,Y,Z TRADING CO.") == "X,Y,Z TRADING CO."  # no point among them: no initials
    turkish = lexicon_for(("tr_TR",))
    assert clean_company("MIGROS TICARET A.$.", lexicon=turkish) == "MIGROS TICARET A.Ş."


def test_a_cue_stays_on_its_line() -> None:
    from icr.text.locales import score_locales

    # a five-digit number and a capitalised word on the next line are no German postcode and town
    assert score_locales(["TABLE 20071", "Glass of wine 9.00"])["de_DE"] == 0
    assert score_locales(["Hauptstr. 5", "20071 Hamburg"])["de_DE"] > 0
    # a ZIP code OCR put on a line of its own still follows its state
    assert score_locales(["Sandy Springs, Georgia", "30328"])["en_US"] >= 3
    # a Dutch postcode stands before its town or ends its line; a till's code with its letters does not
    assert score_locales(["ABC CHICKEN", "8253 DR-T"])["nl_NL"] == 0
    assert score_locales(["Dam 1", "1012 JS Amsterdam"])["nl_NL"] > 0
    assert score_locales(["Dam 1", "1012JS"])["nl_NL"] > 0


def test_the_currency_of_the_one_country_whose_cues_show_weakly(corrector: DefaultTextCorrector) -> None:
    # a North American phone number alone chooses no pack, but hints at the US: dollars, unsurely
    ex = corrector.extract(ocr_from_lines(["CORNER DELI", "(212) 555-0143", "Sandwich 8.50", "TOTAL 8.50"]))
    assert ex.fields["currency"].value == "USD" and ex.fields["currency"].confidence <= 0.3
    ex = corrector.extract(ocr_from_lines(["CORNER DELI", "Sandwich 8.50", "TOTAL 8.50"]))
    assert "currency" not in ex.fields
    # the same number with a space after its area code, or read with tildes on a dim photo: the date
    # is then read month first
    for phone in ("212 555-0143", "212~555~0143"):
        lines = ["CORNER DELI", phone, "06/10/17 11:47", "Sandwich 8.50", "TOTAL 8.50"]
        ex = corrector.extract(ocr_from_lines(lines))
        assert ex.fields["date"].value == "2017-06-10", phone
        assert ex.fields["currency"].value == "USD", phone


def test_no_hint_where_two_countries_cues_show_about_as_weakly() -> None:
    # "AS" ends Norwegian and Estonian names alike; amounts with a decimal comma are about as German:
    # no one country is hinted at, and no currency guessed
    name = ["Kaffe Hus AS", "Kaffe 2,80"]
    assert detect_locales([*name, "Kake 3,40", "TOTAL 6,20"]).hint is None
    assert detect_locales(name).hint == "nb_NO"



def test_a_weak_mark_before_many_amounts_is_the_documents_own(corrector: DefaultTextCorrector) -> None:
    # Spanish words choose Spain's pack, but a "$" before every amount is not specks (Ecuador pays in dollars)
    lines = ["FERRETERIA SAN JOSE", "IVA INCLUIDO", "FECHA: 02/03/2024", "TORNILLOS $11,90", "CLAVOS $23,50",
             "TOTAL $35,40", "EFECTIVO $50,00", "CAMBIO $14,60"]  # fmt: skip
    assert detect_locales(lines).tags == ("es_ES",)
    assert corrector.extract(ocr_from_lines(lines)).fields["currency"].value == "USD"
    speck = [ln.replace("$", "") for ln in lines[:-1]] + ["CAMBIO $14,60"]
    assert corrector.extract(ocr_from_lines(speck)).fields["currency"].value == "EUR"
    # Malaysian tills print "$" for ringgit: the pack says so
    my = ["KEDAI MAKAN SRI", "GST ID: 001234567890", "JALAN TUN RAZAK, 50400 KUALA LUMPUR", "NASI LEMAK $5.50",
          "TEH TARIK $2.00", "TOTAL $7.50", "CASH $10.00", "CHANGE $2.50"]  # fmt: skip
    assert detect_locales(my).tags == ("ms_MY",)
    assert corrector.extract(ocr_from_lines(my)).fields["currency"].value == "MYR"


def test_r_dollar_read_as_rs_is_reais_not_rupees(corrector: DefaultTextCorrector) -> None:
    # OCR reads Brazil's R$ as RS, the base pack's rupee mark; rupees print a decimal point
    lines = ["PAO DE ACUCAR", "CNPJ 47.508.411/0001-56", "LEITE RS 4,99", "PAO RS 7,50", "TOTAL RS 12,49"]
    assert detect_locales(lines).tags == ("pt_BR",)
    assert corrector.extract(ocr_from_lines(lines)).fields["currency"].value == "BRL"
    assert score_locales(lines).get("en_IN", 0) == 0
    indian = ["SHARMA SWEETS", "KAJU BARFI RS. 450.00", "RASGULLA RS 120", "TOTAL RS. 1,05,570.00"]
    assert score_locales(indian)["en_IN"] > 0


def test_an_indonesian_street_read_with_an_i_for_its_l_still_names_the_country(
    corrector: DefaultTextCorrector,
) -> None:
    lines = ["RM SEDERHANA", "JI. Gatot Subroto No. 10", "Jakarta Selatan", "Nasi Rendang 1 35.000 35.000",
             "Total 56.100", "Tunai 100.000", "Kembalian 43.900", "20/05/2023 12:45"]  # fmt: skip
    assert "id_ID" in detect_locales(lines).tags
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].value == "56100.00"


def test_a_dollar_mark_with_its_sign_read_as_an_s_still_marks_the_amounts(corrector: DefaultTextCorrector) -> None:
    lines = ["WELLCOME", "Taikoo Place Store", "EGGS 10PCS HKS45.00", "TOTAL HKS86.40", "OCTOPUS HKS86.40"]
    fields = corrector.extract(ocr_from_lines(lines)).fields
    assert fields["total"].value == "86.40" and fields["currency"].value == "HKD"
    assert [a for a, _, _ in find_amounts("GLASS 3.50 MASS 12.00")] == [Decimal("3.50"), Decimal("12.00")]


def test_a_date_only_month_first_can_read_hints_at_the_us(corrector: DefaultTextCorrector) -> None:
    lines = ["GRAND CAFE", "SERVER: JAKE 12/17/2017", "Coffee 2.95", "Burger 13.95", "Total 16.90"]
    assert detect_locales(lines).hint == "en_US"
    assert corrector.extract(ocr_from_lines(lines)).fields["currency"].value == "USD"
    day_first = [ln.replace("12/17/2017", "17/12/2017") for ln in lines]
    assert detect_locales(day_first).hint is None
    assert "currency" not in corrector.extract(ocr_from_lines(day_first)).fields


def test_a_us_tills_tax_total_is_the_tax(corrector: DefaultTextCorrector) -> None:
    lines = ["WINGS & THINGS", "1717 DUTCH BROADWAY ELMONT, NY 11003", "15 WINGS 5.75", "CORN BREAD 3.00",
             "TXTL .75", "TOTL 9.50", "CASH 9.50", "CHNG .00"]  # fmt: skip
    assert corrector.extract(ocr_from_lines(lines)).fields["tax"].value == "0.75"


def test_the_words_before_an_owning_company_are_no_part_of_its_name(corrector: DefaultTextCorrector) -> None:
    for head in ("OWN BY: ", "OPERATED BY ", "DIMILIKI OLEH : ", "DIMILIKI: "):
        lines = [head + "KEDAI MAJU SDN BHD", "NO 5, JALAN MAWAR 2", "43000 KAJANG", "TOTAL 5.00"]
        assert corrector.extract(ocr_from_lines(lines)).fields["company"].value == "KEDAI MAJU SDN BHD"


def test_small_letters_a_name_read_as_zeros_or_capitals_come_back(corrector: DefaultTextCorrector) -> None:
    for text, name in (("Żabka Polska sp. z 0.0.", "Żabka Polska sp. z o.o."), ("MERCATOR d.O.o.", "MERCATOR d.o.o."),
                       ("Zabka Polska sp. 2 0.0.", "Zabka Polska sp. z o.o."),
                       ("ACME D.O.O.", "ACME D.O.O."), ("LidI Dienstleistung GmbH", "Lidl Dienstleistung GmbH"),
                       ("Louis XIV Cafe", "Louis XIV Cafe")):  # fmt: skip
        fields = corrector.extract(ocr_from_lines([text, "Ljubljana", "SKUPAJ 5,00 EUR"])).fields
        assert fields["company"].value == name


def _fields(corrector: DefaultTextCorrector, lines: list[str]) -> dict[str, str | None]:
    return {n: f.value for n, f in corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields.items()}


@pytest.mark.parametrize(
    ("tax_line", "total", "tax", "rate"),
    [
        ("MwSt 19% 7,12", "Gesamt 44,60 EUR", "7.12", "19.00"),  # the rate before the amount, one amount
        ("Enthaltene MwSt 19,0% 7,12", "Gesamt 44,60 EUR", "7.12", "19.00"),
        ("Moms 12% 4,78", "TOTALT 44,60", "4.78", "12.00"),
        ("ALV 14% 5,48", "YHTEENSÄ 44,60", "5.48", "14.00"),
        ("BTW 9% 3,68", "TOTAAL 44,60", "3.68", "9.00"),
    ],
)
def test_a_tax_line_printing_its_rate_is_the_tax_not_a_vat_tables_row(
    corrector: DefaultTextCorrector, tax_line: str, total: str, tax: str, rate: str
) -> None:
    items = ["2 Bier 8,40", "1 Schnitzel 16,90", "1 Spätzle 19,30"]
    fields = _fields(corrector, ["Gasthaus Linde", *items, total, tax_line])
    assert (fields.get("tax"), fields.get("tax_rate")) == (tax, rate)


def test_a_vat_tables_column_heads_still_head_a_table(corrector: DefaultTextCorrector) -> None:
    lines = ["REWE Markt GmbH", "BANANE 1,99 B", "MILCH 1,19 B", "SUMME EUR 3,18", "MwSt % Netto MwSt Brutto",
             "B= 7,0% 2,97 0,21 3,18"]  # fmt: skip
    assert _fields(corrector, lines).get("tax") != "2.97"  # no column of the table read as the tax


def test_german_and_dutch_street_abbreviations_keep_their_point(corrector: DefaultTextCorrector) -> None:
    de = _fields(corrector, ["REWE Markt GmbH", "Domstr. 20", "50668 Köln", "SUMME EUR 5,79", "12.03.2024"])
    assert de["address"] == "Domstr. 20 50668 Köln"  # not "Domstr, 20": the point ends the abbreviation
    # a Dutch postcode's letters are no phone's label (PH) ending the address
    nl = _fields(corrector, ["Albert Heijn", "Kalverstr. 92, 1012 PH Amsterdam", "05-03-2024", "TOTAAL 9,77",
                             "BTW 9% 0,81", "PIN 9,77"])  # fmt: skip
    assert nl["address"] == "Kalverstr. 92, 1012 PH Amsterdam"


def test_a_german_debit_card_is_a_card_however_named(corrector: DefaultTextCorrector) -> None:
    head = ["dm-drogerie markt GmbH + Co. KG", "Kaiserstr. 88", "76133 Karlsruhe", "Zahnpasta 1,45"]
    assert _fields(corrector, [*head, "SUMME EUR 1,45", "EC-Cash EUR 1,45"])["payment_method"] == "card"
    assert _fields(corrector, [*head, "Gesamt 1,45 EUR", "Bezahlt: EC-Karte"])["payment_method"] == "card"
    assert _fields(corrector, [*head, "SUMME EUR 1,45", "Bar EUR 2,00", "Rückgeld 0,55"])["payment_method"] == "cash"


def test_rounding_as_ocr_reads_it_and_no_word_that_merely_starts_alike() -> None:
    lex = default_lexicon()
    for label in ("ROUNDING ADJ", "Rounding", "ROUND ADJ", "ROUNO", "ROUR DING ADJUSTMENT", "ROUNDLNG"):
        assert lex.classify(label) == "rounding", label
    for label in ("VIN ROUGE BORDEAUX", "ROUTE 66 BURGER", "ROUX"):
        assert lex.classify(label) != "rounding", label


def test_a_town_named_like_a_label_stays_in_the_address(corrector: DefaultTextCorrector) -> None:
    lines = ["CONTINENTE", "Rua Joao Mendonca 505", "4464-503 Senhora da Hora", "NIF 502011475", "PAO 0,35",
             "TOTAL 0,35", "MULTIBANCO 0,35", "IVA 6% 0,02", "2024-03-14 10:12"]  # fmt: skip
    assert _fields(corrector, lines)["address"] == "Rua Joao Mendonca 505 4464-503 Senhora da Hora"


@pytest.mark.parametrize(
    ("lines", "address"),
    [
        # Austria and Switzerland have no pack of their own: their four-digit postcodes end nothing
        (["BILLA AG", "Mariahilfer Straße 120", "1070 Wien", "UID: ATU14305401", "Milch 1,29", "Brot 2,49",
          "SUMME EUR 3,78", "Bankomat EUR 3,78", "MwSt 10% 0,34", "14.03.2024 18:05 Kassa 2"],
         "Mariahilfer Straße 120 1070 Wien"),
        (["Migros", "Limmatplatz", "8005 Zürich", "CHE-105.829.940 MWST", "Milch 1.85", "Brot 3.20", "Total CHF 5.05",
          "Bar CHF 10.00", "Rückgeld CHF 4.95", "MWST 2.5% 0.12", "14.03.2024 18:05"],
         "Limmatplatz 8005 Zürich"),
        (["BILLA AG", "Mariahilfer Straße 120", "1070 Wien", "Milch 1,29", "Brot 2,49", "SUMME EUR 3,78",
          "Bankomat EUR 3,78", "14.03.2024 18:05 Kassa 2"],
         "Mariahilfer Straße 120 1070 Wien"),  # the items begin: a line ending in a price
    ],
)  # fmt: skip
def test_an_address_ends_at_a_tax_number_or_the_first_price(
    corrector: DefaultTextCorrector, lines: list[str], address: str
) -> None:
    assert _fields(corrector, lines)["address"] == address


@pytest.mark.parametrize(
    ("lines", "tax"),
    [
        (["NTUC FAIRPRICE CO-OPERATIVE LTD", "Singapore 560123", "MILO 1KG 12.95", "BREAD 2.40", "TOTAL 15.35",
          "NETS 15.35", "GST 9% INCL 1.27", "14/03/2024 18:05"], "1.27"),
        (["CADENA COMERCIAL OXXO S.A. DE C.V.", "CIUDAD DE MEXICO", "1 COCA COLA 600ML 18.00", "1 SABRITAS 19.50",
          "TOTAL $37.50", "EFECTIVO $50.00", "CAMBIO $12.50", "IVA INCLUIDO $5.17"], "5.17"),
        # read by a recognizer unsurely, VATable is a receipt word, not "Vat able": the sales it taxes are no tax
        (["SM SUPERMARKET", "Mandaluyong City 1550", "RICE 5KG 250.00", "SARDINES 25.50", "TOTAL 275.50",
          "CASH 300.00", "CHANGE 24.50", "VATable Sales 245.98", "VAT Amount 29.52", "03/14/2024 18:05"], "29.52"),
    ],
)  # fmt: skip
def test_the_tax_a_total_includes_in_other_words(corrector: DefaultTextCorrector, lines: list[str], tax: str) -> None:
    assert _fields(corrector, lines).get("tax") == tax


@pytest.mark.parametrize(
    ("lines", "tax"),
    [
        # rate code, rate, net, tax; a zero-rated row adds its net
        (["TESCO", "Welwyn Garden City AL7 1GA", "MILK 1.45", "BREAD 1.10", "RED WINE 6.50", "TOTAL 9.05",
          "VISA 9.05", "VAT RATE NET VAT", "A 20.00% 5.42 1.08", "Z 0.00% 2.55 0.00", "14/04/23 18:32"], "1.08"),
        # rate, base, tax, and the table's own total row
        (["MERCADONA, S.A.", "28013 MADRID", "LECHE 0,89", "PAN 0,45", "TOMATE 2,40", "TOTAL (€) 3,74",
          "TARJETA BANCARIA 3,74", "IVA BASE IMPONIBLE (€) CUOTA (€)", "4% 3,60 0,14", "TOTAL 3,60 0,14"], "0.14"),
        # two rates
        (["Pingo Doce", "1649-033 Lisboa", "PAO 1,00", "QUEIJO 4,35", "VINHO 7,00", "TOTAL A PAGAR 12,35",
          "MULTIBANCO 12,35", "Taxa Base IVA", "6% 5,05 0,30", "23% 5,69 1,31", "21-09-2023 12:04"], "1.61"),
        # gross before tax
        (["EDEKA Müller", "80331 München", "Apfel 2,49 B", "Käse 4,99 B", "SUMME EUR 7,48", "Bar 10,00",
          "Rückgeld 2,52", "MwSt Brutto MwSt", "B 7% 7,48 0,49", "10.02.2023 11:22"], "0.49"),
        # labelled rows: not the first rate's tax but both
        (["HOFER KG", "4642 Sattledt", "Brot 2,99 A", "Butter 3,49 A", "Bier 8,89 B", "Summe EUR 15,37",
          "Bar 20,00", "Zurück 4,63", "A 10% Netto 5,90 MwSt 0,58", "B 20% Netto 7,41 MwSt 1,48"], "2.06"),
    ],
)  # fmt: skip
def test_a_vat_tables_rows_are_the_tax_where_no_line_labels_it(
    corrector: DefaultTextCorrector, lines: list[str], tax: str
) -> None:
    assert _fields(corrector, lines).get("tax") == tax


def test_only_rows_that_make_the_total_are_a_vat_table(corrector: DefaultTextCorrector) -> None:
    head = ["EDEKA Müller", "80331 München", "Apfel 2,49 B", "Käse 4,99 B", "SUMME EUR 7,48", "Bar 10,00"]
    assert "tax" not in _fields(corrector, [*head, "B 7% 3,99 0,28"])  # a row of a part of the bill
    assert "tax" not in _fields(corrector, [*head, "Rabatt 10% 6,80 0,68"])  # a discount's rate


def test_two_taxes_of_one_rate_are_no_tip_guide(corrector: DefaultTextCorrector) -> None:
    lines = ["Veg Pizza 299.00", "Coke 60.00", "CGST @ 2.5% 8.98", "SGST @ 2.5% 8.98", "Grand Total 376.96"]
    assert _fields(corrector, lines).get("tax") is not None


def test_a_japanese_brand_keeps_its_branch_and_whole_yen_prices_are_items(corrector: DefaultTextCorrector) -> None:
    lines = ["ファミリーマート", "渋谷店", "2024年3月15日(金) 12:34", "おにぎり ¥150", "弁当 ¥1,000", "合計 ¥1,150"]
    fields = _fields(corrector, lines)
    assert fields["company"] == "ファミリーマート渋谷店"  # the brand chosen, its branch under it
    assert "address" not in fields  # no address printed: the items are none


def test_a_two_letter_payment_label_is_a_label(corrector: DefaultTextCorrector) -> None:
    # as a faded print was read: the total's 0 read as 6; the card's amount (CB) mends it
    lines = ["CARREFOUR MARKET", "75002 PARIS", "BAGUETTE TRADITION 1,20", "CAMEMBERT PRESIDENT 2,36",
             "VIN ROUGE BORDEAUX 6,98", "TOTAL A PAYER 16,45 EUR", "CB 10,45", "TOTAL TVA 1,34"]  # fmt: skip
    fields = _fields(corrector, lines)
    assert (fields["total"], fields["paid"], fields["payment_method"]) == ("10.45", "10.45", "card")
    # a tax code of two letters is still no label ("SR" beside a Malaysian item)
    assert _fields(corrector, ["KEDAI MAJU", "BOLT 5.00 SR", "SR 5.00", "TOTAL 5.00"]).get("paid") is None


@pytest.mark.parametrize(
    ("lines", "address"),
    [
        (["HAMPTON INN & SUITES", "1200 Ocean Blvd", "Myrtle Beach, SC 29577", "Guest Folio", "Room 312",
          "Total Charges 412.36"], "1200 Ocean Blvd Myrtle Beach, SC 29577"),
        (["THE FOX & HOUND", "12 High Street", "Oxford OX1 4AA", "Wine Bar & Kitchen", "Total 23.40"],
         "12 High Street Oxford OX1 4AA"),
    ],
)  # fmt: skip
def test_an_english_speaking_countrys_address_ends_with_its_postcode(
    corrector: DefaultTextCorrector, lines: list[str], address: str
) -> None:
    assert _fields(corrector, lines)["address"] == address


def test_a_digit_between_a_names_letters_is_the_letter_it_looks_like_in_any_language(
    corrector: DefaultTextCorrector,
) -> None:
    lines = ["DELHA1ZE", "Rue Osseghem 53", "1080 Bruxelles", "PAIN 1,20", "TOTAL 1,20", "14/03/2024"]
    assert _fields(corrector, lines)["company"] == "DELHAIZE"
    polish = ["Żabka Po1ska sp. z o.o.", "ul. Stanisława Matyi 8", "61-586 Poznań", "SUMA PLN 4,99"]
    assert _fields(corrector, polish)["company"] == "Żabka Polska sp. z o.o."
    # typed text is as printed; a number is no letter ("REMA 1000", "A101")
    assert corrector.extract(ocr_from_lines(lines)).fields["company"].value == "DELHA1ZE"
    from icr.text.spelling import letters_for_digits

    for name in ("REMA 1000", "A101", "7-ELEVEN", "Room1", "H2O"):
        assert letters_for_digits(name, {"0": "o", "1": "il"}) == name
    assert letters_for_digits("W0olw0rths MART1NS", {"0": "o", "1": "il"}) == "Woolworths MARTINS"


def test_a_total_converted_to_another_currency_is_not_the_total(corrector: DefaultTextCorrector) -> None:
    lines = ["Coop Pronto", "Bahnhofplatz 1", "3011 Bern", "03.05.2024 10:12", "Sandwich 6.90", "Wasser 2.40",
             "Schokolade 14.50", "Total CHF 23.80", "Total EUR 24.35"]  # fmt: skip
    assert _fields(corrector, [*lines, "Bezahlt Karte CHF 23.80"])["total"] == "23.80"  # the currency paid in
    assert _fields(corrector, [*lines, "Bar 50.00", "Rückgeld CHF 26.20"])["total"] == "23.80"  # marked most


def test_a_french_shopping_centre_is_an_address_not_the_name(corrector: DefaultTextCorrector) -> None:
    lines = ["LECLERC", "Centre Commercial", "29200 BREST", "Le 05/04/24 à 11:02", "POULET 12,80", "TOTAL 12,80 €"]
    fields = _fields(corrector, lines)
    assert (fields["company"], fields["address"]) == ("LECLERC", "Centre Commercial 29200 BREST")


def test_a_gulf_tax_registration_number_ends_the_address(corrector: DefaultTextCorrector) -> None:
    lines = ["LuLu Hypermarket", "Al Barsha, Dubai", "TRN 100234567800003", "14/03/2024 18:22", "Milk 7.50",
             "Total AED 7.50", "Card 7.50"]  # fmt: skip
    fields = _fields(corrector, lines)
    assert (fields["address"], fields["tax_id"]) == ("Al Barsha, Dubai", "100234567800003")
    # a Malaysian till's TRN is its transaction's number
    malaysian = ["KEDAI MAJU SDN BHD", "NO 12, JALAN MAWAR 3,", "47400 PETALING JAYA", "TRN: CR0007636", "TOTAL 3.50"]
    assert "tax_id" not in _fields(corrector, malaysian)


@pytest.mark.parametrize(
    ("lines", "currency"),
    [
        (["NAIVAS LIMITED", "Moi Avenue, Nairobi", "BREAD 60.00", "TOTAL KSH 60.00"], "KES"),
        (["SHOPRITE", "Lekki Mall, Lagos", "MILO 6,000.00", "TOTAL ₦6,000.00"], "NGN"),
        (["Panda Retail Company", "Riyadh", "VAT No 300012345600003", "Milk 7.50", "Total SAR 7.50"], "SAR"),
        # a legal form or an item named like a currency's code is none
        (["KEDAI MAJU SDN BHD", "NO 12, JALAN MAWAR 3,", "47400 PETALING JAYA", "PEN 1.20", "TOTAL RM 1.20"], "MYR"),
    ],
)  # fmt: skip
def test_a_currency_printed_by_its_code_or_sign_where_no_pack_knows_the_country(
    corrector: DefaultTextCorrector, lines: list[str], currency: str
) -> None:
    assert _fields(corrector, lines)["currency"] == currency


def test_indian_central_and_state_taxes_together_are_the_tax(corrector: DefaultTextCorrector) -> None:
    head = ["DOMINO'S PIZZA", "Sector 18, Noida 201301", "GSTIN: 09AAACD3979E1ZA", "Date: 15/06/2023",
            "Veg Pizza 299.00", "Coke 60.00"]  # fmt: skip
    taxes = ["CGST @ 2.5% 8.98", "SGST @ 2.5% 8.98", "Round Off 0.04", "Grand Total 377.00"]
    # the taxable amount is the net they are levied on; the two settle it with the round-off
    fields = _fields(corrector, [*head, "Taxable Amount 359.00", *taxes])
    assert (fields["subtotal"], fields["tax"], fields["total"]) == ("359.00", "17.96", "377.00")


def test_a_whole_amount_with_a_dash_for_its_cents(corrector: DefaultTextCorrector) -> None:
    from icr.text.parsers import find_amounts

    assert [a for a, _, _ in find_amounts("SUMME 12,-")] == [Decimal("12.00")]
    assert [a for a, _, _ in find_amounts("Total CHF 1'234.–")] == [Decimal("1234.00")]
    assert [a for a, _, _ in find_amounts("Gutschrift 12,50-")] == [Decimal("-12.50")]  # a minus after cents
    head = ["Gasthaus Linde", "Lindenweg 3", "79098 Freiburg", "14.09.2023", "Schnitzel 16,-", "Bier 4,-"]
    assert _fields(corrector, [*head, "Gesamt 20,-", "Bar 20,-"])["total"] == "20.00"


def test_a_count_of_items_inside_a_total_label_is_no_part_of_it(corrector: DefaultTextCorrector) -> None:
    head = ["7-ELEVEN", "CP ALL PUBLIC COMPANY LIMITED", "WATER 7.00", "SANDWICH 45.00", "COFFEE 7.00"]
    assert _fields(corrector, [*head, "TOTAL 5 ITEMS 59.00", "07/07/2023 22:05"])["total"] == "59.00"
    german = ["PENNY Markt GmbH", "Domstr. 20", "50668 Köln", "Milch 1,19", "Käse 3,99", "SUMME 2 ARTIKEL 5,18"]
    assert _fields(corrector, german)["total"] == "5.18"
    # the count after the words is the count's own value, no total
    assert _fields(corrector, [*head, "SUBTOTAL 59.00", "TOTAL ITEMS 5"]).get("total") == "59.00"


def test_a_brazilian_nfce_title_ends_the_address(corrector: DefaultTextCorrector) -> None:
    lines = ["SUPERMERCADO PAO DE ACUCAR", "CNPJ: 47.508.411/0001-56", "AV. PAULISTA, 1000 - BELA VISTA",
             "SAO PAULO - SP", "Documento Auxiliar da Nota Fiscal de Consumidor Eletronica", "ARROZ 5KG 24,90",
             "Valor total R$ 24,90", "Emissao: 14/03/2024 18:05:12"]  # fmt: skip
    assert _fields(corrector, lines)["address"] == "AV. PAULISTA, 1000 BELA VISTA SAO PAULO SP"


def test_payment_words_a_speller_does_not_split_and_new_zealand_dollars(corrector: DefaultTextCorrector) -> None:
    # read unsurely, EFTPOS and Contactless were spelled "EFT POS" and "Contact less": no payment
    uk = _fields(corrector, ["Boots UK Limited", "Oxford Street", "London W1C 1DB", "Serum £24.95",
                             "TOTAL TO PAY £24.95", "Contactless £24.95", "14/03/2024 12:01"])  # fmt: skip
    assert (uk.get("paid"), uk.get("payment_method")) == ("24.95", "card")
    nz = _fields(corrector, (GOLDEN / "en_NZ.txt").read_text().splitlines())
    assert (nz.get("currency"), nz.get("paid"), nz.get("tax")) == ("NZD", "6.40", "0.83")
