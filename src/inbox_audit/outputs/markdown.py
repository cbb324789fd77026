"""AuditReport → Markdown to paste into notes or an issue: every thread, mail text escaped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, tzinfo

from inbox_audit.core.figures import Listing, listing
from inbox_audit.core.printable import clean_text
from inbox_audit.i18n import _, marked
from inbox_audit.model import AuditReport
from inbox_audit.outputs.text import (
    duration_or_dash,
    identities_line,
    incomplete_line,
    latency_text,
    local_time,
    sla_words,
    status_word,
    subject_text,
    summary_line,
    waiting_headline,
    who,
    zoned_time,
)

# Backslash-escape what CommonMark/GFM could act on inline: emphasis (*, _), code (`), links
# and images ([ ]; "(" and "!" only act next to them), autolinks and HTML (<, >), entities (&),
# table pipes, strikethrough (~), GitHub math ($), headings (#).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def md_escape(text: str) -> str:
    """Mail-derived text as one literal line of Markdown, safe inside a table cell."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    # A leading "+", "-" or "1." would start a list outside a table.
    text = re.sub(r"^([+\-])(?=\s|$)", r"\\\1", text)
    return re.sub(r"^(\d+)\.(?=\s|$)", r"\1\\.", text)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _incomplete(report: AuditReport) -> list[str]:
    line = incomplete_line(report)
    return [] if line is None else [f"> **{md_escape(line)}**", ""]


def render_markdown(report: AuditReport, *, tz: tzinfo = UTC, listed: Listing | None = None) -> str:
    """A report to paste into notes or an issue; local times in `tz` (UTC by default).

    `listed`: the report's threads when it holds none itself (a re-dated snapshot): they
    must all be there, as Markdown lists every one.
    """
    listed = listed or listing(report)
    if not listed.whole:
        raise ValueError("Markdown lists every thread: a partial listing would hide some")
    lines = [
        "# " + _("Inbox audit"),
        "",
        f"**{waiting_headline(report, listed)}**",
        "",
        *_incomplete(report),
        _("As of {when} · source {source} · answer within {sla}").format(
            when=zoned_time(report.as_of, tz),
            source=md_escape(report.source),
            sla=sla_words(report),
        ),
        "",
    ]
    waiting = listed.waiting
    if waiting:
        lines += ["## " + _("Waiting for an answer"), ""]
        lines += _md_table(
            (_("Status"), _("Who"), _("Subject"), _("Waiting for"), _("Since"), _("Folder")),
            (
                (
                    status_word(t.status),
                    md_escape(who(t.correspondent)),
                    md_escape(subject_text(t.subject)),
                    duration_or_dash(t.waiting_seconds),
                    local_time(t.waiting_since, tz, report.as_of),
                    md_escape(t.folder),
                )
                for t in waiting
            ),
        )
        lines.append("")
    late = listed.late
    if late:
        lines += ["## " + _("Answered late"), ""]
        lines += _md_table(
            (_("Who"), _("Subject"), _("Longest response"), _("Status now"), _("Folder")),
            (
                (
                    md_escape(who(t.correspondent)),
                    md_escape(subject_text(t.subject)),
                    latency_text(t.max_latency_seconds, t.max_business_latency_seconds),
                    status_word(t.status),
                    md_escape(t.folder),
                )
                for t in late
            ),
        )
        lines.append("")
    lines += [
        "## " + _("Summary"),
        "",
        summary_line(report),
        "",
        identities_line(report, md_escape),
        "",
    ]
    replies = [t for t in waiting if t.holding_reply]
    if replies:
        lines += ["## " + _("Holding replies"), ""]
        for thread in replies:
            reply = thread.holding_reply
            assert reply is not None  # filtered above; for mypy
            fence = _fence(reply.body)
            lines += [
                f"### {md_escape(who(thread.correspondent))}",
                "",
                _("To:") + f" {md_escape(reply.to)}  ",
                _("Subject:") + f" {md_escape(reply.subject)}  ",
                _("Promised by:") + f" {local_time(reply.promised_by, tz, report.as_of)}",
                "",
                f"{fence}text",
                reply.body,
                fence,
                "",
            ]
    if report.unreadable:
        lines += ["## " + _("Unreadable messages"), ""]
        lines += _md_table(
            (_("Folder"), "UID", _("Why")),
            (
                (md_escape(u.folder), str(u.uid), md_escape(marked(u.reason)))
                for u in report.unreadable
            ),
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
