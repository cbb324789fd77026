#!/usr/bin/env bash
# Audit the bundled demo mailbox (a small French/English shop, as of 20 Nov 2026 09:00 Paris):
# no account needed. Extra arguments go to `inbox-audit audit`, e.g. --format json.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_DOVECOT=1 bash scripts/setup.sh
status=0
.venv/bin/inbox-audit audit demo/mailbox \
    --as-of 2026-11-20T09:00:00+01:00 --timezone Europe/Paris \
    --me claire@atelier-lumiere.fr --show-replies "$@" || status=$?
# Exit code 1 only means "overdue messages found": that is the demo's point, not a failure.
if [ "$status" -gt 1 ]; then exit "$status"; fi
