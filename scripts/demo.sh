#!/usr/bin/env bash
# Audit the bundled demo mailbox (a small French/English shop, as of 20 Nov 2026 09:00 Paris):
# no account needed. Extra arguments go to `inbox-audit audit`, e.g. --format json.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_DOVECOT=1 SKIP_MATRIX=1 bash scripts/setup.sh  # the demo needs no test servers
# `inbox-audit demo` audits the mailbox shipped in the package (demo/mailbox) as of
# 2026-11-20T09:00:00+01:00, Europe/Paris, for claire@atelier-lumiere.fr, with the replies;
# it exits 0 when it found what it should (overdue messages are the demo's point).
exec .venv/bin/inbox-audit demo "$@"
