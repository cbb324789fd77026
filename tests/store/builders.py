"""Shared builders of the store's tests: generated mail read, what each short format renders,
a mailbox mirrored in a cache file, and audits through the CLI whose fetches are counted."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import marshal
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from inbox_audit.app.cli import app
from inbox_audit.core.figures import Listing, listing, period_figures
from inbox_audit.core.worktime import parse_hours
from inbox_audit.errors import ConnectionFailed
from inbox_audit.model import AuditReport, Collected, FolderStatus, Message, RawMessage, Unreadable
from inbox_audit.outputs.digest import build_email
from inbox_audit.outputs.digest_text import build_plain_summary
from inbox_audit.outputs.markdown import render_markdown
from inbox_audit.outputs.table import render_table
from inbox_audit.outputs.text import MAX_LISTED
from inbox_audit.settings import Settings, WorkCalendar
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.local import LocalSource
from inbox_audit.sources.read import collect
from inbox_audit.sources.spec import Opened, Progress
from inbox_audit.store import snapshot
from inbox_audit.store.cache import MailCache
from inbox_audit.store.sync import Synced
from tests.builders import PARIS
from tests.dovecot import DovecotServer, MailUser
from tests.mailgen import GeneratedMailbox, generate, write_maildir

#: A shop's working hours, with French public holidays.
WORK = WorkCalendar(parse_hours("mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00"), PARIS, "FR")

_Mail = dict[tuple[str, int], Message]
#: Caches the mirrors of the running test opened.
OPEN: list[MailCache] = []


def read(tmp_path: Path, seed: int, layout: str, customers: int) -> tuple[Collected, datetime]:
    box = generate(seed, layout, customers=customers)
    root = tmp_path / f"{seed}-{layout}"
    write_maildir(box, root)
    with LocalSource.open(root) as source:
        return collect(source, "test", Settings(me=box.owner)), box.as_of


def rendered(
    report: AuditReport,
    settings: Settings,
    replies: int | None,
    outline: snapshot.Outline | None = None,
) -> dict[str, object]:
    """The outputs a snapshot re-dated with `replies` holding replies serves, as text (the
    email's parts without Date/ID); from `outline` when given (`report` is its report)."""
    listed = None if outline is None else outline.listing
    rows = None if outline is None else outline.arrivals
    outputs: dict[str, object] = {
        "summary": build_plain_summary(report, PARIS, listed=listed, rows=rows),
        "table": table(report, settings, show_replies=False, listed=listed),
        "figures": period_figures(report, PARIS, rows),
        "summary figures": report.summary,
        "exit": report.summary.overdue > 0,
    }
    if replies is None or replies >= MAX_LISTED:
        mail = build_email(
            report,
            to="owner@example.com",
            sender="audit@example.com",
            tz=PARIS,
            listed=listed,
            rows=rows,
        )
        outputs["email subject"] = mail["Subject"]
        outputs["email parts"] = [
            part.get_content() for part in mail.walk() if not part.is_multipart()
        ]
        outputs["table with replies"] = table(report, settings, show_replies=True, listed=listed)
    if replies is None:
        outputs["markdown"] = render_markdown(report, tz=PARIS, listed=listed)
        # All of a full report's threads are in JSON only; the other outputs show these.
        shown = listing(report) if listed is None else listed
        outputs["waiting"] = shown.waiting
        outputs["late"] = shown.late
    return outputs


def table(
    report: AuditReport, settings: Settings, show_replies: bool, listed: Listing | None = None
) -> str:
    console = Console(file=io.StringIO(), width=120, highlight=False, color_system=None)
    console.print(render_table(report, show_replies=show_replies, tz=settings.tz, listed=listed))
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


class Mirror:
    """A mailbox held twice: as Messages (for full audits) and in a cache file, changed
    alike, the cache through the same writer a sync uses."""

    def __init__(self, tmp_path: Path, collected: Collected) -> None:
        self.folders = [f for f in collected.folders if f.scanned]
        self.mail: _Mail = {(m.folder, m.uid): m for m in collected.messages}
        self.cache = MailCache.open(tmp_path / "cache.sqlite", pytest.fail)
        OPEN.append(self.cache)  # closed after the test (tests/store/conftest.py)
        self.next_uid = max(uid for _, uid in self.mail) + 1
        for folder in self.folders:
            with self.cache.folder_update(folder.name) as writer:
                for m in sorted(self._in(folder.name), key=lambda m: m.uid):
                    writer.add(m)
                writer.set_state(FolderStatus(0, 0, 1, 1))

    def _in(self, folder: str) -> list[Message]:
        return [m for (f, _), m in self.mail.items() if f == folder]

    def synced(self) -> Synced:
        folders = tuple(
            dataclasses.replace(f, messages=len(self._in(f.name))) for f in self.folders
        )
        return Synced("test", folders, ())

    def collected(self) -> Collected:
        order = {f.name: i for i, f in enumerate(self.folders)}
        messages = sorted(self.mail.values(), key=lambda m: (order[m.folder], m.uid))
        return Collected("test", self.synced().folders, tuple(messages), ())

    def add(self, message: Message, folder: str | None = None) -> Message:
        message = dataclasses.replace(message, folder=folder or message.folder, uid=self.next_uid)
        self.next_uid += 1
        self.mail[(message.folder, message.uid)] = message
        with self.cache.folder_update(message.folder) as writer:
            writer.add(message)
        return message

    def copy(self, message: Message, folder: str) -> None:
        self.add(message, folder)

    def move(self, message: Message, folder: str) -> None:
        self.add(message, folder)
        self.remove(message)

    def remove(self, message: Message) -> None:
        del self.mail[(message.folder, message.uid)]
        with self.cache.folder_update(message.folder) as writer:
            writer.remove([message.uid])

    def flag(self, message: Message, flag: str) -> None:
        self.set_flags(message, message.flags | {flag})

    def set_flags(self, message: Message, flags: frozenset[str]) -> None:
        self.mail[(message.folder, message.uid)] = dataclasses.replace(message, flags=flags)
        with self.cache.folder_update(message.folder) as writer:
            writer.set_flags({message.uid: flags})


def assert_same_snapshot(
    got: snapshot.Snapshot, want: snapshot.Snapshot, settings: Settings
) -> None:
    """Same report, the conversations awaiting a reply included, and the same rows once
    re-dated (rows booked on earlier nights hold their own moment's pending/overdue;
    re-dating recomputes those)."""
    assert got.report.awaiting is not None
    assert got.report.awaiting == want.report.awaiting
    assert got.report == want.report
    moment = want.report.as_of
    # Every kept thread, each waiting one with its holding reply: Markdown's outline.
    assert snapshot.outline(got, settings, moment) == snapshot.outline(want, settings, moment)
    assert got.waiting == want.waiting
    assert got.horizon == want.horizon


def stored_ledger(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The ledger's parts and links as a cache file holds them, in key order, decoded (the
    same values may marshal to other bytes, as marshal shares what is referenced twice)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT folder, uid, part, links FROM ledger ORDER BY 1, 2").fetchall()
        links = db.execute("SELECT link, folder, uid FROM links ORDER BY 1, 2, 3").fetchall()
    parts = [(f, u, _undated(marshal.loads(part)), marshal.loads(ids)) for f, u, part, ids in rows]
    return parts, links


def _undated(part: tuple[Any, ...]) -> tuple[Any, ...]:
    # A waiting message's verdict (pending or overdue) is as of when it was booked: a part
    # left outside a night's closure keeps an older one, which the totals re-date.
    waiting = {"pending": "waiting", "overdue": "waiting"}
    status, row = part[6], part[10]
    if row is not None:
        row = (row[0], waiting.get(row[1], row[1]), *row[2:])
    return (*part[:6], waiting.get(status, status), *part[7:10], row, *part[11:])


class Spy:
    """Counts what the audits ask the server for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fetched: list[tuple[str, int]] = []
        self.examined: list[str] = []
        self.fail_after: int | None = None  # raise once that many messages were fetched
        original_fetch = ImapSource.fetch_uids
        original_examine = ImapSource.examine
        spy = self

        def fetch_uids(
            source: ImapSource, folder: str, uids: Sequence[int], progress: Progress | None = None
        ) -> Iterator[RawMessage | Unreadable]:
            for item in original_fetch(source, folder, uids, progress):
                if spy.fail_after is not None and len(spy.fetched) >= spy.fail_after:
                    spy.fail_after = None
                    raise ConnectionFailed("connection lost (simulated)")
                spy.fetched.append((folder, item.uid))
                yield item

        def examine(source: ImapSource, folder: str, *args: Any) -> Opened:
            spy.examined.append(folder)
            return original_examine(source, folder, *args)

        monkeypatch.setattr(ImapSource, "fetch_uids", fetch_uids)
        monkeypatch.setattr(ImapSource, "examine", examine)

    def reset(self) -> None:
        self.fetched.clear()
        self.examined.clear()


def invoke(
    dovecot: DovecotServer, user: MailUser, box: GeneratedMailbox, fmt: str, *args: str
) -> Result:
    """`inbox-audit audit` of the user's mailbox in `fmt`, with the box's owner as --me, as of
    `box.as_of` unless another --as-of is given."""
    owner = [arg for address in box.owner for arg in ("--me", address)]
    moment = [] if "--as-of" in args else ["--as-of", box.as_of.isoformat()]
    return CliRunner().invoke(
        app,
        [
            "audit",
            dovecot.url(user),
            "--ca-file",
            str(dovecot.ca_file),
            "--format",
            fmt,
            *moment,
            *owner,
            *args,
        ],
        env={"INBOX_AUDIT_PASSWORD": user.password},
    )


def text_audit(
    dovecot: DovecotServer, user: MailUser, box: GeneratedMailbox, fmt: str, *args: str
) -> str:
    """The CLI's output in a short format (table, markdown, summary), with its exit code."""
    result = invoke(dovecot, user, box, fmt, "--timezone", "Europe/Paris", *args)
    assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
    return f"exit {result.exit_code}\n{result.stdout}"
