#!/usr/bin/env bash
# The whole test suite: lint, types, tests on SQLite, then the database tests on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
PG_URL="${VIGIA_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export VIGIA_TEST_PG_URL="$PG_URL"

# The digest's browser test needs Debian's chromium; in CI, try to install it (best effort:
# without it that one test is skipped with its reason).
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
  (timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq chromium >/dev/null) \
    || echo "chromium could not be installed: the browser test will be skipped"
fi

echo "== ruff"; .venv/bin/ruff check .
echo "== mypy (monitor, sources, sentiment, alerts)"; .venv/bin/mypy
echo "== tests on SQLite"
.venv/bin/python -m pytest -q "$@"

pg_up() { .venv/bin/python - "$PG_URL" <<'PY'
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}".splitlines()[0], file=sys.stderr)
    sys.exit(1)
PY
}
if ! pg_up && [ "${CI:-}" = "true" ] && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  sleep 2
fi
if pg_up; then
  echo "== database tests on PostgreSQL ($PG_URL)"
  VIGIA_TEST_DB=postgresql .venv/bin/python -m pytest -q -m db "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI but is not reachable" >&2
  exit 1
else
  echo "!! PostgreSQL not reachable: the PostgreSQL half of the suite was NOT run." >&2
fi
