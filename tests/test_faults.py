"""The faults a real server, network or disk can throw at a run, each re-runnable (issue #14).

Dovecot (tests/dovecot.py) makes the faults it can by itself (a folder deleted, odd names);
tests/faults.py's proxy in front of it makes the others (a `NO [NONEXISTENT]` for a folder
that exists, a byte every 2 s, a connection cut at LOGIN, an echoed password, an advertised
X-GM-EXT-1 that fails). Each test is the owner's view: the exit code, stdout, stderr.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inbox_audit.sources.fetch import BATCH_SIZE
from tests.app.builders import OWNER, parts, run
from tests.audits import Mailbox
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.faults import (
    AdvertisedGmail,
    CutDuringFetch,
    DeletedDuringFetch,
    DeletedThenRefused,
    DroppedAtLogin,
    EchoedCredentials,
    FaultProxy,
    GarbledList,
    NonexistentFolder,
    Trickle,
)
from tests.smtpd import SmtpServer, make_smtp_server, smtp_server

# Fixtures used by name in this module's tests.
__all__ = ["make_smtp_server", "smtp_server"]


def args_via(proxy: FaultProxy, box: Mailbox, *extra: str) -> list[str]:
    return box.args("--allow-plaintext", *extra, url=proxy.url(box.user))


def same_but_source(report: dict[str, Any], other: dict[str, Any]) -> bool:
    """The same report, though one was read through the proxy (another URL)."""
    return {**report, "source": ""} == {**other, "source": ""}


def folders_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {folder["name"]: folder for folder in report["folders"]}


# --- 1. a folder not read in full is said in every format --------------------------------------


def test_a_folder_answering_nonexistent_is_said_in_every_format(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    with FaultProxy(dovecot, NonexistentFolder("Archive")) as proxy:
        code, out, err = run(
            args_via(proxy, mailbox, "--format", "json"), tmp_path, password=mailbox.user.password
        )
        assert code in (0, 1), err
        report = json.loads(out)
        archive = folders_of(report)["Archive"]
        assert archive["scanned"] is False
        assert "Archive" in archive["reason"] and "not found" in archive["reason"]
        assert report["complete"] is False
        assert "'Archive'" in err  # said on stderr too, once
        for fmt in ("table", "summary", "markdown"):
            code, out, err = run(
                args_via(proxy, mailbox, "--format", fmt), tmp_path, password=mailbox.user.password
            )
            assert code in (0, 1), err
            assert "Archive" in out and "incomplete" in out.lower(), (fmt, out)


def test_an_unreadable_sent_folder_fails_the_run_rather_than_report_replies_missing(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    with FaultProxy(dovecot, NonexistentFolder("Sent")) as proxy:
        for extra in ((), ("--no-cache",)):
            code, out, err = run(
                args_via(proxy, mailbox, "--format", "json", *extra),
                tmp_path,
                password=mailbox.user.password,
            )
            assert code == 4, err
            assert out == ""
            assert "Sent folder 'Sent' could not be read" in err
            assert len(err.strip().splitlines()) <= 2  # the error and its hint


def test_the_email_of_an_incomplete_report_says_so_and_does_not_list_it_as_read(
    dovecot: DovecotServer, mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    with FaultProxy(dovecot, NonexistentFolder("Archive")) as proxy:
        args = args_via(proxy, mailbox, "--no-cache", "--email-to", OWNER, "--smtp", smtp)
        code, _, err = run(args, tmp_path, password=mailbox.user.password)
    assert code in (0, 1), err
    (received,) = smtp_server.received
    message = received.parse()
    assert "incomplete" in message["Subject"]
    for body in map(html.unescape, parts(message).values()):
        assert "INCOMPLETE REPORT: folder 'Archive' could not be read" in body
        read = re.search(r"Folders read: ([^<\n]*)", body)
        assert read is not None and "Archive" not in read.group(1)
        assert "Could not be read: Archive" in body


def gone_mailbox(dovecot: DovecotServer) -> MailUser:
    """A shop whose "Old" folder is about to be deleted, with mail in folders around it."""
    user = dovecot.add_user(
        dovecot.unique_name("gone"), "pw-Gone-1", ["INBOX", "Sent", "Old", "Projects"]
    )
    dovecot.append_many(user, "INBOX", [Appended(question(n, ASKED), (), ASKED_AT) for n in (1, 2)])
    dovecot.append(user, "Sent", reply_to(1, ANSWERED), internal_date=ANSWERED_AT)
    dovecot.append_many(
        user, "Old", [Appended(question(n, ASKED), (), ASKED_AT) for n in (3, 4, 5)]
    )
    dovecot.append(user, "Projects", question(6, ASKED), internal_date=ASKED_AT)
    return user


def gone_json(
    dovecot: DovecotServer, user: MailUser, tmp_path: Path, url: str | None, *extra: str
) -> tuple[int, Any, str]:
    """The shop's audit as JSON, straight from Dovecot or through the proxy at `url`."""
    args = shop_args(dovecot, user, "--format", "json", *extra)
    if url is not None:
        args[1] = url
        args.append("--allow-plaintext")
    code, out, err = run(
        args, tmp_path, password=user.password, XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    return code, json.loads(out) if out else None, err


def the_mail(report: dict[str, Any]) -> dict[str, Any]:
    """What a report says of the mail read, not of the folders or where they came from."""
    left_out = ("source", "complete", "folders", "problems")
    return {key: value for key, value in report.items() if key not in left_out}


@pytest.mark.parametrize("run_kind", ["first run", "nightly run", "no cache"])
def test_a_folder_deleted_during_its_fetch_is_left_out_and_the_rest_read(
    dovecot: DovecotServer, tmp_path: Path, run_kind: str
) -> None:
    user = gone_mailbox(dovecot)
    extra = ("--no-cache",) if run_kind == "no cache" else ()
    if run_kind == "nightly run":
        code, _, err = gone_json(dovecot, user, tmp_path, None)  # the cache filled
        assert code == 1, err
        dovecot.append(user, "Old", question(7, ASKED), internal_date=ASKED_AT)  # Old changed
    with FaultProxy(dovecot, DeletedDuringFetch(dovecot, user, "Old")) as proxy:
        code, report, err = gone_json(dovecot, user, tmp_path, proxy.url(user), *extra)
    # Dovecot ended the session ("* BYE ... Mailbox was deleted under us"): the run logged
    # in again and read the other folders.
    assert code == 1, err
    assert report["complete"] is False
    old = folders_of(report)["Old"]
    assert old["scanned"] is False and old["reason"] == "deleted while it was being read"
    assert all(f["scanned"] for name, f in folders_of(report).items() if name != "Old")
    names = [folder["name"] for folder in report["folders"]]
    assert names.index("Old") < len(names) - 1  # folders read after it (sent ahead)
    [said] = err.strip().splitlines()
    assert "'Old'" in said and "deleted while it was being read" in said
    assert report["problems"] == ["folder 'Old' could not be read: deleted while it was being read"]
    # None of Old's mail, all of the rest: the same mail as a cold read of what is left.
    _, cold, _ = gone_json(dovecot, user, tmp_path, None, "--no-cache")
    assert cold["complete"] is True and "Old" not in folders_of(cold)
    assert the_mail(report) == the_mail(cold)
    subjects = {row["subject"] for row in report["messages"]}
    assert {"Question 1", "Question 2", "Question 6"} <= subjects
    assert not subjects & {"Question 3", "Question 4", "Question 5", "Question 7"}
    if run_kind == "no cache":
        return
    # The cache then agrees with the server, the folder gone and then made again.
    code, cached, err = gone_json(dovecot, user, tmp_path, None)
    assert (code, cached) == (1, cold), err
    dovecot.create_folder(user, "Old")
    dovecot.append(user, "Old", question(8, ASKED), internal_date=ASKED_AT)
    _, cold, _ = gone_json(dovecot, user, tmp_path, None, "--no-cache")
    code, cached, err = gone_json(dovecot, user, tmp_path, None)
    assert (code, cached) == (1, cold), err
    assert folders_of(cached)["Old"]["messages"] == 1


def test_a_folder_deleted_during_its_fetch_is_said_in_every_format(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    user = gone_mailbox(dovecot)
    smtp = ("--email-to", OWNER, "--smtp", f"smtp://127.0.0.1:{smtp_server.port}")
    for fmt in ("table", "summary", "markdown", "email"):
        if fmt != "table":
            dovecot.create_folder(user, "Old")
            dovecot.append(user, "Old", question(3, ASKED), internal_date=ASKED_AT)
        with FaultProxy(dovecot, DeletedDuringFetch(dovecot, user, "Old")) as proxy:
            args = shop_args(dovecot, user, *(smtp if fmt == "email" else ("--format", fmt)))
            args[1:2] = [proxy.url(user), "--allow-plaintext"]
            code, out, err = run(args, tmp_path, password=user.password)
        assert code == 1, err
        if fmt == "email":
            (received,) = smtp_server.received
            message = received.parse()
            assert "incomplete" in message["Subject"]
            out = "\n".join(map(html.unescape, parts(message).values()))
        assert "incomplete" in out.lower(), (fmt, out)
        assert "Old" in out and "deleted while it was being read" in out, (fmt, out)


def test_a_run_logs_in_again_twice_at_most(dovecot: DovecotServer, tmp_path: Path) -> None:
    user = gone_mailbox(dovecot)
    # Dovecot lists the newest first: no two of the folders deleted come one after the other.
    for name in ("Older", "Between", "Oldest"):
        dovecot.create_folder(user, name)
        dovecot.append(user, name, question(9, ASKED), internal_date=ASKED_AT)
    deleted = DeletedDuringFetch(dovecot, user, "Old", "Older", "Oldest")
    with FaultProxy(dovecot, deleted) as proxy:
        code, report, err = gone_json(dovecot, user, tmp_path, proxy.url(user), "--no-cache")
    assert code == 4, err
    assert report is None
    assert "lost while reading folder" in err and "already logged in again 2 times" in err
    assert len(err.strip().splitlines()) <= 2
    assert len(deleted.done) == 3


def test_a_login_refused_on_logging_in_again_ends_the_run(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user = gone_mailbox(dovecot)
    refused = DeletedThenRefused(dovecot, user, "Old")
    with FaultProxy(dovecot, refused) as proxy:
        code, report, err = gone_json(dovecot, user, tmp_path, proxy.url(user), "--no-cache")
    assert code == 4, err
    assert report is None
    assert "login refused" in err
    assert refused.logins == 2  # logged in again once, not tried again


@pytest.mark.parametrize("extra", [(), ("--no-cache",)])
def test_a_sent_folder_deleted_during_its_fetch_fails_the_run(
    dovecot: DovecotServer, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    user = gone_mailbox(dovecot)
    with FaultProxy(dovecot, DeletedDuringFetch(dovecot, user, "Sent")) as proxy:
        code, report, err = gone_json(dovecot, user, tmp_path, proxy.url(user), *extra)
    assert code == 4, err
    assert report is None
    assert "Sent folder 'Sent' could not be read: deleted while it was being read" in err
    assert len(err.strip().splitlines()) <= 2  # the error and its hint


# --- 1b. a connection dropped while a folder is read: logged in again, the folder read again ----


def busy_mailbox(dovecot: DovecotServer) -> MailUser:
    """A shop with a few questions in each folder, some answered."""
    user = dovecot.add_user(
        dovecot.unique_name("cut"), "pw-Cut-1", ["INBOX", "Sent", "Projects", "Old"]
    )
    for folder, numbers in (("INBOX", range(1, 9)), ("Projects", (9, 10, 11)), ("Old", (12,))):
        items = [Appended(question(n, ASKED), (), ASKED_AT) for n in numbers]
        dovecot.append_many(user, folder, items)
    dovecot.append_many(
        user, "Sent", [Appended(reply_to(n, ANSWERED), (), ANSWERED_AT) for n in (1, 2, 9)]
    )
    return user


def reconnected(err: str, folder: str) -> bool:
    """Whether `err` is one line: the warning of a reconnect while `folder` was read."""
    [said] = err.strip().splitlines()
    return "warning" in said and repr(folder) in said and "logged in again" in said


def summary_of(
    dovecot: DovecotServer, user: MailUser, tmp_path: Path, url: str, *extra: str
) -> str:
    """The shop's summary (the nightly email's text) through the proxy at `url`."""
    args = shop_args(dovecot, user, "--format", "summary", "--allow-plaintext", *extra)
    args[1] = url
    code, out, err = run(
        args, tmp_path, password=user.password, XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    assert code == 1, err
    return out


# The cache is the account's (user@host:port): each test's runs go through one proxy, its
# cut armed (`left`) for the run that is to be cut only.


@pytest.mark.parametrize("folder", ["INBOX", "Projects"])  # Projects' opening: sent ahead
def test_a_connection_cut_during_a_first_run_is_read_again_to_the_same_report(
    dovecot: DovecotServer, tmp_path: Path, folder: str
) -> None:
    user = busy_mailbox(dovecot)
    before = dovecot.snapshot_state(user)
    cut = CutDuringFetch(folder, nth=2, times=0)
    with FaultProxy(dovecot, cut) as proxy:
        url = proxy.url(user)
        _, cold, _ = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        cold_summary = summary_of(dovecot, user, tmp_path, url, "--no-cache")
        cut.left = 1
        code, report, err = gone_json(dovecot, user, tmp_path, url)
        assert cut.cuts == 1
        assert code == 1, err
        assert reconnected(err, folder)
        assert report == cold
        assert report["complete"] is True
        # The cache holds the folder whole: the next run reads nothing, the same report.
        code, cached, err = gone_json(dovecot, user, tmp_path, url)
        assert (code, cached, err) == (1, cold, "")
        assert summary_of(dovecot, user, tmp_path, url) == cold_summary
    assert dovecot.snapshot_state(user) == before  # read-only: flags, HIGHESTMODSEQ, UIDVALIDITY


def test_a_connection_cut_during_a_nightly_run_is_read_again_to_the_same_report(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user = busy_mailbox(dovecot)
    cut = CutDuringFetch("INBOX", nth=2, times=0)  # the second of its new messages
    with FaultProxy(dovecot, cut) as proxy:
        url = proxy.url(user)
        code, _, err = gone_json(dovecot, user, tmp_path, url)  # the cache filled
        assert code == 1, err
        new = [Appended(question(n, ASKED), (), ASKED_AT) for n in (13, 14, 15)]
        dovecot.append_many(user, "INBOX", new)
        dovecot.append(user, "Sent", reply_to(13, ANSWERED), internal_date=ANSWERED_AT)
        before = dovecot.snapshot_state(user)
        _, cold, _ = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        cut.left = 1
        code, report, err = gone_json(dovecot, user, tmp_path, url)
        assert cut.cuts == 1
        assert code == 1, err
        assert reconnected(err, "INBOX")
        assert report == cold
        subjects = {row["subject"] for row in report["messages"]}
        assert {"Question 13", "Question 14", "Question 15"} <= subjects
        code, cached, err = gone_json(dovecot, user, tmp_path, url)
        assert (code, cached, err) == (1, cold, "")
    assert dovecot.snapshot_state(user) == before


def test_a_connection_cut_without_a_cache_is_read_again_to_the_same_report(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user = busy_mailbox(dovecot)
    before = dovecot.snapshot_state(user)
    cut = CutDuringFetch("INBOX", nth=5, times=0)
    with FaultProxy(dovecot, cut) as proxy:
        url = proxy.url(user)
        _, cold, _ = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        cold_summary = summary_of(dovecot, user, tmp_path, url, "--no-cache")
        cut.left = 1
        code, report, err = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        assert (cut.cuts, code) == (1, 1), err
        assert reconnected(err, "INBOX")
        assert report == cold
        cut.left = 1
        assert summary_of(dovecot, user, tmp_path, url, "--no-cache") == cold_summary
        assert cut.cuts == 2
    assert dovecot.snapshot_state(user) == before


@pytest.mark.parametrize("extra", [(), ("--no-cache",)])
def test_a_connection_cut_after_a_whole_batch_was_read_reads_the_folder_again_once(
    dovecot: DovecotServer, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    user = dovecot.add_user(dovecot.unique_name("big"), "pw-Big-1", ["INBOX", "Sent"])
    many = [Appended(question(n, ASKED), (), ASKED_AT) for n in range(1, BATCH_SIZE + 301)]
    dovecot.append_many(user, "INBOX", many)
    dovecot.append(user, "Sent", reply_to(7, ANSWERED), internal_date=ANSWERED_AT)
    # In the second batch: the first one's messages were handed on before the cut.
    cut = CutDuringFetch("INBOX", nth=BATCH_SIZE + 150, times=0)
    with FaultProxy(dovecot, cut) as proxy:
        url = proxy.url(user)
        _, cold, _ = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        cut.left = 1
        code, report, err = gone_json(dovecot, user, tmp_path, url, *extra)
        assert (cut.cuts, code) == (1, 1), err
        assert reconnected(err, "INBOX")
        assert report == cold  # each message once
        assert report["summary"]["duplicates"] == 0
        if not extra:
            code, cached, err = gone_json(dovecot, user, tmp_path, url)
            assert (code, cached, err) == (1, cold, "")


@pytest.mark.parametrize("extra", [(), ("--no-cache",)])
def test_a_connection_cut_every_time_ends_the_run_after_two_logins_again(
    dovecot: DovecotServer, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    user = busy_mailbox(dovecot)
    before = dovecot.snapshot_state(user)
    cut = CutDuringFetch("Projects", nth=2, times=None)
    with FaultProxy(dovecot, cut) as proxy:
        url = proxy.url(user)
        code, report, err = gone_json(dovecot, user, tmp_path, url, *extra)
        assert code == 4, err
        assert report is None
        assert cut.cuts == 3  # the first session's, then those of the two logins again
        *warnings, said = err.strip().splitlines()
        assert len(warnings) == 2 and all(reconnected(line, "Projects") for line in warnings)
        assert "error" in said and "'Projects'" in said and "logged in again 2 times" in said
        # Nothing half-read was kept: the next run gives the report of a cold read.
        cut.left = 0
        _, cold, _ = gone_json(dovecot, user, tmp_path, url, "--no-cache")
        code, cached, err = gone_json(dovecot, user, tmp_path, url)
        assert (code, cached) == (1, cold), err
    assert dovecot.snapshot_state(user) == before


# --- 3. a LIST line that cannot be parsed ------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("--no-cache",)])
def test_a_list_line_that_cannot_be_parsed_is_a_folder_not_read(
    dovecot: DovecotServer, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    user = gone_mailbox(dovecot)
    with FaultProxy(dovecot, GarbledList("Old")) as proxy:
        code, report, err = gone_json(dovecot, user, tmp_path, proxy.url(user), *extra)
    assert code == 1, err
    assert report["complete"] is False
    [garbled] = [f for f in report["folders"] if f["reason"]]
    assert garbled["name"] == '(\\HasNoChildren "/" Old'  # the line as it came
    assert garbled["reason"] == "the server's LIST response for it could not be parsed"
    assert garbled["scanned"] is False
    [said] = err.strip().splitlines()
    assert "warning" in said and repr(garbled["name"]) in said and "could not be parsed" in said
    subjects = {row["subject"] for row in report["messages"]}
    assert {"Question 1", "Question 2", "Question 6"} <= subjects
    assert not subjects & {"Question 3", "Question 4", "Question 5"}


# --- 2. a whole-run deadline -------------------------------------------------------------------


def test_a_trickling_server_is_given_up_at_the_deadline_and_the_lock_released(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with FaultProxy(dovecot, Trickle(every=0.5)) as proxy:
        args = args_via(proxy, mailbox, "--deadline", "3s", "--state-dir", str(state))
        started = time.monotonic()
        code, out, err = run(args, tmp_path, password=mailbox.user.password)
        took = time.monotonic() - started
    assert code == 4, err
    assert took < 3 + 5  # the deadline, and closing
    assert out == ""
    assert "did not finish within its deadline of 3 s" in err
    assert len(err.strip().splitlines()) == 2  # the error and its hint
    assert list(state.glob("*.lock")) == []


def test_the_deadline_comes_from_the_config_file_and_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[accounts.shop]\nsource = "imaps://me@127.0.0.1:1"\ndeadline = "soon"\n')
    config.chmod(0o600)
    code, _, err = run(["audit", "--config", str(config)], tmp_path, password="pw")
    assert code == 3
    assert "invalid duration 'soon'" in err and "'deadline'" in err


# --- 4. a cache that cannot be written -----------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of its own (mount needs root: skipped without it), unmounted after."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Write to `disk` until it is full (ENOSPC)."""
    with (disk / "filler").open("wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


def audit_json(mailbox: Mailbox, tmp_path: Path, cache: Path, *extra: str) -> tuple[int, Any, str]:
    code, out, err = run(
        mailbox.args("--format", "json", *extra),
        tmp_path,
        password=mailbox.user.password,
        XDG_CACHE_HOME=str(cache),
    )
    return code, json.loads(out) if out else None, err


def test_a_full_disk_leaves_the_good_cache_alone_and_the_audit_complete(
    mailbox: Mailbox, small_disk: Path, tmp_path: Path
) -> None:
    _, cold, _ = audit_json(mailbox, tmp_path, tmp_path / "elsewhere", "--no-cache")
    code, first, err = audit_json(mailbox, tmp_path, small_disk)
    assert (code, first) == (1, cold), err
    [cache] = small_disk.glob("inbox-audit/*.sqlite")
    kept = cache.read_bytes()
    fill(small_disk)
    # New mail to write, and no room for it.
    mailbox.dovecot.append(mailbox.user, "INBOX", new_question())
    try:
        _, cold, _ = audit_json(mailbox, tmp_path, tmp_path / "elsewhere", "--no-cache")
        code, full, err = audit_json(mailbox, tmp_path, small_disk)
    finally:
        mailbox.dovecot.expunge(
            mailbox.user, "INBOX", mailbox.dovecot.uids(mailbox.user, "INBOX")[-1]
        )
    assert (code, full) == (1, cold), err
    assert "cannot write the cache" in err and "full" in err
    assert len(err.strip().splitlines()) == 1
    assert [path.name for path in cache.parent.iterdir()] == [cache.name]  # nothing set aside
    assert cache.read_bytes() == kept


def test_a_cache_on_a_full_or_read_only_disk_is_done_without(
    mailbox: Mailbox, small_disk: Path, tmp_path: Path
) -> None:
    _, cold, _ = audit_json(mailbox, tmp_path, tmp_path / "elsewhere", "--no-cache")
    fill(small_disk)
    code, report, err = audit_json(mailbox, tmp_path, small_disk)
    assert (code, report) == (1, cold), err
    assert "cache" in err and len(err.strip().splitlines()) == 1
    (small_disk / "filler").unlink()
    audit_json(mailbox, tmp_path, small_disk)  # a cache, then the disk turns read-only
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code, report, err = audit_json(mailbox, tmp_path, small_disk)
    assert (code, report) == (1, cold), err
    assert "cache" in err and "readonly" in err and len(err.strip().splitlines()) == 1


def test_two_runs_sharing_a_cache_do_not_break_it(mailbox: Mailbox, tmp_path: Path) -> None:
    # Two state directories, two locks: nothing keeps their runs apart but SQLite's own lock.
    cache_home = tmp_path / "cache"
    _, cold, _ = audit_json(mailbox, tmp_path, cache_home)
    [cache] = cache_home.glob("inbox-audit/*.sqlite")
    mailbox.dovecot.append(mailbox.user, "INBOX", new_question())
    other = sqlite3.connect(cache, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # the other run, writing a folder
        _, cold, _ = audit_json(mailbox, tmp_path, tmp_path / "elsewhere", "--no-cache")
        code, report, err = audit_json(mailbox, tmp_path, cache_home)
    finally:
        other.close()
        mailbox.dovecot.expunge(
            mailbox.user, "INBOX", mailbox.dovecot.uids(mailbox.user, "INBOX")[-1]
        )
    assert (code, report) == (1, cold), err
    assert "cannot write the cache" in err and "locked" in err
    assert [path.name for path in cache.parent.iterdir()] == [cache.name]


def new_question() -> bytes:
    return (
        b"From: New Client <new@client.example>\r\nTo: shop@example.org\r\n"
        b"Subject: A new question\r\nMessage-ID: <new-question@client.example>\r\n"
        b"Date: Mon, 2 Nov 2026 09:00:00 +0000\r\n\r\nHello?\r\n"
    )


def test_a_ledger_whose_links_were_emptied_is_rebuilt_not_trusted(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user = dovecot.add_user(dovecot.unique_name("ledger"), "pw-Ledger-1", ["INBOX", "Sent"])
    # Enough mail that one reply is a small change: the ledger is updated, not rebuilt.
    dovecot.append_many(
        user, "INBOX", [Appended(question(n, ASKED), (), ASKED_AT) for n in range(1, 13)]
    )
    dovecot.append(user, "Sent", reply_to(12, ANSWERED), internal_date=ANSWERED_AT)
    cache_home = tmp_path / "cache"

    def table(*extra: str) -> str:
        args = shop_args(dovecot, user, "--format", "markdown", *extra)
        code, out, err = run(args, tmp_path, password=user.password, XDG_CACHE_HOME=str(cache_home))
        assert code in (0, 1), err
        return out

    assert "11 conversations waiting" in table()  # the ledger written
    dovecot.append(user, "Sent", reply_to(1, ANSWERED), internal_date=ANSWERED_AT)
    [cache] = cache_home.glob("inbox-audit/*.sqlite")
    with contextlib.closing(sqlite3.connect(cache)) as db, db:
        assert db.execute("DELETE FROM links").rowcount > 0
    cold = table("--no-cache")
    assert "10 conversations waiting" in cold
    assert table() == cold


def shop_args(dovecot: DovecotServer, user: MailUser, *extra: str) -> list[str]:
    """An audit of a small mailbox of this module (question, reply_to) as of 2 Nov 2026."""
    return [
        "audit",
        dovecot.url(user),
        "--ca-file",
        str(dovecot.ca_file),
        "--me",
        "shop@example.org",
        "--as-of",
        "2026-11-02T09:00:00+00:00",
        "--quiet",
        *extra,
    ]


ASKED, ASKED_AT = "Fri, 30 Oct 2026 09:00:00 +0000", datetime(2026, 10, 30, 9, tzinfo=UTC)
ANSWERED, ANSWERED_AT = "Fri, 30 Oct 2026 10:00:00 +0000", datetime(2026, 10, 30, 10, tzinfo=UTC)


def question(n: int, date: str) -> bytes:
    return (
        f"From: Client {n} <client{n}@example.com>\r\nTo: shop@example.org\r\n"
        f"Subject: Question {n}\r\nMessage-ID: <q{n}@example.com>\r\nDate: {date}\r\n"
        f"Received: from mx by shop; {date}\r\n\r\n"
        "Hello, do you have it in stock?\r\n"
    ).encode()


def reply_to(n: int, date: str) -> bytes:
    return (
        f"From: Shop <shop@example.org>\r\nTo: client{n}@example.com\r\n"
        f"Subject: Re: Question {n}\r\nMessage-ID: <r{n}@example.org>\r\n"
        f"In-Reply-To: <q{n}@example.com>\r\nReferences: <q{n}@example.com>\r\n"
        f"Date: {date}\r\n\r\nYes, we do.\r\n"
    ).encode()


# --- 5. misleading diagnoses and leaks ---------------------------------------------------------


def test_a_connection_cut_at_login_is_not_called_a_wrong_password(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    with FaultProxy(dovecot, DroppedAtLogin()) as proxy:
        code, out, err = run(args_via(proxy, mailbox), tmp_path, password=mailbox.user.password)
    assert code == 4, err
    assert out == ""
    assert "lost" in err and "logging in" in err
    assert "refused" not in err and "password" not in err


@pytest.mark.parametrize("secret", ["Pa55-plain-word", 'qu"o\\te d€ mot'])
def test_credentials_echoed_by_the_server_in_any_encoding_are_scrubbed(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path, secret: str
) -> None:
    with FaultProxy(dovecot, EchoedCredentials(secret)) as proxy:
        # run() itself checks that the password appears nowhere, as is.
        code, out, err = run(args_via(proxy, mailbox), tmp_path, password=secret)
    assert code == 4, err
    assert "login refused" in err
    encoded = secret.encode()
    for form in (
        base64.b64encode(encoded).decode(),
        urllib.parse.quote(secret),
        secret.replace("\\", "\\\\").replace('"', '\\"'),
    ):
        assert form not in out + err, form


def test_terminal_escapes_in_mail_reach_no_output(dovecot: DovecotServer, tmp_path: Path) -> None:
    user = dovecot.add_user(dovecot.unique_name("escape"), "pw-Escape-1", ["INBOX", "Sent"])
    hostile = (
        b"From: =?utf-8?q?Evil=1B]0;pwned=07Corp?= <evil@client.example>\r\n"
        b"To: shop@example.org\r\nMessage-ID: <evil@client.example>\r\n"
        b"Subject: =?utf-8?q?Invoice=1B[2J=1B[31m_now=0D=9B1m?=\r\n"
        b"Date: Fri, 30 Oct 2026 09:00:00 +0000\r\n"
        b"Received: from mx by shop; Fri, 30 Oct 2026 09:00:00 +0000\r\n\r\nPay.\r\n"
    )
    dovecot.append(user, "INBOX", hostile, internal_date=ASKED_AT)
    for fmt in ("csv", "table", "summary", "markdown", "json"):
        args = shop_args(dovecot, user, "--format", fmt, "--no-cache")
        code, out, err = run(args, tmp_path, password=user.password)
        assert code == 1, err
        assert "Invoice" in out and "now" in out, fmt
        for control in ("\x1b", "\x07", "\r", "\x9b"):
            assert control not in out, (fmt, control)


def test_ctrl_c_exits_130_with_the_interrupted_line(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    with FaultProxy(dovecot, Trickle(every=0.5)) as proxy:
        process = cli_process(args_via(proxy, mailbox), tmp_path, mailbox.user.password)
        time.sleep(3)  # logged in, reading a byte at a time
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.strip().endswith("inbox-audit: interrupted"), err
    assert "Traceback" not in err and "Aborted" not in err
    assert not list((tmp_path / "state").glob("**/*.lock"))


def test_directories_made_under_umask_000_are_private(mailbox: Mailbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    process = cli_process(
        mailbox.args("--format", "json"), tmp_path, mailbox.user.password, umask=0, home=home
    )
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    made = [path for path in home.rglob("*") if path.is_dir()]
    assert {path.relative_to(home).as_posix() for path in made} >= {
        ".cache/inbox-audit",
        ".local/state/inbox-audit",
    }
    for path in made:
        assert path.stat().st_mode & 0o777 == 0o700, path
    for path in home.rglob("*.sqlite"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def cli_process(
    args: list[str],
    tmp_path: Path,
    password: str,
    umask: int | None = None,
    home: Path | None = None,
) -> subprocess.Popen[str]:
    """The CLI as cron runs it: its own process, the XDG directories from HOME."""
    home = home or tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "INBOX_AUDIT_PASSWORD": password,
        "XDG_STATE_HOME": str(tmp_path / "state") if umask is None else "",
    }
    env = {name: value for name, value in env.items() if value}

    def before() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.Popen(
        [sys.executable, "-m", "inbox_audit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=before,  # umask only, no thread started yet
    )


# --- 6. servers that advertise more than they do -----------------------------------------------


def test_an_advertised_gmail_extension_that_fails_falls_back_once(
    dovecot: DovecotServer, mailbox: Mailbox, tmp_path: Path
) -> None:
    _, plain, _ = run(
        mailbox.args("--format", "json", "--no-cache"), tmp_path, password=mailbox.user.password
    )
    with FaultProxy(dovecot, AdvertisedGmail()) as proxy:
        for extra in (("--no-cache",), (), ()):  # read whole, into the cache, from the cache
            code, out, err = run(
                args_via(proxy, mailbox, "--format", "json", *extra),
                tmp_path,
                password=mailbox.user.password,
            )
            assert code == 1, err
            assert same_but_source(json.loads(out), json.loads(plain))
            [said] = err.strip().splitlines()  # said once, and nothing else
            assert "X-GM-THRID" in said and "warning" in said
