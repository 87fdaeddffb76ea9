# icr with Tesseract and every extra, run as a non-root user.
#   docker build -t icr .
#   docker run --rm -v "$PWD/scans:/data/scans" icr ingest /data/scans --db sqlite:////data/icr.db
# compose.yaml runs it against PostgreSQL, watching a consume folder.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1 \
    ICR_CACHE_DIR=/var/cache/icr

# Debian's Tesseract (the command line is the second reader) with its English and
# orientation models; the same packages scripts/setup.sh installs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd fonts-dejavu-core libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/icr
COPY pyproject.toml README.md ./
COPY icr ./icr
COPY config ./config
COPY migrations ./migrations
RUN pip install ".[all]" && rm -rf /opt/icr/build

RUN useradd --create-home --uid 10001 --user-group icr \
 && mkdir -p /data/consume /data/done /data/failed /var/cache/icr \
 && chown -R icr:icr /data /var/cache/icr
USER icr
WORKDIR /data

# A first run builds the spelling index into $ICR_CACHE_DIR; --version checks the install.
RUN icr --version

ENTRYPOINT ["icr"]
CMD ["--help"]
