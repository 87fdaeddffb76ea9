"""``icr serve``: the review queue, the document pages and the JSON API (FastAPI, Jinja2, htmx).

Pages are rendered on the server (every text escaped by Jinja2's autoescape, and a Content
Security Policy that runs only this server's own scripts); htmx is served from the package,
nothing is fetched from elsewhere. The JSON API offers the pages' operations::

    GET  /api/documents?needs_review=true&limit=N     the queue
    GET  /api/documents/{id}                          fields with value, confidence, source, page, box
    GET  /api/documents/{id}/image?page=N             the page as read (PNG)
    PUT  /api/documents/{id}/fields/{name}  {"value": "..."}   200 + the stored value, 422 + why not
    POST /api/documents/{id}/confirm
    POST /api/documents/{id}/discard      (a purchase stored twice: set aside, out of the reports)
    POST /api/documents/{id}/restore
"""

from __future__ import annotations

import datetime as dt
import getpass
import io
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.middleware.trustedhost import TrustedHostMiddleware

from icr.db.models import Document
from icr.review import (
    InvalidValue,
    NotFound,
    QueueFilter,
    confirm_document,
    correct_field,
    detail,
    discard_document,
    field_dict,
    get_document,
    list_documents,
    queue_ids,
    restore_document,
    summary,
)
from icr.store import FileStore
from icr.web import security
from icr.web.security import Guard

HERE = Path(__file__).resolve().parent

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
FILTER_KEYS = ("needs_review", "status", "doc_type", "vendor", "date_from", "date_to", "q")


@dataclass
class ServeConfig:
    engine: Engine
    store: FileStore | None
    guard: Guard
    field_types: Mapping[str, str]
    reviewer: str
    hosts: list[str]


class FieldUpdate(BaseModel):
    value: str | int | float | None


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"not a date (YYYY-MM-DD): {text!r}") from exc


def _flag(text: str | None) -> bool | None:
    if text is None or text.strip().lower() in ("", "any", "all"):
        return None
    return text.strip().lower() in ("1", "true", "yes", "on")


def queue_filter(params: Mapping[str, str], default_review: str = "true") -> QueueFilter:
    return QueueFilter(
        needs_review=_flag(params.get("needs_review", default_review)),
        status=params.get("status") or None,
        doc_type=params.get("doc_type") or None,
        vendor=params.get("vendor") or None,
        date_from=_day(params.get("date_from")),
        date_to=_day(params.get("date_to")),
        text=params.get("q") or None,
    )


def _filter_query(params: Mapping[str, str]) -> str:
    kept = {k: params[k] for k in FILTER_KEYS if params.get(k)}
    if "needs_review" not in params:
        kept["needs_review"] = "true"
    return urlencode(kept)


def page_image(cfg: ServeConfig, doc: Document, page: int) -> Path | bytes | None:
    """The page as it was read (kept in the store), else rendered from the kept original or the
    source file (then the boxes may not line up with it); None when neither is there."""
    if page < 1 or page > max(doc.pages, 1):
        return None
    if cfg.store is not None:
        kept = cfg.store.page(doc.sha256, page)
        if kept is not None:
            return kept
    original = cfg.store.original(doc.sha256) if cfg.store is not None else None
    source = original or Path(doc.source)
    if not source.is_file():
        return None
    from icr.errors import DocumentError
    from icr.imaging.load import load_pages
    from icr.store import encode_png

    try:
        pages = load_pages(source)
    except DocumentError:
        return None
    return encode_png(pages[page - 1].image) if page <= len(pages) else None


def image_size(image: Path | bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as im:
        return im.size


def create_app(
    engine: Engine,
    *,
    store: FileStore | None = None,
    token: str | None = None,
    field_types: Mapping[str, str] | None = None,
    reviewer: str | None = None,
    hosts: list[str] | None = None,
) -> FastAPI:
    """The review application on ``engine``'s database. ``token``: every request must carry it."""
    cfg = ServeConfig(
        engine=engine,
        store=store,
        guard=Guard(token or None),
        field_types=dict(field_types or {}),
        reviewer=reviewer or os.environ.get("ICR_REVIEWER") or getpass.getuser(),
        hosts=hosts or ["127.0.0.1", "localhost", "testserver"],
    )
    app = FastAPI(title="icr review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.cfg = cfg
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        api = path.startswith("/api/")
        if request.method not in security.SAFE_METHODS and security.cross_site(request):
            return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        if not path.startswith("/static/") and path != "/login" and not cfg.guard.authorized(request):
            if api:
                return JSONResponse(
                    {"detail": "a token is needed (Authorization: Bearer ...)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return RedirectResponse("/login", status_code=303)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=cfg.hosts)

    @app.exception_handler(InvalidValue)
    async def invalid(_request: Request, exc: InvalidValue) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        token = security.csrf_token(request)
        context = {**context, "csrf": token, "login": cfg.guard.token is not None}
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        if request.cookies.get(security.CSRF_COOKIE) != token:
            response.set_cookie(security.CSRF_COOKIE, token, httponly=True, samesite="strict")
        return response

    # -- the JSON API --------------------------------------------------------------------

    @app.get("/api/documents")
    def api_documents(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        flt = queue_filter(request.query_params, default_review="any")
        with Session(engine) as session:
            return [summary(d) for d in list_documents(session, flt, limit, offset)]

    @app.get("/api/documents/{doc_id}")
    def api_document(doc_id: int) -> dict[str, Any]:
        with Session(engine) as session:
            return detail(get_document(session, doc_id))

    @app.get("/api/documents/{doc_id}/image")
    def api_image(doc_id: int, page: Annotated[int, Query(ge=1)] = 1) -> Response:
        with Session(engine) as session:
            doc = get_document(session, doc_id)
            image = page_image(cfg, doc, page)
        if image is None:
            raise HTTPException(404, f"no image of page {page} of document {doc_id} is kept")
        if isinstance(image, bytes):
            return Response(image, media_type="image/png")
        return FileResponse(image, media_type="image/png")

    @app.put("/api/documents/{doc_id}/fields/{name}")
    def api_correct(doc_id: int, name: str, update: FieldUpdate) -> dict[str, Any]:
        text = "" if update.value is None else str(update.value)
        with Session(engine) as session, session.begin():
            f = correct_field(session, doc_id, name, text, cfg.reviewer, cfg.field_types)
            return {**field_dict(f), "needs_review": f.document.needs_review}

    @app.post("/api/documents/{doc_id}/confirm")
    def api_confirm(doc_id: int) -> dict[str, Any]:
        with Session(engine) as session, session.begin():
            return detail(confirm_document(session, doc_id, cfg.reviewer))

    @app.post("/api/documents/{doc_id}/discard")
    def api_discard(doc_id: int) -> dict[str, Any]:
        with Session(engine) as session, session.begin():
            return detail(discard_document(session, doc_id, cfg.reviewer))

    @app.post("/api/documents/{doc_id}/restore")
    def api_restore(doc_id: int) -> dict[str, Any]:
        with Session(engine) as session, session.begin():
            return detail(restore_document(session, doc_id, cfg.reviewer))

    # -- the pages -----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        flt = queue_filter(params)
        with Session(engine) as session:
            docs = [summary(d) for d in list_documents(session, flt, limit=500)]
            total = len(queue_ids(session, flt))
        return render(
            request,
            "queue.html",
            {"docs": docs, "total": total, "params": params, "filters": _filter_query(params), "flt": flt},
        )

    @app.get("/documents/{doc_id}", response_class=HTMLResponse)
    def document_page(request: Request, doc_id: int) -> HTMLResponse:
        return _document_page(request, doc_id, {}, {})

    def _document_page(
        request: Request, doc_id: int, errors: dict[str, str], submitted: dict[str, str], status_code: int = 200
    ) -> HTMLResponse:
        params = dict(request.query_params)
        flt = queue_filter(params)
        with Session(engine) as session:
            doc = get_document(session, doc_id)
            info = detail(doc)
            ids = queue_ids(session, flt)
        sizes: dict[int, tuple[int, int]] = {}
        for number in range(1, max(doc.pages, 1) + 1):
            image = page_image(cfg, doc, number)
            if image is not None:
                sizes[number] = image_size(image)
        position = ids.index(doc_id) + 1 if doc_id in ids else None
        later = [i for i in ids if i > doc_id]
        earlier = [i for i in ids if i < doc_id]
        flagged = {r.split(":", 1)[0].strip() for r in info["review_reasons"]}
        names = list(info["fields"]) + sorted(n for n in flagged if n not in info["fields"])
        focus = next((n for n in names if n in errors), None) or next((n for n in names if n in flagged), None)
        return render(
            request,
            "document.html",
            {
                "doc": info,
                "names": names,
                "flagged": flagged,
                "sizes": sizes,
                "position": position,
                "count": len(ids),
                "next_id": later[0] if later else None,
                "prev_id": earlier[-1] if earlier else None,
                "filters": _filter_query(params),
                "errors": errors,
                "submitted": submitted,
                "focus": focus or (names[0] if names else None),
            },
            status_code=status_code,
        )

    @app.post("/documents/{doc_id}", response_class=HTMLResponse)
    async def save_document(request: Request, doc_id: int) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items()}
        if not security.csrf_ok(request, values.get(security.CSRF_FIELD)):
            return HTMLResponse("The form has expired: reload the page and try again.", status_code=403)
        errors: dict[str, str] = {}
        submitted = {k.removeprefix("field."): v for k, v in values.items() if k.startswith("field.")}
        with Session(engine) as session:
            doc = get_document(session, doc_id)
            stored = {f.name: f.value or "" for f in doc.fields}
            for name, value in submitted.items():
                if value.strip() == stored.get(name, ""):
                    continue
                try:
                    with session.begin_nested():
                        correct_field(session, doc_id, name, value, cfg.reviewer, cfg.field_types)
                except InvalidValue as exc:
                    errors[name] = str(exc)
            if errors:  # all or nothing: the page comes back with the values as typed and why
                session.rollback()
            else:
                if values.get("action") == "confirm":
                    confirm_document(session, doc_id, cfg.reviewer)
                elif values.get("action") == "discard":
                    discard_document(session, doc_id, cfg.reviewer)
                elif values.get("action") == "restore":
                    restore_document(session, doc_id, cfg.reviewer)
                session.commit()
        if errors:
            return _document_page(request, doc_id, errors, submitted, status_code=422)
        params = dict(request.query_params)
        with Session(engine) as session:
            ids = queue_ids(session, queue_filter(params))
        later = [i for i in ids if i > doc_id]
        query = _filter_query(params)
        target = f"/documents/{later[0]}?{query}" if later else f"/?{query}&done=1"
        return RedirectResponse(target, status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> HTMLResponse:
        return render(request, "login.html", {"failed": False})

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await request.form()
        if not security.csrf_ok(request, str(form.get(security.CSRF_FIELD, ""))):
            return HTMLResponse("The form has expired: reload the page and try again.", status_code=403)
        if not cfg.guard.check_login(str(form.get("token", ""))):
            return render(request, "login.html", {"failed": True}, status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(security.LOGIN_COOKIE, str(form["token"]), httponly=True, samesite="strict")
        return response

    @app.get("/reports", response_class=HTMLResponse)
    def reports_page(request: Request, name: str = "spend-by-vendor") -> HTMLResponse:
        from icr.reporting import CHARTS, REPORTS, Filters, run_report
        from icr.reporting.output import text_cell

        if name not in REPORTS:
            raise HTTPException(404, f"no report {name!r}")
        params = dict(request.query_params)
        filters = Filters(start=_day(params.get("from")), end=_day(params.get("to")), vendor=params.get("vendor"))
        df = run_report(engine, name, filters)
        rows = [[text_cell(v) for v in row] for row in df.head(500).itertuples(index=False)]
        query = urlencode({k: params[k] for k in ("from", "to", "vendor") if params.get(k)} | {"name": name})
        return render(
            request,
            "reports.html",
            {
                "names": list(REPORTS),
                "name": name,
                "columns": list(df.columns),
                "rows": rows,
                "more": max(0, len(df) - 500),
                "chart": name in CHARTS and len(df) > 0,
                "query": query,
                "params": params,
            },
        )

    @app.get("/reports/chart.png")
    def report_chart(request: Request, name: str) -> Response:
        from icr.reporting import CHARTS, Filters, draw_chart, run_report

        if name not in CHARTS:
            raise HTTPException(404, f"no chart for {name!r}")
        params = dict(request.query_params)
        filters = Filters(start=_day(params.get("from")), end=_day(params.get("to")), vendor=params.get("vendor"))
        df = run_report(engine, name, filters)
        with tempfile.TemporaryDirectory(prefix="icr-chart-") as tmp:
            path = draw_chart(df, name, Path(tmp) / "chart.png")
            return Response(path.read_bytes(), media_type="image/png")

    return app
