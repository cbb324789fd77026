#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, lint, types, tests, then the tests again on every
# other Python 3.11+ this machine has (INBOX_AUDIT_ONE_PYTHON=1: the first one only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH:/usr/sbin"
echo "== ruff"; ruff check src tests scripts bench
echo "== ruff format"; ruff format --check src tests scripts bench
echo "== mypy"; mypy
echo "== pytest on $(python --version)"; python -m pytest "$@"
if [ "${INBOX_AUDIT_ONE_PYTHON:-}" = 1 ]; then exit 0; fi
main_version="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
for other in $(bash scripts/pythons.sh); do
    version="$("$other" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ "$version" = "$main_version" ] && continue
    venv=".venv-$version"
    if [ ! -x "$venv/bin/python" ]; then "$other" -m venv "$venv"; fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
    echo "== pytest on $("$venv/bin/python" --version)"
    "$venv/bin/python" -m pytest "$@"
done
