"""The cache file's tables (cache.py): the folders and their messages, the last audit's
snapshot, and the ledger (ledger.py) with the totals' kept rows and threads."""

from __future__ import annotations

#: Files written before snapshots existed get this table when opened ...
SNAPSHOT_TABLE = """
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- at most one: the last audit's
    key TEXT NOT NULL,                      -- what it is valid for (settings, folders, code)
    data BLOB NOT NULL
);
"""

#: ... and these, before the ledger (or its kept rows and threads) existed.
LEDGER_TABLES = """
CREATE TABLE IF NOT EXISTS ledger_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL,                      -- what it is valid for (settings, folders, code)
    data BLOB NOT NULL                      -- the totals
);
CREATE TABLE IF NOT EXISTS ledger (
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    part BLOB NOT NULL,
    links BLOB NOT NULL,                    -- marshal of the link digests
    PRIMARY KEY (folder, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (
    link INTEGER NOT NULL,
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    PRIMARY KEY (link, folder, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirty (          -- copies changed since the ledger was written
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    PRIMARY KEY (folder, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_rows (    -- the totals' kept customer messages
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    row BLOB NOT NULL,
    PRIMARY KEY (folder, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_threads ( -- the totals' listable threads
    id TEXT PRIMARY KEY,
    row BLOB NOT NULL
) WITHOUT ROWID;
"""

#: A new file's tables.
TABLES = (
    """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    name TEXT PRIMARY KEY,
    messages INTEGER NOT NULL,
    uidnext INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    highestmodseq INTEGER
);
CREATE TABLE messages (
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    flags TEXT NOT NULL,        -- space-separated (IMAP flags are atoms: no spaces)
    data BLOB,                  -- marshal of the Message fields; NULL when unreadable
    unreadable TEXT,            -- why it could not be read
    retry INTEGER NOT NULL,     -- 1: the server failed to send it; fetch it again next run
    PRIMARY KEY (folder, uid)
) WITHOUT ROWID;
"""
    + SNAPSHOT_TABLE
    + LEDGER_TABLES
)
