"""Vendor consolidation: single OCR readings of a name or address take their vendor's spelling."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from icr.consolidate import ConsolidateOptions, options_from, respellings
from icr.db.database import open_engine, upgrade
from icr.db.models import Document, Field
from icr.db.populator import MemoryPopulator, SqlPopulator
from icr.pipeline import Task, ingest
from icr.types import DocumentResult, Extraction, FieldValue, OcrPage, OcrResult
from tests.conftest import Replay

ADDRESS = "LOT 3, JALAN PELABUR 23/1, 40300 SHAH ALAM, SELANGOR."
OPTIONS = ConsolidateOptions()


def test_a_single_misreading_takes_the_spelling_two_other_receipts_were_read_with() -> None:
    values = {
        1: ADDRESS,
        2: ADDRESS.title(),  # the same spelling in other letter case
        3: "Lot 3, Jalan Pelafur 23/1, 40300 Shah Alam, Selangor.",  # one letter misread
        4: "LOT 12, JALAN KILANG 4, 40300 SHAH ALAM, SELANGOR.",  # another shop in the town: too far
        5: "NO 9, JALAN KENARI, 47000 SUNGAI BULOH",  # another shop
    }
    assert respellings(values, OPTIONS) == {3: ADDRESS}
    # one other reading is not enough support
    assert respellings({1: ADDRESS, 3: values[3]}, OPTIONS) == {}
    assert respellings({1: ADDRESS, 2: ADDRESS, 3: values[3]}, ConsolidateOptions(support=3)) == {}


def test_a_word_added_or_left_out_is_another_value_not_a_misreading() -> None:
    values = {
        1: "MR. D.I.Y. (M) SDN BHD",
        2: "MR. D.I.Y. (M) SDN BHD",
        3: "MR. D.I.Y. SDN BHD",
        4: "MR. O.I.Y. (M) SDN BHD",
    }
    assert respellings(values, OPTIONS) == {4: "MR. D.I.Y. (M) SDN BHD"}


def test_the_shop_two_doors_down_is_not_the_same_vendor() -> None:
    neighbour = ADDRESS.replace("LOT 3", "LOT 8")  # one digit apart, like a misreading
    values = {1: ADDRESS, 2: ADDRESS, 3: neighbour, 4: neighbour.replace("PELABUR", "PELAFUR")}
    identity = {
        1: ["GARDENIA BAKERIES (KL) SDN BHD"],
        2: ["GARDENIA BAKERIES (KL) SDN BHD"],
        3: ["SINAR JAYA HARDWARE"],
        4: [""],  # no company read: the address alone decides
    }
    assert respellings(values, OPTIONS, identity=identity) == {4: ADDRESS}
    identity[3] = ["GARDENIA BAKERIES (KI) SDN BHD"]  # the same vendor, its name misread
    assert respellings(values, OPTIONS, identity=identity) == {3: ADDRESS, 4: ADDRESS}


def test_fixed_values_support_a_spelling_but_keep_their_own() -> None:
    values = {1: ADDRESS, 2: ADDRESS, 3: ADDRESS.replace("PELABUR", "PELAFUR")}
    assert respellings(values, OPTIONS, fixed={3}) == {}
    assert respellings(values, OPTIONS, fixed={1}) == {3: ADDRESS}


def test_options_from_the_config_section() -> None:
    assert options_from({"enabled": False}) is None
    opts = options_from({"enabled": True, "fields": ["address"], "similarity": 95, "support": 3, "agree": 70})
    assert opts == ConsolidateOptions(fields=("address",), similarity=95.0, support=3, agree=70.0)


def _result(sha: str, address: str, source: str = "header") -> DocumentResult:
    fields = {"address": FieldValue("address", address, address, address.lower(), 0.6, source)}
    ocr = OcrResult([OcrPage(address, [])], engine="fake")
    return DocumentResult(f"/x/{sha}.png", sha * 64, "ok", ocr=ocr, extraction=Extraction(fields), pages=1)


def test_the_database_is_consolidated_in_place_keeping_what_was_read(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    pop = SqlPopulator(engine)
    misread = ADDRESS.replace("PELABUR", "PELAFUR")
    pop.store([_result("e", ADDRESS.replace("LOT 3", "L0T 3"))])
    assert pop.consolidate(OPTIONS) == 0  # an earlier ingest's, looked at then: not again
    pop.store([_result("a", ADDRESS), _result("b", ADDRESS), _result("c", misread)])
    pop.store([_result("d", ADDRESS.replace("SHAH", "SHAN"), source="static")])  # a template's: stays
    assert pop.consolidate(OPTIONS) == 1
    with Session(engine) as s:
        rows = {d.name: (f.value, f.raw, f.source) for d, f in s.execute(select(Document, Field).join(Field))}
    assert rows["c"] == (ADDRESS, misread.lower(), "consensus")
    assert rows["d"][0] == ADDRESS.replace("SHAH", "SHAN") and rows["d"][2] == "static"
    assert rows["e"][2] == "header"
    assert pop.consolidate(OPTIONS) == 0  # nothing left to do: the same answer twice
    engine.dispose()


@pytest.mark.parametrize(
    ("confidence", "respelled"),
    [(1.0, 0), (0.9931, 1)],  # a PDF's text layer is as printed; PP-OCRv6 on a clean scan is still OCR
)
def test_typed_documents_are_not_respelled(tmp_path: Path, confidence: float, respelled: int) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 't.db'}")
    upgrade(engine)
    pop = SqlPopulator(engine)
    pop.store([_result("a", ADDRESS), _result("b", ADDRESS), _result("c", ADDRESS.replace("JALAN", "JALAU"))])
    with Session(engine) as s, s.begin():
        for doc in s.scalars(select(Document).where(Document.name == "c")):
            doc.ocr_confidence = confidence
    assert pop.consolidate(OPTIONS) == respelled
    engine.dispose()


def test_ingest_consolidates_once_all_are_stored(tmp_path: Path) -> None:
    names = {"a": ADDRESS, "b": ADDRESS, "c": ADDRESS.replace("JALAN", "JALAM")}
    for stem in names:
        (tmp_path / f"{stem}.png").write_bytes(stem.encode())
    pop = MemoryPopulator()
    results = {stem: _result(stem, value) for stem, value in names.items()}
    summary = ingest([tmp_path], pop, Replay(results), consolidate=OPTIONS)
    assert summary.ok == 3 and summary.consolidated == 1
    values = {Path(r.source).stem: r.extraction.fields["address"] for r in pop.documents.values() if r.extraction}
    assert values["c"].value == ADDRESS and values["c"].source == "consensus" and values["c"].raw == names["c"].lower()
    # without the option nothing is respelled
    pop2 = MemoryPopulator()
    results = {stem: _result(stem, value) for stem, value in names.items()}
    assert ingest([tmp_path], pop2, Replay(results)).consolidated == 0


def test_the_summary_says_how_many_were_respelled(capsys: pytest.CaptureFixture[str]) -> None:
    from icr.cli.commands import print_summary
    from icr.pipeline import IngestSummary

    print_summary(IngestSummary(ok=3, seconds=1.0, consolidated=2))
    assert "ok 3, failed 0, skipped 0" in capsys.readouterr().err.replace("\n", " ")
    print_summary(IngestSummary(ok=3, seconds=1.0, consolidated=2))
    assert "2 names/addresses respelled" in capsys.readouterr().err


class _Killed(Replay):
    """Stops the run (as kill -9 would) once ``after`` documents are out: never consolidated."""

    def __init__(self, results: dict[str, DocumentResult], after: int) -> None:
        super().__init__(results)
        self.after = after

    def run(self, tasks: Sequence[Task]) -> Iterator[DocumentResult]:
        for n, result in enumerate(super().run(tasks)):
            if n == self.after:
                raise KeyboardInterrupt
            yield result


def _addresses(url: str) -> dict[str, tuple[str | None, str | None]]:
    engine = open_engine(url)
    with Session(engine) as s:
        rows = {d.name: (f.value, f.source) for d, f in s.execute(select(Document, Field).join(Field))}
    engine.dispose()
    return rows


def test_a_rerun_after_an_interruption_consolidates_what_the_killed_run_stored(db_url: str, tmp_path: Path) -> None:
    uninterrupted = f"sqlite:///{tmp_path / 'clean.db'}"
    names = {
        "a": ADDRESS,
        "b": ADDRESS.replace("JALAN", "JALAM"),  # stored by the killed run, never consolidated by it
        "c": ADDRESS,
        "d": ADDRESS,
        "e": ADDRESS.replace("SELANGOR", "SELANG0R"),
    }
    for stem in names:
        (tmp_path / f"{stem}.png").write_bytes(stem.encode())

    def results() -> dict[str, DocumentResult]:
        return {stem: _result(stem, value) for stem, value in names.items()}

    def populator(url: str) -> SqlPopulator:
        engine = open_engine(url)
        upgrade(engine)
        return SqlPopulator(engine)

    clean = populator(uninterrupted)
    assert ingest([tmp_path], clean, Replay(results()), consolidate=OPTIONS, batch_size=1).consolidated == 2
    clean.engine.dispose()

    killed = populator(db_url)
    with pytest.raises(KeyboardInterrupt):
        ingest([tmp_path], killed, _Killed(results(), after=3), consolidate=OPTIONS, batch_size=1)
    summary = ingest([tmp_path], killed, Replay(results()), consolidate=OPTIONS, batch_size=1)
    assert (summary.ok, summary.skipped, summary.consolidated) == (2, 3, 2)
    killed.engine.dispose()
    assert _addresses(db_url) == _addresses(uninterrupted)
    assert _addresses(db_url)["b"] == (ADDRESS, "consensus")
