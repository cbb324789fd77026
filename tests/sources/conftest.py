"""Mail stores several local-source test modules read: a Takeout export, Maildir++, Thunderbird."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.mailfiles import maildir, mbox, message, takeout_message, write


@pytest.fixture
def takeout(tmp_path: Path) -> Path:
    text = mbox(
        takeout_message("question", "Inbox,Opened,Category Personal"),
        takeout_message("answer", "Sent,Opened"),
        takeout_message("spam", "Spam,Unread"),
        takeout_message("client label", 'Clients/Acme,Important,"Needs, reply"'),
        takeout_message("trashed inbox", "Inbox,Trash"),
        takeout_message("only state", "Opened,Archived,Starred"),
        takeout_message("localized sent", "Envoyés,Sent,Opened"),
        takeout_message("draft", "Drafts"),
        takeout_message("second question", "Inbox,Clients/Acme"),
        takeout_message("comma label", '"Needs, reply",Opened'),
        from_line="From 1700000000000000001@xxx Tue Jan 02 08:00:00 +0000 2024",
    )
    return write(tmp_path / "All mail Including Spam and Trash.mbox", text)


@pytest.fixture
def maildir_plus(tmp_path: Path) -> Path:
    root = maildir(tmp_path / "Maildir")
    write(root / "cur" / "1700000100.M2P2.host:2,RS", message("answered"))
    write(root / "cur" / "1700000000.M1P1.host:2,S", message("first"))
    write(root / "new" / "1700000200.M3P3.host", message("new one"))
    write(root / "cur" / "99.M0P0.host:2,FT", message("ancient stamp"))
    write(root / "tmp" / "1700000300.M4P4.host", message("still being delivered"))
    write(root / "dovecot-uidlist", "3 V1 N5\n")
    write(root / "subscriptions", "Sent\n")
    sent = maildir(root / ".Sent")
    write(sent / "cur" / "1700000150.M5P5.host:2,S", message("reply"))
    write(sent / "maildirfolder", "")
    clients = maildir(root / ".Archives.Clients")
    write(clients / "cur" / "1700000050.M6P6.host!2,DS", message("archived"))
    write(root / ".Archives.Clients" / "new" / ".hidden", message("ignored"))
    maildir(root / ".Drafts")
    (root / ".notmuch" / "xapian").mkdir(parents=True)
    return root


@pytest.fixture
def thunderbird(tmp_path: Path) -> Path:
    root = tmp_path / "Local Folders"
    tb = "From - Tue Jan  2 08:00:00 2024"
    write(root / "Inbox", mbox(message("in 1"), message("in 2"), from_line=tb))
    write(root / "Inbox.msf", '// <!-- <mdb:mork:z v="1.4"/> -->\n')
    write(root / "Sent", mbox(message("sent 1"), from_line=tb))
    write(root / "Sent.msf", "")
    write(root / "Trash", b"")
    write(root / "Unsent Messages", b"")
    write(root / "msgFilterRules.dat", 'version="9"\n')
    write(root / "filterlog.html", "<html></html>")
    write(root / "Clients", mbox(message("clients"), from_line=tb))
    write(root / "Clients.sbd" / "Acme", mbox(message("acme 1"), message("acme 2")))
    write(root / "Clients.sbd" / "Acme.msf", "")
    write(root / "Clients.sbd" / "Acme.sbd" / "2023", mbox(message("acme 2023")))
    write(root / "Exported.mbox", mbox(message("exported")))
    write(root / ".hidden", mbox(message("hidden")))
    return root
