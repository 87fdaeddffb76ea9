"""Templates: shipped ones load and match their own samples; broken ones fail loudly; learning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex
import yaml
from click.testing import CliRunner

from icr.cli import main
from icr.config import config_dir, load_settings
from icr.errors import TemplateError
from icr.text import ocr_from_lines
from icr.text.corrector import DefaultTextCorrector
from icr.text.learn import learn_templates, read_labelled, write_templates
from icr.text.parsers import mask_card_numbers
from icr.text.templates import (
    OPTION_KEYS,
    Searchable,
    another_place,
    choose_template,
    complete_head,
    load_template,
    load_templates,
    nearest_variant,
    parse_template,
    repair_head,
)

SHIPPED = sorted((config_dir() / "templates").glob("*.yaml"))


def test_ships_the_four_kinds() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"generic_receipt", "invoice", "fuel_receipt", "restaurant_bill"} <= names


@pytest.fixture(scope="module")
def corrector() -> DefaultTextCorrector:
    return DefaultTextCorrector(load_settings())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_template_matches_its_sample(path: Path, corrector: DefaultTextCorrector) -> None:
    tpl = load_template(path)
    assert tpl.sample, "every shipped template carries a sample"
    chosen, _ = choose_template(load_templates([config_dir() / "templates"]), tpl.sample)
    assert chosen is not None and chosen.name == tpl.name
    ex = corrector.extract(ocr_from_lines(tpl.sample.splitlines()))
    assert ex.template == tpl.name
    for name in tpl.required:
        assert name in ex.fields, f"{tpl.name}: required field {name} not extracted from its sample"
    assert set(tpl.options) <= OPTION_KEYS


def _write(tmp_path: Path, data: object, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"name": "x", "fields": {"total": {"pattern": "TOTAL (\\d+)"}}}, "fields.total.pattern"),
        ({"name": "x", "fields": {"total": {"pattern": "TOTAL (?P<value>"}}}, "fields.total.pattern"),
        ({"name": "x", "fields": {"total": {"type": "money"}}}, "fields.total.type"),
        ({"name": "x", "options": {"date_order": "year_first"}}, "options.date_order"),
        ({"name": "x", "options": {"psm": 42}}, "options.psm"),
        ({"name": "x", "priority": "high"}, "priority"),
        ({"name": "x", "branch_of": ["vendor"]}, "branch_of"),
        ({"name": "x", "keywords": "total"}, "keywords"),
        ({"name": "x", "static": {"colour": "red"}}, "static.colour"),
        ({"name": "x", "variants": {"colour": ["red"]}}, "variants.colour"),
        ({"name": "x", "variants": {"address": "1 MAIN ROAD"}}, "variants.address"),
        ({"name": "x", "variants": {"address": []}}, "variants.address"),
        ({"name": "x", "fieldz": {}}, "fieldz"),
        ("name: [unclosed", "<file>"),
    ],
)
def test_broken_template_names_file_and_key(tmp_path: Path, data: object, key: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(TemplateError) as info:
        load_templates([tmp_path])
    assert info.value.key == key
    assert info.value.path == str(path)
    assert str(path) in str(info.value) and key in str(info.value)


def test_user_folder_takes_precedence(tmp_path: Path) -> None:
    _write(tmp_path, {"name": "invoice", "doc_type": "custom_invoice", "keywords": ["widget"]}, "invoice.yaml")
    found = {t.name: t for t in load_templates([tmp_path, config_dir() / "templates"])}
    assert found["invoice"].doc_type == "custom_invoice"


def _labelled(folder: Path, stem: str, company: str, address: str, lines: list[str], total: str) -> None:
    gold = {"company": company, "date": "01/02/2019", "address": address, "total": total}
    (folder / f"{stem}.json").write_text(json.dumps(gold), encoding="utf-8")
    (folder / f"{stem}.ocr.txt").write_text("\n".join(lines), encoding="utf-8")


def test_learn_writes_vendor_templates_that_match(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    for i in range(3):
        _labelled(
            labelled,
            f"a{i}",
            "BLUE HERON TRADING SDN BHD",
            "LOT 9, JALAN KENARI, 47000 SUNGAI BULOH",
            [
                "BLUE HERON TRADING",
                "SDN BHD (998877-K)",
                "LOT 9, JALAN KENARI,",
                "47000 SUNGAI BULOH",
                "GST NO: 000999888777",
                f"DATE: 0{i + 1}/02/2019",
                "TOTAL",
                f"{i + 5}.00",
            ],
            f"{i + 5}.00",
        )
    _labelled(
        labelled,
        "b0",
        "RED KITE STORE",
        "22 MAIN ROAD, 10000 GEORGETOWN",
        ["RED KITE STORE", "22 MAIN ROAD,", "10000 GEORGETOWN", "DATE: 03/03/2019", "TOTAL 8.00"],
        "8.00",
    )
    learned = learn_templates(read_labelled(labelled))
    assert len(learned) == 2
    out = tmp_path / "learned"
    write_templates(learned, out)
    settings = load_settings()
    settings.template_dirs = [out]
    corrector = DefaultTextCorrector(settings)
    # an OCR-like variant: name with a typo, different date and amount
    ex = corrector.extract(
        ocr_from_lines(
            [
                "BLUE HER0N TRADING",
                "SDN BHD (998877-K)",
                "LOT 9, JALAN KENARI,",
                "47000 SUNGAI BULOH",
                "GST NO: 000999888777",
                "DATE: 09/02/2019",
                "TOTAL 12.00",
            ]
        )
    )
    assert ex.template is not None and ex.template.startswith("vendor_blue_heron")
    assert ex.fields["company"].value == "BLUE HERON TRADING SDN BHD"
    assert ex.fields["company"].source == "static"
    assert ex.fields["address"].value == "LOT 9, JALAN KENARI, 47000 SUNGAI BULOH"
    # a neighbour on the same street prints the same place lines: that is not the vendor
    neighbour = corrector.extract(
        ocr_from_lines(
            [
                "GOLDEN SPOON CAFE",
                "22 MAIN ROAD,",
                "10000 GEORGETOWN",
                "DATE: 09/02/2019",
                "TOTAL 7.00",
            ]
        )
    )
    assert neighbour.template == "generic_receipt"
    assert neighbour.fields["company"].value == "GOLDEN SPOON CAFE"


def test_tax_number_read_as_card_number_is_kept() -> None:
    # a GST number misread with a digit more can pass the card checksum: after its label it is kept
    assert mask_card_numbers("(GST ID No 3000306020352)") == "(GST ID No 3000306020352)"
    assert mask_card_numbers("VISA 3000306020352") == "VISA XXXXXXXXX0352"


def test_keyword_matches_through_ocr_slips() -> None:
    doc = Searchable("MR. D.1.Y. (M) SON BHD\n(CO.REG :704427-T )\nLOT 1851-A & 1851-B, JALAN KPB 6,")
    assert doc.contains("MR. D.I.Y. (M) SDN BHD")  # two letters misread
    assert doc.contains("LOT 1851-A & 1851-B, JALAN KPB 6")
    assert not doc.contains("AIK HUAT HARDWARE ENTERPRISE")
    assert not doc.contains("LOT 2942 & 2945, JLN SERI SENTOSA 8")


def test_branch_template_needs_its_vendor() -> None:
    vendor = parse_template({"name": "kopi", "keywords": ["KOPI KITA SDN BHD"], "min_score": 1.0}, "kopi.yaml")
    branch = parse_template(
        {
            "name": "kopi_ss2",
            "keywords": ["JALAN SS2/55 PETALING JAYA"],
            "min_score": 1.0,
            "priority": 1,
            "branch_of": "kopi",
            "static": {"address": "12, JALAN SS2/55, PETALING JAYA"},
        },
        "kopi_ss2.yaml",
    )
    templates = [vendor, branch]
    chosen, _ = choose_template(templates, "KOPI KITA SDN BHD\n12, JALAN SS2/55 PETALING JAYA\nTOTAL 5.00")
    assert chosen is branch
    # another shop on the same street is not this vendor's branch
    chosen, _ = choose_template(templates, "TEH TARIK CORNER\n14, JALAN SS2/55 PETALING JAYA\nTOTAL 5.00")
    assert chosen is None or chosen.name not in {"kopi", "kopi_ss2"}


def _branch_lines(name: str, street: str, town: str, n: int) -> list[str]:
    return [
        name,
        "CO REG 123456-A",
        street,
        town,
        "THANK YOU PLEASE COME AGAIN",
        f"DATE: 0{n}/03/2019",
        f"TOTAL {n}.50",
    ]


def test_learn_merges_label_slips_and_splits_branches(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    streets = {
        "s": ("NO 3, JALAN SS2/55,", "47300 PETALING JAYA"),
        "k": ("LOT 7, JALAN KLANG LAMA,", "58000 KUALA LUMPUR"),
    }
    for branch, (street, town) in streets.items():
        for i in range(1, 4):
            company = "KOPI KITA (KL) SDN BHD" if (branch, i) != ("s", 1) else "KOPI KITA (KI ) SDN BHD"  # a slip
            _labelled(
                labelled,
                f"{branch}{i}",
                company,
                f"{street} {town}",
                _branch_lines("KOPI KITA (KL) SDN BHD", street, town, i),
                f"{i}.50",
            )
    for i in range(1, 3):  # another vendor printing the same farewell line
        _labelled(
            labelled,
            f"o{i}",
            "TEH TARIK CORNER",
            "9 JALAN BUNGA, 10000 GEORGETOWN",
            ["TEH TARIK CORNER", "9 JALAN BUNGA", "10000 GEORGETOWN", "THANK YOU PLEASE COME AGAIN", f"TOTAL {i}.00"],
            f"{i}.00",
        )
    learned = {t["name"]: t for t in learn_templates(read_labelled(labelled))}
    vendor = learned["vendor_kopi_kita_kl_sdn_bhd"]
    assert vendor["static"] == {"company": "KOPI KITA (KL) SDN BHD"}  # the label most receipts carry
    branches = [t for t in learned.values() if t.get("branch_of") == "vendor_kopi_kita_kl_sdn_bhd"]
    assert sorted(t["static"]["address"] for t in branches) == sorted(f"{a} {b}" for a, b in streets.values())
    for tpl in learned.values():
        assert not any("THANK YOU" in k for k in tpl["keywords"]), tpl["keywords"]
    out = tmp_path / "learned"
    write_templates(list(learned.values()), out)
    settings = load_settings()
    settings.template_dirs = [out]
    corrector = DefaultTextCorrector(settings)
    seen = corrector.extract(ocr_from_lines(_branch_lines("KOPI KITA (KL) SDN BHD", *streets["k"], 5)))
    assert seen.fields["address"].value == "LOT 7, JALAN KLANG LAMA, 58000 KUALA LUMPUR"
    # a branch not in the labelled set: the vendor's name, the address as printed
    new = corrector.extract(
        ocr_from_lines(_branch_lines("KOPI KITA (KL) SDN BHD", "NO 8, JALAN BESAR,", "43000 KAJANG", 6))
    )
    assert new.template == "vendor_kopi_kita_kl_sdn_bhd"
    assert new.fields["company"].value == "KOPI KITA (KL) SDN BHD"
    assert new.fields["address"].source != "static"


def test_cli_templates_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["templates", "list"])
    assert listed.exit_code == 0 and "generic_receipt" in listed.output
    checked = runner.invoke(main, ["templates", "check"])
    assert checked.exit_code == 0, checked.output
    shown = runner.invoke(main, ["templates", "show", "fuel_receipt"])
    assert shown.exit_code == 0 and "doc_type: fuel_receipt" in shown.output
    missing = runner.invoke(main, ["templates", "show", "no_such_template"])
    assert missing.exit_code == 5
    bad = tmp_path / "bad"
    bad.mkdir()
    _write(bad, {"name": "x", "options": {"psm": 99}})
    broken = runner.invoke(main, ["templates", "check", "--templates", str(bad)])
    assert broken.exit_code == 3
    assert "options.psm" in broken.output


def test_nearest_variant_needs_a_near_reading() -> None:
    variants = ["NO.59 JALAN PERMAS 9/5, 81750 JOHOR BAHRU", "NO.59 JALAN PERMAS 9/5, 81760 JOHOR BAHRU."]
    assert nearest_variant("NO.59 JALAN PERMAS 9/5, 81760 JOHOR BAHRV", variants, 90) == variants[1]
    # spaces and punctuation do not choose (OCR and annotators vary them): the more frequent one wins
    assert nearest_variant("NO. 59 JALAN PERMAS 9/5 81750 JOHOR BAHRU.", variants, 90) == variants[0]
    assert nearest_variant("9 JALAN BUNGA, 10000 GEORGETOWN", variants, 90) is None
    assert nearest_variant(None, variants, 90) is None
    branches = ["12 JALAN SS2/55, 47300 PETALING JAYA 1001-SS2", "12 JALAN SS2/55, 47300 PETALING JAYA 1002-SS3"]
    # a branch not in the list is near every listed one; only a near-exact reading picks one
    assert nearest_variant("12 JALAN SS2/55, 47300 PETALING JAYA 1001-SS2", branches, 97) == branches[0]
    assert nearest_variant("12 JALAN SS2/55, 47300 PETALING JAYA 1003-SS4", branches, 97) is None


def test_complete_head_adds_the_line_ocr_missed() -> None:
    variants = ["LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR 1001-TMN INDAH"]
    assert (
        complete_head("TAMAN BAYU 41150 KLANG, SELANGOR 1002-DENGKIL", variants)
        == "LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR 1002-DENGKIL"
    )
    assert complete_head("LOT 5, JALAN ANGSA, TAMAN BAYU", variants) is None  # nothing missing
    assert complete_head("9 JALAN BUNGA, 10000 GEORGETOWN", variants) is None
    assert complete_head("KLANG", variants) is None  # too short to place


def test_repair_head_spells_the_shared_head_and_keeps_the_branch() -> None:
    variants = [
        "LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR 1001-TMN INDAH",
        "LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR 1002-DENGKIL",
    ]
    head = "LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR"
    assert repair_head("LOT 5, JALAN ANGASA, TAMAN BAYU 41150 KLANG, SELANGOR 1003-IJOK", variants, 90) == (
        f"{head} 1003-IJOK"  # a letter added
    )
    assert (
        repair_head("LOT 5 JALAN ANGSA TAMAN BAVU 41150 KLANG SELANGR 1003-IJOK", variants, 90) == f"{head} 1003-IJOK"
    )
    assert repair_head(f"{head} 1003-IJOK", variants, 90) is None  # read as learned: nothing to mend
    assert repair_head("NO 9, JALAN MAWAR, 43000 KAJANG, SELANGOR", variants, 90) is None  # another address
    assert repair_head("LOT 5, JALAN ANGASA", variants[:1], 90) is None  # one variant: no shared head


def _vendor_lines(street: str, town: str, n: int) -> list[str]:
    return ["WARUNG PAK ALI", "CO REG 765432-P", street, town, f"DATE: 0{n}/04/2019", f"TOTAL {n}.20"]


def test_learned_variants_follow_the_reading(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    # one shop whose receipts were labelled two ways (the postcode once with a slip)
    for i, postcode in enumerate(["81750", "81750", "81760"], 1):
        address = f"NO.59 JALAN PERMAS 9/5 BANDAR BARU PERMAS JAYA {postcode} JOHOR BAHRU"
        lines = _vendor_lines("NO.59 JALAN PERMAS 9/5 BANDAR BARU", f"PERMAS JAYA {postcode} JOHOR BAHRU", i)
        _labelled(labelled, f"w{i}", "WARUNG PAK ALI", address, lines, f"{i}.20")
    (learned,) = learn_templates(read_labelled(labelled))
    assert learned["static"]["address"].endswith("81750 JOHOR BAHRU")  # most receipts
    assert len(learned["variants"]["address"]) == 2
    out = tmp_path / "learned"
    write_templates([learned], out)
    settings = load_settings()
    settings.template_dirs = [out]
    corrector = DefaultTextCorrector(settings)

    def address(town: str) -> str:
        lines = _vendor_lines("NO.59 JALAN PERMAS 9/5 BANDAR BARU", town, 5)
        return corrector.extract(ocr_from_lines(lines, confidence=0.9)).fields["address"].value

    assert address("PERMAS JAYA 81760 JOHOR BAHRU").endswith("81760 JOHOR BAHRU")  # as printed here
    assert address("PERMAS JAYA 81750 JOHOR BAHRV").endswith("81750 JOHOR BAHRU")  # a misread letter
    assert address("").endswith("81750 JOHOR BAHRU")  # nothing read: the usual one


def test_chain_branch_gets_the_head_office_line_ocr_missed(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    head = "LOT 5, JALAN ANGSA, TAMAN BAYU 41150 KLANG, SELANGOR"
    for i, outlet in enumerate(["1001-TMN INDAH", "1002-DENGKIL", "1003-KEPONG"], 1):
        lines = ["KEDAI RUNCIT MAJU", "(123456-X)", "LOT 5, JALAN ANGSA,", "TAMAN BAYU", "41150 KLANG, SELANGOR"]
        lines += [outlet, f"DATE: 0{i}/04/2019", f"TOTAL {i}.40"]
        _labelled(labelled, f"k{i}", "KEDAI RUNCIT MAJU", f"{head} {outlet}", lines, f"{i}.40")
    learned = learn_templates(read_labelled(labelled))
    out = tmp_path / "learned"
    write_templates(learned, out)
    settings = load_settings()
    settings.template_dirs = [out]
    corrector = DefaultTextCorrector(settings)
    # a branch not seen before, its first address line not read
    lines = ["KEDAI RUNCIT MAJU", "(123456-X)", "TAMAN BAYU", "41150 KLANG, SELANGOR", "1076-IJOK"]
    ex = corrector.extract(ocr_from_lines([*lines, "DATE: 09/04/2019", "TOTAL 3.40"], confidence=0.9))
    assert ex.template == "vendor_kedai_runcit_maju"
    assert ex.fields["address"].value == f"{head} 1076-IJOK"


def test_another_outlet_keeps_its_printed_address(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    for i in (1, 2):
        lines = _vendor_lines("3-7, JALAN PUTRA DENGKIL 1,", "43800 DENGKIL, SELANGOR", i)
        _labelled(
            labelled, f"m{i}", "WARUNG PAK ALI", "3-7, JALAN PUTRA DENGKIL 1, 43800 DENGKIL, SELANGOR", lines, f"{i}.20"
        )
    out = tmp_path / "learned"
    write_templates(learn_templates(read_labelled(labelled)), out)
    settings = load_settings()
    settings.template_dirs = [out]
    corrector = DefaultTextCorrector(settings)

    def address(street: str, town: str) -> str:
        ex = corrector.extract(ocr_from_lines(_vendor_lines(street, town, 5), confidence=0.9))
        assert ex.template == "vendor_warung_pak_ali"
        return ex.fields["address"].value

    # the learned outlet, misread: the learned address
    assert address("3-7, JALAN PUTRA DENGKlL 1,", "43800 DENGKIL, SELANG0R").startswith("3-7, JALAN PUTRA DENGKIL 1")
    # another outlet (a postcode the vendor's address does not have): as printed
    assert (
        address("NO. 9-G, JALAN PERUBATAN 2,", "55100 KUALA LUMPUR") == "NO. 9-G, JALAN PERUBATAN 2, 55100 KUALA LUMPUR"
    )


def test_another_place_is_told_by_its_postcode() -> None:
    postcode = regex.compile(r"(?<!\d)\d{5}(?!\d)")
    known = ["3-7, JALAN PUTRA 1, 43800 DENGKIL", "LOT 5, JALAN BESAR, 43 800 DENGKIL"]
    assert another_place("NO. 9-G, JALAN PERUBATAN 2, 55100 KUALA LUMPUR", known, postcode)
    assert not another_place("3-7, JALAN PUTRA 1, 43800 DENGKIL", known, postcode)
    assert not another_place("JALAN PERUBATAN 2, KUALA LUMPUR", known, postcode)  # no postcode read
    assert not another_place(None, known, postcode)


def test_receipt_numbers_are_no_keywords_and_branches_are_known_by_their_place(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    shops = {
        "a": ("KEDAI BUKU CERIA", "LOT 1, JALAN MAWAR, 43000 KAJANG", ["LOT 1, JALAN MAWAR,", "43000 KAJANG"]),
        "b": ("WARUNG MAJU JAYA", "2 JALAN ORKID, 50000 KUALA LUMPUR", ["2 JALAN ORKID,", "50000 KUALA LUMPUR"]),
    }
    for shop, (name, address, lines) in shops.items():
        for i in (1, 2):  # every receipt prints a transaction number of its own
            text = [name, "GST ID : 000123456789", *lines, f"TRANS : {70000 + 17 * i + len(shop)}", "TOTAL 5.00"]
            _labelled(labelled, f"{shop}{i}", name, address, text, "5.00")
    # a chain: two branches, each once, printing its mall under the head office address
    for i, mall in enumerate(["SUNWAY PYRAMID", "MID VALLEY MEGAMALL"], 1):
        text = ["BUKU POPULAR", "NO 8, JALAN 7/118B", "56000 KUALA LUMPUR", mall, f"TRANS: {81000 + i}"]
        _labelled(labelled, f"p{i}", "BUKU POPULAR", f"NO 8, JALAN 7/118B 56000 KUALA LUMPUR {mall}", text, "5.00")
    learned = {t["name"]: t for t in learn_templates(read_labelled(labelled))}
    for tpl in learned.values():
        assert not any("TRANS" in k for k in tpl["keywords"]), tpl["keywords"]
    branches = {t["static"]["address"]: t["keywords"] for t in learned.values() if t.get("branch_of")}
    assert branches == {
        "NO 8, JALAN 7/118B 56000 KUALA LUMPUR SUNWAY PYRAMID": ["SUNWAY PYRAMID"],
        "NO 8, JALAN 7/118B 56000 KUALA LUMPUR MID VALLEY MEGAMALL": ["MID VALLEY MEGAMALL"],
    }
