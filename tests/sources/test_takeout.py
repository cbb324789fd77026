"""Gmail Takeout: one mbox as virtual folders by label, labels as flags."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from inbox_audit.model import RawMessage
from inbox_audit.sources.local import LocalSource
from tests.sources.mailfiles import (
    fetch_all,
    folder_names,
    mbox,
    message,
    subjects,
    write,
)

# -- Gmail Takeout ------------------------------------------------------------------------


def test_takeout_virtual_folders(takeout: Path) -> None:
    with LocalSource.open(takeout) as source:
        listed = {f.name: f.attributes for f in source.list_folders()}
        contents = {name: subjects(fetch_all(source, name)) for name in listed}
        counts = {name: source.message_count(name) for name in listed}
    assert listed == {
        "INBOX": frozenset(),
        "Sent": {"\\sent"},
        "Drafts": {"\\drafts"},
        "Spam": {"\\junk"},
        "Trash": {"\\trash"},
        "Archive": {"\\archive"},
        "Clients/Acme": frozenset(),
        "Needs, reply": frozenset(),
    }
    assert contents == {
        "INBOX": ["question", "second question"],
        "Sent": ["answer", "localized sent"],
        "Drafts": ["draft"],
        "Spam": ["spam"],
        "Trash": ["trashed inbox"],
        "Archive": ["only state"],
        "Clients/Acme": ["client label"],
        "Needs, reply": ["comma label"],
    }
    assert counts == {name: len(found) for name, found in contents.items()}


def test_takeout_message_metadata(takeout: Path) -> None:
    with LocalSource.open(takeout) as source:
        inbox = fetch_all(source, "INBOX")
        archive = fetch_all(source, "Archive")
    first, second = inbox
    assert isinstance(first, RawMessage)
    assert isinstance(second, RawMessage)
    assert [first.uid, second.uid] == [1, 2]
    assert first.conversation_id == "1700000000000000001"
    assert first.internal_date == datetime(2024, 1, 2, 8, tzinfo=UTC)
    assert first.flags == {"\\Seen"}
    assert second.flags == frozenset()
    [starred] = archive
    assert isinstance(starred, RawMessage)
    assert starred.flags == {"\\Seen", "\\Flagged"}


def test_takeout_inside_a_directory(takeout: Path) -> None:
    with LocalSource.open(takeout.parent) as source:
        assert "Sent" in folder_names(source)


def test_takeout_labels_folded_and_encoded(tmp_path: Path) -> None:
    text = mbox(
        message("folded", "X-Gmail-Labels: Opened,\n Sent"),
        message("encoded", "X-Gmail-Labels: =?UTF-8?Q?Clients/Soci=C3=A9t=C3=A9?="),
    )
    with LocalSource.open(write(tmp_path / "t.mbox", text)) as source:
        assert folder_names(source) == ["Sent", "Clients/Société"]


def test_takeout_messages_keep_the_start_of_their_own_body(tmp_path: Path) -> None:
    labels = "X-Gmail-Labels: Inbox"
    path = write(
        tmp_path / "All mail Including Spam and Trash.mbox",
        mbox(
            message("first", labels, body="Bonjour,\r\nje voudrais un devis.\r\n"),
            message("second", labels, body=""),
            message("third", labels, body="Hello!\n"),
        ),
    )
    with LocalSource.open(path) as source:
        items = [m for m in fetch_all(source, "INBOX") if isinstance(m, RawMessage)]
    assert subjects(list(items)) == ["first", "second", "third"]
    assert [m.text_start for m in items] == [
        b"Bonjour,\r\nje voudrais un devis.\r\n",
        b"",
        b"Hello!\n",
    ]
