#!/usr/bin/env bash
# Refreshes the htmx file `icr serve` serves (icr/web/static/htmx.min.js) from its npm package.
# Run by hand when updating htmx; nothing is fetched when icr runs. Needs Debian's npm.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-2.0.11}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --silent "htmx.org@$version")
cp "$tmp/node_modules/htmx.org/dist/htmx.min.js" icr/web/static/htmx.min.js
cp "$tmp/node_modules/htmx.org/LICENSE" icr/web/static/htmx.LICENSE
echo "icr/web/static/htmx.min.js: htmx $version"
