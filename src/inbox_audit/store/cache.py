"""The local incremental cache: one SQLite file per account of folder states and parsed headers.

Pure sqlite3, no IMAP. It keeps, per folder, the STATUS values of the last complete sync
(UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ) and, per message, its FLAGS and the fields of
its parsed `Message` as a marshal-ed tuple (never a body). Each folder is written in one
transaction, committed only once that folder is fully read, so a run killed half-way leaves
the previous consistent state of that folder.

It also keeps the last audit's snapshot (snapshot.py), stored as the caller gives it and
dropped in the same transaction as any change to the cached mail, so a snapshot in the file
always describes the mail beside it; and the audit per message (ledger.py): each copy's
part and links, the totals with their kept rows and threads (one row each, so that a night
writes what it changed), and the copies changed since (`dirty`, written in the same
transaction as the change), so the ledger plus the dirty copies always cover the mail.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inbox_audit.core.fields import HEADER_FIELDS
from inbox_audit.dirs import private_dir
from inbox_audit.i18n import _
from inbox_audit.model import Address, FolderStatus, Message, Unreadable
from inbox_audit.store import rows
from inbox_audit.store.cache_errors import (
    CacheUnusable,
    CacheUnwritable,
    cache_error,
    guarded,
    set_aside,
)
from inbox_audit.store.ledger_feed import Caught, Copy, KeptChange, LedgerFeed
from inbox_audit.store.tables import LEDGER_TABLES, SNAPSHOT_TABLE, TABLES

# What the cache holds is fetched over the user's link (50–60 MB of headers for a big
# mailbox), so an upgrade keeps it unless what is stored changed, which these say. The guard
# test (tests/store/test_cache.py) fails when the code they cover changes without a bump.

#: The tables and a cached message's row (rows.py, `_dump`): bumped when either changes. A
#: file in another format is set aside and rebuilt.
CACHE_FORMAT = 2  # 2: a message's row ends with its text_start
#: What parse_message (core/headers.py) makes of the same header bytes: bumped when that
#: changes. The cached messages are then dropped and fetched again.
PARSER_VERSION = 2  # 2: more automation headers kept; the body's start read


#: A new file's page size. The snapshot is one value (~9 MB at 100,000 messages), read every
#: night and, when mail changed, dropped and written again: SQLite walks a value's overflow
#: pages one by one, and with 4 KiB pages that took ~25 ms each way of a night's run (16 KiB:
#: ~15 ms; the nightly run with new mail ~30 ms faster in all). Files made before keep theirs
#: (https://sqlite.org/pragma.html#pragma_page_size): it changes no row.
_PAGE_SIZE = 16384


def _parser_id() -> str:
    # The cached Messages are the parser's output from the header fields fetched (core/fields):
    # when either differs, its rows are dropped, not trusted. The snapshot and the ledger hold
    # audit results, with their own key (snapshot.key): they go too, as they describe them.
    return f"{PARSER_VERSION} {' '.join(HEADER_FIELDS)}"


# Copies are looked up by `uid IN (...)`: this many at a time stays far below SQLite's limit.
_BATCH = 500


@dataclass(frozen=True, slots=True)  # slots: a first run keeps 100,000s of them
class CachedItem:
    """One cached message: its parsed form, or why it could not be read."""

    uid: int
    flags: frozenset[str]
    message: Message | None
    unreadable: str | None


def default_cache_path(cache_dir: Path, name: str) -> Path:
    """`cache_dir/<name>.sqlite`, with the account name (or user@host) made file-safe."""
    safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in name)[:100] or "mailbox"
    return cache_dir / f"{safe}.sqlite"


class MailCache:
    """An open cache file. Use `MailCache.open`; every method may raise CacheUnusable."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._read_version = -1  # see `reading`

    @classmethod
    def open(cls, path: Path, warn: Callable[[str], None]) -> MailCache:
        """Open or create the file; a corrupt or incompatible one is renamed and replaced."""
        private_dir(path.parent)
        try:
            return cls._open(path)
        except CacheUnusable as exc:
            return cls.rebuild(path, exc, warn)

    @classmethod
    def rebuild(cls, path: Path, exc: CacheUnusable, warn: Callable[[str], None]) -> MailCache:
        """Set an unusable (closed) file aside, with a warning, and start a new one instead."""
        aside = set_aside(path)
        warn(
            _("the cache {path} was unusable ({reason}); moved to {name}, rebuilding it").format(
                path=path, reason=exc, name=aside.name
            )
        )
        return cls._open(path)

    def start_over(self, exc: CacheUnusable, warn: Callable[[str], None]) -> None:
        """`rebuild` in place: this object goes on with a new file, so whoever holds it (and
        closes it) still holds the one in use."""
        self._db.close()
        self._db = MailCache.rebuild(self.path, exc, warn)._db

    @classmethod
    def _open(cls, path: Path) -> MailCache:
        fresh = not path.exists() or path.stat().st_size == 0
        if fresh:
            # Headers name customers: the file is for its owner only.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        try:
            # isolation_level=None: transactions are explicit (BEGIN ... COMMIT per folder).
            db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise cache_error(exc) from exc
        cache = cls(path, db)
        try:
            cache._prepare(fresh)
        except sqlite3.Error as exc:
            db.close()
            raise cache_error(exc) from exc
        except (CacheUnusable, CacheUnwritable):
            db.close()
            raise
        return cache

    def _prepare(self, fresh: bool) -> None:
        db = self._db
        if fresh:
            db.execute(f"PRAGMA page_size = {_PAGE_SIZE}")  # before the first table
            db.executescript(TABLES)
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("schema_version", str(CACHE_FORMAT)), ("parser", _parser_id())],
            )
            return
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "folders", "messages"} <= tables:
            raise CacheUnusable("tables missing")
        db.execute(SNAPSHOT_TABLE)  # files written before snapshots existed
        db.executescript(LEDGER_TABLES)  # ... or before the ledger existed
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        # "schema_version": the name CACHE_FORMAT had, which files already written keep.
        if meta.get("schema_version") != str(CACHE_FORMAT):
            raise CacheUnusable(f"cache format {meta.get('schema_version')}, not {CACHE_FORMAT}")
        parser = _parser_id()
        if meta.get("parser") != parser:
            # Another parser or other fields fetched: same tables, other parsed headers.
            with self._transaction(), guarded():
                db.execute("DELETE FROM messages")
                db.execute("DELETE FROM folders")
                db.execute("DELETE FROM snapshot")
                _drop_ledger(db)
                db.execute("UPDATE meta SET value = ? WHERE key = 'parser'", (parser,))

    def close(self) -> None:
        self._db.close()

    # --- reading -------------------------------------------------------------------------

    def folders(self) -> dict[str, FolderStatus]:
        with guarded():
            rows = self._db.execute(
                "SELECT name, messages, uidnext, uidvalidity, highestmodseq FROM folders"
            ).fetchall()
        return {name: FolderStatus(*values) for name, *values in rows}

    def items(self, folder: str) -> list[CachedItem]:
        """The folder's cached messages in UID order."""
        shared = _Shared()
        with guarded():
            rows = self._db.execute(
                "SELECT uid, flags, data, unreadable FROM messages WHERE folder = ? ORDER BY uid",
                (folder,),
            ).fetchall()
            return [shared.item(folder, *row) for row in rows]

    def snapshot(self, key: str) -> bytes | None:
        """The stored snapshot, if it was stored under `key` and no mail changed since."""
        with guarded():
            row = self._db.execute("SELECT key, data FROM snapshot").fetchone()
        return bytes(row[1]) if row is not None and row[0] == key else None

    def uids(self, folder: str) -> dict[int, frozenset[str]]:
        """UID -> flags of every cached message of the folder, except those to fetch again."""
        with guarded():
            rows = self._db.execute(
                "SELECT uid, flags FROM messages WHERE folder = ? AND retry = 0", (folder,)
            ).fetchall()
            shared = _Shared()
            return {uid: shared.flags(flags) for uid, flags in rows}

    # --- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def folder_update(self, folder: str) -> Iterator[FolderWriter]:
        """One transaction for one folder: committed when the block ends normally."""
        with self._transaction():
            writer = FolderWriter(self._db, folder, self._ledger_kept())
            yield writer
            writer.flush()
            if writer.changed:
                self._drop_snapshot()

    def forget_others(self, keep: set[str]) -> None:
        """Drop the folders no longer scanned (deleted, renamed, now skipped)."""
        with self._transaction(), guarded():
            for name in set(self.folders()) - keep:
                if self._ledger_kept():
                    self._db.execute(_DIRTY_FOLDER, (name,))
                self._db.execute("DELETE FROM messages WHERE folder = ?", (name,))
                self._db.execute("DELETE FROM folders WHERE name = ?", (name,))
                self._drop_snapshot()

    def save_snapshot(self, key: str, data: bytes) -> None:
        """Keep the audit of the mail as cached now (replacing any earlier one)."""
        with self._transaction(), guarded():
            self._db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?)", (key, data))

    def _ledger_kept(self) -> bool:
        with guarded():
            return self._db.execute("SELECT 1 FROM ledger_state").fetchone() is not None

    # --- the ledger (ledger.py) ----------------------------------------------------------

    def ledger_state(self, key: str) -> bytes | None:
        """The stored totals, if they were stored under `key`."""
        with guarded():
            row = self._db.execute("SELECT key, data FROM ledger_state").fetchone()
            if row is None or row[0] != key:
                return None
            counted = self._db.execute(
                "SELECT value FROM meta WHERE key = 'ledger_counts'"
            ).fetchone()
            # Rows lost from the ledger or its links (a damaged file, a hand-made edit) would
            # hide messages from the re-audit and give a wrong report: then it is rebuilt.
            if counted is None or counted[0] != _ledger_counts(self._db):
                return None
        return bytes(row[1])

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: what is read in the block is of one state of the file. A
        `save_ledger(..., since_read=True)` after it stores nothing if another connection (a
        run of another user's state directory sharing this file) wrote in between: its
        changes were worked out from what was read."""
        with guarded():
            self._db.execute("BEGIN")
            self._read_version = self._data_version()
        try:
            yield
        finally:
            with guarded():
                self._db.execute("COMMIT")

    def _data_version(self) -> int:
        # Moves when another connection commits (https://sqlite.org/pragma.html#pragma_data_version).
        version: int = self._db.execute("PRAGMA data_version").fetchone()[0]
        return version

    def ledger_kept(self) -> tuple[list[tuple[Copy, bytes]], list[tuple[str, bytes]]]:
        """The totals' kept rows, each by its copy, and their threads by ID (`save_ledger`)."""
        with guarded():
            kept = [((f, u), bytes(r)) for f, u, r in self._db.execute(_KEPT_ROWS)]
            threads = [
                (i, bytes(r)) for i, r in self._db.execute("SELECT id, row FROM ledger_threads")
            ]
        return kept, threads

    def dirty(self) -> list[Copy]:
        """The copies added, removed or changed since the ledger was written."""
        with guarded():
            return [(f, u) for f, u in self._db.execute("SELECT folder, uid FROM dirty")]

    def ledger_rows(self, copies: Iterable[Copy]) -> dict[Copy, tuple[bytes, tuple[int, ...]]]:
        """The stored part and links of each of `copies` that has them."""
        found: dict[Copy, tuple[bytes, tuple[int, ...]]] = {}
        with guarded():
            for folder, uids in _batches(copies):
                query = (
                    "SELECT uid, part, links FROM ledger WHERE folder = ? AND uid IN "
                    f"({','.join('?' * len(uids))})"
                )
                for uid, part, links in self._db.execute(query, (folder, *uids)):
                    found[(folder, uid)] = (bytes(part), marshal.loads(links))
        return found

    def linked(self, links: Iterable[int]) -> set[Copy]:
        """The copies whose stored links include any of `links`."""
        found: set[Copy] = set()
        items = list(links)
        with guarded():
            for start in range(0, len(items), _BATCH):
                chunk = items[start : start + _BATCH]
                query = (
                    f"SELECT folder, uid FROM links WHERE link IN ({','.join('?' * len(chunk))})"
                )
                found.update((f, u) for f, u in self._db.execute(query, chunk))
        return found

    def items_at(self, copies: Iterable[Copy]) -> dict[Copy, CachedItem]:
        """The cached messages among `copies` (those no longer cached are left out)."""
        found: dict[Copy, CachedItem] = {}
        shared = _Shared()
        with guarded():
            for folder, uids in _batches(copies):
                query = (
                    "SELECT uid, flags, data, unreadable FROM messages WHERE folder = ? AND "
                    f"uid IN ({','.join('?' * len(uids))})"
                )
                for row in self._db.execute(query, (folder, *uids)):
                    found[(folder, row[0])] = shared.item(folder, *row)
        return found

    def save_ledger(
        self,
        key: str,
        replaced: Mapping[Copy, tuple[int, ...]],
        rows: Iterable[tuple[Copy, bytes, tuple[int, ...]]],
        state: Callable[[], tuple[bytes, KeptChange]],
        snapshot: tuple[str, bytes] | None = None,
        *,
        whole: bool = False,
        since_read: bool = False,
    ) -> None:
        """In one transaction: drop the parts and links of the `replaced` copies (each with
        its stored links; every copy when `whole`), store `rows` (copy, part, links), then
        the totals and the change to their kept rows and threads that `state` gives once the
        rows are read, forget the dirty copies, and store the `snapshot` (key, data) when
        given.

        `rows` is read once, each row stored as it comes: a full audit's 100,000 need never
        be in memory all at once (they were a third of a first run's peak); the totals can
        be summed on the way."""
        db = self._db
        feed = LedgerFeed(rows)
        with self._transaction():
            with guarded():
                if since_read and self._data_version() != self._read_version:
                    raise CacheUnusable("another run changed the cache meanwhile")
                if whole:
                    _drop_ledger(db)
                else:
                    db.executemany(
                        "DELETE FROM links WHERE link = ? AND folder = ? AND uid = ?",
                        [(link, f, u) for (f, u), links in replaced.items() for link in links],
                    )
                    db.executemany(
                        "DELETE FROM ledger WHERE folder = ? AND uid = ?", list(replaced)
                    )
                db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?)", feed)
            feed.check()
            totals, kept = state()  # the caller's code: outside the guard, as the rows are
            with guarded():
                db.executemany("INSERT OR IGNORE INTO links VALUES (?, ?, ?)", feed.links())
                changed = _change_kept(db, kept)
            for caught in changed:
                caught.check()
            with guarded():
                db.execute("DELETE FROM dirty")
                db.execute("INSERT OR REPLACE INTO ledger_state VALUES (1, ?, ?)", (key, totals))
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('ledger_counts', ?)",
                    (_ledger_counts(db),),
                )
                if snapshot is not None:
                    db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?)", snapshot)

    def _drop_snapshot(self) -> None:
        with guarded():
            self._db.execute("DELETE FROM snapshot")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT; an error of the block rolls back and goes on as it was.

        Only the cache's own statements are guarded: an error of the block itself (a lost
        connection) is not mistaken for a corrupt cache.
        """
        with guarded():
            self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        with guarded():
            self._db.execute("COMMIT")


class FolderWriter:
    """Changes to one folder inside its transaction."""

    def __init__(self, db: sqlite3.Connection, folder: str, track: bool) -> None:
        self._db = db
        self._folder = folder
        self.changed = False  # any cached mail added, removed or re-flagged
        self._rows: list[tuple[Any, ...]] = []  # new rows, inserted in batches
        self._track = track  # a ledger is kept: note every copy changed (see `dirty`)

    def _dirty(self, uids: Iterable[int]) -> None:
        if self._track:
            self._db.executemany(
                "INSERT OR IGNORE INTO dirty VALUES (?, ?)", [(self._folder, u) for u in uids]
            )

    def clear(self) -> None:
        self.changed = True
        with guarded():
            if self._track:
                self._db.execute(_DIRTY_FOLDER, (self._folder,))
            self._db.execute("DELETE FROM messages WHERE folder = ?", (self._folder,))

    def remove(self, uids: list[int]) -> None:
        self.changed = self.changed or bool(uids)
        with guarded():
            self._dirty(uids)
            self._db.executemany(
                "DELETE FROM messages WHERE folder = ? AND uid = ?",
                [(self._folder, u) for u in uids],
            )

    def set_flags(self, changed: dict[int, frozenset[str]]) -> None:
        self.changed = self.changed or bool(changed)
        with guarded():
            self._dirty(changed)
            self._db.executemany(
                "UPDATE messages SET flags = ? WHERE folder = ? AND uid = ?",
                [(_flags(f), self._folder, uid) for uid, f in changed.items()],
            )

    def add(self, message: Message) -> None:
        self.changed = True
        self._rows.append((self._folder, message.uid, _flags(message.flags), _dump(message)))
        if len(self._rows) >= 5000:
            self.flush()

    def flush(self) -> None:
        """Insert the rows `add` collected (one statement per message was a third of the
        time a first run spends writing the cache)."""
        with guarded():
            self._dirty(row[1] for row in self._rows)
            self._db.executemany(
                "INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, NULL, 0)", self._rows
            )
        self._rows.clear()

    def add_unreadable(self, item: Unreadable, flags: frozenset[str], retry: bool) -> None:
        """A message that could not be parsed (for good), or fetched (`retry`: try again)."""
        self.changed = True
        with guarded():
            self._dirty([item.uid])
            self._db.execute(
                "INSERT OR REPLACE INTO messages VALUES (?, ?, ?, NULL, ?, ?)",
                (self._folder, item.uid, _flags(flags), item.reason, int(retry)),
            )

    def set_state(self, state: FolderStatus) -> None:
        with guarded():
            self._db.execute(
                "INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?, ?)",
                (
                    self._folder,
                    state.messages,
                    state.uidnext,
                    state.uidvalidity,
                    state.highestmodseq,
                ),
            )


_DIRTY_FOLDER = "INSERT OR IGNORE INTO dirty SELECT folder, uid FROM messages WHERE folder = ?"


_KEPT_ROWS = "SELECT folder, uid, row FROM ledger_rows"


def _change_kept(db: sqlite3.Connection, kept: KeptChange) -> tuple[Caught[Any], ...]:
    """Apply `kept`; its items are made as they are stored (by the caller's code: see
    Caught, whose errors the caller raises)."""
    rows_out, rows_in = Caught(kept.rows_out), Caught(kept.rows_in)
    threads_out, threads_in = Caught(kept.threads_out), Caught(kept.threads_in)
    db.executemany("DELETE FROM ledger_rows WHERE folder = ? AND uid = ?", rows_out)
    db.executemany(
        "INSERT OR REPLACE INTO ledger_rows VALUES (?, ?, ?)",
        ((f, u, row) for (f, u), row in rows_in),
    )
    db.executemany("DELETE FROM ledger_threads WHERE id = ?", ((t,) for t in threads_out))
    db.executemany("INSERT OR REPLACE INTO ledger_threads VALUES (?, ?)", threads_in)
    return rows_out, rows_in, threads_out, threads_in


def _drop_ledger(db: sqlite3.Connection) -> None:
    for table in ("ledger_state", "ledger", "links", "dirty", "ledger_rows", "ledger_threads"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM meta WHERE key = 'ledger_counts'")


def _ledger_counts(db: sqlite3.Connection) -> str:
    """The ledger's rows, links and kept rows and threads, counted: stored with it, checked
    before it is used."""
    counts = db.execute(
        "SELECT (SELECT COUNT(*) FROM ledger), (SELECT COUNT(*) FROM links),"
        " (SELECT COUNT(*) FROM ledger_rows), (SELECT COUNT(*) FROM ledger_threads)"
    ).fetchone()
    return " ".join(map(str, counts))


def _batches(copies: Iterable[Copy]) -> Iterator[tuple[str, list[int]]]:
    by_folder: dict[str, list[int]] = {}
    for folder, uid in copies:
        by_folder.setdefault(folder, []).append(uid)
    for folder, uids in by_folder.items():
        for start in range(0, len(uids), _BATCH):
            yield folder, uids[start : start + _BATCH]


# --- Message <-> JSON ------------------------------------------------------------------------


def _flags(flags: frozenset[str]) -> str:
    return " ".join(sorted(flags))


def _parse_flags(text: str) -> frozenset[str]:
    if not isinstance(text, str):
        raise TypeError("flags are not text")  # a foreign row: the cache is unusable
    return frozenset(text.split())


def _dump(m: Message) -> bytes:
    # folder, uid and flags live in their own columns. marshal: a few times faster to load
    # than JSON, and the row is only ever read in the same CACHE_FORMAT.
    return marshal.dumps(rows.row(m))


class _Shared:
    """Rows made into CachedItems with one object per distinct flag set and address: most
    messages share a few of each (a fifth of the memory of 100,000 messages, and faster)."""

    def __init__(self) -> None:
        self._flags: dict[str, frozenset[str]] = {}
        self._addresses: dict[tuple[str, str], Address] = {}

    def flags(self, text: str) -> frozenset[str]:
        found = self._flags.get(text)
        if found is None:
            found = self._flags[text] = _parse_flags(text)
        return found

    def item(
        self, folder: str, uid: int, flags: str, data: bytes | None, unreadable: str | None
    ) -> CachedItem:
        tags = self.flags(flags)
        message = (
            None
            if data is None
            else rows.message(folder, uid, tags, marshal.loads(data), self._addresses)
        )
        return CachedItem(uid, tags, message, unreadable)
