"""Tax and company numbers checked by their check digits (python-stdnum, the schemes in the locale
packs): golden pairs of a receipt's lines and the number, the confidence of a number that fails its
check, and the packs' schemes validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from icr.errors import LocaleError
from icr.text.fields import extract_tax_id
from icr.text.lines import Line
from icr.text.locales import detect_locales, lexicon_for, load_packs
from icr.text.parsers import ParseOptions
from icr.text.scoring import load_scoring
from icr.text.taxids import checked_number

GOLDEN = [
    # (a receipt's lines, the number in stdnum's compact form)
    (["REWE Markt GmbH", "Schönhauser Allee 80", "10439 Berlin", "UID Nr.: DE812706034", "SUMME EUR 3,19"],
     "DE812706034"),
    (["TESCO STORES LTD", "Cowley Road, Oxford", "VAT NO: GB 220 4302 31", "BALANCE DUE £12.40"], "GB220430231"),
    (["Woolworths Group Limited ABN 88 000 014 675", "TOTAL $15.30", "Total includes GST of $0.00"],
     "88000014675"),
    (["DELHAIZE", "Rue Osseghem 53, 1080 Bruxelles", "TVA BE 0402.206.045", "TOTAL EUR 9,35"], "BE0402206045"),
    (["COOP ITALIA", "Via Roma 1, 40121 Bologna", "P.IVA 03503411203", "TOTALE COMPLESSIVO 4,67"], "03503411203"),
    (["ICA Supermarket", "Storgatan 1, 111 22 Stockholm", "Org.nr 556123-4567", "ATT BETALA 87,50"], "5561234567"),
    (["Carrefour", "CNPJ 47.508.411/0001-56", "TOTAL R$ 25,90"], "47508411000156"),
    # a company register's number (check digits as stdnum knows them; made-up numbers that pass)
    (["PIEKARNIA KOWALSKI SP. Z O.O.", "ul. Długa 5, 00-001 Warszawa", "REGON 123456785", "SUMA PLN 4,50"],
     "123456785"),
    (["CORNER CAFE PTY LTD", "ACN 004 000 408", "12 George St, Sydney NSW 2000", "TOTAL $8.50"], "004000408"),
    (["Kohvik OÜ", "Reg. kood 10123459", "Tartu mnt 1, 10115 Tallinn", "KOKKU 5,40 EUR"], "10123459"),
    (["KAHVE DURAĞI LTD. ŞTİ.", "VKN 1234567890", "İstiklal Cad. 1, Beyoğlu İstanbul", "TOPLAM ₺45,00"],
     "1234567890"),
    # the label ends its line; the number is on the next
    (["DELHAIZE", "Rue Osseghem 53, 1080 Bruxelles", "N° TVA", "BE 0402.206.045", "TOTAL EUR 9,35"],
     "BE0402206045"),
]


@pytest.mark.parametrize(("lines", "number"), GOLDEN, ids=[g[1] for g in GOLDEN])
def test_a_labelled_number_whose_check_digits_agree_is_taken_for_sure(lines: list[str], number: str) -> None:
    lex = lexicon_for(detect_locales(lines).tags)
    found = extract_tax_id([Line(i, t, 0.98) for i, t in enumerate(lines)], ParseOptions(lexicon=lex))
    assert found is not None and found.value == number
    assert found.confidence == pytest.approx(load_scoring().tax_id.checked * 0.98, abs=1e-3)


def test_a_number_that_fails_its_check_is_kept_as_read_but_unsure() -> None:
    lines = ["REWE Markt GmbH", "10439 Berlin", "USt-IdNr. DE812706035", "SUMME EUR 3,19"]  # one digit misread
    lex = lexicon_for(detect_locales(lines).tags)
    assert lex.own_tax_ids
    found = extract_tax_id([Line(i, t, 1.0) for i, t in enumerate(lines)], ParseOptions(lexicon=lex))
    assert found is not None and found.value == "DE812706035"
    assert found.confidence == pytest.approx(load_scoring().tax_id.check_failed)


def test_where_the_country_has_no_scheme_a_number_is_as_sure_as_before() -> None:
    lines = ["KEDAI MAJU SDN BHD", "NO 3, JALAN SATU, TAMAN DUA", "43000 KAJANG, SELANGOR", "GST NO: 000689913856",
             "TOTAL RM 5.00"]  # fmt: skip
    lex = lexicon_for(detect_locales(lines).tags)
    assert not lex.own_tax_ids and lex.tax_id_schemes == ("eu.vat",)
    found = extract_tax_id([Line(i, t, 1.0) for i, t in enumerate(lines)], ParseOptions(lexicon=lex))
    assert found is not None and found.value == "000689913856"
    assert found.confidence == pytest.approx(load_scoring().tax_id.unchecked)


def test_a_tax_line_or_an_amount_after_the_label_is_no_number() -> None:
    assert checked_number(" 20% 2.50 12.50", ("gb.vat", "eu.vat")) is None
    assert checked_number(" INCL 14.73", ("au.abn",)) is None
    # amounts run together are no number, whatever scheme would take their digits
    assert checked_number(" 6% 12.50 0.75 13.25", ("de.vat", "gb.vat", "de.stnr")) is None
    # the first run that checks, past the label's own words
    assert checked_number(" Reg. No.: 220 4302 31 Tel 01865 123456", ("gb.vat",)) == "220430231"


def test_with_no_country_chosen_only_numbers_that_name_their_country_are_checked() -> None:
    lines = ["THE SHELBOURNE", "VAT No IE 1234567T", "TOTAL 12.00"]
    lex = lexicon_for(detect_locales(lines).tags)
    assert lex.tax_id_schemes == ("eu.vat",)
    found = extract_tax_id([Line(i, t, 1.0) for i, t in enumerate(lines)], ParseOptions(lexicon=lex))
    assert found is not None and found.value == "IE1234567T"


def test_an_unknown_scheme_names_the_pack_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("tag: base\n", encoding="utf-8")
    (tmp_path / "xx_XX.yaml").write_text("tag: xx_XX\ntax_id_schemes: [xx.vatt]\n", encoding="utf-8")
    with pytest.raises(LocaleError, match=r"xx_XX\.yaml: key 'tax_id_schemes.*xx\.vatt"):
        load_packs(tmp_path)
