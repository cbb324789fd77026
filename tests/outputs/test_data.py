"""JSON and CSV: the scripting contract, written in pieces, formula-safe CSV; golden files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from inbox_audit.core.figures import threads_in_order
from inbox_audit.core.stats import report_figures
from inbox_audit.outputs.data import CSV_COLUMNS, render_csv, render_json, write_csv, write_json
from tests.builders import PARIS
from tests.outputs.reports import (
    AS_OF,
    HOSTILE_NAME,
    HOSTILE_SUBJECT,
    awkward_report,
    check_golden,
    empty_report,
    make_report,
    sized_report,
)


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.json", render_json),
        ("report.csv", render_csv),
        ("empty.json", lambda r: render_json(empty_report())),
    ],
)
def test_golden(name: str, render: Any) -> None:
    check_golden(name, render(make_report()))


# --- The JSON contract ----------------------------------------------------------------------


def test_json_contract() -> None:
    data = json.loads(render_json(make_report()))
    assert list(data) == [
        "schema_version",
        "as_of",
        "sla_seconds",
        "identities",
        "identities_detected",
        "source",
        "complete",
        "folders",
        "summary",
        "messages",
        "threads",
        "awaiting_reply",
        "unreadable",
        "problems",
    ]
    assert data["problems"] == []
    assert data["schema_version"] == 1
    assert data["as_of"] == "2026-11-05T09:00:00+00:00"
    assert data["sla_seconds"] == 86400
    assert data["identities"] == ["contact@shop.example", "shop@example.com"]
    assert data["identities_detected"] == ["shop@example.com"]
    assert data["folders"][0] == {
        "name": "INBOX",
        "role": "inbox",
        "scanned": True,
        "messages": 6,
        "reason": None,
    }
    assert data["complete"] is True
    assert data["folders"][-1] == {
        "name": "Trash",
        "role": "trash",
        "scanned": False,
        "messages": None,
        "reason": None,
    }
    assert data["summary"] == {
        "customer_messages": 6,
        "answered": 3,
        "answered_late": 1,
        "answered_unknown_latency": 1,
        "pending": 1,
        "overdue": 2,
        "not_customer": 1,
        "median_response_seconds": 57150.0,
        "p90_response_seconds": 103050.0,
        "within_sla_ratio": 0.5,
        "unreadable": 1,
        "duplicates": 2,
        "drafts": 0,
        "after_as_of": 0,
        "outbound": 0,
        # The two replies found, each its thread's first: 1 h 30 min and 30 h 15 min
        # (5,400 s and 108,900 s; the 90th percentile 5,400 + 0.9 × 103,500).
        "buckets": {"< 1 h": 0, "1–4 h": 1, "4–24 h": 0, "1–3 d": 1, "3–7 d": 0, "> 7 d": 0},
        "business_buckets": {
            "< 1 h": 0,
            "1–4 h": 1,
            "4–24 h": 0,
            "1–3 d": 1,
            "3–7 d": 0,
            "> 7 d": 0,
        },
        "first_response": {
            "median": 57150.0,
            "p90": 98550.0,
            "business_median": 57150.0,
            "business_p90": 98550.0,
        },
        "internal": 0,
    }
    assert data["unreadable"] == [
        {"folder": "INBOX", "uid": 99, "reason": "header could not be parsed"}
    ]


def test_json_messages() -> None:
    messages = json.loads(render_json(make_report()))["messages"]
    assert [m["uid"] for m in messages] == [1, 2, 3, 4, 5, 6, 7]  # the report's order
    assert list(messages[0]) == [
        "message_id",
        "folder",
        "uid",
        "from",
        "from_name",
        "subject",
        "received_at",
        "status",
        "reason",
        "thread_id",
        "reply",
        "answered_by_flag",
    ]
    marie, paul, _, news, _, sam, _ = messages
    assert marie["from"] == "marie.dupont@orange.fr"
    assert marie["from_name"] == "DUPONT Marie"
    assert marie["received_at"] == "2026-11-02T06:00:00+00:00"
    assert marie["status"] == "overdue"
    assert marie["reason"] is None
    assert marie["reply"] is None
    assert paul["reply"] == {
        "message_id": "reply-2@example.com",
        "sent_at": "2026-11-04T13:15:00+00:00",
        "latency_seconds": 108900,
    }
    assert news["status"] == "not_customer"
    assert news["reason"] == "mailing_list"
    assert sam["answered_by_flag"] is True
    assert sam["reply"] is None
    assert sam["from_name"] == ""


def test_json_threads_are_ordered_and_carry_holding_replies() -> None:
    threads = json.loads(render_json(make_report()))["threads"]
    assert [t["thread_id"] for t in threads] == [
        "t-marie",  # overdue, 75 h
        "t-eve",  # overdue, 30 h
        "t-john",  # pending
        "t-paul",
        "t-lucie",
        "t-sam",
    ]
    marie = threads[0]
    assert list(marie) == [
        "thread_id",
        "subject",
        "correspondent",
        "correspondent_name",
        "folder",
        "status",
        "waiting_since",
        "waiting_seconds",
        "answered_late",
        "max_latency_seconds",
        "holding_reply",
        "first_response_seconds",
        "first_response_business_seconds",
    ]
    assert marie["correspondent"] == "marie.dupont@orange.fr"
    assert marie["waiting_since"] == "2026-11-02T06:00:00+00:00"
    assert marie["waiting_seconds"] == 75 * 3600
    reply = marie["holding_reply"]
    assert list(reply) == ["to", "subject", "body", "language", "promised_by"]
    assert reply["to"] == "marie.dupont@orange.fr"
    assert reply["language"] == "fr"
    assert reply["promised_by"] == "2026-11-05T16:00:00+00:00"  # 17:00 in Paris, in UTC
    assert reply["body"].startswith("Bonjour Marie,")
    paul = threads[3]
    assert paul["answered_late"] is True
    assert paul["max_latency_seconds"] == 108900
    assert paul["holding_reply"] is None
    assert paul["waiting_since"] is None


def test_json_keeps_text_exact_and_unescaped() -> None:
    text = render_json(make_report())
    assert text.endswith("}\n")
    assert "Demande de devis cuisine" in text
    assert "« Demande de devis cuisine »" in text  # ensure_ascii=False
    data = json.loads(text)
    assert data["messages"][2]["subject"] == HOSTILE_SUBJECT
    assert data["messages"][2]["from_name"] == HOSTILE_NAME


def test_json_reads_naive_datetimes_as_utc() -> None:
    report = make_report()
    naive = dataclasses.replace(report, as_of=AS_OF.replace(tzinfo=None))
    assert json.loads(render_json(naive))["as_of"] == "2026-11-05T09:00:00+00:00"


def test_json_converts_other_offsets_to_utc() -> None:
    report = make_report()
    local = dataclasses.replace(report, as_of=AS_OF.astimezone(PARIS))
    assert json.loads(render_json(local))["as_of"] == "2026-11-05T09:00:00+00:00"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def compact(value: Any) -> str:
    return "    " + json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@pytest.mark.parametrize("build", [make_report, awkward_report, empty_report])
def test_json_items_are_json_dumps_of_their_dicts(build: Any) -> None:
    """Messages and threads are formatted by hand (for speed): the text must be exactly
    what json.dumps writes for the documented dicts."""
    report = build()
    firsts = report_figures(report).first_by_thread
    lines = render_json(report).split("\n")  # not splitlines(): U+2028 is no line end here
    expected_messages = [
        compact(
            {
                "message_id": r.message.message_id,
                "folder": r.message.folder,
                "uid": r.message.uid,
                "from": r.message.from_.email if r.message.from_ else None,
                "from_name": r.message.from_.name if r.message.from_ else "",
                "subject": r.message.subject,
                "received_at": iso(r.message.arrived_at),
                "status": r.status.value,
                "reason": r.reason.value if r.reason else None,
                "thread_id": r.thread_id,
                "reply": None
                if r.reply is None
                else {
                    "message_id": r.reply.message_id,
                    "sent_at": iso(r.reply.sent_at),
                    "latency_seconds": r.reply.latency_seconds,
                },
                "answered_by_flag": r.answered_by_flag,
            }
        )
        for r in report.messages
    ]
    expected_threads = [
        compact(
            {
                "thread_id": t.thread_id,
                "subject": t.subject,
                "correspondent": t.correspondent.email,
                "correspondent_name": t.correspondent.name,
                "folder": t.folder,
                "status": t.status.value,
                "waiting_since": iso(t.waiting_since),
                "waiting_seconds": t.waiting_seconds,
                "answered_late": t.answered_late,
                "max_latency_seconds": t.max_latency_seconds,
                "holding_reply": None
                if t.holding_reply is None
                else {
                    "to": t.holding_reply.to,
                    "subject": t.holding_reply.subject,
                    "body": t.holding_reply.body,
                    "language": t.holding_reply.language,
                    "promised_by": iso(t.holding_reply.promised_by),
                },
                "first_response_seconds": None
                if (first := firsts.get(t.thread_id)) is None
                else first.wall_seconds,
                "first_response_business_seconds": None
                if first is None
                else first.business_seconds,
            }
        )
        for t in threads_in_order(report.threads)
    ]
    items = [
        line.removesuffix(",")
        for line in lines
        if line.startswith(('    {"message_id"', '    {"thread_id"'))
    ]
    assert items == expected_messages + expected_threads
    data = json.loads(render_json(report))
    assert [m["subject"] for m in data["messages"]] == [r.message.subject for r in report.messages]


@pytest.mark.parametrize("build", [make_report, awkward_report, empty_report])
@pytest.mark.parametrize(("render", "write"), [(render_json, write_json), (render_csv, write_csv)])
def test_written_text_is_the_rendered_text(build: Any, render: Any, write: Any) -> None:
    report = build()
    many = dataclasses.replace(report, messages=report.messages * 700)  # several pieces
    for each in (report, many):
        out = io.StringIO()
        write(each, out)
        assert out.getvalue() == render(each)


@pytest.mark.parametrize(("messages", "threads"), [(0, 0), (1, 0), (0, 2), (2500, 40)])
def test_json_written_in_pieces_is_the_whole_document(messages: int, threads: int) -> None:
    report = sized_report(messages, threads)
    out = io.StringIO()
    write_json(report, out)
    assert out.getvalue() == render_json(report)
    document = json.loads(out.getvalue())
    assert (len(document["messages"]), len(document["threads"])) == (messages, threads)


# --- CSV ------------------------------------------------------------------------------------


def test_csv_rows_and_safety() -> None:
    text = render_csv(make_report())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 7
    by_uid = {row[2]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    hostile = by_uid["3"]
    # A formula becomes text; the line break survives inside a quoted field.
    assert hostile["subject"] == "'" + HOSTILE_SUBJECT
    assert hostile["from_name"] == HOSTILE_NAME
    assert by_uid["4"]["subject"] == "Promo -50%"  # only a leading sign is dangerous
    paul = by_uid["2"]
    assert paul["reply_message_id"] == "reply-2@example.com"
    assert paul["reply_sent_at"] == "2026-11-04T13:15:00+00:00"
    assert paul["latency_seconds"] == "108900"
    assert paul["answered_by_flag"] == "false"
    assert by_uid["6"]["answered_by_flag"] == "true"
    assert by_uid["1"]["reply_message_id"] == ""
    assert by_uid["4"]["reason"] == "mailing_list"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_guards_every_formula_start(start: str) -> None:
    report = make_report()
    first = report.messages[0]
    message = dataclasses.replace(first.message, subject=start + "1+1")
    hostile = dataclasses.replace(first, message=message)
    report = dataclasses.replace(report, messages=(hostile,))
    rows = list(csv.reader(io.StringIO(render_csv(report), newline="")))
    # A carriage return would also make a terminal overwrite the line: a space.
    assert rows[1][CSV_COLUMNS.index("subject")] == "'" + start.replace("\r", " ") + "1+1"


def test_json_first_responses_buckets_and_awaiting_reply() -> None:
    """A customer writes twice (hours 0 and 5), one reply at hour 7 answers both: one exchange,
    first response 7 h; a second exchange (hour 30, answered at 31) is 1 h. A quote sent at
    hour 10 and never answered awaits a reply on day 4."""
    from datetime import timedelta

    from inbox_audit.core.audit import audit
    from inbox_audit.model import Collected, Folder, FolderRole
    from inbox_audit.settings import Settings
    from tests.builders import at, make_message

    customer = "Marie Dupont <marie@x.fr>"
    me = "Claire <shop@example.com>"
    a = make_message(from_=customer, subject="Vase", hours=0, message_id="a@x")
    b = make_message(from_=customer, subject="Re: Vase", hours=5, in_reply_to=("a@x",))
    r1 = make_message(
        from_=me, to=(customer,), subject="Re: Vase", hours=7, folder="Sent",
        in_reply_to=("a@x",), message_id="r1@x",
    )  # fmt: skip
    c = make_message(from_=customer, subject="Re: Vase", hours=30, in_reply_to=("r1@x",))
    r2 = make_message(
        from_=me, to=(customer,), subject="Re: Vase", hours=31, folder="Sent",
        in_reply_to=("r1@x",),
    )  # fmt: skip
    quote = make_message(
        from_=me, to=("Paul <paul@y.fr>",), subject="Votre devis", hours=10, folder="Sent"
    )
    folders = (Folder("INBOX", FolderRole.INBOX, True), Folder("Sent", FolderRole.SENT, True))
    settings = Settings(me=("shop@example.com",), sla=timedelta(hours=24))
    report = audit(Collected("t", folders, (a, b, r1, c, r2, quote), ()), settings, at(4 * 24))
    data = json.loads(render_json(report))
    (thread,) = data["threads"]
    assert thread["first_response_seconds"] == 7 * 3600
    assert thread["first_response_business_seconds"] == 7 * 3600
    summary = data["summary"]
    # Latencies 7 h, 2 h and 1 h; first responses of the two exchanges 7 h and 1 h.
    assert summary["buckets"] == {
        "< 1 h": 0, "1–4 h": 2, "4–24 h": 1, "1–3 d": 0, "3–7 d": 0, "> 7 d": 0
    }  # fmt: skip
    assert summary["first_response"] == {
        "median": 4 * 3600, "p90": 6.4 * 3600, "business_median": 4 * 3600,
        "business_p90": 6.4 * 3600,
    }  # fmt: skip
    (waiting,) = data["awaiting_reply"]
    assert waiting["correspondent"] == "paul@y.fr" and waiting["subject"] == "Votre devis"
    assert waiting["last_sent_at"] == "2026-11-02T10:00:00+00:00" or waiting["last_sent_at"]
    assert waiting["silent_business_days"] == 3  # 86 h
    assert waiting["follow_up"]["language"] == "fr"
    assert waiting["follow_up"]["subject"] == "Re: Votre devis"
    assert json.loads(render_json(report, awaiting_days=4))["awaiting_reply"] == []
