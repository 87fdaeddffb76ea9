"""Review and correction: field boxes, kept originals, corrections that outlive a reprocess,
and the JSON API and pages of ``icr serve`` through FastAPI's test client."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from review_support import HOSTILE, receipt, review_db
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from icr.db.database import open_engine, upgrade
from icr.db.models import Correction, Document, Field
from icr.db.populator import SqlPopulator, review_pending
from icr.export import iter_records
from icr.review import InvalidValue, confirm_document, correct_field, parse_value
from icr.store import FileStore, store_for
from icr.text.locate import locate
from icr.types import Word

fastapi = pytest.importorskip("fastapi", reason="icr serve needs the web extra (pip install icr[web])")
from fastapi.testclient import TestClient  # noqa: E402

from icr.web.app import create_app  # noqa: E402

TYPES = {"total": "amount", "date": "date", "time": "time"}


def _word(text: str, left: int, line: int, page: int = 1) -> Word:
    return Word(text, left, 20 * line, 10 * len(text), 15, 0.9, 1, 1, line, page)


def test_locate_takes_the_words_a_value_was_read_from() -> None:
    words = [
        _word("SUBTOTAL", 0, 1),
        _word("12.50", 200, 1),
        _word("TOTAL", 0, 2),
        _word("12.50", 200, 2),
        _word("KEDAI", 0, 0),
        _word("MAJU", 60, 0),
        _word("JAYA", 110, 0),
    ]
    assert locate("total", "12.50", words) == (1, (200, 40, 250, 55))  # the line that names the field
    assert locate("company", "KEDAI MAJU JAYA", words) == (1, (0, 0, 150, 15))
    assert locate("company", "KEDAl MAJU JAYA", words) is not None  # an OCR slip still matches
    assert locate("company", "NOTHING LIKE IT", words) is None


def test_store_keeps_each_file_once_by_sha256(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(b"first")
    store = FileStore(tmp_path / "files")
    sha = "ab" * 32
    kept = store.put_original(src, sha)
    src.write_bytes(b"changed")  # a second put of the same sha256 leaves the kept copy alone
    assert store.put_original(src, sha) == kept and kept.read_bytes() == b"first"
    assert kept.parent == tmp_path / "files" / "ab" / sha
    with pytest.raises(ValueError):
        store.original("../../etc/passwd")
    assert store_for(f"sqlite:///{tmp_path / 'icr.db'}").root == tmp_path / "icr.files"  # type: ignore[union-attr]
    assert store_for("postgresql://u@h/db") is None
    assert store_for("postgresql://u@h/db", str(tmp_path / "kept")).root == tmp_path / "kept"  # type: ignore[union-attr]
    assert store_for(f"sqlite:///{tmp_path / 'icr.db'}", "off") is None


def test_values_are_checked_as_their_kind() -> None:
    assert parse_value("total", "RM 1,021.5", TYPES).amount == Decimal("1021.50")
    assert parse_value("date", "2019-02-28", TYPES).date_value == dt.date(2019, 2, 28)
    assert parse_value("company", "  ACME   LTD ", TYPES).value == "ACME LTD"
    for name, bad in (
        ("total", "abc"),
        ("total", "12.5.0"),
        ("date", "2019-02-30"),
        ("date", "28/02/2019"),
        ("time", "25:99"),
    ):
        with pytest.raises(InvalidValue, match=name):
            parse_value(name, bad, TYPES)


def test_a_correction_outlives_reprocess_and_shows_in_export(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    pop = SqlPopulator(engine)
    pop.store([receipt(1, "KEDAI MAJU JAYA", "12.50", 0.3)])
    with Session(engine) as s, s.begin():
        doc_id = s.scalar(select(Document.id))
        assert doc_id is not None
        correct_field(s, doc_id, "total", "15.50", "ana", TYPES)
    again = receipt(1, "KEDAI MAJU JAYA", "99.99", 0.2)  # the next reading is wrong again
    pop.store([again], reprocess=True)
    with Session(engine) as s:
        total = s.scalars(select(Field).where(Field.name == "total")).one()
        assert (total.value, total.amount, total.source, total.reviewed_by) == (
            "15.50",
            Decimal("15.50"),
            "review",
            "ana",
        )
        fix = s.scalars(select(Correction)).one()
        assert (fix.field, fix.old_value, fix.new_value, fix.corrected_by) == ("total", "12.50", "15.50", "ana")
        assert s.scalars(select(Document.needs_review)).one() is False  # its only reason, total, is settled
        assert s.scalar(select(Field.box).where(Field.name == "company")) == [10, 20, 200, 45]
    [rec] = list(iter_records(engine))
    assert rec["fields"]["total"] == "15.50" and rec["fields"]["company"] == "KEDAI MAJU JAYA"
    engine.dispose()


def test_confirm_clears_the_flag_only_when_every_reason_is_settled(tmp_path: Path) -> None:
    url, _ = review_db(tmp_path)
    engine = open_engine(url)
    with Session(engine) as s, s.begin():
        doc = s.scalars(select(Document).where(Document.name == "receipt-1")).one()
        doc.review_reasons = "total: low confidence 0.30; tax: missing"
        confirm_document(s, doc.id, "ana")
        assert doc.needs_review is True  # a missing field cannot be confirmed, only entered
        correct_field(s, doc.id, "tax", "0.71", "ana", {"tax": "amount"})
        assert doc.needs_review is False


def test_a_reason_about_the_whole_document_is_settled_by_confirming_it(tmp_path: Path) -> None:
    url, _ = review_db(tmp_path)
    engine = open_engine(url)
    whole = "side by side: 2 columns of text read as one receipt, and it may hold two"
    with Session(engine) as s, s.begin():
        doc = s.scalars(select(Document).where(Document.name == "receipt-1")).one()
        doc.review_reasons, doc.needs_review = f"total: low confidence 0.30; {whole}", True
        correct_field(s, doc.id, "total", "12.50", "ana", TYPES)
        assert review_pending(doc) == [whole] and doc.needs_review is True  # one field looked at, not all
        confirm_document(s, doc.id, "ana")  # the person saw it is one receipt
        assert review_pending(doc) == [] and doc.needs_review is False
    engine.dispose()
    engine.dispose()


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    url, store = review_db(tmp_path)
    return TestClient(create_app(open_engine(url), store=store, field_types=TYPES, reviewer="ana"))


def test_api_lists_details_and_serves_page_images(client: TestClient) -> None:
    queue = client.get("/api/documents", params={"needs_review": "true", "limit": 2}).json()
    assert [d["id"] for d in queue] == [1, 2]
    assert set(queue[0]) >= {"id", "source", "doc_type", "needs_review"} and queue[0]["needs_review"] is True
    assert len(client.get("/api/documents", params={"needs_review": "false"}).json()) == 1
    doc = client.get("/api/documents/1").json()
    total = doc["fields"]["total"]
    assert (total["value"], total["confidence"], total["source"], total["page"], total["box"]) == (
        "12.50",
        0.3,
        "keyword",
        1,
        [10, 100, 160, 125],
    )
    image = client.get("/api/documents/1/image", params={"page": 1})
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get("/api/documents/1/image", params={"page": 2}).status_code == 404
    assert client.get("/api/documents/99").status_code == 404
    assert client.get("/api/documents/99/image").status_code == 404
    assert client.get("/api/documents/1/image", params={"page": "../../etc/passwd"}).status_code == 422


def test_api_corrects_with_normalized_values_and_refuses_wrong_types(client: TestClient) -> None:
    ok = client.put("/api/documents/1/fields/total", json={"value": "RM 13.5"})
    assert ok.status_code == 200
    assert (ok.json()["value"], ok.json()["source"], ok.json()["needs_review"]) == ("13.50", "review", False)
    for name, bad in (("total", "abc"), ("date", "2019-02-30")):
        response = client.put(f"/api/documents/2/fields/{name}", json={"value": bad})
        assert response.status_code == 422 and bad in response.json()["detail"]
    assert client.get("/api/documents/2").json()["fields"]["date"]["value"] == "2019-03-02"  # unchanged
    confirmed = client.post("/api/documents/2/confirm").json()
    assert confirmed["needs_review"] is False and all(f["reviewed"] for f in confirmed["fields"].values())
    assert [d["id"] for d in client.get("/api/documents", params={"needs_review": "true"}).json()] == [3]


def test_a_document_set_aside_leaves_the_queue_and_the_reports_and_can_come_back(
    client: TestClient, tmp_path: Path
) -> None:
    discarded = client.post("/api/documents/1/discard")
    assert discarded.status_code == 200
    assert (discarded.json()["status"], discarded.json()["needs_review"]) == ("discarded", False)
    assert [d["id"] for d in client.get("/api/documents", params={"needs_review": "true"}).json()] == [2, 3]
    assert client.post("/api/documents/1/discard").status_code == 422  # it is aside already
    engine = open_engine(f"sqlite:///{tmp_path / 'review.db'}")
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM v_receipts WHERE document_id = 1")) == 0
        change = s.scalars(select(Correction)).one()
        assert (change.field, change.old_value, change.new_value, change.corrected_by) == (
            "status", "ok", "discarded", "ana",
        )  # fmt: skip
    # ingest does not read it again, even told to reprocess
    pop = SqlPopulator(engine)
    again = receipt(1, "KEDAI MAJU JAYA", "12.50", 0.3)
    assert again.sha256 in pop.known([again.sha256])
    pop.store([again], reprocess=True)
    with Session(engine) as s:
        assert s.scalar(select(Document.status).where(Document.id == 1)) == "discarded"
    engine.dispose()
    restored = client.post("/api/documents/1/restore").json()
    assert (restored["status"], restored["needs_review"]) == ("ok", True)  # flagged as before
    # the page's button sets a document aside and goes on
    client.get("/documents/2")
    token = client.cookies.get("icr_csrf")
    page = client.post("/documents/2", data={"action": "discard", "csrf_token": token}, follow_redirects=False)
    assert page.status_code == 303 and client.get("/api/documents/2").json()["status"] == "discarded"
    assert 'value="restore"' in client.get("/documents/2").text  # and a button takes it back
    client.post("/documents/2", data={"action": "restore", "csrf_token": token}, follow_redirects=False)
    assert client.get("/api/documents/2").json()["status"] == "ok"


def test_pages_escape_ocr_text_and_forms_need_csrf(client: TestClient) -> None:
    page = client.get("/documents/3")
    assert page.status_code == 200
    assert HOSTILE not in page.text and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "&lt;script&gt;" in client.get("/", params={"needs_review": "any"}).text
    token = client.cookies.get("icr_csrf")
    assert token
    refused = client.post("/documents/1", data={"field.total": "1.00"})
    assert refused.status_code == 403
    saved = client.post("/documents/1", data={"field.total": "1.00", "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/documents/2?")
    assert client.get("/api/documents/1").json()["fields"]["total"]["value"] == "1.00"
    wrong = client.post("/documents/2", data={"field.total": "abc", "csrf_token": token})
    assert wrong.status_code == 422 and "is not an amount" in wrong.text
    cross = client.post("/api/documents/1/confirm", headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding


def test_a_token_guards_everything(tmp_path: Path) -> None:
    url, store = review_db(tmp_path)
    app = create_app(open_engine(url), store=store, token="s3cret", hosts=["*"])
    client = TestClient(app)
    assert client.get("/api/documents").status_code == 401
    assert client.get("/api/documents/1/image").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/documents", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/api/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    login = client.get("/login")
    csrf = client.cookies.get("icr_csrf")
    assert login.status_code == 200 and csrf
    assert client.post("/login", data={"token": "nope", "csrf_token": csrf}).status_code == 401
    client.post("/login", data={"token": "s3cret", "csrf_token": csrf})
    assert client.get("/api/documents").status_code == 200  # the login cookie


def test_serve_refuses_another_host_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from icr.cli import main

    monkeypatch.delenv("ICR_SERVE_TOKEN", raising=False)
    done = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--db", "sqlite:///:memory:"])
    assert done.exit_code == 5 and "ICR_SERVE_TOKEN" in done.output


@pytest.mark.tesseract
@pytest.mark.slow
def test_reprocess_keeps_corrections_that_show_in_export_and_teach(tmp_path: Path, samples_dir: Path) -> None:
    from conftest import requires_tesseract

    requires_tesseract()
    src = tmp_path / "in"
    src.mkdir()
    (src / "ying.png").write_bytes((samples_dir / "ying-thai-kitchen.png").read_bytes())
    url = f"sqlite:///{tmp_path / 'icr.db'}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[1]), "OMP_THREAD_LIMIT": "1"}

    def icr(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "icr", *args], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    icr("ingest", str(src), "--db", url, "-j", "1", "-q")
    store = FileStore(tmp_path / "icr.files")
    engine = open_engine(url)
    with Session(engine) as s:
        doc = s.scalars(select(Document)).one()
        assert store.original(doc.sha256) is not None and store.page(doc.sha256, 1) is not None
        boxes = {f.name: f.box for f in doc.fields}
        assert boxes["total"] is not None and boxes["company"] is not None
    (src / "ying.png").unlink()  # the source moves away: the page is still shown
    client = TestClient(create_app(engine, store=store, field_types=TYPES))
    assert client.get("/api/documents/1/image").status_code == 200
    assert client.put("/api/documents/1/fields/total", json={"value": "77.70"}).status_code == 200
    assert client.put("/api/documents/1/fields/company", json={"value": "Ying Thai Kitchen"}).status_code == 200
    (src / "ying.png").write_bytes((samples_dir / "ying-thai-kitchen.png").read_bytes())
    icr("ingest", str(src), "--db", url, "-j", "1", "-q", "--reprocess")
    record = json.loads(icr("export", "--db", url, "--no-text", "--crops", str(tmp_path / "crops")))
    assert record["fields"]["total"] == "77.70"
    labels = (tmp_path / "crops" / "labels.tsv").read_text()
    assert (
        "1-ying/total.png\tying\ttotal\t77.70\t" in labels and (tmp_path / "crops" / "1-ying" / "total.png").is_file()
    )
    # the reviewed receipt, read again, still teaches its vendor's template
    learned = tmp_path / "learned"
    assert "from 1 receipt(s)" in icr("templates", "learn", "--from-db", url, "--out", str(learned))
    assert [yaml_static(p) for p in learned.glob("*.yaml")] == ["Ying Thai Kitchen"]
    engine.dispose()


def test_templates_learn_from_the_reviewed_receipts_in_a_database(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from icr.cli import main

    url, _ = review_db(tmp_path)
    engine = open_engine(url)
    with Session(engine) as s, s.begin():
        correct_field(s, 1, "company", "KEDAI MAJU JAYA SDN BHD", "ana", TYPES)  # corrected
        confirm_document(s, 2, "ana")  # confirmed as read
    engine.dispose()
    out = tmp_path / "learned"
    done = CliRunner().invoke(main, ["templates", "learn", "--from-db", url, "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "from 2 receipt(s)" in done.output  # receipts 3 and 4 were never reviewed
    statics = {yaml_static(p) for p in out.glob("*.yaml")}
    assert statics == {"KEDAI MAJU JAYA SDN BHD", "GREEN VALLEY GROCER"}
    both = CliRunner().invoke(main, ["templates", "learn", str(tmp_path), "--from-db", url, "--out", str(out)])
    assert both.exit_code == 5


def yaml_static(path: Path) -> str:
    import yaml

    return str(yaml.safe_load(path.read_text())["static"]["company"])


def test_export_crops_of_reviewed_and_doubtful_fields(tmp_path: Path) -> None:
    from PIL import Image

    from icr.crops import export_crops

    url, store = review_db(tmp_path)
    engine = open_engine(url)
    with Session(engine) as s, s.begin():
        correct_field(s, 4, "total", "120.30", "ana", TYPES)
    n = export_crops(engine, store, tmp_path / "crops", below=0.5)
    engine.dispose()
    rows = [line.split("\t") for line in (tmp_path / "crops" / "labels.tsv").read_text().splitlines()]
    assert rows[0][:3] == ["crop", "document", "field"]
    kept = {(r[1], r[2], r[3], r[6]) for r in rows[1:]}
    # receipt 4's total was corrected; the totals of 1-3 were read with confidence under 0.5
    assert kept == {
        ("receipt-1", "total", "12.50", "no"),
        ("receipt-2", "total", "8.20", "no"),
        ("receipt-3", "total", "3.00", "no"),
        ("receipt-4", "total", "120.30", "yes"),
    }
    assert n == 4
    with Image.open(tmp_path / "crops" / "4-receipt-4" / "total.png") as crop:
        assert crop.size == (150 + 8, 25 + 8)  # the box (10, 100, 160, 125) and a 4-pixel margin
