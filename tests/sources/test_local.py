"""The local source: directories of stores (Thunderbird), errors, read-only, the corpora."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_audit.errors import FolderNotFound, MailboxError
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.local import LocalSource
from tests.corpora import CORPORA
from tests.sources.mailfiles import (
    deny_open,
    fetch_all,
    folder_names,
    maildir,
    mbox,
    message,
    subjects,
    write,
)

# -- Thunderbird directories --------------------------------------------------------------


def test_thunderbird_local_folders(thunderbird: Path) -> None:
    with LocalSource.open(thunderbird) as source:
        assert folder_names(source) == [
            "Clients",
            "Clients/Acme",
            "Clients/Acme/2023",
            "Exported",
            "INBOX",
            "Sent",
            "Trash",
            "Unsent Messages",
        ]
        assert subjects(fetch_all(source, "INBOX")) == ["in 1", "in 2"]
        assert subjects(fetch_all(source, "Clients/Acme")) == ["acme 1", "acme 2"]
        assert subjects(fetch_all(source, "Clients/Acme/2023")) == ["acme 2023"]
        assert fetch_all(source, "Trash") == []


def test_folder_name_collisions_get_a_suffix(tmp_path: Path) -> None:
    write(tmp_path / "d" / "Inbox", mbox(message("a")))
    write(tmp_path / "d" / "inbox.mbox", mbox(message("b")))
    with LocalSource.open(tmp_path / "d") as source:
        assert folder_names(source) == ["INBOX", "INBOX (2)"]
        assert subjects(fetch_all(source, "INBOX (2)")) == ["b"]


# -- errors -------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="no such file"):
        LocalSource.open(tmp_path / "nope")


def test_not_a_mail_store(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="not an mbox file"):
        LocalSource.open(write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0JFIF binary"))
    with pytest.raises(MailboxError, match="no mbox file and no Maildir"):
        LocalSource.open(write(tmp_path / "docs" / "notes.txt", "just some notes\n").parent)


def test_unknown_folder_and_closed_source(tmp_path: Path) -> None:
    source = LocalSource.open(write(tmp_path / "a.mbox", mbox(message("x"))))
    with pytest.raises(FolderNotFound, match="'Sent'"):
        source.fetch("Sent")
    source.close()
    source.close()
    with pytest.raises(MailboxError, match="closed"):
        source.list_folders()


def test_permission_denied_on_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "Inbox", mbox(message("x")))
    deny_open(monkeypatch, lambda p: p == path)
    with pytest.raises(MailboxError, match="permission denied"):
        LocalSource.open(path)


def test_permission_denied_on_folder_file_in_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "d" / "Inbox.mbox", mbox(message("x")))
    locked = write(tmp_path / "d" / "Sent.mbox", mbox(message("y")))
    deny_open(monkeypatch, lambda p: p == locked)
    with LocalSource.open(tmp_path / "d") as source:
        assert folder_names(source) == ["INBOX", "Sent"]
        assert subjects(fetch_all(source, "INBOX")) == ["x"]
        with pytest.raises(MailboxError, match="permission denied"):
            fetch_all(source, "Sent")


def test_permission_denied_on_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = maildir(tmp_path / "box")
    real_scandir = os.scandir

    def fake_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path) in (root, root / "cur"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    with pytest.raises(MailboxError, match=re.escape(f"cannot list {root}: permission denied")):
        LocalSource.open(root)
    with pytest.raises(MailboxError, match=r"cannot list .*cur: permission denied"):
        LocalSource.open(root / "cur")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = write(tmp_path / "Inbox", mbox(message("x")))
    directory = maildir(tmp_path / "box")
    path.chmod(0)
    directory.chmod(0)
    try:
        with pytest.raises(MailboxError, match="permission denied"):
            LocalSource.open(path)
        with pytest.raises(MailboxError, match="permission denied"):
            LocalSource.open(directory)
    finally:
        path.chmod(0o600)
        directory.chmod(0o700)


# -- read-only ----------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and directory under root: (mtime_ns, size, mode)."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            st = (Path(dirpath) / name).lstat()
            out[str(Path(dirpath, name).relative_to(root))] = (
                st.st_mtime_ns,
                st.st_size,
                st.st_mode,
            )
    return out


def test_nothing_is_written(
    tmp_path: Path, maildir_plus: Path, thunderbird: Path, takeout: Path
) -> None:
    single = write(tmp_path / "single" / "Sent.mbox", mbox(message("s")))
    before = snapshot(tmp_path)
    for path in (maildir_plus, thunderbird, takeout, single, tmp_path):
        with LocalSource.open(path) as source:
            for folder in source.list_folders():
                source.message_count(folder.name)
                fetch_all(source, folder.name)
    assert snapshot(tmp_path) == before


def test_abandoned_fetch_closes_its_file(tmp_path: Path) -> None:
    # filterwarnings=error turns a leaked file's ResourceWarning into a failure.
    path = write(tmp_path / "a.mbox", mbox(message("one"), message("two")))
    with LocalSource.open(path) as source:
        items: Iterator[RawMessage | Unreadable] = source.fetch("a")
        next(items)
        del items


# -- corpora ------------------------------------------------------------------------------


def corpus_targets() -> list[Path]:
    roots = [CORPORA / "notmuch" / "lkml"]
    robustness = CORPORA / "robustness"
    if robustness.is_dir():
        roots += sorted(
            p for p in robustness.rglob("*") if p.is_dir() and p.name not in {"cur", "new", "tmp"}
        )
    return roots


def read_everything(path: Path) -> tuple[int, int]:
    read = unreadable = 0
    with LocalSource.open(path) as source:
        for folder in source.list_folders():
            for item in source.fetch(folder.name):
                assert isinstance(item, RawMessage | Unreadable)
                if isinstance(item, RawMessage):
                    assert item.header_bytes.endswith(b"\n\n")
                    read += 1
                else:
                    unreadable += 1
    return read, unreadable


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared/corpora is absent")
def test_corpora_never_raise(capsys: pytest.CaptureFixture[str]) -> None:
    read = unreadable = rejected = 0
    for target in corpus_targets():
        try:
            r, u = read_everything(target)
        except MailboxError:
            # Not a mail store as a whole (a folder of single .eml files): read file by file.
            for path in sorted(p for p in target.iterdir() if p.is_file()):
                if path.name == "SOURCE.md":
                    continue
                try:
                    r, u = read_everything(path)
                except MailboxError:
                    rejected += 1  # not mail at all (size-1, size-2: a byte or two)
                    continue
                read, unreadable = read + r, unreadable + u
            continue
        read, unreadable = read + r, unreadable + u
    with capsys.disabled():
        print(
            f"\ncorpora: {read} messages read, {unreadable} unreadable, {rejected} files rejected"
        )
    assert read > 500
