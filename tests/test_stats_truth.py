"""`stats` figures against values worked out independently from generated mailboxes' truth.

The expected figures come from mailgen's Truth (status, reply, latency from the two server
arrival times) with the statistics module, not from the code under test. Latencies may
differ by seconds (the audit times a reply by its Date, the truth by its arrival), so
durations compare within a minute and buckets allow the replies that close to a bound.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.mailgen import GeneratedMailbox, base_subject, generate, write_maildir

SLACK = 60  # seconds
BOUNDS = (3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400)
LABELS = ("< 1 h", "1–4 h", "4–24 h", "1–3 d", "3–7 d", "> 7 d")


def stats_json(box: GeneratedMailbox, root: Path, *extra: str) -> dict[str, Any]:
    write_maildir(box, root)
    args = ["stats", str(root), "--format", "json", "--until", box.as_of.isoformat()]
    args += ["--timezone", "UTC", "--sla", f"{int(box.sla.total_seconds())}s", "-q", *extra]
    for me in box.owner:
        args += ["--me", me]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def arrivals(box: GeneratedMailbox) -> dict[str, datetime]:
    """Each logical message's earliest server arrival."""
    found: dict[str, datetime] = {}
    for message in box.messages:
        if message.key not in found or message.internal_date < found[message.key]:
            found[message.key] = message.internal_date
    return found


def p90(values: list[float]) -> float:
    """The inclusive 90th percentile, by its textbook definition."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * 0.9
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bucket(latency: float) -> str:
    return LABELS[sum(1 for bound in BOUNDS if latency >= bound)]


def near_a_bound(latency: float) -> bool:
    return any(abs(latency - bound) <= SLACK for bound in BOUNDS)


@pytest.mark.parametrize(("seed", "layout"), [(1, "plain"), (2, "french"), (3, "gmail")])
def test_period_figures_match_the_truth(tmp_path: Path, seed: int, layout: str) -> None:
    box = generate(seed, layout)
    got = stats_json(
        box, tmp_path / "mail", "--since", (box.as_of - timedelta(days=21)).isoformat()
    )
    start = box.as_of - timedelta(days=21)
    when = arrivals(box)
    customer = {
        key: truth
        for key, truth in box.truth.items()
        if truth.status in ("answered", "pending", "overdue") and start < when[key] <= box.as_of
    }
    latencies = [
        float(t.latency_seconds) for t in customer.values() if t.latency_seconds is not None
    ]
    overdue = sum(1 for t in customer.values() if t.status == "overdue")
    late = sum(1 for latency in latencies if latency >= box.sla.total_seconds())
    f = got["responses"]
    assert f["received"] == len(customer)
    assert f["answered"] == sum(1 for t in customer.values() if t.status == "answered")
    assert f["still_waiting"] == sum(1 for t in customer.values() if t.status != "answered")
    assert f["median_response_seconds"] == pytest.approx(statistics.median(latencies), abs=SLACK)
    assert f["mean_response_seconds"] == pytest.approx(statistics.fmean(latencies), abs=SLACK)
    assert f["p90_response_seconds"] == pytest.approx(p90(latencies), abs=SLACK)
    # Without working hours, business time is the wall clock.
    assert f["median_business_response_seconds"] == f["median_response_seconds"]
    within = (len(latencies) - late) / (len(latencies) + overdue)
    assert f["within_sla_ratio"] == pytest.approx(within, abs=1.5 / (len(latencies) + overdue))
    expected = dict.fromkeys(LABELS, 0)
    for latency in latencies:
        expected[bucket(latency)] += 1
    close = sum(1 for latency in latencies if near_a_bound(latency))
    assert sum(f["buckets"].values()) == len(latencies)
    assert sum(abs(f["buckets"][k] - expected[k]) for k in LABELS) <= 2 * close
    assert f["business_buckets"] == f["buckets"]

    # First responses: the customer messages one reply answered are one exchange, timed from
    # the first of them; the exchanges that started in the period.
    exchanges: dict[str, list[str]] = defaultdict(list)
    for key, truth in box.truth.items():
        if truth.status == "answered" and truth.reply_message_id and truth.latency_seconds:
            exchanges[truth.reply_message_id].append(key)
    firsts = []
    for keys in exchanges.values():
        first = min(keys, key=lambda k: when[k])
        if start < when[first] <= box.as_of:
            firsts.append(float(max(box.truth[k].latency_seconds or 0 for k in keys)))
    fr = got["first_response"]
    assert fr["exchanges"] == len(firsts)
    assert fr["median"] == pytest.approx(statistics.median(firsts), abs=SLACK)
    assert fr["p90"] == pytest.approx(p90(firsts), abs=SLACK)

    # Who was kept waiting longest: per address, the longest answer time or wait so far
    # (answered with no reply copy, by the \\Answered flag alone: no time known).
    longest: dict[str, float] = {}
    for key, truth in customer.items():
        if truth.status == "answered" and truth.latency_seconds is None:
            continue
        sender = _sender(box, key)
        wait = (
            float(truth.latency_seconds)
            if truth.latency_seconds is not None
            else (box.as_of - when[key]).total_seconds()
        )
        longest[sender] = max(longest.get(sender, 0.0), wait)
    top = got["customers_kept_waiting"]
    assert top, "someone waited"
    for item in top:
        assert item["longest_wait_seconds"] == pytest.approx(longest[item["name"]], abs=SLACK)
    ranked = sorted(longest.values(), reverse=True)[: len(top)]
    assert [i["longest_wait_seconds"] for i in top] == pytest.approx(ranked, abs=SLACK)


def _sender(box: GeneratedMailbox, key: str) -> str:
    import email
    import email.policy
    import email.utils

    message = email.message_from_bytes(box.copies(key)[0].data, policy=email.policy.compat32)
    return email.utils.parseaddr(str(message["From"]))[1].lower()


def test_weekly_trend_counts_each_week_as_the_truth_has_it(tmp_path: Path) -> None:
    box = generate(4, "plain")
    got = stats_json(box, tmp_path / "mail", "--weeks", "5")
    when = arrivals(box)
    weeks = got["weekly_trend"]
    assert len(weeks) == 5
    assert weeks[-1]["end"] == box.as_of.isoformat(timespec="seconds")
    for back, week in enumerate(reversed(weeks)):
        end = box.as_of - timedelta(days=7 * back)
        start = end - timedelta(days=7)
        inside = [
            t
            for k, t in box.truth.items()
            if t.status in ("answered", "pending", "overdue") and start < when[k] <= end
        ]
        assert week["received"] == len(inside)
        latencies = [float(t.latency_seconds) for t in inside if t.latency_seconds is not None]
        if latencies:
            assert week["median_response_seconds"] == pytest.approx(
                statistics.median(latencies), abs=SLACK
            )
        else:
            assert week["median_response_seconds"] is None


@pytest.mark.parametrize(("seed", "layout"), [(11, "french"), (5, "plain"), (6, "gmail")])
def test_awaiting_their_reply_against_the_generated_mail(
    tmp_path: Path, seed: int, layout: str
) -> None:
    """Each conversation listed awaits someone who has not written since the owner did, for
    three days at least; none went to an address a bounce report names (read from the
    reports' bodies, which the audit never fetches)."""
    import email
    import email.header
    import email.policy
    import email.utils

    box = generate(seed, layout)
    got = stats_json(box, tmp_path / "mail")
    owner = set(box.owner)
    bounced: set[str] = set()
    written: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for message in box.messages:
        parsed = email.message_from_bytes(message.data, policy=email.policy.compat32)
        sender = email.utils.parseaddr(str(parsed["From"]))[1].lower()
        truth = box.truth.get(message.key)
        person = truth is None or truth.status != "not_customer"  # not an autoreply, a bounce
        if sender not in owner and person and message.internal_date <= box.as_of:
            subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
            written[sender].append((message.internal_date, base_subject(subject)))
        for part in parsed.walk():
            if part.get_content_type() == "message/delivery-status":
                text = part.as_string()
                bounced.update(a.lower() for a in re.findall(r"rfc822;\s*(\S+@[^\s>]+)", text))
    assert bounced, "the generated mailbox has bounces"
    awaiting = got["awaiting_reply"]
    assert awaiting, "the generated owner leaves quotes and invoices unanswered"
    for item in awaiting:
        sent = datetime.fromisoformat(item["last_sent_at"])
        assert item["correspondent"] not in bounced, item
        assert item["correspondent"] not in owner
        silent = box.as_of - sent
        assert item["silent_business_days"] == silent // timedelta(days=1) >= 3
        # Nothing from them in that conversation since.
        topic = base_subject(item["subject"])
        later = [t for when, t in written[item["correspondent"]] if when > sent]
        assert topic not in later, item
