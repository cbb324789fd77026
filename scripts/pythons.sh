#!/usr/bin/env bash
# Print one interpreter per Python version from 3.11 up that this machine has (pyenv's builds,
# then the ones on PATH), newest last: the versions scripts/test.sh runs the suite on.
set -euo pipefail
declare -A seen=()
candidates=()
for path in /root/.pyenv/versions/3.*/bin/python3 "${PYENV_ROOT:-/nonexistent}"/versions/3.*/bin/python3; do
    [ -x "$path" ] && candidates+=("$path")
done
for name in python3.11 python3.12 python3.13 python3.14 python3.15; do
    for path in /usr/bin/$name /usr/local/bin/$name; do
        [ -x "$path" ] && candidates+=("$path")
    done
done
for path in "${candidates[@]}"; do
    version="$("$path" -c 'import sys; print("%d.%d" % sys.version_info[:2]) if sys.version_info >= (3, 11) else None' 2>/dev/null || true)"
    case "$version" in ""|None) continue ;; esac
    # A build without venv or ssl cannot run the suite.
    "$path" -c 'import ssl, sqlite3, venv' 2>/dev/null || continue
    [ -n "${seen[$version]:-}" ] && continue
    seen[$version]=1
    echo "$version $path"
done | sort -V | cut -d' ' -f2
