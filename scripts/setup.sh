#!/usr/bin/env bash
# Make a ready development environment on a fresh machine: Dovecot (for the IMAP tests) and a
# virtualenv in .venv with the package and its dev tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null 2>&1 && [ -x /usr/sbin/dovecot ]; then
    export PATH="$PATH:/usr/sbin"
fi
# Debian packages the integration tests need: a real Dovecot, and openssl for its test CA.
missing=""
if [ "${SKIP_DOVECOT:-}" != 1 ]; then
    command -v dovecot >/dev/null 2>&1 || missing="$missing dovecot-imapd"
    command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
fi
# Headless Chromium renders the summary email at phone and desktop widths (tests/outputs);
# the demo (SKIP_DOVECOT=1) needs neither.
if [ "${SKIP_DOVECOT:-}" != 1 ] && [ "${SKIP_CHROMIUM:-}" != 1 ]; then
    command -v chromium >/dev/null 2>&1 || missing="$missing chromium fonts-dejavu-core"
fi
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing$missing (needed by the IMAP integration tests)" >&2
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "setup: missing Debian packages:$missing; run: sudo apt-get install -y$missing" >&2
    fi
fi

# The compatibility matrix's servers that conflict with dovecot-imapd as installed packages:
# unpacked (apt-get download + dpkg -x) into a cache the tests run them from (tests/servers.py),
# their libraries installed normally. Best effort: a server that cannot be had is skipped by
# the tests (and fails them under CI).
if [ "${SKIP_MATRIX:-}" != 1 ]; then
    bash scripts/matrix-servers.sh || echo "setup: the matrix servers could not be unpacked" >&2
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
