"""The run's budget of logins again, and what a lost session makes of the error."""

from __future__ import annotations

import pytest

from inbox_audit.errors import ConnectionFailed, FolderDeleted, Reconnected
from inbox_audit.sources.relogin import RELOGINS, Relogins
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, read_whole

TARGET = ImapTarget("me", "mail.example.com", 993, True)


def test_both_causes_share_one_budget_then_the_run_ends() -> None:
    said: list[str] = []
    relogins = Relogins(TARGET, ConnectOptions(password="pw", warn=said.append))
    relogins.spend("Old", FolderDeleted("deleted while it was being read"))
    lost = ConnectionFailed("connection to mail.example.com:993 lost: EOF")
    for _ in range(RELOGINS - 1):
        relogins.spend("INBOX", lost)
    assert relogins.count == RELOGINS
    with pytest.raises(ConnectionFailed) as caught:
        relogins.spend("INBOX", lost)
    assert not isinstance(caught.value, Reconnected)  # the run's end, not a read again
    assert str(caught.value) == f"{lost}; the run had already logged in again {RELOGINS} times"
    with pytest.raises(ConnectionFailed, match="'Old': it was deleted while it was being read"):
        relogins.spend("Old", FolderDeleted("deleted while it was being read"))
    assert said == []  # spending says nothing: the warning comes with the login again


def test_a_reconnect_is_said_once_and_asks_for_the_folder_again() -> None:
    said: list[str] = []
    relogins = Relogins(TARGET, ConnectOptions(password="pw", warn=said.append))
    error = relogins.reconnected("Projects", ConnectionFailed("reset by peer"))
    assert isinstance(error, Reconnected) and str(error) == "reset by peer"
    assert said == [
        "connection to mail.example.com lost while reading folder 'Projects'; "
        "logged in again to read it from its start"
    ]


def test_read_whole_reads_again_from_the_start_after_a_reconnect_only() -> None:
    calls: list[str] = []

    def read(folder: str) -> list[str]:
        calls.append(folder)
        if len(calls) < 3:
            raise Reconnected("lost")
        return [folder] * 2

    assert read_whole(read, "INBOX") == ["INBOX", "INBOX"]
    assert calls == ["INBOX"] * 3

    def refused(folder: str) -> list[str]:
        calls.append(folder)
        raise ConnectionFailed("lost, and no login again")

    calls.clear()
    with pytest.raises(ConnectionFailed):
        read_whole(refused, "Sent")
    assert calls == ["Sent"]
