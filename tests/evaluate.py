"""Score an audit's JSON report against a generated mailbox's ground truth, as the judge does."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.mailgen import GeneratedMailbox, Truth

WAITING = ("answered", "pending", "overdue")


@dataclass
class Score:
    """Overdue F1, share of replies paired right, and every disagreement, for a readable failure."""

    overdue_f1: float
    pairing: float
    violations: list[str] = field(default_factory=list)  # automated mail shown as customer
    missing: list[str] = field(default_factory=list)  # inbound messages absent from the report
    errors: list[str] = field(default_factory=list)  # every other wrong status or pair

    def explain(self) -> str:
        lines = [f"overdue F1 {self.overdue_f1:.3f}, pairing {self.pairing:.3f}"]
        for title, items in (
            ("violations", self.violations),
            ("missing", self.missing),
            ("errors", self.errors),
        ):
            lines += [f"{title}: {item}" for item in items[:30]]
        return "\n".join(lines)


def _key(message: Mapping[str, Any]) -> str | None:
    mid = message.get("message_id")
    return str(mid) if mid else None


def score(
    report: Mapping[str, Any],
    truth: Mapping[str, Truth],
    without_id: Mapping[tuple[str, str], str] | None = None,
) -> Score:
    """Compare every inbound message of the report with the truth, keyed by Message-ID.

    `without_id` maps (folder, subject) to the truth key of messages that have no Message-ID.
    """
    seen: dict[str, Mapping[str, Any]] = {}
    for message in report["messages"]:
        key = _key(message) or (without_id or {}).get((message["folder"], message["subject"]))
        if key is not None:
            seen[key] = message
    violations: list[str] = []
    missing: list[str] = []
    errors: list[str] = []
    tp = fp = fn = 0
    paired = pairs = 0
    for key, expected in truth.items():
        got = seen.get(key)
        status = got["status"] if got else None
        subject = got["subject"] if got else ""
        if expected.status in (None, "not_customer") and status in WAITING:
            violations.append(f"{key} ({expected.reason_kind}) reported {status}: {subject!r}")
        if expected.status in WAITING and got is None:
            missing.append(f"{key} expected {expected.status}")
        if expected.status in WAITING and got is not None and status != expected.status:
            errors.append(f"{key} expected {expected.status}, got {status}: {subject!r}")
        if expected.status == "overdue" and status == "overdue":
            tp += 1
        elif expected.status == "overdue":
            fn += 1
        elif status == "overdue":
            fp += 1
        if expected.status == "answered" and expected.reply_message_id:
            pairs += 1
            reply = got.get("reply") if got else None
            if reply and reply.get("message_id") == expected.reply_message_id:
                paired += 1
            else:
                errors.append(
                    f"{key} should be answered by {expected.reply_message_id}, got {reply}"
                )
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return Score(f1, paired / pairs if pairs else 1.0, violations, missing, errors)


def messages_without_id(box: GeneratedMailbox) -> dict[tuple[str, str], str]:
    """(folder, decoded subject) → truth key, for the messages that carry no Message-ID."""
    found = {}
    for message in box.messages:
        if message.message_id is None:
            parsed = email.message_from_bytes(message.data, policy=email.policy.default)
            found[(message.folder, " ".join(str(parsed["Subject"] or "").split()))] = message.key
    return found
