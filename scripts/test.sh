#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH:/usr/sbin"
echo "== ruff"; ruff check src tests scripts bench
echo "== ruff format"; ruff format --check src tests scripts bench
echo "== mypy"; mypy
echo "== pytest"; python -m pytest "$@"
