"""The holding replies and follow-ups saved as drafts after the audit, or shown (--dry-run)."""

from __future__ import annotations

import sys
from datetime import datetime

from inbox_audit.app.console import escape, stderr_console, warn
from inbox_audit.app.reading import account_name
from inbox_audit.app.resolve import DraftsPlan, RunConfig
from inbox_audit.errors import InboxAuditError
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import AuditReport
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, LocalTarget

#: A local source's drafts directory keeps what was saved there in this file.
RECORD_NAME = ".inbox-audit-drafts.json"


def save_drafts(
    run: RunConfig,
    plan: DraftsPlan,
    options: ConnectOptions,
    report: AuditReport,
    now: datetime,
    awaiting_days: int,
) -> None:
    """Save the waiting threads' holding replies, and the follow-ups of the conversations
    awaiting their reply, as drafts (or show them, --dry-run). Whatever goes wrong here is a
    warning: the audit is done and reported."""
    from inbox_audit.core.awaiting import awaiting_reply
    from inbox_audit.core.drafts import compose, describe, reconcile
    from inbox_audit.core.folders import drafts_folder
    from inbox_audit.sources import drafts as writer

    follow_ups = awaiting_reply(
        report.awaiting or (), now, awaiting_days, run.settings.lang, report.owner
    )
    drafts = compose(report, plan.mode, now, follow_ups)
    for line in drafts.skipped:
        warn(_("no draft for {thread}").format(thread=line))
    target = run.target
    if isinstance(target, LocalTarget):
        record_path, folder = plan.directory / RECORD_NAME, None
    else:
        record_path = run.state_dir / "drafts" / f"{account_name(run, target)}.json"
        folder = plan.folder or drafts_folder(report.folders)
        if folder is None:
            warn(_("no Drafts folder found, no draft saved: name it with --drafts-folder"))
            return
    record = writer.load_record(record_path)
    where = str(plan.directory) if folder is None else repr(folder)
    if plan.dry_run:
        new = reconcile(drafts, record, {}).append
        # On stderr, like every other remark: stdout stays the report (--format json | jq).
        said = ngettext(
            "{count} draft would be saved in {where}",
            "{count} drafts would be saved in {where}",
            len(new),
        )
        sys.stderr.write("inbox-audit: " + said.format(count=len(new), where=where) + "\n")
        if new:
            sys.stderr.write(describe(new) + "\n")
        return
    try:
        if folder is None:
            outcome = writer.save_to_dir(plan.directory, drafts, record)
        else:
            assert isinstance(target, ImapTarget)
            outcome = writer.save_to_imap(target, options, folder, drafts, record, now)
        writer.save_record(record_path, outcome.record)
    except (InboxAuditError, OSError) as error:
        text = str(error) if isinstance(error, InboxAuditError) else f"{record_path}: {error}"
        warn(_("drafts not saved: {reason}").format(reason=text))
        return
    for note in outcome.notes:
        warn(note)
    written, removed = len(outcome.written), outcome.removed
    said = ngettext(
        "{count} new draft saved in {where}", "{count} new drafts saved in {where}", written
    ).format(count=written, where=escape(where))
    if removed:
        said += ", " + ngettext(
            "{count} draft of an answered thread removed",
            "{count} drafts of answered threads removed",
            removed,
        ).format(count=removed)
    stderr_console().print("inbox-audit: " + said)
