"""Builders of the sources' tests: small messages, mbox files and Maildirs, canned server bytes."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.local import LocalSource
from inbox_audit.sources.wire import Inbound


def message(subject: str, *extra: str, body: str = "Hello.\n") -> str:
    """A small message as text, LF line ends, ending with a newline."""
    headers = [
        f"From: Client {subject} <client@example.org>",
        "To: shop@example.com",
        f"Subject: {subject}",
        "Date: Tue, 02 Jan 2024 09:00:00 +0100",
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>",
        *extra,
    ]
    return "\n".join(headers) + "\n\n" + body


def numbered_message(n: int, extra: str = "") -> bytes:
    """Client n's question as IMAP stores it (CRLF), with a header no audit fetches."""
    return (
        f"From: Client {n} <client{n}@example.com>\r\n"
        f"To: shop@example.org\r\n"
        f"Subject: Question {n}\r\n"
        f"Message-ID: <q{n}@example.com>\r\n"
        f"Received: from mx by shop; Mon, 2 Nov 2026 09:00:00 +0000\r\n"
        f"X-Not-Fetched: secret-{n}\r\n"
        f"{extra}"
        f"\r\n"
        f"Body {n}: only its first 2048 bytes are fetched (BODY.PEEK[TEXT]<0.2048>).\r\n"
    ).encode()


def mbox(
    *messages: str, from_line: str = "From client@example.org Tue Jan  2 08:00:00 2024"
) -> str:
    return "".join(f"{from_line}\n{m}\n" for m in messages)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def fetch_all(source: LocalSource, folder: str) -> list[RawMessage | Unreadable]:
    return list(source.fetch(folder))


def subjects(items: list[RawMessage | Unreadable]) -> list[str]:
    return [subject_of(m) for m in items if isinstance(m, RawMessage)]


def subject_of(raw: RawMessage) -> str:
    return str(BytesHeaderParser(policy=default_policy).parsebytes(raw.header_bytes)["Subject"])


def folder_names(source: LocalSource) -> list[str]:
    return [f.name for f in source.list_folders()]


def takeout_message(subject: str, labels: str, thread: str = "1700000000000000001") -> str:
    return message(subject, f"X-GM-THRID: {thread}", f"X-Gmail-Labels: {labels}")


def deny_open(monkeypatch: pytest.MonkeyPatch, denied: Callable[[Path], bool]) -> None:
    """Make Path.open raise PermissionError for some paths (tests run as root)."""
    real_open = pathlib.Path.open

    def fake_open(self: Path, *args: object, **kwargs: object) -> object:
        if denied(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pathlib.Path, "open", fake_open)


class FakeSocket:
    """Canned bytes, handed out `chunk` bytes at most per recv()."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data, self.chunk, self.pos = data, chunk, 0

    def recv(self, size: int) -> bytes:
        out = self.data[self.pos : self.pos + min(size, self.chunk)]
        self.pos += len(out)
        return out


class FakeConnection:
    """What the wire uses of a connection: its buffer over canned bytes, and send()."""

    def __init__(self, data: bytes, chunk: int = 1 << 16) -> None:
        self.sock = FakeSocket(data, chunk)
        self.inbound = Inbound(lambda: self.sock)  # type: ignore[arg-type, return-value]
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def unread(self) -> bytes:
        return self.inbound.data[self.inbound.pos :] + self.sock.data[self.sock.pos :]
