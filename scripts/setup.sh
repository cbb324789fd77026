#!/usr/bin/env bash
# Make a ready development environment on a fresh machine: Dovecot (for the IMAP tests) and a
# virtualenv in .venv with the package and its dev tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null 2>&1 && [ -x /usr/sbin/dovecot ]; then
    export PATH="$PATH:/usr/sbin"
fi
if [ "${SKIP_DOVECOT:-}" != 1 ] && ! command -v dovecot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing dovecot-imapd (needed by the IMAP integration tests)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
    else
        echo "setup: dovecot is not installed; run: sudo apt-get install -y dovecot-imapd" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
