#!/usr/bin/env bash
# Installs everything icr needs on Debian: Tesseract and fonts from Debian's packages,
# then icr itself with all extras into ./.venv. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# fonts-humor-sans, -sjfonts, -femkeklaver: the handwriting fonts the htr tests render words in
# (held out of training); the rest of the second line, fonts-liberation and fonts-dejavu-extra: what
# `icr htr train` renders its words in (every installed DejaVu face counts: the same set everywhere);
# fonts-ipafont-gothic, fonts-wqy-microhei: the Japanese and Chinese receipts the tests and
# benchmarks/world_scans.py print; tesseract-ocr-rus, -ell, -kor: the models that read a page in a script
# the neural engine has none of (config/icr.yaml script_fallback)
packages=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-rus tesseract-ocr-ell tesseract-ocr-kor
  fonts-dejavu-core python3-venv python3-pip
  fonts-humor-sans fonts-sjfonts fonts-femkeklaver
  fonts-bwht fonts-dkg-handwriting fonts-breip fonts-kristi fonts-rufscript fonts-klee fonts-comic-neue
  fonts-dancingscript fonts-kaushanscript fonts-liberation fonts-dejavu-extra
  fonts-ipafont-gothic fonts-wqy-microhei)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.icr-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing icr and its Python dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[all,dev]"
  touch "$stamp"
fi
