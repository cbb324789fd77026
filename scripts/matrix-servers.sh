#!/usr/bin/env bash
# Unpack Cyrus (cyrus-imapd) and Courier (courier-imap) from Debian into the tests' server cache
# and install the libraries they link to. They conflict with dovecot-imapd as installed
# packages, so they are never installed: tests/servers.py runs them from the cache.
# The cache: $INBOX_AUDIT_SERVERS, else /var/cache/inbox-audit-tests as root (the servers drop
# to `nobody`, who cannot enter root's home), else ~/.cache/inbox-audit-tests. Safe to run again.
set -euo pipefail
if [ -n "${INBOX_AUDIT_SERVERS:-}" ]; then
    cache="$INBOX_AUDIT_SERVERS"
elif [ "$(id -u)" = 0 ]; then
    cache=/var/cache/inbox-audit-tests
else
    cache="$HOME/.cache/inbox-audit-tests"
fi
have() { [ -e "$cache/$1" ]; }
if have cyrus/usr/lib/cyrus/bin/master && have courier/usr/bin/imapd; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "matrix-servers: no apt-get here; Cyrus and Courier tests will be skipped" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "matrix-servers: run as root once (sudo bash scripts/matrix-servers.sh)" >&2
    exit 1
fi
mkdir -p "$cache"
chmod 755 "$cache"
debs="$(mktemp -d)"
trap 'rm -rf "$debs"' EXIT
apt-get update -qq
# apt-get download writes to the current directory as the _apt user when it can.
chmod 777 "$debs"
cd "$debs"
for server in cyrus courier; do
    case "$server" in
        cyrus) packages="cyrus-common cyrus-imapd" ;;
        courier) packages="courier-base courier-imap courier-authlib courier-authlib-userdb" ;;
    esac
    # shellcheck disable=SC2086
    apt-get download -qq $packages
    rm -rf "${cache:?}/$server.new"
    mkdir -p "$cache/$server.new"
    for package in $packages; do
        dpkg -x "$package"_*.deb "$cache/$server.new"
        # Their libraries (never the servers' own packages, which pull in the conflict).
        dpkg-deb -f "$package"_*.deb Depends | tr ',' '\n' | sed -E 's/^ *//; s/[ (|].*//' \
            | grep -E '^lib' >>libraries || true
    done
    rm -rf "${cache:?}/$server"
    mv "$cache/$server.new" "$cache/$server"
done
# Courier's file-change notification daemon (gam_server), which libgamin starts.
echo gamin >>libraries
# shellcheck disable=SC2046
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(sort -u libraries) >/dev/null
echo "matrix-servers: Cyrus and Courier unpacked in $cache" >&2
