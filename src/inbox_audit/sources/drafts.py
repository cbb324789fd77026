"""The one writer: holding replies saved to the Drafts folder over IMAP, or as .eml files."""

# Everything else in the project reads. This module only ever APPENDs to the one Drafts
# folder it is given, and removes (\Deleted + UID EXPUNGE of that one UID, RFC 4315 §2.1)
# a draft it saved itself, untouched, whose thread was answered since. The folder is read
# with EXAMINE (RFC 3501 §6.3.2) and SELECTed only for such a removal; APPEND needs no
# selected folder (RFC 3501 §6.3.11). No other folder is opened.

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from imapclient.exceptions import IMAPClientError

from inbox_audit.core.drafts import MARK, Draft, Drafts, Found, Kept, Plan, reconcile
from inbox_audit.dirs import private_dir
from inbox_audit.errors import MailboxError
from inbox_audit.sources import listing, session
from inbox_audit.sources.failures import one_line, translated
from inbox_audit.sources.spec import ConnectOptions, ImapTarget

#: The flags a draft is saved with (RFC 3501 §2.3.2): a draft, already read.
DRAFT_FLAGS = ("\\Draft", "\\Seen")
_OUR_ID = re.compile(rb"<([0-9a-f]{24})\." + re.escape(MARK.encode()) + rb"@", re.IGNORECASE)
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


@dataclass
class Outcome:
    """What saving the drafts did, and what to remember for the next run."""

    written: list[Draft] = field(default_factory=list)
    removed: int = 0
    record: dict[str, Kept] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # warnings for the owner, one line each


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- The record: what was saved, kept between runs -----------------------------------------


def load_record(path: Path) -> dict[str, Kept]:
    """The drafts saved by earlier runs; empty when there is none (or it is unreadable: then
    a draft still in the folder is found there, and is not saved twice)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(key): Kept(**value) for key, value in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_record(path: Path, record: Mapping[str, Kept]) -> None:
    """Write the record atomically (a crash leaves the old one), readable by the owner only."""
    private_dir(path.parent)
    temporary = path.with_name(path.name + ".tmp")
    text = json.dumps({key: asdict(kept) for key, kept in sorted(record.items())}, indent=1)
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


# --- IMAP -----------------------------------------------------------------------------------


def save_to_imap(
    target: ImapTarget,
    options: ConnectOptions,
    folder: str,
    drafts: Drafts,
    record: Mapping[str, Kept],
    now: datetime,
) -> Outcome:
    """Log in again, on a connection of its own, and bring `folder` in line with `drafts`."""
    client, capabilities = session.connect(target, options)
    try:
        with translated(target, options, "saving drafts", folder):
            return _ImapDrafts(client, capabilities, folder).save(drafts, record, now)
    finally:
        with contextlib.suppress(Exception):
            client.logout()
        session.shutdown(client)


class _ImapDrafts:
    def __init__(self, client: session.Client, capabilities: frozenset[str], folder: str) -> None:
        self._client = client
        self._uidplus = "UIDPLUS" in capabilities
        self._unselect = "UNSELECT" in capabilities
        self._folder = folder

    def save(self, drafts: Drafts, record: Mapping[str, Kept], now: datetime) -> Outcome:
        opened = self._client.select_folder(self._folder, readonly=True)
        uidvalidity = int(opened[b"UIDVALIDITY"])
        found, uids = self._ours(record, uidvalidity)
        self._release()
        plan = reconcile(drafts, record, found)
        outcome = Outcome(record=dict(plan.record), notes=list(plan.notes))
        for draft in plan.append:
            try:
                said = self._client.append(self._folder, draft.data, DRAFT_FLAGS, now)
            except (IMAPClientError, imaplib.IMAP4.error) as exc:
                # A read-only Drafts folder, a quota: the audit stands, the owner is told.
                outcome.notes.append(
                    f"the draft could not be saved in {self._folder!r}: {one_line(exc)}"
                )
                break
            appended = _APPENDUID.search(said if isinstance(said, bytes) else b"")
            outcome.record[draft.key] = Kept(
                uid=int(appended.group(2)) if appended else None,
                uidvalidity=int(appended.group(1)) if appended else uidvalidity,
                digest=digest(draft.data),
            )
            outcome.written.append(draft)
        self._find_appended(outcome, uidvalidity)
        self._remove(plan, uids, outcome)
        return outcome

    def _find_appended(self, outcome: Outcome, uidvalidity: int) -> None:
        """The UIDs APPEND did not tell (no APPENDUID without UIDPLUS, RFC 4315 §3): found by
        each draft's own Message-ID, so that an untouched draft is told from the owner's."""
        unknown = [d for d in outcome.written if outcome.record[d.key].uid is None]
        if not unknown:
            return
        self._client.select_folder(self._folder, readonly=True)
        for draft in unknown:  # one SEARCH each: drafts are few
            found = self._client.search(["HEADER", "Message-ID", draft.message_id])
            if len(found) == 1:
                kept = outcome.record[draft.key]
                outcome.record[draft.key] = replace(
                    kept, uid=int(found[0]), uidvalidity=uidvalidity
                )
        self._release()

    def _ours(
        self, record: Mapping[str, Kept], uidvalidity: int
    ) -> tuple[dict[str, Found], dict[str, int]]:
        """Our drafts in the folder: found by their Message-ID (UID SEARCH HEADER, RFC 3501
        §6.4.4), each untouched only if it is the very UID we saved with the flags we set."""
        uids = self._client.search(["HEADER", "Message-ID", f".{MARK}@"])
        if not uids:
            return {}, {}
        fetched = self._client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        found: dict[str, Found] = {}
        removable: dict[str, int] = {}
        for uid, data in fetched.items():
            header = data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
            match = _OUR_ID.search(header)
            if match is None:
                continue
            key = match.group(1).decode("ascii").lower()
            flags = {listing.as_text(f).lower() for f in data.get(b"FLAGS", ())} - {"\\recent"}
            kept = record.get(key)
            untouched = (
                kept is not None
                and kept.uid == uid
                and kept.uidvalidity == uidvalidity
                and flags == {f.lower() for f in DRAFT_FLAGS}
                and found.get(key) is not Found.TOUCHED
            )
            if untouched:
                found[key], removable[key] = Found.UNTOUCHED, uid
            else:
                found[key] = Found.TOUCHED
                removable.pop(key, None)
        return found, removable

    def _release(self) -> None:
        """Leave the folder examined: Courier refuses an APPEND to the folder selected
        read-only ("Current box is selected READ-ONLY"). UNSELECT (RFC 3691), else CLOSE,
        which expunges nothing after EXAMINE (RFC 3501 §6.4.2); pymap refuses that CLOSE,
        and then needs nothing."""
        with contextlib.suppress(IMAPClientError, imaplib.IMAP4.error):
            if self._unselect:
                self._client.unselect_folder()
            else:
                self._client.close_folder()

    def _remove(self, plan: Plan, uids: Mapping[str, int], outcome: Outcome) -> None:
        doomed = [uids[key] for key in plan.remove if key in uids]
        if not doomed:
            return
        if not self._uidplus:
            outcome.notes.append(
                f"{len(doomed)} draft(s) of threads answered since were left in "
                f"{self._folder!r}: the server has no UIDPLUS, so removing one would also "
                "remove anything else marked deleted there; delete them yourself"
            )
            return
        self._client.select_folder(self._folder)
        self._client.add_flags(doomed, ["\\Deleted"], silent=True)
        self._client.uid_expunge(doomed)  # those UIDs only (RFC 4315 §2.1)
        outcome.removed = len(doomed)


# --- Files ----------------------------------------------------------------------------------


def save_to_dir(directory: Path, drafts: Drafts, record: Mapping[str, Kept]) -> Outcome:
    """The same for a local source: one `<key>.eml` per draft in `directory`; a file we wrote
    is removed only while its bytes are still ours."""
    try:
        private_dir(directory)
        found: dict[str, Found] = {}
        for key, kept in {**record, **{d.key: Kept() for d in drafts.wanted}}.items():
            path = directory / f"{key}.eml"
            if path.exists():
                same = bool(kept.digest) and digest(path.read_bytes()) == kept.digest
                found[key] = Found.UNTOUCHED if same else Found.TOUCHED
        plan = reconcile(drafts, record, found)
        outcome = Outcome(record=dict(plan.record), notes=list(plan.notes))
        for draft in plan.append:
            path = directory / f"{draft.key}.eml"
            # O_EXCL: a file that appeared meanwhile is never overwritten.
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(draft.data)
            outcome.record[draft.key] = Kept(digest=digest(draft.data))
            outcome.written.append(draft)
        for key in plan.remove:
            (directory / f"{key}.eml").unlink(missing_ok=True)
            outcome.removed += 1
        return outcome
    except OSError as exc:
        raise MailboxError(
            f"cannot save drafts in {directory}: {exc.strerror or exc}",
            hint="pass --drafts-dir with a folder you can write to",
        ) from exc
