"""``icr serve``: the review pages and JSON API on a local web server (:mod:`icr.web.app`)."""

from __future__ import annotations

import os

import click

from icr.config import load_settings
from icr.db.database import database_url, open_engine, upgrade
from icr.errors import ConfigError, InputError
from icr.store import store_for


@click.command("serve")
@click.option("--db", "db_url", metavar="URL", help="Database URL (default: $ICR_DATABASE_URL, else sqlite:///icr.db).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (another than loopback needs ICR_SERVE_TOKEN).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="A YAML file overriding config/icr.yaml."
)
def serve_cmd(db_url: str | None, host: str, port: int, config_path: str | None) -> None:
    """Review and correct documents in a browser: http://HOST:PORT/.

    \b
    A queue of documents needing review, each page with the box of every field
    drawn on it, keyboard-first editing (Enter saves and goes on, j/k moves),
    confirm-all, and the reports with their charts; a JSON API beside it
    (/api/documents, see icr/web/app.py). Listening on another address than the
    loopback needs a token: set ICR_SERVE_TOKEN, and send it as
    "Authorization: Bearer TOKEN" or log in on the page.
    """
    try:
        import uvicorn

        from icr.web.app import create_app
        from icr.web.security import TOKEN_ENV, is_loopback
    except ImportError as exc:
        raise ConfigError(f"icr serve needs the web extra: install icr[web] ({exc})") from exc
    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and token is None:
        raise InputError(f"--host {host}: listening beyond this machine needs a token: set {TOKEN_ENV}")
    settings = load_settings(config_path)
    url = database_url(db_url)
    engine = open_engine(url)
    upgrade(engine)
    review = settings.section("review")
    app = create_app(
        engine,
        store=store_for(url, settings.get("store", "path", "auto")),
        token=token,
        field_types={str(k): str(v) for k, v in (review.get("field_types") or {}).items()},
        hosts=["127.0.0.1", "localhost", "::1"] if is_loopback(host) else ["*"],
    )
    click.echo(f"icr serve: http://{host}:{port}/ on {engine.url.render_as_string()}", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        engine.dispose()
