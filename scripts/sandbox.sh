#!/usr/bin/env bash
# One full monitoring cycle on embedded defaults: SQLite, the bundled model, and loopback
# emulators of X, Reddit, Facebook and Slack fed with sample mentions (no credentials needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/vigia run --once --sandbox "$@"
