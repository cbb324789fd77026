"""The cache's versions: an upgrade keeps the cached headers unless the parser or the stored
format changed, and a test notices when they change without a bump."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import inspect
import io
import re
import shutil
import sqlite3
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_audit.core.fields import HEADER_FIELDS
from inbox_audit.model import Address, FolderStatus, Message
from inbox_audit.store import cache, snapshot, tables
from inbox_audit.store.cache import MailCache
from inbox_audit.store.cache_errors import CacheUnusable
from inbox_audit.store.ledger_feed import KeptChange
from tests.audits import load
from tests.builders import make_message
from tests.dovecot import DovecotServer
from tests.mailgen import generate
from tests.store.builders import Spy, text_audit

PACKAGE = Path(cache.__file__).parents[1]

# The fingerprint of what decides the cached rows, and the (CACHE_FORMAT, PARSER_VERSION) it
# was computed for. When `fingerprint()` changes, the parser or the row format may have
# changed: bump PARSER_VERSION (what parse_message makes of the same bytes changed) or
# CACHE_FORMAT (the tables or the row layout changed), then write the new fingerprint here
# with the new versions. A change that stores nothing new (a faster equivalent) needs the
# fingerprint only.
FINGERPRINT = (2, 2, "3a0fe20754835e9197fa")


def normalised(source: str) -> str:
    """Python source without comments, docstrings, blank lines or trailing spaces: the same for
    an edit that changes no code, on every Python version the project supports."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.COMMENT)]
    cuts = [(t.start, t.end) for t in tokens if t.type == tokenize.COMMENT]
    statement_start = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    for i, t in enumerate(significant):
        alone = i + 1 < len(significant) and significant[i + 1].type == tokenize.NEWLINE
        first = i == 0 or significant[i - 1].type in statement_start
        if t.type == tokenize.STRING and first and alone:
            cuts.append((t.start, t.end))
    lines = source.splitlines()
    for (row, col), (end_row, end_col) in sorted(cuts, reverse=True):
        lines[row - 1 : end_row] = [lines[row - 1][:col] + lines[end_row - 1][end_col:]]
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _fields(kind: type) -> str:
    def default(field: dataclasses.Field[object]) -> str | None:
        return None if field.default is dataclasses.MISSING else repr(field.default)

    return repr([(f.name, f.type, default(f)) for f in dataclasses.fields(kind)])


def parser_modules() -> list[str]:
    """core/headers.py and every core module it imports, directly or not: the parser."""
    found: list[str] = []
    todo = ["core/headers.py"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.append(name)
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module is not None and module.startswith("inbox_audit.core."):
                todo.append(module.removeprefix("inbox_audit.").replace(".", "/") + ".py")
    return sorted(found)


def fingerprint() -> str:
    """A digest of what the cached rows depend on: the parser (core/headers.py and the core
    modules it imports), the row format (store/rows.py, the tables and the cache's own row
    helpers) and the fields of Message."""
    helpers = (cache._dump, cache._flags, cache._parse_flags, cache._Shared)
    sql = re.sub(r"--[^\n]*", "", tables.TABLES)  # SQL comments
    parts = {
        **{
            name: normalised((PACKAGE / name).read_text(encoding="utf-8"))
            for name in parser_modules()
        },
        "store/rows.py": normalised((PACKAGE / "store/rows.py").read_text(encoding="utf-8")),
        "tables": " ".join(sql.split()),
        "cache rows": "\n".join(normalised(inspect.getsource(h)) for h in helpers),
        "Message": _fields(Message),
        "Address": _fields(Address),
    }
    digest = hashlib.sha256()
    for name, text in parts.items():
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()[:20]


def test_the_parser_and_the_row_format_change_only_with_a_bump() -> None:
    versions = (cache.CACHE_FORMAT, cache.PARSER_VERSION)
    now = fingerprint()
    assert FINGERPRINT[:2] == versions, (
        f"CACHE_FORMAT/PARSER_VERSION bumped: set FINGERPRINT = {(*versions, now)!r}"
    )
    assert FINGERPRINT[2] == now, (
        "parser/row format changed: bump PARSER_VERSION/CACHE_FORMAT and update the "
        f"fingerprint (FINGERPRINT = {(cache.CACHE_FORMAT + 1, cache.PARSER_VERSION, now)!r} "
        f"or {(cache.CACHE_FORMAT, cache.PARSER_VERSION + 1, now)!r}; the fingerprint alone "
        "if what is stored did not change)"
    )


def test_the_fingerprint_ignores_comments_and_docstrings() -> None:
    source = '''"""A module."""

import re  # why


def f(x: int) -> str:
    """Doc
    string."""

    # a comment
    return f"{x:>3}" + "text"
'''
    edited = source.replace("# why", "# why not").replace("Doc\n", "Documented\n")
    assert normalised(edited) == normalised(source)
    assert normalised(source) == 'import re\ndef f(x: int) -> str:\n    return f"{x:>3}" + "text"'
    assert normalised(source.replace('"text"', '"other"')) != normalised(source)


def cached(path: Path) -> dict[tuple[str, int], Message]:
    opened = MailCache.open(path, pytest.fail)
    try:
        return {(f, m.uid): m for f in opened.folders() for m in messages(opened, f)}
    finally:
        opened.close()


def messages(opened: MailCache, folder: str) -> list[Message]:
    return [item.message for item in opened.items(folder) if item.message is not None]


def test_the_cached_messages_stay_while_the_versions_and_the_fields_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.sqlite"
    opened = MailCache.open(path, pytest.fail)
    message = make_message(subject="Devis")
    with opened.folder_update("INBOX") as writer:
        writer.add(message)
        writer.set_state(FolderStatus(1, 2, 3))
    opened.close()
    assert cached(path) == {("INBOX", message.uid): message}
    # Another fetched header field: the messages parsed without it are dropped.
    monkeypatch.setattr(cache, "HEADER_FIELDS", (*HEADER_FIELDS, "X-New-Field"))
    assert cached(path) == {}
    opened = MailCache.open(path, pytest.fail)
    with opened.folder_update("INBOX") as writer:
        writer.add(message)
        writer.set_state(FolderStatus(1, 2, 3))
    opened.close()
    assert cached(path) == {("INBOX", message.uid): message}
    # Another parser: dropped too.
    monkeypatch.setattr(cache, "PARSER_VERSION", cache.PARSER_VERSION + 1)
    assert cached(path) == {}
    # Another format: the file is set aside, with a warning.
    monkeypatch.setattr(cache, "CACHE_FORMAT", cache.CACHE_FORMAT + 1)
    warnings: list[str] = []
    MailCache.open(path, warnings.append).close()
    assert f"cache format {cache.CACHE_FORMAT - 1}, not {cache.CACHE_FORMAT}" in warnings[0]


def page_size(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        size: int = db.execute("PRAGMA page_size").fetchone()[0]
    return size


def test_a_new_file_has_large_pages_and_an_older_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot is one large value, walked page by page: a new file has 16 KiB pages. A
    file made with SQLite's default 4 KiB ones (before this choice) keeps them and its mail."""
    MailCache.open(tmp_path / "new.sqlite", pytest.fail).close()
    assert page_size(tmp_path / "new.sqlite") == 16384
    path = tmp_path / "older.sqlite"
    message = make_message(subject="Devis")
    with monkeypatch.context() as patch:
        patch.setattr(cache, "_PAGE_SIZE", 4096)
        opened = MailCache.open(path, pytest.fail)
        with opened.folder_update("INBOX") as writer:
            writer.add(message)
            writer.set_state(FolderStatus(1, 2, 3))
        opened.close()
    assert page_size(path) == 4096
    assert cached(path) == {("INBOX", message.uid): message}
    assert page_size(path) == 4096


def test_an_upgrade_keeps_what_it_did_not_change(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A change to how reports are written keeps the cached headers and the snapshot; one to
    the audit's rules keeps the headers only; a new parser fetches every message again."""
    import inbox_audit.core.audit

    box = generate(16, "gmail", customers=12)
    user = load(dovecot, box)
    spy = Spy(monkeypatch)
    audits: list[str] = []
    real_audit = inbox_audit.core.audit.audit_examined

    def full(*args: object, **kwargs: object) -> object:
        audits.append("full")
        return real_audit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox_audit.core.audit, "audit_examined", full)

    def run() -> tuple[int, bool]:
        """Messages fetched by a cached run, and whether it audited (else re-dated); its
        output is a cold run's."""
        spy.reset()
        audits.clear()
        text = text_audit(dovecot, user, box, "markdown")
        done = (len(spy.fetched), bool(audits))
        assert text == text_audit(dovecot, user, box, "markdown", "--no-cache")
        return done

    everything, audited = run()
    assert everything > 0 and audited
    assert run() == (0, False)

    # Another version of the package, whose outputs and app changed.
    upgrade = tmp_path / "inbox_audit"
    shutil.copytree(PACKAGE, upgrade, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(
        snapshot, "audit_code", lambda: snapshot.code_digest(upgrade, snapshot.AUDIT_CODE)
    )
    assert run() == (0, False)
    for changed in ("outputs/render.py", "outputs/digest.py", "app/cli.py"):
        with (upgrade / changed).open("a", encoding="utf-8") as file:
            file.write("\n# report-only change\n")
    assert run() == (0, False)  # nothing fetched, the snapshot re-dated

    # A change to the audit's rules: audited again, from the cached headers.
    with (upgrade / "core/metrics.py").open("a", encoding="utf-8") as file:
        file.write("\n# a rule changed\n")
    assert run() == (0, True)
    assert run() == (0, False)

    # A new parser: every message is fetched again, once.
    monkeypatch.setattr(cache, "PARSER_VERSION", cache.PARSER_VERSION + 1)
    assert run() == (everything, True)
    assert run() == (0, False)


def test_the_fingerprint_covers_the_whole_parser() -> None:
    modules = parser_modules()
    assert "core/headers.py" in modules and "core/dates.py" in modules
    assert "core/classify.py" not in modules  # the audit's rules do not shape what is cached


NO_CHANGE = KeptChange((), (), (), ())


def test_the_ledger_rows_are_stored_as_they_come_with_their_links(tmp_path: Path) -> None:
    opened = MailCache.open(tmp_path / "cache.sqlite", pytest.fail)
    low, high = -(2**63), 2**63 - 1  # SQLite's integers, which links are
    rows = [
        (("INBOX", 1), b"a", (low, 5)),
        (("Sent", 2), b"b", (5, high)),
        (("INBOX", 3), b"c", ()),
    ]
    try:
        opened.save_ledger("key", {}, iter(rows), lambda: (b"totals", NO_CHANGE), whole=True)
        assert opened.ledger_state("key") == b"totals"
        assert opened.ledger_rows(copy for copy, _, _ in rows) == {
            copy: (part, links) for copy, part, links in rows
        }
        assert opened.linked([5]) == {("INBOX", 1), ("Sent", 2)}
        assert opened.linked([low]) == {("INBOX", 1)} and opened.linked([high]) == {("Sent", 2)}
    finally:
        opened.close()


def test_the_kept_rows_errors_are_theirs_and_store_nothing(tmp_path: Path) -> None:
    """The kept rows and threads are made as they are stored: their error is the caller's
    (not a corrupt cache, which would set the file aside), and nothing is stored."""
    opened = MailCache.open(tmp_path / "cache.sqlite", pytest.fail)

    def threads() -> Iterator[tuple[str, bytes]]:
        yield "t1", b"row"
        raise TypeError("a bug of the caller's threads")

    def state() -> tuple[bytes, KeptChange]:
        return b"totals", KeptChange((), [(("INBOX", 1), b"r")], (), threads())

    try:
        with pytest.raises(TypeError, match="the caller's threads"):
            opened.save_ledger("key", {}, iter([(("INBOX", 1), b"a", (7,))]), state, whole=True)
        assert opened.ledger_state("key") is None and opened.ledger_kept() == ([], [])
    finally:
        opened.close()


def test_a_ledger_written_by_another_run_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    """Two state directories may share a cache file: an update worked out from what was read
    is not stored over what another run wrote since (the file would hold a mix of both)."""
    opened = MailCache.open(tmp_path / "cache.sqlite", pytest.fail)
    rows = [(("INBOX", 1), b"a", (7,))]
    try:
        opened.save_ledger("key", {}, iter(rows), lambda: (b"first", NO_CHANGE), whole=True)
        with opened.reading():
            assert opened.ledger_state("key") == b"first"
        with contextlib.closing(sqlite3.connect(opened.path)) as other, other:
            other.execute("UPDATE ledger_state SET data = ?", (b"theirs",))
        with pytest.raises(CacheUnusable, match="another run"):
            opened.save_ledger("key", {}, iter([]), lambda: (b"mine", NO_CHANGE), since_read=True)
        assert opened.ledger_state("key") == b"theirs"
        with opened.reading():  # read again: now it may write
            opened.ledger_state("key")
        opened.save_ledger("key", {}, iter([]), lambda: (b"mine", NO_CHANGE), since_read=True)
        assert opened.ledger_state("key") == b"mine"
    finally:
        opened.close()


def test_an_error_of_the_ledger_rows_is_theirs_and_stores_nothing(tmp_path: Path) -> None:
    """The caller's error, not a corrupt cache (which would set the file aside), and the
    transaction is rolled back."""
    opened = MailCache.open(tmp_path / "cache.sqlite", pytest.fail)

    def rows() -> Iterator[tuple[tuple[str, int], bytes, tuple[int, ...]]]:
        yield ("INBOX", 1), b"a", (7,)
        raise KeyError("a bug of the caller")

    def state() -> tuple[bytes, KeptChange]:
        raise KeyError("a bug of the caller's totals")

    try:
        with pytest.raises(KeyError, match="a bug of the caller"):
            opened.save_ledger("key", {}, rows(), lambda: (b"totals", NO_CHANGE), whole=True)
        with pytest.raises(KeyError, match="the caller's totals"):
            opened.save_ledger("key", {}, iter([(("INBOX", 1), b"a", (7,))]), state, whole=True)
        assert opened.ledger_state("key") is None
        assert opened.ledger_rows([("INBOX", 1)]) == {} and opened.linked([7]) == set()
    finally:
        opened.close()
