"""AuditReport → the rich renderable the terminal shows: who waits, who was answered late."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from inbox_audit.core.figures import Listing, listing
from inbox_audit.core.printable import clean_text
from inbox_audit.i18n import _
from inbox_audit.model import Address, AuditReport, HoldingReply, Status, ThreadResult
from inbox_audit.outputs.text import (
    MAX_LISTED,
    duration_or_dash,
    identities_line,
    incomplete_line,
    latency_text,
    local_time,
    status_word,
    subject_text,
    summary_line,
    waiting_headline,
    who,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

# rich is imported by the functions that use it, not with this module: the nightly summary
# and the other formats need no table, and rich takes tens of milliseconds to load.

_STATUS_STYLE = {Status.OVERDUE: "bold red", Status.PENDING: "yellow"}


def _who_text(address: Address) -> Text:
    from rich.text import Text

    name = clean_text(address.name)
    text = Text(name + "\n" if name else "")
    text.append(address.email, style="dim" if name else "")
    return text


def _waiting_table(threads: Sequence[ThreadResult], tz: tzinfo, as_of: datetime) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=_("Waiting for an answer"), title_justify="left", box=box.SIMPLE_HEAD, expand=False
    )
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Who"))
    table.add_column(_("Subject"), ratio=1)
    table.add_column(_("Waiting for"), no_wrap=True, justify="right")
    table.add_column(_("Since"), no_wrap=True)
    table.add_column(_("Folder"))
    for t in threads:
        table.add_row(
            Text(status_word(t.status), style=_STATUS_STYLE.get(t.status, "")),
            _who_text(t.correspondent),
            Text(subject_text(t.subject)),
            Text(duration_or_dash(t.waiting_seconds)),
            Text(local_time(t.waiting_since, tz, as_of)),
            Text(clean_text(t.folder)),
        )
    return table


def _late_table(threads: Sequence[ThreadResult]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=_("Answered late"), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(_("Who"))
    table.add_column(_("Subject"), ratio=1)
    table.add_column(_("Longest response"), no_wrap=True, justify="right")
    table.add_column(_("Status now"), no_wrap=True)
    table.add_column(_("Folder"))
    for t in threads:
        table.add_row(
            _who_text(t.correspondent),
            Text(subject_text(t.subject)),
            Text(latency_text(t.max_latency_seconds, t.max_business_latency_seconds)),
            Text(status_word(t.status), style=_STATUS_STYLE.get(t.status, "")),
            Text(clean_text(t.folder)),
        )
    return table


def _reply_block(
    thread: ThreadResult, reply: HoldingReply, tz: tzinfo, as_of: datetime
) -> RenderableType:
    """A holding reply between two rules rather than in a boxed Panel: lines copied from the
    terminal carry no border characters or indentation, ready to paste into a mail."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    title = Text(_("Holding reply to {who}").format(who=who(thread.correspondent)), style="bold")
    promise = _("answer promised by {when}").format(when=local_time(reply.promised_by, tz, as_of))
    return Group(
        Rule(title, align="left"),
        Text.assemble((_("To:") + " ", "bold"), reply.to),
        Text.assemble((_("Subject:") + " ", "bold"), clean_text(reply.subject)),
        Text(""),
        Text(reply.body),
        Rule(Text(promise, style="dim"), align="left"),
    )


def _more_rows(count: int) -> list[RenderableType]:
    from rich.text import Text

    if count <= MAX_LISTED:
        return []
    more = count - MAX_LISTED
    return [
        Text(_("… and {count} more (--format markdown or json lists them all)").format(count=more)),
        Text(""),
    ]


def render_table(
    report: AuditReport, *, show_replies: bool, tz: tzinfo, listed: Listing | None = None
) -> RenderableType:
    """The terminal report: who is waiting, who was answered late, the figures, the replies.

    `listed`: the report's threads when it holds none itself (a re-dated snapshot).
    """
    from rich.console import Group
    from rich.text import Text

    listed = listed or listing(report)
    as_of = local_time(report.as_of, tz, report.as_of)
    parts: list[RenderableType] = [
        Text(
            _("Inbox audit of {source}, as of {when}").format(
                source=clean_text(report.source), when=as_of
            )
        ),
        Text(waiting_headline(report, listed), style="bold"),
        Text(""),
    ]
    if (incomplete := incomplete_line(report)) is not None:
        parts[1:1] = [Text(incomplete, style="bold red")]
    waiting = listed.waiting
    if waiting:
        parts.append(_waiting_table(waiting[:MAX_LISTED], tz, report.as_of))
        parts += _more_rows(listed.waiting_count)
    late = listed.late
    if late:
        parts.append(_late_table(late[:MAX_LISTED]))
        parts += _more_rows(listed.late_count)
    parts.append(Text(summary_line(report)))
    parts.append(Text(identities_line(report), style="dim"))
    if show_replies:
        for thread in waiting[:MAX_LISTED]:
            if thread.holding_reply:
                parts += [Text(""), _reply_block(thread, thread.holding_reply, tz, report.as_of)]
    return Group(*parts)
