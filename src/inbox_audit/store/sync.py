"""Read an IMAP mailbox through the local cache: fetch only what changed since the last run.

Given the same mailbox, `sync` then `load` give the same `Collected` as `sources.read.collect`.
Per folder, STATUS tells whether anything changed (with CONDSTORE, HIGHESTMODSEQ moves on any
flag change; without it the flags are swept every run). A changed folder is examined
read-only: UIDs that disappeared were expunged (or moved elsewhere, where they are new), UIDs
not cached are fetched and parsed, flags changed since the cached modseq are updated, and a
new UIDVALIDITY (RFC 3501 §2.3.1.1) means the folder's cached UIDs mean nothing any more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from inbox_audit.core.folders import assign_roles, not_read, problem
from inbox_audit.errors import FolderNotFound
from inbox_audit.i18n import _
from inbox_audit.model import Collected, Folder, FolderStatus, Message, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.sources.fetch import BATCH_SIZE, UID_END
from inbox_audit.sources.spec import Examine, IncrementalSource, Progress, read_whole
from inbox_audit.store.cache import CachedItem, MailCache
from inbox_audit.store.cache_errors import CacheUnusable

Warn = Callable[[str], None]

# The audit module (and the parser it imports) is only loaded when mail is read: a nightly
# run that finds nothing new re-dates the last audit's snapshot and never needs them.


@dataclass(frozen=True)
class Synced:
    """The scanned mailbox as the cache now holds it: folders with roles and counts."""

    source: str
    folders: tuple[Folder, ...]
    problems: tuple[str, ...]  # folders that vanished while being read
    unread: frozenset[str] = frozenset()  # those folders: their cached mail is left out
    # Folders read whole in this run (the first one, a new UIDVALIDITY): their messages as
    # parsed, so that loading them does not read back what was just written.
    fresh: Mapping[str, tuple[CachedItem, ...]] = dataclasses.field(default_factory=dict)


def load_or_rebuild(
    source: IncrementalSource,
    synced: Synced,
    settings: Settings,
    cache: MailCache,
    warn: Warn,
    progress: Progress | None = None,
) -> Collected:
    """`load`, or when the cache turns out corrupt, set it aside and read the mailbox again."""
    try:
        return load(cache, synced)
    except CacheUnusable as exc:
        cache.start_over(exc, warn)
        return load(cache, _sync(source, synced.source, settings, cache, warn, progress))


def sync(
    source: IncrementalSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    warn: Warn,
    progress: Progress | None = None,
) -> Synced:
    """Bring the cache up to date with the mailbox.

    A cache found corrupt on the way is set aside with a warning (`cache` goes on with a new
    file) and rebuilt from the server.
    """
    try:
        return _sync(source, display, settings, cache, warn, progress)
    except CacheUnusable as exc:
        cache.start_over(exc, warn)
        return _sync(source, display, settings, cache, warn, progress)


def load(cache: MailCache, synced: Synced) -> Collected:
    """Every cached message of the scanned folders, as `sources.read.collect` would read them."""

    messages: list[Message] = []
    unreadable: list[Unreadable] = []
    for folder in synced.folders:
        if not folder.scanned or folder.name in synced.unread:
            continue
        items = synced.fresh.get(folder.name)
        for item in cache.items(folder.name) if items is None else items:
            if item.message is not None:
                messages.append(item.message)
            else:
                unreadable.append(Unreadable(folder.name, item.uid, item.unreadable or ""))
    return Collected(
        synced.source, synced.folders, tuple(messages), tuple(unreadable), synced.problems
    )


def _sync(
    source: IncrementalSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    warn: Warn,
    progress: Progress | None,
) -> Synced:
    listed = assign_roles(source.list_folders(), settings.sent_folder, settings.skip_folders)
    statuses, gone = _statuses(source, [folder.name for folder in listed if folder.scanned])
    folders = [
        not_read(folder, gone[folder.name])
        if folder.name in gone
        else dataclasses.replace(
            folder, messages=statuses[folder.name].messages if folder.scanned else None
        )
        for folder in listed
    ]
    cache.forget_others(set(statuses))
    known = cache.folders()
    unread = set(gone)
    fresh: dict[str, tuple[CachedItem, ...]] = {}
    # Every changed folder's opening is known before the first is sent, so the source can
    # send each one while the folder before is still being read.
    planned: dict[str, tuple[Examine, dict[int, frozenset[str]]]] = {}
    for folder in folders:
        if folder.scanned:
            opening = _opening(cache, folder.name, statuses[folder.name], known, source.condstore)
            if opening is not None:
                planned[folder.name] = opening
    source.plan([examine for examine, _ in planned.values()])
    for index, folder in enumerate(folders):
        if folder.name not in planned:
            continue
        examine, cached = planned.pop(folder.name)
        try:
            # A read cut short left nothing in the cache (its transaction rolled back).
            items = read_whole(
                _sync_folder,
                source,
                cache,
                examine,
                cached,
                statuses[folder.name],
                known,
                warn,
                progress,
            )
            if items is not None:
                fresh[folder.name] = items
        except FolderNotFound as exc:
            # Deleted or renamed by another client while we read, or refused: its cached mail
            # is left out too (it may be gone), and the report says the folder was not read.
            folders[index] = not_read(folder, exc)
            unread.add(folder.name)
    problems = tuple(problem(folder) for folder in folders if folder.unread)
    return Synced(display, tuple(folders), problems, frozenset(unread), fresh)


def _statuses(
    source: IncrementalSource, names: list[str]
) -> tuple[dict[str, FolderStatus], dict[str, FolderNotFound]]:
    """Each folder's STATUS, all asked at once (or none asked: the listing brought them, RFC
    5819); and the folders that turned out gone (deleted between LIST and STATUS)."""
    try:
        return source.statuses(names), {}
    except FolderNotFound:
        pass
    # Rare: then one by one, to tell which ones are gone.
    statuses: dict[str, FolderStatus] = {}
    gone: dict[str, FolderNotFound] = {}
    for name in names:
        try:
            statuses[name] = source.statuses([name])[name]
        except FolderNotFound as exc:
            gone[name] = exc
    return statuses, gone


def _opening(
    cache: MailCache,
    name: str,
    status: FolderStatus,
    known: dict[str, FolderStatus],
    condstore: bool,
) -> tuple[Examine, dict[int, frozenset[str]]] | None:
    """How a folder is to be examined, and its cached UIDs; None when it has not changed."""
    before = known.get(name)
    if before is not None and status.highestmodseq is not None and before == status:
        return None  # RFC 7162 §3.1.2.1: any change (new, expunged, flag) moves HIGHESTMODSEQ
    cached = cache.uids(name) if before is not None else {}
    since = before.highestmodseq if before is not None else None
    if not (condstore and status.highestmodseq is not None):
        since = None
    # New mail has UIDs from the last UIDNEXT on (RFC 3501 §2.3.1.1): its first batch is
    # asked for with EXAMINE, in the same round trip, as are the flags of the cached mail.
    # UIDs only grow within one UIDVALIDITY, so when STATUS finds no more than a batch of them
    # new, a batch open to the end takes all the new mail (and any come since): nothing of the
    # folder is left to ask, and the next folder's opening goes in the same write (imap.py).
    start = before.uidnext if before is not None else 1
    stop = status.uidnext
    if (
        before is not None
        and before.uidvalidity == status.uidvalidity
        and 0 <= status.uidnext - start <= BATCH_SIZE
    ):
        stop = UID_END
    likely_new = range(start, stop)
    return Examine(name, bool(cached), since, likely_new), cached


def _sync_folder(
    source: IncrementalSource,
    cache: MailCache,
    examine: Examine,
    cached: dict[int, frozenset[str]],
    status: FolderStatus,
    known: dict[str, FolderStatus],
    warn: Warn,
    progress: Progress | None,
) -> tuple[CachedItem, ...] | None:
    """One folder, in one cache transaction: nothing of it is kept unless all of it is done.

    Returns the folder's items when it was read whole (nothing of it was cached).
    """
    name, before = examine.folder, known.get(examine.folder)
    opened = source.examine(name, examine.flags, examine.changed_since, examine.likely_new)
    uidvalidity, uids = opened.uidvalidity, opened.uids
    renewed = before is not None and before.uidvalidity != uidvalidity
    with cache.folder_update(name) as writer:
        if before is None or renewed:
            writer.clear()
            cached = {}
        present = set(uids)
        writer.remove([uid for uid in cached if uid not in present])
        if cached:
            changed = {
                uid: flags
                for uid, flags in opened.flags.items()
                if uid in cached and uid in present and _lasting(cached[uid]) != _lasting(flags)
            }
            writer.set_flags(changed)
        from inbox_audit.sources.read import Failed, parsed  # the parser: only for new mail

        complete = True
        whole = not cached
        read: list[CachedItem] = []
        new = [uid for uid in uids if uid not in cached]
        for item in parsed(source.fetch_uids(name, new, progress)):
            if isinstance(item, Failed):
                failed = item.unreadable
                writer.add_unreadable(failed, item.flags, retry=item.retry)
                complete = complete and not item.retry
                if whole:
                    read.append(CachedItem(failed.uid, item.flags, None, failed.reason))
                continue
            writer.add(item)
            if whole:
                read.append(CachedItem(item.uid, item.flags, item, None))
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
    if renewed:  # said once the folder is read: a read cut short is done again (read_whole)
        warn(
            _(
                "folder {name!r} has a new UIDVALIDITY (it was recreated or rebuilt on "
                "the server): reading it again"
            ).format(name=name)
        )
    # In UID order, as the cache gives them.
    return tuple(sorted(read, key=lambda item: item.uid)) if whole else None


def _lasting(flags: frozenset[str]) -> frozenset[str]:
    """The flags less \\Recent: a session flag (RFC 3501 §2.3.2) that the first session to
    see a message gets, and that vanishes when any client selects the folder. Its going is
    no change to the mail (and without CONDSTORE it would mark a whole folder changed)."""
    if not any(flag.lower() == "\\recent" for flag in flags):
        return flags
    return frozenset(flag for flag in flags if flag.lower() != "\\recent")
