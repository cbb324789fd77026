"""The one fetch → parse loop every reader shares: a source's items into Messages or failures."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from inbox_audit.core.folders import assign_roles, not_read, problem
from inbox_audit.core.headers import UnparsableMessage, parse_message
from inbox_audit.errors import N_, FolderNotFound
from inbox_audit.model import Collected, Folder, Message, RawMessage, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.sources.spec import MailSource, Progress, ReadsAhead, read_whole


@dataclass(frozen=True)
class Failed:
    """A fetched item that gave no Message: why, the flags it had, and whether to try again."""

    unreadable: Unreadable
    flags: frozenset[str]
    # A fetch that failed (the server sent no usable header) may work next time; a header
    # that does not parse will not parse better tomorrow.
    retry: bool


def parsed(items: Iterable[RawMessage | Unreadable]) -> Iterator[Message | Failed]:
    """Each fetched item parsed, in order: one broken message never stops the others."""
    for item in items:
        if isinstance(item, Unreadable):
            yield Failed(item, frozenset(), retry=True)
            continue
        try:
            yield parse_message(item)
        except UnparsableMessage as exc:
            reason = str(exc) or N_("unparsable")
            yield Failed(Unreadable(item.folder, item.uid, reason), item.flags, retry=False)


def collect(
    source: MailSource, display: str, settings: Settings, progress: Progress | None = None
) -> Collected:
    """Read every scanned folder of a source. Parsing happens as messages stream in."""
    folders = counted_folders(source, settings)
    if isinstance(source, ReadsAhead):
        source.plan([folder.name for folder in folders if folder.scanned])
    messages: list[Message] = []
    unreadable: list[Unreadable] = []
    for index, folder in enumerate(folders):
        if not folder.scanned:
            continue
        try:
            read = read_whole(_read_folder, source, folder.name, progress)
        except FolderNotFound as exc:
            # Deleted or renamed by another client while we read, or refused: none of its
            # mail counts (half a folder would be wrong, not incomplete), and the report says so.
            folders[index] = not_read(folder, exc)
            continue
        for item in read:
            if isinstance(item, Failed):
                unreadable.append(item.unreadable)
            else:
                messages.append(item)
    problems = tuple(problem(folder) for folder in folders if folder.unread)
    return Collected(display, tuple(folders), tuple(messages), tuple(unreadable), problems)


def _read_folder(
    source: MailSource, name: str, progress: Progress | None
) -> list[Message | Failed]:
    return list(parsed(source.fetch(name, progress)))


def counted_folders(source: MailSource, settings: Settings) -> list[Folder]:
    """The source's folders with their roles, and the message count of each scanned one."""
    folders = []
    for folder in assign_roles(source.list_folders(), settings.sent_folder, settings.skip_folders):
        try:
            count = source.message_count(folder.name) if folder.scanned else None
        except FolderNotFound as exc:  # gone between LIST and STATUS
            folders.append(not_read(folder, exc))
            continue
        folders.append(dataclasses.replace(folder, messages=count))
    return folders
