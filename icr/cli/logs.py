"""Logging for the command line: ``-v``/``-q`` choose how much, ``--log-format`` how.

``text`` prints ``icr: LEVEL: message`` lines; ``json`` prints one JSON object per event
(one per document during an ingest or a watch), for log collectors. Logs go to stderr;
records and reports go to stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

LOGGER = "icr"
EVENT_ATTR = "icr_event"
"""A log record carrying a dict under this attribute is an event: its keys become JSON fields."""

log = logging.getLogger(LOGGER)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the event's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, EVENT_ATTR, None)
        if isinstance(event, dict):
            out.update(event)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def level_for(verbose: int, quiet: int, fmt: str = "text") -> int:
    """Text: warnings by default (a progress bar shows the rest), -v one line per document,
    -vv debug. JSON: every document event by default. Each -q is one level less."""
    base = logging.INFO if fmt == "json" else logging.WARNING
    return max(logging.DEBUG, min(logging.ERROR, base + 10 * (quiet - verbose)))


def configure(verbose: int = 0, quiet: int = 0, fmt: str = "text") -> None:
    """Send icr's logs to stderr at the level and in the format asked for (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("icr: %(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level_for(verbose, quiet, fmt))
    log.propagate = False


def event(level: int, message: str, **fields: Any) -> None:
    """Log ``message`` with structured ``fields`` (kept as JSON keys in --log-format json)."""
    log.log(level, message, extra={EVENT_ATTR: {"event": message, **fields}})
