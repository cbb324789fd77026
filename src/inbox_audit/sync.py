"""Read an IMAP mailbox through the local cache: fetch only what changed since the last run.

Given the same mailbox, `collect_cached` returns the same `Collected` as `audit.collect`.
Per folder, STATUS tells whether anything changed (with CONDSTORE, HIGHESTMODSEQ moves on any
flag change; without it the flags are swept every run). A changed folder is examined
read-only: UIDs that disappeared were expunged (or moved elsewhere, where they are new), UIDs
not cached are fetched and parsed, flags changed since the cached modseq are updated, and a
new UIDVALIDITY (RFC 3501 §2.3.1.1) means the folder's cached UIDs mean nothing any more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from inbox_audit.audit import Collected, no_gc_pauses
from inbox_audit.cache import CacheUnusable, MailCache, set_aside
from inbox_audit.errors import FolderNotFound
from inbox_audit.folders import assign_roles
from inbox_audit.headers import UnparsableMessage, parse_message
from inbox_audit.model import Folder, FolderStatus, Message, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.source import IncrementalSource, Progress

Warn = Callable[[str], None]


def collect_cached(
    source: IncrementalSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    warn: Warn,
    progress: Progress | None = None,
) -> tuple[Collected, MailCache]:
    """Bring the cache up to date with the mailbox and read every scanned folder from it.

    A cache found corrupt on the way is set aside with a warning and rebuilt from the server;
    the cache in use at the end is returned with the result.
    """
    with no_gc_pauses():
        try:
            return _collect(source, display, settings, cache, warn, progress), cache
        except CacheUnusable as exc:
            path = cache.path
            cache.close()
            aside = set_aside(path)
            warn(f"the cache {path} was unusable ({exc}); moved to {aside.name}, rebuilding it")
            cache = MailCache.open(path, warn)
            return _collect(source, display, settings, cache, warn, progress), cache


def _collect(
    source: IncrementalSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    warn: Warn,
    progress: Progress | None,
) -> Collected:
    folders: list[Folder] = []
    statuses: dict[str, FolderStatus] = {}
    for folder in assign_roles(source.list_folders(), settings.sent_folder, settings.skip_folders):
        count = None
        if folder.scanned:
            statuses[folder.name] = status = source.status(folder.name)
            count = status.messages
        folders.append(dataclasses.replace(folder, messages=count))
    cache.forget_others(set(statuses))
    known = cache.folders()
    messages: list[Message] = []
    unreadable: list[Unreadable] = []
    problems: list[str] = []
    for folder in folders:
        if not folder.scanned:
            continue
        try:
            _sync_folder(source, cache, folder.name, statuses[folder.name], known, warn, progress)
        except FolderNotFound as exc:
            # Deleted or renamed by another client while we read: say so, audit the rest.
            problems.append(f"folder {folder.name!r} could not be read: {exc}")
            continue
        for item in cache.items(folder.name):
            if item.message is not None:
                messages.append(item.message)
            else:
                unreadable.append(Unreadable(folder.name, item.uid, item.unreadable or ""))
    return Collected(display, tuple(folders), tuple(messages), tuple(unreadable), tuple(problems))


def _sync_folder(
    source: IncrementalSource,
    cache: MailCache,
    name: str,
    status: FolderStatus,
    known: dict[str, FolderStatus],
    warn: Warn,
    progress: Progress | None,
) -> None:
    """One folder, in one cache transaction: nothing of it is kept unless all of it is done."""
    before = known.get(name)
    if before is not None and status.highestmodseq is not None and before == status:
        return  # RFC 7162 §3.1.2.1: any change (new, expunged, flag) moves HIGHESTMODSEQ
    uidvalidity, uids = source.examine(name)
    with cache.folder_update(name) as writer:
        cached = cache.uids(name)
        if before is None or before.uidvalidity != uidvalidity:
            if before is not None:
                warn(
                    f"folder {name!r} has a new UIDVALIDITY (it was recreated or rebuilt on "
                    "the server): reading it again"
                )
            writer.clear()
            cached = {}
        present = set(uids)
        writer.remove([uid for uid in cached if uid not in present])
        if cached:
            since = before.highestmodseq if before is not None else None
            if not (source.condstore and status.highestmodseq is not None):
                since = None
            changed = {
                uid: flags
                for uid, flags in source.flags(name, since).items()
                if uid in cached and uid in present and cached[uid] != flags
            }
            writer.set_flags(changed)
        complete = True
        new = [uid for uid in uids if uid not in cached]
        for item in source.fetch_uids(name, new, progress):
            if isinstance(item, Unreadable):
                writer.add_unreadable(item, frozenset(), retry=True)
                complete = False
                continue
            try:
                writer.add(parse_message(item))
            except UnparsableMessage as exc:
                reason = str(exc) or "unparsable"
                writer.add_unreadable(Unreadable(name, item.uid, reason), item.flags, retry=False)
        # The STATUS taken before examining: anything that changed since then makes the next
        # STATUS differ, so it is looked at again. A folder with messages to fetch again is
        # never skipped (no modseq kept).
        writer.set_state(
            FolderStatus(
                messages=status.messages,
                uidnext=status.uidnext,
                uidvalidity=uidvalidity,
                highestmodseq=status.highestmodseq if complete else None,
            )
        )
