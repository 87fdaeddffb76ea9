#!/usr/bin/env bash
# Quick start: install everything, read the sample receipts into ./icr.db (SQLite), show the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/icr ingest samples/ || [ $? -eq 2 ]   # exit 2 = some documents failed (listed above)
.venv/bin/icr export --format csv --no-text
