# icr with Tesseract and every extra (neural, pdf, heif, postgres, dask, web, reports, htr),
# run as a non-root user.
#   docker build -t icr .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD/scans:/data/scans" icr ingest /data/scans --db sqlite:////data/scans/icr.db
# compose.yaml runs it against PostgreSQL, watching a consume folder, with the review server.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1 \
    ICR_CACHE_DIR=/var/cache/icr \
    MPLCONFIGDIR=/tmp/matplotlib

# Debian's Tesseract (the command line is the second reader) with its English and orientation
# models, and the Russian, Greek and Korean ones that read a page in a script the neural engine has
# none of (config/icr.yaml script_fallback); the same packages scripts/setup.sh installs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-rus tesseract-ocr-ell tesseract-ocr-kor \
      fonts-dejavu-core libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/icr
COPY pyproject.toml README.md ./
COPY icr ./icr
COPY config ./config
COPY migrations ./migrations
RUN pip install ".[all]" && rm -rf /opt/icr/build

# A receipt read at build time: the install works (Tesseract, the neural engine) and the
# spelling index is built into $ICR_CACHE_DIR once, not at every container's start.
COPY samples/green-valley-grocer.png /tmp/check/receipt.png
RUN icr ingest /tmp/check --db sqlite:////tmp/check.db -q -j 1 \
 && rm -rf /tmp/check /tmp/check.db* /tmp/check.files /tmp/matplotlib

# The user icr; the folders are open to any user id too, so that `docker run -u` and compose's
# ICR_UID can match the owner of the host folders mounted there.
RUN useradd --create-home --uid 10001 --user-group icr \
 && mkdir -p /data/consume /data/done /data/failed \
 && chown -R icr:icr /data /var/cache/icr \
 && chmod -R a+rwX /data /var/cache/icr
USER icr
WORKDIR /data

ENTRYPOINT ["icr"]
CMD ["--help"]
