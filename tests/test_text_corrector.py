"""The text corrector: spelling, masking, review flags, the fake, and the SROIE figures."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from icr.config import load_settings
from icr.errors import ConfigError
from icr.stages import TextCorrector
from icr.text import ocr_from_lines
from icr.text.amounts import SUGGESTED, AmountHit, choose_amounts, labelled_amounts
from icr.text.corrector import DefaultTextCorrector, FakeTextCorrector
from icr.text.lines import document_lines
from icr.text.spelling import SpellingCorrector, shared_corrector

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


@pytest.fixture(scope="module")
def speller() -> SpellingCorrector:
    return shared_corrector(("subtotal", "rounding"))


def test_spelling_fixes_words(speller: SpellingCorrector) -> None:
    assert speller.correct_text("TOTAI AMOUNT") == "TOTAL AMOUNT"
    assert speller.correct_text("Roundlng adjustment") == "Rounding adjustment"


def test_the_plural_of_a_known_word_is_known(speller: SpellingCorrector) -> None:
    assert speller.known("HYPERMARKETS") and speller.known("boxes") and not speller.known("HYPERMARKETZ")
    assert speller.mend_sure_name("MAJID AL FUTTAIM HYPERMARKETS LLC") == "MAJID AL FUTTAIM HYPERMARKETS LLC"


def test_digits_read_for_letters_become_the_word_they_spell() -> None:
    speller = SpellingCorrector(("subtotal",), english_words=30000, lookalikes={"0": "o", "1": "il"})
    fixed = {"Gr111": "Grill", "Tota1": "Total", "C1osed": "Closed", "C0FFEE": "COFFEE", "B1vd": "Blvd"}
    for read, word in fixed.items():
        assert speller.lookalike_word(read) == word
    # codes in capitals, a known word numbered, digits with no letter to stand for, too short
    for kept in ("SE11", "GR111", "TAX1", "Room1", "A101", "X5ml", "12pc", "B1G"):
        assert speller.lookalike_word(kept) == kept
    read = "Harbor Gr111 Tota1 10.00 TAX1 0.70"
    assert speller.correct_lookalikes(read) == "Harbor Grill Total 10.00 TAX1 0.70"
    assert SpellingCorrector(("subtotal",), english_words=2000).correct_lookalikes("Gr111") == "Gr111"  # none given
    with pytest.raises(ConfigError, match=r"lookalike_digits\.12"):
        load_settings(overrides={"text_corrector": {"lookalike_digits": {"12": "il"}}})


def test_a_company_read_with_digits_for_letters_is_spelled_right(corrector: DefaultTextCorrector) -> None:
    lines = ["Harbor Gr111", "12 Elm Street", "Springfield, PA 19000", "TAX1 0.70", "Tota1 10.70"]
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields
    assert fields["company"].value == "Harbor Grill"
    assert fields["total"].value == "10.70" and fields["tax"].value == "0.70"
    sure = corrector.extract(ocr_from_lines(lines, confidence=0.995)).fields  # a neural engine's sure slip
    assert sure["company"].value == "Harbor Grill"
    typed = corrector.extract(ocr_from_lines(lines)).fields  # a transcript is as printed
    assert typed["company"].value != "Harbor Grill"


def test_spelling_can_keep_only_the_most_frequent_english_words() -> None:
    small = SpellingCorrector(("subtotal",), english_words=2000)
    assert small.known("the") and small.known("subtotal")  # the receipt vocabulary is always kept
    assert not small.known("glossed")  # word ~50,000 of the frequency list
    assert small.correct_text("TOTAI") == "TOTAL"


def test_a_built_dictionary_is_cached_and_a_broken_cache_file_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICR_CACHE_DIR", str(tmp_path))
    first = SpellingCorrector(("kedai",), english_words=2000)
    [cached] = tmp_path.glob("spelling-*.pickle")
    again = SpellingCorrector(("kedai",), english_words=2000)
    assert again.known("kedai")
    assert again.correct_text("KEDAA TOTAI") == first.correct_text("KEDAA TOTAI") == "KEDAI TOTAL"
    other = SpellingCorrector(("runcit",), english_words=2000)  # another vocabulary: another file
    assert other.known("runcit") and not other.known("kedai")
    assert len(list(tmp_path.glob("spelling-*.pickle"))) == 2
    cached.write_bytes(b"not a pickle")
    assert SpellingCorrector(("kedai",), english_words=2000).known("kedai")
    monkeypatch.setenv("ICR_CACHE_DIR", "")  # switched off: nothing written
    SpellingCorrector(("roti",), english_words=2000)
    assert len(list(tmp_path.glob("spelling-*.pickle"))) == 2


def test_addresses_are_corrected_against_the_place_words_only_for_a_misread_letter() -> None:
    places = SpellingCorrector((), english_words=2000, places=("subang", "perdana", "tampoi", "wangsa", "setar"))
    assert not places.known("subang")  # place words are for addresses only, not every correction
    fix = places.correct_address
    assert fix("Jalan Suaang Percana, 40150") == "Jalan Subang Perdana, 40150"
    assert fix("KAWASAN TAMPOL,81200") == "KAWASAN TAMPOI,81200"  # glued to a comma and postcode
    assert fix("JALAN ANGSA") == "JALAN ANGSA"  # a letter missing is no misreading: not WANGSA
    assert fix("TAMAN XETAR") == "TAMAN XETAR"  # the first letter is never changed
    assert fix("TAMPOL2") == "TAMPOL2"  # a word touching a digit stays
    assert fix("THE STORE") == "THE STORE"  # English words stay
    assert SpellingCorrector((), english_words=100).correct_address("Suaang") == "Suaang"  # no place list


def test_names_get_a_letter_ocr_confuses_back_only_for_a_vocabulary_word() -> None:
    speller = SpellingCorrector(("kedai", "runcit", "roti", "mart", "baitx", "batix"), english_words=2000)
    assert speller.correct_name("KEDAT RUNCIT MAJU") == "KEDAI RUNCIT MAJU"
    assert speller.correct_name("99 SPEED NART S/B") == "99 SPEED MART S/B"  # M read as N
    assert speller.correct_name("Kedal Runcit") == "Kedai Runcit"
    assert speller.correct_name("ROTL") == "ROTI"
    assert speller.correct_name("BATTX") == "BATTX"  # BAITX or BATIX: no telling which
    assert speller.correct_name("MOTT STORE") == "MOTT STORE"  # no vocabulary word one I away
    assert speller.correct_name("KET") == "KET"  # too short to tell


def test_a_name_is_spelled_as_the_receipt_prints_it_elsewhere(speller: SpellingCorrector) -> None:
    page = [("SANYO", 0.95), ("STATIONERY", 0.96), ("SANYU", 0.92), ("SUPPLY", 0.9), ("www.Sanyu.Stationery", 0.89)]
    assert speller.respell_from_document("SANYO STATIONERY SHOP", page) == "SANYU STATIONERY SHOP"
    assert speller.respell_from_document("Sanyo Stationery", page) == "Sanyu Stationery"
    # printed once elsewhere, or no more often than the name's own spelling: kept
    once = [("SANYO", 0.95), ("SANYU", 0.92)]
    assert speller.respell_from_document("SANYO STATIONERY SHOP", once) == "SANYO STATIONERY SHOP"
    # the other spellings read without confidence do not count
    faint = [("SANYO", 0.95), ("SANYU", 0.5), ("SANYU", 0.6)]
    assert speller.respell_from_document("SANYO STATIONERY SHOP", faint) == "SANYO STATIONERY SHOP"
    # two competing spellings: no telling
    split = [*page, ("SANYA", 0.9), ("SANYA", 0.9)]
    assert speller.respell_from_document("SANYO STATIONERY SHOP", split) == "SANYO STATIONERY SHOP"
    # a dictionary word stays ("FRESH" is not "FRESA" however often that is printed)
    assert speller.respell_from_document("YAM FRESH", [("FRESA", 0.9), ("FRESA", 0.9)]) == "YAM FRESH"
    # place words count too: a name often holds one ("BUKIT TNDAH" for BUKIT INDAH)
    places = SpellingCorrector(("kedai",), english_words=2000, places=("indah", "bukit"))
    assert places.correct_name("THE WOK KITCH BUKIT TNDAH") == "THE WOK KITCH BUKIT INDAH"


def test_typed_text_keeps_its_names_as_printed_and_ocr_gets_them_corrected(corrector: DefaultTextCorrector) -> None:
    read = ["ADVANCO COMPANY", "NO 5, JALAN KENARI 2,", "47000 SUNGAI BULOH", "TOTAL 5.00"]
    # typed (a transcript, a PDF's text layer): an unusual name is no misreading
    assert corrector.extract(ocr_from_lines(read, confidence=1.0)).fields["company"].value == "ADVANCO COMPANY"
    # read by OCR: one letter from a word, so put right
    assert corrector.extract(ocr_from_lines(read, confidence=0.8)).fields["company"].value == "ADVANCE COMPANY"


def test_a_name_read_with_its_spaces_left_out_is_parted_into_its_words(corrector: DefaultTextCorrector) -> None:
    read = ["SANYUSTATIONERYSHOP", "NO 5, JALAN KENARI 2,", "47000 SUNGAI BULOH", "TOTAL 5.00"]
    # read surely by a line recognizer: not respelled, but parted (the unknown head is the name)
    assert corrector.extract(ocr_from_lines(read, confidence=0.999)).fields["company"].value == "SANYU STATIONERY SHOP"
    assert corrector.extract(ocr_from_lines(read, confidence=1.0)).fields["company"].value == "SANYUSTATIONERYSHOP"
    assert corrector.speller is not None
    part = corrector.speller.mend_sure_name
    assert part("TONYMOLY VIVA CITY") == "TONYMOLY VIVA CITY"  # short: a brand, not two words
    assert part("HARDWAREENTERPRISE SDN BHD") == "HARDWARE ENTERPRISE SDN BHD"
    assert part("XQZWVBKJHGFDSA") == "XQZWVBKJHGFDSA"  # no known word in it
    assert part("AIK HUAT HARDWAKE") == "AIK HUAT HARDWARE"  # one letter from a receipt word
    assert part("LANDFALL RESTAURANT") == "LANDFALL RESTAURANT"  # one from an English word only


def test_shipped_place_words_mend_common_address_misreadings(corrector: DefaultTextCorrector) -> None:
    assert corrector.speller is not None
    fix = corrector.speller.correct_address
    assert fix("NO 3, JALAN HARMONT 3/2, KAWASEN PERINOUSTRIAN, 47400 PETALING JAYA SETANGOR") == (
        "NO 3, JALAN HARMONI 3/2, KAWASAN PERINDUSTRIAN, 47400 PETALING JAYA SELANGOR"
    )
    assert fix("TAMAN SEGAR, 56100 CHERAS") == "TAMAN SEGAR, 56100 CHERAS"  # a Malay word, not SETAR


def test_a_slogan_between_the_name_and_its_phone_is_no_address(corrector: DefaultTextCorrector) -> None:
    lines = ["Walmart", "Save money. Live better.", "( 479 ) 273 - 4134", "MANAGER JOHN SMITH", "2110 W WALNUT ST",
             "ROGERS AR 72756", "ST# 0100 OP# 009054", "BANANAS 0.54", "SUBTOTAL 0.54", "TOTAL 0.54"]  # fmt: skip
    assert corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields["address"].value == (
        "2110 W WALNUT ST ROGERS AR 72756"
    )


def test_a_store_number_is_no_zip_code_and_a_numbered_road_is_a_street(corrector: DefaultTextCorrector) -> None:
    lines = ["STARBUCKS Store #10123", "1912 Pike Place", "Seattle, WA 98101", "CHK 714231", "Latte 5.25",
             "Total $5.25"]  # fmt: skip
    assert corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields["company"].value.startswith("STARBUCKS")
    lines = ["JOE'S DINER", "123 Route 9", "Fishkill, NY 12524", "Tel 845-555-0123", "Coffee 5.00", "Total 5.00"]
    assert corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields["address"].value == (
        "123 Route 9 Fishkill, NY 12524"
    )


def test_a_chains_restaurant_number_and_a_street_with_no_kind(corrector: DefaultTextCorrector) -> None:
    lines = ["McDonald's", "Restaurant #12345", "500 Broadway", "New York, NY 10012", "TEL# 212-555-0199",
             "1 Big Mac 5.99", "Subtotal 5.99", "Tax 0.53", "Total 6.52"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.995)).fields
    assert fields["company"].value.startswith("McDonald's")  # not "Restaurant": its kind and number
    assert fields["address"].value == "500 Broadway New York, NY 10012"


@pytest.mark.parametrize(
    ("read", "address"),
    [
        (
            "No.1, Jln Puteri 1/6, 47100 Puchong, Selangor Outlet:03-80626265 Care:03-5638",
            "No.1, Jln Puteri 1/6, 47100 Puchong, Selangor",
        ),
        (
            "12, Jalan Tampoi 7/4, 81200 Johor Bahru, Johor TAXINVOICE Invoice # :OR1803",
            "12, Jalan Tampoi 7/4, 81200 Johor Bahru, Johor",
        ),
        (
            "LOT NO. 623, GIANT KELANA JAYA : LOT PT244, JLN SS6/4 , PETALING",
            "LOT NO. 623, GIANT KELANA JAYA LOT PT244, JLN SS6/4 PETALING",
        ),
        ("Bdr Dato’ Onn 81100 Johor Bahru, Johor e", "Bdr Dato' Onn 81100 Johor Bahru, Johor"),
        ("10-18,JLN KEBUDAYAAN 16,TMN U 81300 JOHOR BAHRU. ,", "10-18,JLN KEBUDAYAAN 16,TMN U 81300 JOHOR BAHRU."),
        ("123 Main St", "123 Main St"),
        # OCR's comma for the last point of initials before a number; a misread TMN after a hyphen
        ("LOT P.T, 2811, JALAN ANGSA, 1237-THN INDAH", "LOT P.T. 2811, JALAN ANGSA, 1237-TMN INDAH"),
        ("41050 KLANG SELANGOR D.E, MALAYSIA", "41050 KLANG SELANGOR D.E, MALAYSIA"),
        # the house-number word and a 1 inside a house number misread; a quote after the last word
        ("NQ.9, JALAN MANIS 3, 56100 KUALA LUMPUR.", "NO.9, JALAN MANIS 3, 56100 KUALA LUMPUR."),
        ("NO, 89&91, JALAN UTAMA, 81300 SKUDAI", "NO. 89&91, JALAN UTAMA, 81300 SKUDAI"),
        ("NO,1 JALAN PUTERI 7/10", "NO,1 JALAN PUTERI 7/10"),  # printed so (no space): kept
        ("4]-1, JLN RADIN ANUM 2, SRI PETALING", "41-1, JLN RADIN ANUM 2, SRI PETALING"),
        ("43200 CHERAS, SEL.”", "43200 CHERAS, SEL."),
        ("BANDAR SRI D'SARA, 52000 KL", "BANDAR SRI D'SARA, 52000 KL"),
        # a last lower-case l read as "!" or "]"; an upper-case one stays (I or L: no telling)
        ("Lot F36, First Floor, Aeon Mal! Bdr Dato' Onn", "Lot F36, First Floor, Aeon Mall Bdr Dato' Onn"),
        ("Jalan Kebun] 3, 43000 Kajang", "Jalan Kebunl 3, 43000 Kajang"),
        ("JALAN KEBUN] 3, 43000 KAJANG", "JALAN KEBUN] 3, 43000 KAJANG"),
    ],
)
def test_an_address_ends_before_a_phone_number_or_the_title_and_loses_specks(read: str, address: str) -> None:
    from icr.text.header import clean_address

    assert clean_address(read) == address


@pytest.mark.parametrize("token", ["T0TAL", "12.5O", "CS00012345", "RM1O.00", "l2/O3/2018", "A1B2C", "TOTAI1"])
def test_spelling_never_touches_tokens_with_digits(speller: SpellingCorrector, token: str) -> None:
    assert speller.correct_word(token) == token
    assert speller.correct_text(f"TOTAI {token} CHANGF").split()[1] == token


def test_extraction_types_and_protocol(corrector: DefaultTextCorrector) -> None:
    assert isinstance(corrector, TextCorrector)
    assert corrector.name == "default"
    ex = corrector.extract(
        ocr_from_lines(
            [
                "ACME HARDWARE SDN BHD",
                "1 JALAN SATU, 50000 KUALA LUMPUR",
                "DATE: 04/07/2013 19:28",
                "NAILS 12.59",
                "TOTAI 12.59",
                "CASH 20.00",
                "CHANGE 7.41",
            ],
            confidence=0.9,  # read by OCR: typed text is never respelled
        )
    )
    total = ex.fields["total"]
    assert total.value == "12.59" and total.typed == Decimal("12.59")
    assert ex.fields["date"].typed == dt.date(2013, 7, 4) and ex.fields["date"].value == "2013-07-04"
    assert ex.fields["time"].value == "19:28" and ex.fields["time"].typed == dt.time(19, 28)
    assert 0 < total.confidence <= 1
    assert "TOTAL 12.59" in ex.corrected_text
    assert ex.template == "generic_receipt" and not ex.needs_review


def test_card_numbers_are_masked(corrector: DefaultTextCorrector) -> None:
    ex = corrector.extract(ocr_from_lines(["SHOP ONE ENTERPRISE", "VISA 4111 1111 1111 1111", "TOTAL 5.00"]))
    assert "4111 1111" not in ex.corrected_text and "1111" in ex.corrected_text
    assert ex.fields["card_last4"].value == "1111"
    assert all("4111111111111111" not in f.raw.replace(" ", "") for f in ex.fields.values())


def test_missing_required_field_needs_review(corrector: DefaultTextCorrector) -> None:
    ex = corrector.extract(ocr_from_lines(["SOMETHING ELSE", "NO AMOUNTS HERE"]))
    assert ex.needs_review
    assert any(r.startswith("total") for r in ex.review_reasons)
    assert any(r.startswith("date") for r in ex.review_reasons)


def test_low_confidence_ocr_needs_review(corrector: DefaultTextCorrector) -> None:
    ocr = ocr_from_lines(["ACME STORE", "DATE 01/02/2020", "TOTAL 3.00"], confidence=0.2)
    ex = corrector.extract(ocr)
    assert ex.needs_review and any("low confidence" in r for r in ex.review_reasons)


def test_fake_corrector_is_a_deterministic_fake() -> None:
    fake = FakeTextCorrector()
    assert isinstance(fake, TextCorrector) and fake.name == "fake"
    ex = fake.extract(ocr_from_lines(["FIRST LINE", "TOTAL 4.50"]))
    assert ex.fields["company"].value == "FIRST LINE"
    assert ex.fields["total"].value == "4.50"


@pytest.mark.datasets
@pytest.mark.slow
def test_sroie_transcripts_meet_targets(tmp_path: Path) -> None:
    gold = DATASETS / "sroie-train-text"
    if not gold.is_dir():
        pytest.skip(f"SROIE transcripts not found at {gold}")
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "pred.jsonl"
    result = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "text_eval.py"), str(gold), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = {
        line.split("|")[1].strip(): float(line.split("|")[2])
        for line in result.stdout.splitlines()
        if line.startswith("| ") and line.split("|")[2].strip()[:1].isdigit()
    }
    assert rows["date"] >= 0.98, result.stdout
    assert rows["total"] >= 0.95, result.stdout
    assert len(out.read_text().splitlines()) == len(list(gold.glob("*.json")))
    assert json.loads(out.read_text().splitlines()[0])["fields"]


def test_ocr_cache_stores_what_the_pipeline_reads(tmp_path: Path) -> None:
    """benchmarks/ocr_cache.py --pipeline: the words stages 1-2 read, as Tesseract TSV for text_eval."""
    root = Path(__file__).resolve().parents[1]
    images = tmp_path / "images"
    images.mkdir()
    (images / "r1.png").write_bytes((root / "samples" / "green-valley-grocer.png").read_bytes())
    out = tmp_path / "cache"
    options = ["--out", str(out), "--jobs", "1", "--pipeline", "--profile", "fast"]
    subprocess.run(
        [sys.executable, str(root / "benchmarks" / "ocr_cache.py"), str(images), *options],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = (out / "r1.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("level\t") and len(rows) > 20
    assert any(r.split("\t")[-1].upper() == "TOTAL" for r in rows[1:])


def test_header_skips_low_confidence_specks_and_cleans_ocr_noise() -> None:
    from icr.text.header import clean_address, guess_header
    from icr.text.lines import Line

    lines = [
        Line(0, "Ankoot :", 0.0),
        Line(1, "SILVER OAK CAKE HOUSE SDN BHD 862725-U", 0.93),
        Line(2, "No.1, Jin Mawar 10/5, | Taman Baru", 0.9),
        Line(3, "S3000 Kuala Lumpur. |", 0.8),
        Line(4, "Tel No. : 07-387 3322", 0.9),
    ]
    header = guess_header(lines)
    assert header.company == "SILVER OAK CAKE HOUSE SDN BHD"
    assert header.address == "No.1, JLN Mawar 10/5, Taman Baru 53000 Kuala Lumpur."
    # typed text (a transcript) keeps its abbreviations as printed
    assert clean_address("23, JIN MAWAR, 52100 KL.", ocr=False) == "23, JIN MAWAR, 52100 KL."


def test_header_address_keeps_the_town_and_state_after_a_line_ending_in_its_postcode() -> None:
    from icr.text.header import guess_header
    from icr.text.lines import Line

    lines = [
        Line(0, "KEDAI KOPI MANIS SDN BHD", 0.9),
        Line(1, "12, JALAN MERANTI, TAMAN SERI, 43300", 0.9),
        Line(2, "SELANGOR DARUL EHSAN.", 0.9),
        Line(3, "TEL: 03-8941 2233", 0.9),
    ]
    assert guess_header(lines).address == "12, JALAN MERANTI, TAMAN SERI, 43300 SELANGOR DARUL EHSAN."
    # after "43300 SERI KEMBANGAN," a long line is not part of the address
    lines[1] = Line(1, "12, JALAN MERANTI, 43300 SERI KEMBANGAN,", 0.9)
    lines[2] = Line(2, "THANK YOU PLEASE COME AGAIN SOON", 0.9)
    assert guess_header(lines).address == "12, JALAN MERANTI, 43300 SERI KEMBANGAN,"


@pytest.mark.parametrize(
    ("read", "company", "address"),
    [
        # five digits after LOT are the lot number, not the postcode: the address goes on
        (
            ["BINTANG HOME SDN BHD", "LOT 40213 JALAN KENANGA", "TAMAN SRI MUDA", "40400 SHAH ALAM,", "GST NO: 1"],
            "BINTANG HOME SDN BHD",
            "LOT 40213 JALAN KENANGA TAMAN SRI MUDA 40400 SHAH ALAM,",
        ),
        # a business registration line is no part of the address
        (
            ["PASAR MURNI SDN BHD", "BR No.: (998877-K)", "NO 7, JALAN PINANG 2,", "TAMAN PINANG"],
            "PASAR MURNI SDN BHD",
            "NO 7, JALAN PINANG 2, TAMAN PINANG",
        ),
        # the logo was not read: the street is no name, and the address starts on it
        (
            ["NO. 8G, JALAN DAMAI 3,", "47100 PUCHONG", "Tel: 03-1234 5678", "TAX INVOICE"],
            None,
            "NO. 8G, JALAN DAMAI 3, 47100 PUCHONG",
        ),
        # ... also when the best "name" is the town line under the street (its postcode misread)
        (
            ["Lot 5, Jalan Mutiara 2/1,", "40.400 Shah Alam, Selangor.", "Tel: 03-1234 5678"],
            None,
            "Lot 5, Jalan Mutiara 2/1, 40.400 Shah Alam, Selangor.",
        ),
        # the telephone on the postcode line ends the address there, not before it
        (
            [
                "ROTI MANIS SDN BHD",
                "No.3, Jalan Kuning 4, Taman Kuning",
                ": 81750 Johor Bahru, Johor. Tel No.: 07-1234567",
            ],
            "ROTI MANIS SDN BHD",
            "No.3, Jalan Kuning 4, Taman Kuning 81750 Johor Bahru, Johor.",
        ),
        # after the postcode line, the state; what follows is the next thing printed
        (
            ["KEDAI EMAS SDN BHD", "Jalan Besar Subang", "47200 Subang", "Selangor", "Petrol Station Kiosk"],
            "KEDAI EMAS SDN BHD",
            "Jalan Besar Subang 47200 Subang Selangor",
        ),
        # ... unless the line before ends in a comma
        (
            ["KEDAI EMAS SDN BHD", "NO.5, JALAN BESAR, 39100 BRINCHANG,", "CAMERON HIGHLANDS,", "PAHANG", "GST NO: 1"],
            "KEDAI EMAS SDN BHD",
            "NO.5, JALAN BESAR, 39100 BRINCHANG, CAMERON HIGHLANDS, PAHANG",
        ),
        # "P.T. 33198" is a lot number too; the state under the postcode line ends the address
        (
            [
                "KEDAI BESI SDN BHD",
                "LOT P.T. 33198, BATU 4",
                "JALAN KAPAR, MUKIM KAPAR",
                "42100 KLANG,",
                "SELANGOR DARUL EHSAN.",
                "TEL: 03-1234 5678",
            ],
            "KEDAI BESI SDN BHD",
            "LOT P.T. 33198, BATU 4 JALAN KAPAR, MUKIM KAPAR 42100 KLANG, SELANGOR DARUL EHSAN.",
        ),
        # a second name line above the registration number is no address
        (
            ["RESTAURANT MEIWAH", "MEIWAH HOUSE", "002693074-K", "13, JLN TASIK 8", "57000 KL", "INVOICE"],
            "RESTAURANT MEIWAH",
            "13, JLN TASIK 8 57000 KL",
        ),
        # a chain's outlet number and name under the head office address
        (
            [
                "77 FRESH MART S/B (123456-X)",
                "LOT 9, JALAN MERPATI,",
                "41150 KLANG, SELANGOR",
                "1320-TMN BATU",
                "GST ID. NO : 000123456789",
            ],
            "77 FRESH MART S/B",
            "LOT 9, JALAN MERPATI, 41150 KLANG, SELANGOR 1320-TMN BATU",
        ),
        # a name over two lines, its kind of business alone on one of them
        (["MARIANACCI'S", "RESTAURANT", "TABLE 4 CHECK 39", "FEB 18/17"], "MARIANACCI'S RESTAURANT", None),
        (["RISTORANTE", "BELLAGIO (CO)", "TELEFONO 031/951888", "14/07/2019"], "RISTORANTE BELLAGIO (CO)", None),
        # an OCR speck "-" after the name does not join the street to it
        (
            ["KEDAI RUNCIT AMAN . | -", "NO. 17, JALAN PERMAS 1/7,", "81750 MASAI", "GST NO: 1"],
            "KEDAI RUNCIT AMAN",
            "NO. 17, JALAN PERMAS 1/7, 81750 MASAI",
        ),
        # a dash between a name's words is printed (a table rule is longer)
        (
            ["Pita Pita - Lombard", "2125 Chestnut St", "San Francisco, CA 94123"],
            "Pita Pita - Lombard",
            "2125 Chestnut St San Francisco, CA 94123",
        ),
        # a comma OCR made between a name's words
        (
            ["Loaded, Cafe", "15700 Bellflower Blvd", "Bellflower, CA 90706"],
            "Loaded Cafe",
            "15700 Bellflower Blvd Bellflower, CA 90706",
        ),
        # a logo a word a line, the name printed again whole under it: no part of the address
        (
            ["BLUE", "HERON", "Blue Herón", "12 Main Street", "Lincoln, RI 02865"],
            "BLUE HERON",
            "12 Main Street Lincoln, RI 02865",
        ),
        # a logo read with slips, the name printed again under it: the printed one
        (
            ['FISH BAR" Seaporl', "SEAPORT FISH BAR", "12 Dock St.", "Seaport, MA 02000", "(555) 555-0100"],
            "SEAPORT FISH BAR",
            "12 Dock St. Seaport, MA 02000",
        ),
        # a web address is no name, without its www either
        (
            ["SHOP ONLINE AT BOOKWORLD.COM", "KEDAI BUKU CAHAYA", "LOT 5, JALAN MAWAR 2"],
            "KEDAI BUKU CAHAYA",
            "LOT 5, JALAN MAWAR 2",
        ),
        # ... and a name read clean stays over a copy with more marks
        (["GOLDEN BAKERY", "GOLDEN BAKERY!", "12 Main St", "Boston, MA"], "GOLDEN BAKERY", "12 Main St Boston, MA"),
        # a legal form inside a registration in brackets does not end the name
        (
            ["DION REALTIES SDN BHD (CO. NO:20154-T)", "MENARA DION #02-03, LEVEL 2,", "50250 KUALA LUMPUR."],
            "DION REALTIES SDN BHD",
            "MENARA DION #02-03, LEVEL 2, 50250 KUALA LUMPUR.",
        ),
        # ... but two lines that spell nothing printed again stay apart
        (["BLUE", "HERON", "12 Main Street", "Lincoln, RI 02865"], "BLUE", "12 Main Street Lincoln, RI 02865"),
    ],
)
def test_header_address_structure(read: list[str], company: str | None, address: str | None) -> None:
    from icr.text.header import clean_company, guess_header
    from icr.text.lines import Line

    header = guess_header([Line(i, text, 0.9) for i, text in enumerate(read)])
    assert (clean_company(header.company) if header.company else None) == company
    assert header.address == address


def test_an_address_run_onto_the_names_line_starts_after_its_legal_form() -> None:
    """A curled photo reads the postcode's line onto the name's: the name ends at its legal form."""
    from icr.text.header import guess_header
    from icr.text.lines import Line
    from icr.text.locales import lexicon_for

    read = ["Selver AS 11624 Tallinn", "Pärnu mnt 238", "Tel 667 3333", "KOKKU 12,30"]
    header = guess_header([Line(i, text, 0.9) for i, text in enumerate(read)], lexicon_for(("et_EE",)))
    assert (header.company, header.address) == ("Selver AS", "11624 Tallinn Pärnu mnt 238")
    assert header.address_lines == (0, 1)
    read = ["TESCO Stores Ltd London SE1 9GF", "Tel 0345 677 9000"]
    header = guess_header([Line(i, text, 0.9) for i, text in enumerate(read)], lexicon_for(("en_GB",)))
    assert (header.company, header.address) == ("TESCO Stores Ltd", "London SE1 9GF")


@pytest.mark.parametrize(
    ("name", "company"),
    [
        # a registration number with its bracket read twice
        ("THE STORE (MALAYSIA) SDN BHD (8199K))", "THE STORE (MALAYSIA) SDN BHD"),
        # a name glued to its bracket; a bracket the registration number's removal leaves open
        ("AIK HUAT ENTERPRISE(SETIA ALAM) SDN BHD", "AIK HUAT ENTERPRISE (SETIA ALAM) SDN BHD"),
        ("TONYMOLY VIVA CITY (TONYMOLY SHOP (95874))", "TONYMOLY VIVA CITY"),
    ],
)
def test_a_name_keeps_its_brackets_and_loses_its_registration_number(name: str, company: str) -> None:
    test_header_address_structure(
        [name, "NO 1, JALAN BATU 3,", "43100 HULU LANGAT"], company, "NO 1, JALAN BATU 3, 43100 HULU LANGAT"
    )


def test_header_knows_a_legal_suffix_ocr_misread_before_a_braced_registration_number(
    corrector: DefaultTextCorrector,
) -> None:
    ex = corrector.extract(
        ocr_from_lines(
            ["|", "77 FRESH MART 5/B {123456-X)", "LOT 12, JALAN MERPATI,", "TAHAN SERIBU |", "41150 KLANG, SELANGOR"]
        )
    )
    assert ex.fields["company"].value == "77 FRESH MART S/B"


def test_header_passes_over_a_logo_read_as_specks_and_cleans_a_wrapped_name() -> None:
    from icr.text.header import clean_company, guess_header
    from icr.text.lines import Line

    lines = [
        Line(0, "| | ihe a |", 0.6),
        Line(1, "THE GOLDEN WOK KITCH | | -", 0.9),
        Line(2, "BUKIT MERAH", 0.9),
        Line(3, "GST Reg No: 001403346944", 0.9),
    ]
    assert clean_company(guess_header(lines).company or "") == "THE GOLDEN WOK KITCH BUKIT MERAH"
    assert clean_company("SINAR JAYA INTERNATIONAL SDN BHD iz") == "SINAR JAYA INTERNATIONAL SDN BHD"
    assert clean_company("IN-SPARKLE TRADING SDN BHD") == "IN-SPARKLE TRADING SDN BHD"
    # a chain's store number is part of its name; a zero-padded or long number after it is debris
    assert clean_company("CHURCH'S CHICKEN #4717") == "CHURCH'S CHICKEN #4717"
    assert clean_company("KEDAI MAJU #000002") == "KEDAI MAJU"
    # a comma or point alone between the words of a name OCR read is a speck; typed, it stays
    assert clean_company("THE COFFEE BEAN , & TEA LEAF (M) SDN. BHD.") == "THE COFFEE BEAN & TEA LEAF (M) SDN. BHD."
    assert clean_company("THE GOLDEN WOK KITCH . BUKIT MERAH") == "THE GOLDEN WOK KITCH BUKIT MERAH"
    assert clean_company("MR . WOK SOLARIS", ocr=False) == "MR . WOK SOLARIS"
    # a name ends at its Malaysian legal suffix: a word OCR read after it goes, a bracketed outlet stays
    assert clean_company('SKCA HARDWARE & TIMBER SDN. BHD. LIST"') == "SKCA HARDWARE & TIMBER SDN. BHD."
    assert clean_company("CHECKERS HYPERMARKET SDN BHD (JALAN KLANG LAMA)") == (
        "CHECKERS HYPERMARKET SDN BHD (JALAN KLANG LAMA)"
    )
    # a last lower-case l read as a bracket; a name with brackets of its own keeps them
    assert clean_company("BHPetro] Subang Airport") == "BHPetrol Subang Airport"
    assert clean_company("BHPetro] Subang Airport", ocr=False) == "BHPetro] Subang Airport"
    assert clean_company("Kedai [Bintang] Emas") == "Kedai (Bintang) Emas"


def test_total_payable_after_group_totals_it_adds_up() -> None:
    from icr.config import load_settings

    corrector = DefaultTextCorrector(load_settings())
    read = [
        "BAKERY SDN BHD",
        "DATE 01/02/2018",
        "TOTAL 0% SUPPLIES:",
        "-5.00",
        "TOTAL 6% SUPPLIES (EXCL. GST):",
        "20.00",
        "GST:",
        "1.20",
        "TOTAL 6% SUPPLIES (INC. GST):",
        "21.20",
        "TOTAL 0% SUPPLIES:",
        "-5.00",
        "TOTAL PAYABLE:",
        "16.20",
        "CUSTOMER'S COPY",
    ]
    assert corrector.extract(ocr_from_lines(read)).fields["total"].value == "16.20"


@pytest.mark.parametrize(
    ("read", "total"),
    [
        # the total line is garbled and the amount paid lost a digit: the subtotal, not the payment
        (
            [
                "Gross Amount : 40.00",
                "Total GST Amt : 2.40",
                "Sub Total : 42.40",
                "Total (RM): Cea)",
                "Amount Paid: 2.40",
                "Amount Change : 0.00",
            ],
            "42.40",
        ),
        # a ringgit mark read as "fM" or "[M"
        (["Type Rate A £411.00", "Total fM1.00", "Paid RM1.00", "Change [M0.00"], "1.00"),
        # the printed total lost its first digit; cash less change shows it
        (
            [
                "TOTAL ITEM 22",
                "TOTAL SALES INCLUSIVE GST 5.80",
                "TOTAL PAYABLE AMOUNT 90",
                "CASH 50.00",
                "CHANGE 14.20",
            ],
            "35.80",
        ),
    ],
)
def test_total_when_ocr_garbled_or_dropped_its_digits(
    read: list[str], total: str, corrector: DefaultTextCorrector
) -> None:
    ex = corrector.extract(ocr_from_lines(["SHOP SDN BHD", "DATE 01/02/2018", *read]))
    assert ex.fields["total"].value == total


def test_total_from_cash_and_change_only_when_the_printed_one_is_an_ocr_digit_off() -> None:
    from icr.text.amounts import choose_amounts, labelled_amounts, one_digit_apart
    from icr.text.lines import Line

    assert one_digit_apart(Decimal("30.30"), Decimal("30.90"))
    assert not one_digit_apart(Decimal("5.90"), Decimal("35.80"))
    assert not one_digit_apart(Decimal("0.29"), Decimal("3.29"))  # ".29": a digit lost, not misread

    def total(texts: list[str]) -> Decimal:
        lines = [Line(i, t, 0.8) for i, t in enumerate(texts)]
        return choose_amounts(labelled_amounts(lines), len(lines))["total"].value

    assert total(["Grand Total : 30.30", "Payment : 101.00", "Change : 70.10"]) == Decimal("30.90")
    # a cents difference is an unprinted rounding: the printed total stands
    assert total(["TOTAL 12.37", "CASH 50.00", "CHANGE 37.65"]) == Decimal("12.37")


@pytest.mark.parametrize(
    ("lines", "total", "subtotal"),
    [
        (["Garden City, NY 11530", "Net Total: $145.00", "Tax $12.51", "TOTAL: $157.51"], "157.51", "145.00"),
        (["Sub Total 5.99", "VISA 6.56", "TAX 0.57", "PAYMENT 6.56"], "6.56", "5.99"),  # paid exactly
        (["TOTAL 21.20", "TAX 1.20", "CASH 50.00", "CHANGE 28.80"], "21.20", None),  # tax included: it stands
        (["TOTAL 20.00", "TAX 1.20", "CASH 50.00", "CHANGE 30.00"], "20.00", None),  # the sum is printed nowhere
    ],
)
def test_a_total_before_tax_gives_way_to_the_sum_printed_after_it(
    corrector: DefaultTextCorrector, lines: list[str], total: str, subtotal: str | None
) -> None:
    ex = corrector.extract(ocr_from_lines(["DINER", *lines]))
    assert ex.fields["total"].value == total
    if subtotal is not None:
        assert ex.fields["subtotal"].value == subtotal


def test_a_total_with_one_misread_digit_is_put_right_by_the_other_amounts(corrector: DefaultTextCorrector) -> None:
    # "48.16" misread: cash less change and the rounding both say 48.15.
    ex = corrector.extract(
        ocr_from_lines(
            [
                "KEDAI MAKAN SEDAP",
                "Total (Excluding GST): 43.43",
                "Service Charge (10%): 2.59",
                "GST Payable: 2.14",
                "Total (Inclusive of GST): 48.16",
                "Rounding Adj: -0.01",
                "CASH : 50.00",
                "CHANGE : 1.85",
            ]
        )
    )
    assert ex.fields["total"].typed == Decimal("48.15")
    # Cash can't be less than the total; with the subtotal and tax it says 110.00, not 110.60.
    ex = corrector.extract(ocr_from_lines(["SUB-TOTAL 103.77", "TOTAL 110.60", "CASH 110.00", "TAX TOTAL: 6.23"]))
    assert ex.fields["total"].typed == Decimal("110.00")


def test_a_total_read_right_is_kept_when_one_other_amount_disagrees(corrector: DefaultTextCorrector) -> None:
    ex = corrector.extract(ocr_from_lines(["SUBTOTAL 12.40", "TOTAL 12.40", "CASH 20.00", "CHANGE 7.65"]))
    assert ex.fields["total"].typed == Decimal("12.40")  # 20.00 - 7.65 = 12.35 alone is not enough


@pytest.mark.parametrize("total_line", [None, "TOTAL", "TOTAL 1Z:5O", "TOTAL 12:50"])
def test_the_card_payment_the_items_add_up_to_is_the_total_when_its_line_is_unread(
    corrector: DefaultTextCorrector, total_line: str | None
) -> None:
    # not the largest item's price: the payment is what the items add up to
    lines = ["CORNER DELI", "Sandwich 8.50", "Soda 4.00", *([total_line] if total_line else []), "VISA 12.50"]
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("12.50")
    # with a subtotal and a service charge read, the items add up to the subtotal, not to the total
    lines = ["2 Pint Lager £10.40", "1 Fish & Chips £14.95", "Subtotal £25.35", "Service 12.5% £3.17",
             "Balance Due E28.52", "Paid Card £28.52"]  # fmt: skip
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("28.52")
    # a total read is kept over an amount that is only the items' sum (a subtotal whose label is garbled)
    lines = ["Sandwich 8.50", "Soda 4.00", "Sbtotl 12.50", "TAX 1.25", "TOTAL 13.75"]
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("13.75")


@pytest.mark.parametrize(
    ("lines", "subtotal", "tax"),
    [
        (["BURGER 132.25", "SUBTOT 132.25", "TAX 9.76", "TOTAL 142.01"], "132.25", "9.76"),
        (["ITEM 20.00", "Subtotal $20.00", "Total Taxes $2.18", "Tip 3.60", "Total $25.78"], "20.00", "2.18"),
    ],
)
def test_short_and_plural_subtotal_and_tax_labels_name_their_amounts(
    corrector: DefaultTextCorrector, lines: list[str], subtotal: str, tax: str
) -> None:
    ex = corrector.extract(ocr_from_lines(["CORNER DINER", *lines]))
    assert (ex.fields["subtotal"].value, ex.fields["tax"].value) == (subtotal, tax)


def test_an_earlier_total_plus_tax_makes_the_final_total(corrector: DefaultTextCorrector) -> None:
    ex = corrector.extract(
        ocr_from_lines(
            [
                "Qty Description Total (RM) Tax",
                "1 PAINT BRUSH 33.00 SR",
                "Total Sales Amount 33.00",
                "GST 6% 1.98",
                "Rounding Adjustment 0.02",
                "TOTAL 35.00",
                "CASH 99.00",
                "Change Returned 20.00",
                "SR 6% 33.00 1.98",
            ]
        )
    )
    assert ex.fields["total"].typed == Decimal("35.00")


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("KEDAI BUKU CERIA $/B 273500-U (GKI)", "KEDAI BUKU CERIA S/B"),  # registration number cut
        ("SINAR CAHAYA SDN BHD 862/25-U", "SINAR CAHAYA SDN BHD"),
        ("77 FRESH MART 5/B {123456-X) Mee", "77 FRESH MART S/B"),
        ("77 FRESH MART 5/8", "77 FRESH MART S/B"),
        ("77 FRESH MART S7B", "77 FRESH MART S/B"),  # the slash read as 7
        ("MR.D.I.Y. (M) SDN BHD", "MR. D.I.Y. (M) SDN BHD"),  # the space after a title
        ("MR. A.1.¥. (M) SDN BHD", "MR. A.I.Y. (M) SDN BHD"),  # initials: 1 -> I, ¥ -> Y
        ("GLOBAL TEKNIK (M) 8HD", "GLOBAL TEKNIK (M) BHD"),
        ("PUSAT NIAGA SDI BHD", "PUSAT NIAGA SDN BHD"),
        ("BEMED (SP) SDN. BHD.", "BEMED (SP) SDN. BHD."),  # punctuation kept
        ("A.B.C TRADING", "A.B.C TRADING"),
        ("HERO OISTRIBUTION SDti BHD", "HERO OISTRIBUTION SDN BHD"),  # suffix only; the name is the speller's
        ("SERI BAKERIES (KL) SDN BED", "SERI BAKERIES (KL) SDN BHD"),
        ("SERI BAKERIES (KL) SDN BUILD", "SERI BAKERIES (KL) SDN BHD"),
        ("MR. D.I.Y¥. (4) SDN BHD", "MR. D.I.Y. (M) SDN BHD"),  # a glued sign dropped; (4) before SDN BHD
        ("BIG CO. (H) BHD", "BIG CO. (M) BHD"),
        ("KEDAI (S) SDN BHD", "KEDAI (S) SDN BHD"),  # other one-letter brackets stay
        ("TAMAN BED LINEN", "TAMAN BED LINEN"),  # BED only after SDN
        ("BEMED {SP} SDN. BHD.", "BEMED (SP) SDN. BHD."),  # braces read for parentheses
        ("BERRY’S CAKE HOUSE", "BERRY'S CAKE HOUSE"),  # a typographic apostrophe
        ("KEDAI PAPAN’ YEW CHUAN", "KEDAI PAPAN YEW CHUAN"),  # a quote after a word is a speck
        ("THE BROTHERS' CAFE", "THE BROTHERS' CAFE"),  # ... but not a plural possessive
    ],
)
def test_company_names_lose_ocr_slips_in_legal_suffixes_and_initials(read: str, name: str) -> None:
    from icr.text.header import clean_company

    assert clean_company(read) == name


def test_an_amount_printed_without_its_leading_zero_is_read(corrector: DefaultTextCorrector) -> None:
    from icr.text.parsers import find_amounts

    assert [v for v, _, _ in find_amounts("CHANGE RM .40")] == [Decimal("0.40")]
    assert find_amounts("No. 12 Tel.03-1234") == []  # a full stop before digits is not an amount
    # the ringgit mark with its M lost, and a space after the point: "R43. 40"
    assert [v for v, _, _ in find_amounts("SUBTOTAL R43. 40 TAX RH43. 40")] == [Decimal("43.40")] * 2
    assert find_amounts("ROOM R101") == []
    ex = corrector.extract(ocr_from_lines(["TOTAL 23.60", "CASH 24.00", "CHANGE RM .40"]))
    assert ex.fields["change"].typed == Decimal("0.40")
    # a space before the point ("RM50 .00") splits no ringgit amount; offsets still point at the mark
    assert find_amounts("Total Paid RM50 .00") == [(Decimal("50.00"), "RM50.00", 11)]
    lines = ["Total (Incl GST) RM21.83", "Rounding RMO.02", "Grand Total M? 1 .85"]
    lines += ["Total Paid RM50 .00", "Change RM28.15"]
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("21.85")


def test_an_amount_glued_to_its_label_by_the_currency_mark_is_read(corrector: DefaultTextCorrector) -> None:
    from icr.text.parsers import find_amounts

    assert find_amounts("Grand Tota1RM21.85") == [(Decimal("21.85"), "RM21.85", 11)]
    assert find_amounts("TOTAL$5.00") == [(Decimal("5.00"), "$5.00", 5)]
    assert find_amounts("ABC12.50") == [] and find_amounts("X5.00") == []  # no mark: still glued
    # the decimal mark read as a token of its own ("26 , 90"): one amount, offsets kept
    assert find_amounts("Summe 26 , 90") == [(Decimal("26.90"), "26,90", 6)]
    assert find_amounts("Grand Total M? 1 .85") == [(Decimal("0.85"), ".85", 17)]  # a digit lost: not 1.85
    lines = ["Total (Incl GST) RM21.83", "Rounding RM0.02", "Grand Tota1RM21.85", "Total Paid RM50.00"]
    lines += ["Change RM28.15"]
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("21.85")


def test_an_amount_glued_to_a_label_word_is_read(corrector: DefaultTextCorrector) -> None:
    from icr.text.parsers import find_amounts

    assert find_amounts("TOTAL9.40") == [(Decimal("9.40"), "9.40", 5)]
    assert find_amounts("SUBTOTAL19.00 TAX1.69") == [(Decimal("19.00"), "19.00", 8), (Decimal("1.69"), "1.69", 17)]
    assert find_amounts("TOTALRM21.85") == [(Decimal("21.85"), "RM21.85", 5)]  # once, with its mark
    assert find_amounts("CABLE19.00") == []  # a word no label: a code as much as an item
    assert find_amounts("TOTAL.....12.50") == [(Decimal("12.50"), "12.50", 10)]  # dot leaders run into it
    lines = ["JOE'S DELI", "Bagel 4.00", "Latte 5.75", "Subtotal9.75", "Tax0.87", "Total10.62", "Cash20.00"]
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.9)).fields
    assert (fields["total"].value, fields["subtotal"].value, fields["tax"].value) == ("10.62", "9.75", "0.87")


def test_of_several_amounts_on_a_label_line_the_one_with_the_mark_is_its_value(
    corrector: DefaultTextCorrector,
) -> None:
    lines = ["BLUE DINER", "12 MAIN ST", "AUSTIN, TX 78701", "Burger 12.50", "Total: $14.75 56.03", "Thank you"]
    assert corrector.extract(ocr_from_lines(lines)).fields["total"].typed == Decimal("14.75")


def test_two_readings_combine_field_by_field(corrector: DefaultTextCorrector) -> None:
    # the corrected page lost the date and misread the total; the page as it came read both
    first = corrector.extract(ocr_from_lines(["KEDAI BUKU MAJU", "SUBTOTAL 18.00", "GST 6% 1.08", "TOTAL 19.98"]))
    second = corrector.extract(
        ocr_from_lines(["KEDAI BUKU MAJU", "DATE: 12/03/2018", "SUBTOTAL 18.00", "GST 6% 1.08", "TOTAL 19.08"])
    )
    assert "date" in first.missing and "date" not in second.missing
    both = corrector.combine(first, second)
    assert both.fields["date"].value == "2018-03-12"
    assert both.fields["total"].value == "19.08"  # 18.00 + 1.08: the arithmetic agrees with it
    assert "arithmetic" in both.fields["total"].source
    assert both.missing == [] and not any(r.startswith("date") for r in both.review_reasons)
    assert both.corrected_text == first.corrected_text  # the main reading's text is kept
    # the fake keeps the first reading and fills in what it lacks
    fake = FakeTextCorrector(load_settings())
    merged = fake.combine(fake.extract(ocr_from_lines(["SHOP"])), fake.extract(ocr_from_lines(["TOTAL 3.00"])))
    assert merged.fields["total"].value == "3.00" and merged.fields["company"].value == "SHOP"


@pytest.mark.parametrize(
    ("final_line", "total"),
    [
        ("Grand Total] an ® 35", "8.35"),  # the final total garbled; its cents agree with cash - change
        ("Grand Total M | .35", "8.35"),
        ("Grand Total RM7.90", "7.90"),  # read: it stands
        ("Grand Total] an ® 45", "7.90"),  # its cents disagree: the earlier total stands
        ("Grand Total] an ® 1235", "7.90"),  # more digits than the value has
        ("Grand Total] an ®", "7.90"),  # no digits: nothing to check
    ],
)
def test_a_garbled_final_total_is_cash_less_change_when_its_cents_agree(
    corrector: DefaultTextCorrector, final_line: str, total: str
) -> None:
    from icr.text import ocr_from_lines

    text = [
        "YAM FRESH CAFE",
        "Date: 02/03/2018",
        "Signature Yam 1 RM7.90",
        "Total RM7.90",
        "Rounding -RM0.05",
        final_line,
        "Cash RM10.50",
        "Change RM2.15",
        "GST Summary Amount Tax",
        "SR 7.90 0.45",
    ]
    assert corrector.extract(ocr_from_lines(text, confidence=0.8)).fields["total"].value == total


def test_the_extracted_name_takes_the_spelling_printed_elsewhere_on_an_ocr_read_receipt(
    corrector: DefaultTextCorrector,
) -> None:
    read = [
        "SANYO STATIONERY SHOP",
        "NO. 31, JALAN SETIA INDAH,",
        "40170 SETIA ALAM",
        "TOTAL 5.00",
        "OWNED BY SANYU SUPPLY SDN BHD",
        "www.sanyu.com.my",
    ]
    assert corrector.extract(ocr_from_lines(read, confidence=0.9)).fields["company"].value == "SANYU STATIONERY SHOP"
    # typed text is as printed
    assert corrector.extract(ocr_from_lines(read)).fields["company"].value == "SANYO STATIONERY SHOP"


@pytest.mark.parametrize("line", ["www.bigjosburgers.com", "Walk_In 347", "Micros Demo System"])
def test_a_web_address_or_an_order_type_is_no_company(corrector: DefaultTextCorrector, line: str) -> None:
    lines = [line, "BIG JO'S", "1955 BROADWAY", "SANTA MONICA, CA 90404", "HB $4.00", "Total $4.00"]
    ex = corrector.extract(ocr_from_lines(lines))
    assert "company" not in ex.fields or ex.fields["company"].value != line


def test_a_recognized_address_reads_a_point_after_a_word_or_number_as_the_comma_it_was() -> None:
    from icr.text.header import guess_header
    from icr.text.lines import Line

    read = ["KEDAI MAJU SDN BHD", "NO.32 & 33. JALAN SR 1/9. SEKSYEN 9,", "TAMAN SERDANG RAYA. 43300 SERI KEMBANGAN"]
    want = "NO.32 & 33, JALAN SR 1/9, SEKSYEN 9, TAMAN SERDANG RAYA, 43300 SERI KEMBANGAN"
    assert guess_header([Line(i, text, 0.98) for i, text in enumerate(read)]).address == want
    # typed text keeps its points as printed; so does an abbreviation ("NO.") and a number's point
    assert guess_header([Line(i, text, 1.0) for i, text in enumerate(read)]).address == " ".join(read[1:])


def test_the_subtotal_and_tax_are_the_pair_that_adds_up_to_the_total(corrector: DefaultTextCorrector) -> None:
    # two "Sub Total" lines around the tax; a column of labels read apart from its column of amounts
    twice = ["GRAND CAFE", "Coffee 2.95", "Chicken Parmesan 17.95", "Prime Sirloin 25.95", "Burger 13.95",
             "Coffee 2.95", "Sub Total: 63.75", "Tax: 5.50", "Sub Total: 69.25", "TOTAL : 69.25",
             "Suggested Gratuity:", "15% 10.39"]  # fmt: skip
    apart = ["TAVERN", "Manhattan 48.00", "Grey Goose 28.50", "Rocks 3.00", "Subtotal", "Tax 79.50", "5.57",
             "Total", "85.07", "Balance Due", "85.07"]  # fmt: skip
    for lines, subtotal, tax, total in ((twice, "63.75", "5.50", "69.25"), (apart, "79.50", "5.57", "85.07")):
        fields = corrector.extract(ocr_from_lines(lines)).fields
        assert (fields["subtotal"].value, fields["tax"].value, fields["total"].value) == (subtotal, tax, total)
    # item prices that happen to add up to the total are no subtotal and tax
    items = corrector.extract(ocr_from_lines(["DELI", "Sandwich 8.00", "Soda 2.00", "TOTAL 10.00"])).fields
    assert "subtotal" not in items and "tax" not in items


def test_a_tax_larger_than_its_subtotal_is_the_subtotal_read_a_row_off(corrector: DefaultTextCorrector) -> None:
    # a curled photo's amounts a row above their labels: the 2.00 beside the tax's label, the tax
    # beside the amount due's, and the total under it
    lines = ["BURGER STAND", "HAMB 2.00", "Counter-Take Out", "TAX 8.25% 2.00", "Amount Due .17", "$2.17",
             "Cash Tender $3.00", "Change $.83"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(lines)).fields
    assert (fields["subtotal"].value, fields["tax"].value, fields["total"].value) == ("2.00", "0.17", "2.17")
    # the printed rate must agree with the swap
    wrong_rate = [ln.replace("8.25%", "30%") for ln in lines]
    fields = corrector.extract(ocr_from_lines(wrong_rate)).fields
    assert fields["tax"].value != "0.17"


def test_a_total_read_with_its_currency_sign_as_a_digit_is_what_the_tender_leaves(
    corrector: DefaultTextCorrector,
) -> None:
    lines = ["7-ELEVEN", "LAYS 20.00", "NESCAFE 39.00", "TOTAL 859.00", "CASH 100.00", "CHANGE 41.00"]  # ฿59.00
    assert corrector.extract(ocr_from_lines(lines, confidence=0.9)).fields["total"].value == "59.00"
    # a tender that leaves no such reading keeps the printed total
    lines[-1] = "CHANGE 141.00"
    assert corrector.extract(ocr_from_lines(lines, confidence=0.9)).fields["total"].value != "59.00"


def test_a_tax_read_with_its_dollar_sign_as_a_digit_is_what_the_total_leaves(corrector: DefaultTextCorrector) -> None:
    lines = ["BELLA PASTA", "Steak Tip Skewers 212.98", "Root Beer $2.50", "Subtotal $28.48", "Tax 52.28",
             "Total $30.76"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(lines)).fields
    assert (fields["tax"].value, fields["total"].value) == ("2.28", "30.76")
    assert "tip" not in fields  # an item's "Tip" with a price above the total is no tip


def test_a_tip_guide_is_no_tip_and_the_total_adds_up(corrector: DefaultTextCorrector) -> None:
    # a guide of tips under the total, each its percentage of one bill: none was paid
    guide = ["LUNA GRILL", "Pasta 18.00", "Salad 12.00", "SUB TOTAL: 30.00", "Tax: 2.40", "TOTAL: $32.40",
             "Suggested Tips:", "15%=$4.50", "18%=$5.40", "20%=$6.00"]  # fmt: skip
    named = [*guide[:6], "10% Gratuity = $3.00", "20% Gratuity = $6.00"]
    for lines in (guide, named):
        fields = corrector.extract(ocr_from_lines(lines)).fields
        assert "tip" not in fields and fields["total"].value == "32.40"
        assert fields["total"].source == "keyword+arithmetic"
    # tax rates before their amounts are on different sums: still taxes
    taxed = ["MARKT", "Brot 2.00", "Wein 10.00", "SUMME 12.20", "MwSt 7% 0.14", "MwSt 19% 1.90"]
    hits = labelled_amounts(document_lines(ocr_from_lines(taxed)))
    rates = [h.kind for h in hits if h.value < 2]
    assert len(rates) == 2 and all(rates) and SUGGESTED not in rates  # the taxes keep their labels
    # a tip paid is one, an 18 % gratuity charged as "GRAT" too (not respelled "GREAT" by OCR's speller)
    paid = ["CAFE", "Coffee 4.00", "Subtotal 4.00", "Tip 1.00", "Total 5.00"]
    assert corrector.extract(ocr_from_lines(paid)).fields["tip"].value == "1.00"
    charged = ["CAFE", "1 Soup 10.00", "Sub Total : 10.00", "Tax 0.60", "GRAT 18 1.80", "TOTAL: 12.40"]
    fields = corrector.extract(ocr_from_lines(charged, confidence=0.95)).fields
    assert fields["tip"].value == "1.80" and fields["total"].source == "keyword+arithmetic"


def test_items_adding_up_to_the_total_check_it_where_nothing_stands_between(corrector: DefaultTextCorrector) -> None:
    # a bill with its taxes included: the items add up to the total
    bill = ["OSTERIA DEL PONTE", "Via Roma 3, 20121 Milano", "Tavolo 4  12/03/2024", "2 COPERTO 5,00",
            "1 RISOTTO 14,50", "1 ACQUA 3,00", "TOTALE EURO 22,50", "Grazie"]  # fmt: skip
    total = corrector.extract(ocr_from_lines(bill, confidence=0.95)).fields["total"]
    assert (total.value, total.source) == ("22.50", "keyword+arithmetic")
    # a VAT line under the total says what it includes
    fuel = ["MOORSIDE GARAGE", "3 Mill Lane, York YO1 7HT", "12/01/2022 09:14", "UNLEADED 30.00",
            "SCREENWASH 3.60", "TOTAL GBP 33.60", "VAT @ 20% 5.60", "PAID BY CARD"]  # fmt: skip
    total = corrector.extract(ocr_from_lines(fuel, confidence=0.95)).fields["total"]
    assert (total.value, total.source) == ("33.60", "keyword+arithmetic")
    # with a tax line between them, the items add up to the subtotal: no check of a total so chosen
    taxed = ["DINER", "12 Main St, Springfield", "03/12/2024 12:30", "Burger 9.00", "Fries 3.00", "Tax 0.96",
             "Amount 12.00"]  # fmt: skip
    total = corrector.extract(ocr_from_lines(taxed, confidence=0.95)).fields["total"]
    assert not total.source.endswith("arithmetic")


def test_an_amount_over_the_tax_that_the_total_needs_is_the_subtotal(corrector: DefaultTextCorrector) -> None:
    # "Goods" carries no role of its own, but it is what the total and the tax leave
    lines = ["HARBOR FISH", "1 Clams 18.00", "2 Lobster 96.00", "Goods 114.00", "State tax 7.13", "TOTAL 121.13"]
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields
    assert fields["subtotal"].value == "114.00"
    assert fields["total"].source == "keyword+arithmetic"
    # under the tax line an amount is no subtotal
    under = ["HARBOR FISH", "1 Clams 18.00", "State tax 7.13", "TOTAL 121.13", "Cash 114.00"]
    assert "subtotal" not in corrector.extract(ocr_from_lines(under, confidence=0.95)).fields


def test_a_surely_read_name_keeps_a_letter_more_than_a_receipt_word(corrector: DefaultTextCorrector) -> None:
    speller = corrector.speller
    assert speller is not None
    assert speller.mend_sure_name("WELLCOME") == "WELLCOME"  # Hong Kong's supermarket, not "WELCOME"
    assert speller.mend_sure_name("HARDWAKE SDN BHD") == "HARDWARE SDN BHD"  # a letter misread is put right


def _hits(*rows: tuple[str, int, str] | tuple[str, int, str, str]) -> list[AmountHit]:
    """Amounts as the labeller gives them: (amount as printed, line, label[, kind])."""
    return [AmountHit(Decimal(r[0].replace(",", ".")), r[0], r[1], r[2], kind=r[3] if len(r) > 3 else "") for r in rows]


def test_three_items_prices_one_the_difference_of_two_are_no_tender_and_change() -> None:
    # a photo cut off under "TOTAL": the items' 11.00, 30.00 and 19.00 are not a total, cash and change
    hits = _hits(("11.00", 1, "Totem Honey Bee"), ("12.00", 2, "Queso Fresco"), ("8.00", 3, "Salsa"),
                 ("30.00", 4, "Taquitos Carne Asada"), ("19.00", 5, "Mole Enchilada"),
                 ("84.00", 6, "Sub-total", "subtotal"), ("-12.00", 8, "COMPLIMENTARY"),
                 ("72.00", 9, "Sub-total", "subtotal"), ("0.00", 10, "Sales Tax", "tax"))  # fmt: skip
    assert choose_amounts(hits, n_lines=11)["total"].value == Decimal("72.00")
    # a tender run whose cash has a label no pack knows still checks a labelled total
    hits = _hits(("7.50", 1, "SCONE"), ("7.50", 3, "Due", "total"), ("20.00", 4, "Fay"),
                 ("12.50", 5, "Change", "change"))  # fmt: skip
    sure = choose_amounts(hits, n_lines=6)["total"]
    assert sure.value == Decimal("7.50") and sure.margin is not None and sure.margin > 5
    # and with no label any pack knows, cash and change right after the total still check it
    hits = _hits(("1,20", 1, "ΨΩΜΙ"), ("1,50", 2, "ΓΑΛΑ"), ("2,70", 3, "ΣΥΝΟΛΟ"), ("5,00", 4, "ΜΕΤΡΗΤΑ"),
                 ("2,30", 5, "ΡΕΣΤΑ"))  # fmt: skip
    assert choose_amounts(hits, n_lines=6)["total"].value == Decimal("2.70")


def test_two_levies_are_the_tax_where_their_sum_settles_the_parts(corrector: DefaultTextCorrector) -> None:
    head = ["LONDON DRUGS", "1187 Robson St", "Vancouver BC V6E 1B5", "SHAMPOO 8.99", "SNACKS 4.50", "SUBTOTAL 13.49"]
    fields = corrector.extract(ocr_from_lines([*head, "GST 5% 0.67", "PST 7% 0.63", "TOTAL 14.79"])).fields
    assert fields["tax"].value == "1.30"
    # a tax printed again in a summary is no second levy
    fields = corrector.extract(ocr_from_lines([*head, "GST 5% 0.67", "TOTAL 14.16", "TAX TOTAL 0.67"])).fields
    assert fields["tax"].value == "0.67"
    # no subtotal printed: the item prices above the levies add up in its place
    fields = corrector.extract(ocr_from_lines([*head[:-1], "GST 5% 0.67", "PST 7% 0.63", "TOTAL 14.79"])).fields
    assert fields["tax"].value == "1.30"


def test_the_tax_a_tax_inclusive_total_holds_is_the_tax_and_no_part_of_its_sums(
    corrector: DefaultTextCorrector,
) -> None:
    head = ["Woolworths", "Town Hall Sydney NSW 2000", "Bananas 3.50", "Chocolate 5.00"]
    lines = [*head, "TOTAL $8.50", "EFTPOS $8.50", "GST included in total $0.45"]
    fields = corrector.extract(ocr_from_lines(lines)).fields
    assert (fields["total"].value, fields["tax"].value) == ("8.50", "0.45")
    lines = [*head, "SUB-TOTAL", ":", "TOTAL 8.50", "CASH 10.00", "CHANGE 1.50", "*6% GST INCLUDED 0.45"]
    fields = corrector.extract(ocr_from_lines(lines)).fields
    assert fields["tax"].value == "0.45" and "subtotal" not in fields  # not 8.50 - 0.45: the subtotal holds it
    assert "tax" not in corrector.extract(ocr_from_lines([*head, "TOTAL 8.50", "GST SUMMARY 0.45"])).fields


def test_dollar_signs_read_as_eights_before_several_parts(corrector: DefaultTextCorrector) -> None:
    # a blurred photo: $0.97, $0.00 and $0.00 read 80.97, 80.00 and 80.00
    lines = ["CARL'S JR", "8105 MADISON AVE", "FAIR OAKS, CA", "2 Santa Fe Ckn $11.38", "American Ch $0.70",
             "Sub Total $12.08", "Discounts 80.00", "Tax 80.97", "Total $13.05", "Credit $13.05",
             "Change 80.00"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields
    got = {n: fields[n].value for n in ("subtotal", "tax", "discount", "change", "total") if n in fields}
    assert got == {"subtotal": "12.08", "tax": "0.97", "discount": "0.00", "change": "0.00", "total": "13.05"}
    assert fields["total"].source == "keyword"  # parts and change read to add up confirm nothing


def test_a_vat_tables_cells_and_a_total_between_make_no_tender_run() -> None:
    # "TOTAL A PAYER 10,45 / CB 10,45" then a VAT row: 10.45 - 3.55 is the wine's 6.90, no tender
    hits = _hits(("1,20", 1, "BAGUETTE TRADITION"), ("2,35", 2, "CAMEMBERT PRESIDENT"),
                 ("6,90", 3, "VIN ROUGE BORDEAUX"), ("10,45", 4, "TOTAL A PAYER", "total"), ("10,45", 5, ""),
                 ("3,36", 6, ""), ("0,19", 6, ""), ("3,55", 6, ""))  # fmt: skip
    assert choose_amounts(hits, n_lines=7)["total"].value == Decimal("10.45")
    # the total's label garbled: a row of a table's amounts still holds no change
    hits = _hits(("1,20", 1, "BAGUETTE TRADITION"), ("2,35", 2, "CAMEMBERT PRESIDENT"),
                 ("6,90", 3, "VIN ROUGE BORDEAUX"), ("10,45", 4, ""), ("10,45", 5, ""),
                 ("3,36", 6, ""), ("0,19", 6, ""), ("3,55", 6, ""))  # fmt: skip
    assert choose_amounts(hits, n_lines=7)["total"].value != Decimal("6.90")


def test_a_total_the_photo_cut_off_is_what_its_parts_add_up_to_and_goes_to_review(
    corrector: DefaultTextCorrector,
) -> None:
    lines = ["TACO HOUSE", "1 Totem Honey Bee 11.00", "1 Queso 12.00", "1 Guacamole 12.00", "1 Salsa 8.00",
             "2 Taquitos 30.00", "1 Mole 19.00", "1 Quesadilla 12.00", "Sub-total 104.00", "COMPLIMENTARY",
             "1 Guacamole", "-12.00", "Sub-total 92.00", "Sales Tax 0.00", "TOTAL"]  # fmt: skip
    total = corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields["total"]
    assert (total.value, total.source) == ("92.00", "arithmetic") and total.confidence <= 0.6
    # a total label with its amount read is left alone; so is a cut-off page without its parts
    whole = corrector.extract(ocr_from_lines([*lines[:-1], "TOTAL 92.00"], confidence=0.95)).fields["total"]
    assert whole.value == "92.00" and whole.source != "arithmetic"
    bare = [ln for ln in lines if not ln.startswith(("Sub-total", "Sales Tax"))]
    assert corrector.extract(ocr_from_lines(bare, confidence=0.95)).fields["total"].source != "arithmetic"


def test_a_change_the_sums_filled_in_does_not_confirm_the_total_it_came_from(
    corrector: DefaultTextCorrector,
) -> None:
    # "Change" printed with its amount unread: 3.00 - 0.17 fills it in, and so adds up by construction
    lines = ["BURGER STAND", "HAMB 2.00", "TAX 8.25% 2.00", "Amount Due .17", "$2.17", "Cash Tender $3.00",
             "Change", "THANK YOU! $.83"]  # fmt: skip
    fields = corrector.extract(ocr_from_lines(lines, confidence=0.95)).fields
    bare = corrector.extract(ocr_from_lines([ln for ln in lines if ln != "Change"], confidence=0.95)).fields
    assert (fields["change"].value, fields["change"].source, fields["change"].raw) == ("2.83", "arithmetic", "")
    assert fields["total"].confidence <= bare["total"].confidence
    assert "arithmetic" not in fields["total"].source
