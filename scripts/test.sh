#!/usr/bin/env bash
# Runs icr's test suite on a fresh machine: installs what is missing (scripts/setup.sh),
# makes sure a PostgreSQL server is running for the database tests, then runs pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k export).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -z "${ICR_TEST_POSTGRES_URL:-}" ]; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "test: installing PostgreSQL from Debian for the database tests" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 1
    done
    if pg_isready -q -h 127.0.0.1 -p 5432; then
      # A fresh Debian cluster asks for a password over TCP: give the postgres role one.
      if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        (cd / && as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"") || true
      fi
      if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
        PGPASSWORD=postgres createdb -h 127.0.0.1 -U postgres test 2>/dev/null || true
      fi
      export ICR_TEST_POSTGRES_URL="postgresql://postgres:postgres@127.0.0.1:5432/test"
    else
      echo "test: PostgreSQL is not reachable on 127.0.0.1:5432; its tests will be skipped" >&2
    fi
  fi
fi

# The review pages are tested in a real browser: Debian's chromium, driven by Playwright
# through its executable (Playwright downloads no browser).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium from Debian for the browser tests" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

export OMP_THREAD_LIMIT=1
exec .venv/bin/python -m pytest "$@"
