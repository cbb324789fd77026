"""What an SQLite error says of a cache file: corrupt (set aside) or only unwritable (kept)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


class CacheUnusable(Exception):
    """The cache file is corrupt, or was written by an incompatible version."""


class CacheUnwritable(Exception):
    """The cache file cannot be used now, though nothing says it is corrupt: the disk is full
    or read-only, another run holds it, an I/O error. It must be left as it is."""


# SQLite's primary result codes (https://sqlite.org/rescode.html) that tell of the file's
# surroundings, not of its content: setting such a file aside would throw a good cache away
# (a full disk), or another run's (two state directories sharing one cache: SQLITE_BUSY).
_NOT_CORRUPT = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
    }
)


def cache_error(exc: sqlite3.Error) -> CacheUnusable | CacheUnwritable:
    """What an SQLite error says of the cache file."""
    text = str(exc) or type(exc).__name__
    code = getattr(exc, "sqlite_errorcode", None)  # set on errors from SQLite itself
    if isinstance(code, int) and code & 0xFF in _NOT_CORRUPT:
        return CacheUnwritable(text)
    return CacheUnusable(text)


def set_aside(path: Path) -> Path:
    """Rename an unusable cache file out of the way (kept for a post-mortem)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.unusable-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.unusable-{stamp}-{n}")
    path.rename(aside)
    for suffix in ("-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return aside


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    try:
        yield
    except sqlite3.DatabaseError as exc:
        # "file is not a database", "database disk image is malformed"; or the disk is full...
        raise cache_error(exc) from exc
    except (ValueError, TypeError, KeyError, EOFError) as exc:
        # A row whose content is not what this version wrote.
        raise CacheUnusable(str(exc) or type(exc).__name__) from exc
