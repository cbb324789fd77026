"""Read mail from local files, read-only: an mbox file, a Maildir, or a directory of them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inbox_audit.errors import FolderNotFound, MailboxError
from inbox_audit.i18n import _
from inbox_audit.model import ListedFolder, RawMessage, Unreadable
from inbox_audit.sources.maildir import (
    decode_mutf7,
    is_maildir,
    maildir_files,
    read_maildir_message,
)
from inbox_audit.sources.mbox import (
    SNIFF_BYTES,
    cannot_list,
    cannot_read,
    file_size,
    guard,
    looks_like_mail,
    open_mbox,
    opens_with_from,
    scan,
    to_raw,
    why,
)
from inbox_audit.sources.spec import Closing, Progress
from inbox_audit.sources.takeout import (
    Located,
    folder_attributes,
    is_takeout,
    read_located,
    virtual_folders,
)

_PROGRESS_EVERY = 500
_DELIMITER = "/"

_MBOX_SUFFIXES = {".mbox", ".mbx", ".mbs"}
# Suffixes stripped from a file name to make a folder name.
_NAME_SUFFIXES = _MBOX_SUFFIXES | {".eml", ".txt"}


@dataclass(frozen=True)
class _MboxFile:
    path: Path


@dataclass(frozen=True)
class _MaildirDir:
    path: Path


@dataclass(frozen=True)
class _TakeoutLabel:
    """One virtual folder of a Gmail Takeout mbox: the messages virtual_folders files there."""

    path: Path
    name: str


_Store = _MboxFile | _MaildirDir | _TakeoutLabel


class LocalSource(Closing):
    """A local mail store opened read-only; implements source.MailSource.

    Nothing is ever written: files are opened "rb" and read by hand, because the stdlib
    mailbox classes may create directories (Maildir) or lock files (mbox).
    """

    def __init__(self, path: Path, folders: dict[str, _Store], takeout: Path | None) -> None:
        self._path = path
        self._folders = folders
        self._takeout = takeout
        self._takeout_index: dict[str, list[Located]] | None = None
        self._counts: dict[str, int] = {}
        self._closed = False

    @classmethod
    def open(cls, path: Path) -> LocalSource:
        """Recognize the store at `path` (mbox file, Maildir, directory of mbox files)."""
        path = Path(path)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            said = _("cannot open {path}: {reason}").format(path=path, reason=why(exc))
            raise MailboxError(said) from exc
        if stat.S_ISDIR(mode):
            folders = _discover(path)
            if not folders:
                raise MailboxError(
                    _("{path} holds no mbox file and no Maildir (cur/new) folder").format(
                        path=path
                    ),
                )
            only = next(iter(folders.values()))
            if len(folders) == 1 and isinstance(only, _MboxFile) and is_takeout(only.path):
                return cls(path, {}, only.path)
            return cls(path, folders, None)
        if not stat.S_ISREG(mode):
            raise MailboxError(
                _("{path} is neither a regular file nor a directory").format(path=path)
            )
        head = _sniff(path)
        if head and not looks_like_mail(head):
            raise MailboxError(
                _(
                    "{path} is not an mbox file: it starts with neither a 'From ' line nor a header"
                ).format(path=path)
            )
        if head and is_takeout(path):
            return cls(path, {}, path)
        return cls(path, {_folder_name((_strip_suffix(path.name),)): _MboxFile(path)}, None)

    # -- MailSource ---------------------------------------------------------------------

    def list_folders(self) -> list[ListedFolder]:
        self._check_open()
        if self._takeout is not None:
            index = self._index()
            return [ListedFolder(name, folder_attributes(name), _DELIMITER) for name in index]
        return [ListedFolder(name, frozenset(), _DELIMITER) for name in self._folders]

    def message_count(self, folder: str) -> int | None:
        """Exact for Maildir and Takeout folders; for an mbox file only once it was read."""
        store = self._store(folder)
        if isinstance(store, _MaildirDir):
            return len(maildir_files(store.path))
        if isinstance(store, _TakeoutLabel):
            return len(self._index()[folder])
        return self._counts.get(folder)

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        """Every message of `folder`, in a stable order: uid = 1-based position."""
        store = self._store(folder)
        if isinstance(store, _MaildirDir):
            return self._fetch_maildir(folder, store.path, progress)
        if isinstance(store, _TakeoutLabel):
            return self._fetch_takeout(folder, store.path, progress)
        return self._fetch_mbox(folder, store.path, progress)

    def close(self) -> None:
        # Every file is opened and closed within one fetch; there is nothing else to release.
        self._closed = True

    # -- internals ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise MailboxError(_("{path}: the mailbox was closed").format(path=self._path))

    def _store(self, folder: str) -> _Store:
        self._check_open()
        if self._takeout is not None:
            if folder in self._index():
                return _TakeoutLabel(self._takeout, folder)
        elif folder in self._folders:
            return self._folders[folder]
        raise FolderNotFound(
            _("no folder {folder!r} in {path}").format(folder=folder, path=self._path)
        )

    def _index(self) -> dict[str, list[Located]]:
        """The Takeout file's virtual folders, read once."""
        if self._takeout_index is None:
            assert self._takeout is not None
            self._takeout_index = virtual_folders(self._takeout)
        return self._takeout_index

    def _fetch_mbox(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        with open_mbox(path) as f:
            size = file_size(f)
            uid = 0
            for entry in guard(path, scan(f)):
                uid += 1
                yield to_raw(
                    folder, uid, entry.from_line, entry.lines, entry.oversize, path, entry.text
                )
                if progress is not None and uid % _PROGRESS_EVERY == 0:
                    # The count is unknown until the end: extrapolate from the bytes read.
                    progress(folder, uid, max(uid, uid * size // max(entry.end, 1)))
        self._counts[folder] = uid
        if progress is not None:
            progress(folder, uid, uid)

    def _fetch_takeout(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        located = self._index()[folder]
        total = len(located)
        with open_mbox(path) as f:
            for uid, loc in enumerate(located, start=1):
                yield read_located(f, folder, uid, loc, path)
                if progress is not None and uid % _PROGRESS_EVERY == 0:
                    progress(folder, uid, total)
        if progress is not None:
            progress(folder, total, total)

    def _fetch_maildir(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        files = maildir_files(path)
        total = len(files)
        for uid, (_when, name, sub) in enumerate(files, start=1):
            yield read_maildir_message(folder, uid, path / sub / name, recent=sub == "new")
            if progress is not None and uid % _PROGRESS_EVERY == 0:
                progress(folder, uid, total)
        if progress is not None:
            progress(folder, total, total)


# -- discovery --------------------------------------------------------------------------


def _folder_name(parts: tuple[str, ...]) -> str:
    if len(parts) == 1 and parts[0].casefold() == "inbox":
        return "INBOX"  # RFC 3501 §5.1: INBOX is case-insensitive
    return _DELIMITER.join(parts)


def _strip_suffix(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in _NAME_SUFFIXES:
        return stem
    return name


def _discover(root: Path) -> dict[str, _Store]:
    """Every folder under a directory: Maildir, Maildir++, nested Maildirs, mbox files."""
    found: list[tuple[tuple[str, ...], _Store]] = []
    root_is_maildir = is_maildir(root)
    if root_is_maildir:
        found.append((("INBOX",), _MaildirDir(root)))
    _walk(root, (), root_is_maildir, found, set())
    folders: dict[str, _Store] = {}
    for parts, store in found:
        name = base = _folder_name(parts)
        n = 1
        while name in folders:  # e.g. both "Inbox" and "Inbox.mbox"
            n += 1
            name = f"{base} ({n})"
        folders[name] = store
    return folders


def _walk(
    directory: Path,
    parts: tuple[str, ...],
    in_maildir: bool,
    found: list[tuple[tuple[str, ...], _Store]],
    seen: set[tuple[int, int]],
) -> None:
    try:
        st = directory.stat()
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise cannot_list(directory, exc) from exc
    if (st.st_dev, st.st_ino) in seen:  # a symlink loop
        return
    seen.add((st.st_dev, st.st_ino))
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            if in_maildir and name in {"cur", "new", "tmp"}:
                continue
            if name.endswith(".sbd") and len(name) > 4:
                # Thunderbird keeps the subfolders of mbox file "X" in directory "X.sbd".
                _walk(path, (*parts, name[:-4]), is_maildir(path), found, seen)
            elif name.startswith("."):
                # Maildir++: ".Archives.Clients" is Archives/Clients; other dot dirs are
                # tool state (.notmuch, .git...).
                sub = tuple(decode_mutf7(p) for p in name[1:].split(".") if p)
                if sub and is_maildir(path):
                    found.append(((*parts, *sub), _MaildirDir(path)))
            elif is_maildir(path):
                found.append(((*parts, name), _MaildirDir(path)))
                _walk(path, (*parts, name), True, found, seen)
            else:
                _walk(path, (*parts, name), False, found, seen)
        elif is_file and not in_maildir and not name.startswith(".") and _is_mbox_file(path):
            found.append(((*parts, _strip_suffix(name)), _MboxFile(path)))


def _sniff(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(SNIFF_BYTES)
    except OSError as exc:
        raise cannot_read(path, exc) from exc


def _is_mbox_file(path: Path) -> bool:
    """In a directory, which files are folders: mbox content, or empty Thunderbird folders."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        # Unreadable: keep it when its name says mbox, so fetch reports the error.
        return suffix in _MBOX_SUFFIXES
    if not head:
        return suffix in _MBOX_SUFFIXES or not suffix  # Thunderbird's empty "Trash"
    if suffix in _MBOX_SUFFIXES:
        return looks_like_mail(head)
    return opens_with_from(head)
