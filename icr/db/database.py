"""Opening a database and bringing its schema up to date with Alembic."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from icr.errors import DatabaseError

DEFAULT_URL = "sqlite:///icr.db"
_MIGRATION_LOCK = 4242_0001
"""PostgreSQL advisory lock id taken while migrating, so concurrent ingests migrate once."""


def database_url(url: str | None = None) -> str:
    """``url``, else ``$ICR_DATABASE_URL``, else the SQLite file ``icr.db`` in the current folder.

    ``postgres://`` (Heroku's and many hosts' spelling, which SQLAlchemy refuses) means
    ``postgresql://``."""
    resolved = url or os.environ.get("ICR_DATABASE_URL") or DEFAULT_URL
    if resolved.startswith("postgres://") or resolved.startswith("postgres+"):
        resolved = "postgresql" + resolved[len("postgres") :]
    return resolved


_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def shown_url(url: str | None = None) -> str:
    """The database URL as it may be printed or logged: the password masked (``***``), also
    in a URL too broken to parse."""
    resolved = database_url(url)
    try:
        return make_url(resolved).render_as_string(hide_password=True)
    except Exception:
        return _PASSWORD.sub(r"\1:***@", resolved)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def open_engine(url: str | None = None) -> Engine:
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
        engine = create_engine(resolved, future=True)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL '{shown_url(resolved)}': {exc}") from exc
    except ImportError as exc:
        shown = shown_url(resolved)
        raise DatabaseError(f"no driver for '{shown}': {exc} (install icr[postgres] for PostgreSQL)") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_existing(url: str | None = None) -> Engine:
    """Open a database that must already exist: reading commands never create one.

    A SQLite file that is not there is an error (SQLite would create it empty); other
    servers refuse a database that does not exist by themselves."""
    engine = open_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:") and not Path(database).is_file():
            engine.dispose()
            raise DatabaseError(
                f"{database_url(url)}: no such database (run `icr ingest` or `icr db upgrade` to create one)"
            )
    return engine


def migrations_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "migrations", here / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError(f"cannot find the migrations folder (looked in {here.parent / 'migrations'})")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Only one process migrates at a time: an advisory lock on PostgreSQL, a file lock
    beside the database file on SQLite."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
            conn.commit()


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command on ``engine`` under the migration lock, in one transaction."""
    try:
        with _migration_lock(engine), engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            step(cfg, revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot migrate {engine.url.render_as_string()}: {exc}") from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to ``revision`` (``base``: no tables)."""
    _migrate(engine, command.downgrade, revision)
