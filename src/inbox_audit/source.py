"""Where mail comes from: parse a SOURCE argument and open the matching mailbox reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from inbox_audit.model import ListedFolder, RawMessage, Unreadable

#: progress(folder, done, total) — called by sources during long fetches.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImapTarget:
    """A parsed imaps:// or imap:// SOURCE."""

    user: str
    host: str
    port: int
    implicit_tls: bool  # imaps:// (RFC 8314) vs imap:// + STARTTLS

    def display(self) -> str:
        scheme = "imaps" if self.implicit_tls else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class LocalTarget:
    """A local mbox file, Maildir folder, or directory of mbox files."""

    path: Path

    def display(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach an IMAP server. The password never appears in a repr."""

    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    allow_plaintext: bool = False
    timeout: float = 30.0


class MailSource(Protocol):
    """A mailbox opened read-only. Sources convert every foreign error to MailboxError."""

    def list_folders(self) -> list[ListedFolder]:
        """Every folder, with its attributes; selectable or not."""
        ...

    def message_count(self, folder: str) -> int | None:
        """How many messages the folder holds, when cheaply known."""
        ...

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        """Every message of one folder: header fields, flags and internal date. Read-only."""
        ...

    def close(self) -> None:
        """Log out / release files. Safe to call twice."""
        ...
