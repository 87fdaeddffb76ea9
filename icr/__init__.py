"""icr: intelligent character recognition for receipts and forms.

The public API (everything else is internal and may change)::

    import icr

    doc = icr.read("receipt.jpg")          # one file, no database: an icr.Document
    doc.fields["total"]                    # Decimal('12.59'); dates are datetime.date

    if __name__ == "__main__":             # workers start by forkserver: guard the script
        summary = icr.ingest(["scans/"], "sqlite:///receipts.db", jobs=2)
        for record in icr.records("sqlite:///receipts.db"):
            print(record["id"], record["fields"].get("total"))

Names are imported on first use, so ``import icr`` stays light (the command line's
parent process never loads OpenCV or pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "ClusterError",
    "ConfigError",
    "DatabaseError",
    "Document",
    "DocumentError",
    "DocumentTimeout",
    "IcrError",
    "IngestSummary",
    "InputError",
    "LineItem",
    "Settings",
    "TemplateError",
    "__version__",
    "ingest",
    "load_settings",
    "read",
    "records",
]

_WHERE = {
    "read": "icr.api",
    "ingest": "icr.api",
    "records": "icr.api",
    "Document": "icr.api",
    "IngestSummary": "icr.pipeline",
    "LineItem": "icr.types",
    "Settings": "icr.config",
    "load_settings": "icr.api",
    **{
        name: "icr.errors"
        for name in (
            "IcrError",
            "ConfigError",
            "TemplateError",
            "DatabaseError",
            "InputError",
            "ClusterError",
            "DocumentError",
            "DocumentTimeout",
        )
    },
}

if TYPE_CHECKING:
    from icr.api import Document, ingest, load_settings, read, records
    from icr.config import Settings
    from icr.errors import (
        ClusterError,
        ConfigError,
        DatabaseError,
        DocumentError,
        DocumentTimeout,
        IcrError,
        InputError,
        TemplateError,
    )
    from icr.pipeline import IngestSummary
    from icr.types import LineItem


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("icr")
        except PackageNotFoundError:
            return "0+unknown"
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'icr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
