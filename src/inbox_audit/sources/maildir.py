"""Maildir and Maildir++ read by hand: folder names, one file per message, flags in file names."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.mbox import cannot_list, plausible, scan, to_raw, why

# Maildir info suffix (https://cr.yp.to/proto/maildir.html); "!" and ";" stand for ":" on
# filesystems that forbid colons (mutt, Windows ports).
_MAILDIR_INFO = (":2,", "!2,", ";2,")
_MAILDIR_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}


def is_maildir(path: Path) -> bool:
    """Whether `path` is a Maildir: it has cur/ or new/."""
    # Some exports (mu, mailpile) keep only cur/, so either of cur/ and new/ is enough.
    return _is_dir(path / "cur") or _is_dir(path / "new")


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # Path.is_dir lets PermissionError through
        return False


_MUTF7_RUN = re.compile(r"&([A-Za-z0-9+,]*)-")


def decode_mutf7(name: str) -> str:
    """Maildir++ folder names are IMAP modified UTF-7 (RFC 3501 §5.1.3), as Dovecot and
    Courier write them: ".Clients.H&APQ-tel" is "Clients/Hôtel". Invalid runs stay as written."""

    def run(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return _MUTF7_RUN.sub(run, name)


def maildir_files(path: Path) -> list[tuple[str, str, str]]:
    """(unique name, file name, "cur"/"new") of every message, sorted by unique name.

    Sorting by the unique part keeps uids stable when a flag changes the info suffix or a
    reader moves a file from new/ to cur/.
    """
    files: list[tuple[str, str, str]] = []
    for sub in ("cur", "new"):
        try:
            with os.scandir(path / sub) as it:
                for entry in it:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if not entry.is_file():
                            continue
                    except OSError:
                        pass  # listed, so it exists: let reading it report the problem
                    files.append((_maildir_unique(entry.name), entry.name, sub))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise cannot_list(path / sub, exc) from exc
    files.sort()
    return files


def _maildir_unique(name: str) -> str:
    for sep in _MAILDIR_INFO:
        if sep in name:
            return name.rpartition(sep)[0]
    return name


def _maildir_flags(name: str, recent: bool) -> frozenset[str]:
    flags = {"\\Recent"} if recent else set()
    for sep in _MAILDIR_INFO:
        if sep in name:
            info = name.rpartition(sep)[2]
            flags.update(_MAILDIR_FLAGS[c] for c in info if c in _MAILDIR_FLAGS)
            break
    return frozenset(flags)


def _maildir_date(name: str) -> datetime | None:
    """The delivery time that starts a Maildir file name ("1700000000.M12P34.host")."""
    seconds = name.partition(".")[0]
    if not seconds.isdigit() or len(seconds) > 12:
        return None
    when = datetime.fromtimestamp(int(seconds), UTC)
    return when if plausible(when) else None


def read_maildir_message(
    folder: str, uid: int, path: Path, recent: bool
) -> RawMessage | Unreadable:
    """The message file at `path` (in new/ when `recent`); Unreadable when it cannot be read."""
    # A Maildir file is one message, often with the mbox "From " line left in: scan it as a
    # one-message mbox.
    try:
        with path.open("rb") as f:
            entry = next(scan(f), None)
    except OSError as exc:
        return Unreadable(folder, uid, f"cannot read {path.name}: {why(exc)}")
    if entry is None:
        return Unreadable(folder, uid, f"empty message file {path.name}")
    raw = to_raw(folder, uid, None, entry.lines, entry.oversize, path, entry.text)
    if isinstance(raw, Unreadable):
        return raw
    # The file name, not Status headers, holds a Maildir message's flags and delivery time.
    return dataclasses.replace(
        raw, internal_date=_maildir_date(path.name), flags=_maildir_flags(path.name, recent)
    )
