"""The LIST responses real servers send, folder names at their oddest (RFC 3501 §7.2.2, §9).

The names Dovecot can hold are created in it and listed, counted and read through ImapSource;
the forms it never sends (a literal name, a NIL delimiter, raw UTF-8) are parsed from the lines
other servers send.
"""

from __future__ import annotations

import pytest

from inbox_audit.core.folders import assign_roles, problem
from inbox_audit.model import ListedFolder, RawMessage
from inbox_audit.settings import Settings
from inbox_audit.sources import listing
from inbox_audit.sources.fetch import values
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.read import collect
from tests.dovecot import DovecotServer
from tests.sources.mailfiles import numbered_message

# Each one legal (RFC 3501 §5.1): Dovecot sends the first two as atoms ("[" is an atom
# character, "]" is not), the others quoted, in modified UTF-7 when they are not ASCII.
ODD_NAMES = (
    "Devis[2026",
    "[Archives",
    "Clients]",
    "Factures 2026",
    'Dit "oui"',
    "back\\slash",
    "Reçus & notes",
    "Été/Août",
    "日本",
    "%x*",
    "NIL",
    "{3}",
)


def test_odd_folder_names_are_listed_counted_and_read(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(dovecot.unique_name("odd"), "pw", layout=["INBOX", "Sent"])
    for number, name in enumerate(ODD_NAMES):
        dovecot.create_folder(user, name)
        dovecot.append(user, name, numbered_message(number))
    with ImapSource.connect(dovecot.target(user), dovecot.options(user)) as source:
        collected = collect(source, "odd", Settings())
    listed = {folder.name: folder for folder in collected.folders}
    for name in ODD_NAMES:
        assert listed[name].scanned, name
        assert listed[name].messages == 1, name
    assert collected.problems == ()
    assert sorted(m.folder for m in collected.messages) == sorted(ODD_NAMES)


@pytest.mark.parametrize(
    ("line", "name", "delimiter"),
    [
        (b'(\\HasNoChildren) "/" Devis[2026', "Devis[2026", "/"),
        (b'(\\HasNoChildren) "/" [Archives', "[Archives", "/"),
        (b'() "/" "Clients]"', "Clients]", "/"),
        (b'() "." "Dit \\"oui\\""', 'Dit "oui"', "."),
        (b'() "\\\\" "a\\\\b"', "a\\b", "\\"),
        (b"() NIL Public", "Public", None),
        (b'() "/" \x00', "Mail/odd\r\nname", "/"),  # a literal {n} (LITERAL in `values`)
        (b'() "/" "&AMk-t&AOk-"', "Été", "/"),
        (b'() "/" "Re&AOc-us &- notes"', "Reçus & notes", "/"),
        (b'() "/" 2026', "2026", "/"),
        ('() "/" "Été"'.encode(), "Été", "/"),  # raw UTF-8 (RFC 6855 servers, and others)
    ],
)
def test_list_lines_of_every_shape(line: bytes, name: str, delimiter: str | None) -> None:
    literals = [b"Mail/odd\r\nname"] if b"\x00" in line else []
    folder = listing.listed_folder(values(line, literals))
    assert (folder.name, folder.delimiter) == (name, delimiter)


@pytest.mark.parametrize(
    "line",
    [
        b'(\\HasNoChildren "/" Devis\x1b[2J',  # the attributes' list never closed
        b'(\\HasNoChildren) "/" "Devis',  # the name's quote never closed
        b"(\\HasNoChildren)",  # no delimiter, no name
        b'"/" Devis (\\HasNoChildren)',  # no attributes first
    ],
)
def test_a_list_line_that_cannot_be_parsed_is_a_folder_not_read(line: bytes) -> None:
    folder = listing.listed_or_unparsed(line, [])
    assert not folder.selectable
    assert folder.unread == "the server's LIST response for it could not be parsed"
    assert folder.name.isprintable()
    assert "Devis" in folder.name or b"Devis" not in line
    assert "\\x1b" in folder.name or b"\x1b" not in line  # escaped, not sent to a terminal
    [read] = assign_roles([folder, ListedFolder("INBOX", frozenset())])[:1]
    assert (read.scanned, read.unread) == (False, folder.unread)
    assert problem(read) == f"folder {folder.name!r} could not be read: {folder.unread}"


def test_a_list_line_that_parses_is_no_problem() -> None:
    folder = listing.listed_or_unparsed(b'(\\HasNoChildren) "/" Devis[2026', [])
    assert (folder.name, folder.selectable, folder.unread) == ("Devis[2026", True, None)


def test_a_folder_named_like_a_header_is_read_as_mail(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(dovecot.unique_name("odd"), "pw", layout=["INBOX", "Sent"])
    dovecot.create_folder(user, "BODY[HEADER]")
    uid = dovecot.append(user, "BODY[HEADER]", numbered_message(7))
    with ImapSource.connect(dovecot.target(user), dovecot.options(user)) as source:
        assert "BODY[HEADER]" in {f.name for f in source.list_folders()}
        [fetched] = list(source.fetch("BODY[HEADER]"))
    assert isinstance(fetched, RawMessage) and fetched.uid == uid
