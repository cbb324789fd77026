"""Pairing over real list traffic (skipped when ../shared/corpora is absent).

Each participant of a list is taken in turn as the owner: their messages are "mine", everyone
else's are customers' (the classifier is left out: list mail would be set aside as such).
The ground truth comes from the headers alone: a message whose In-Reply-To names a message
from someone else is a real reply to it, whoever it was sent to (mostly the list). The
enron sample has no In-Reply-To at all (its SOURCE.md), so it gives no such truth.

Run with `-s` to see the figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import cache

import pytest

from inbox_audit.core.headers import UnparsableMessage, parse_message
from inbox_audit.core.pairing import answers
from inbox_audit.core.threads import build_threads, norm_id
from inbox_audit.model import Message, RawMessage, Reason
from tests.corpora import CORPORA, header_section, split_messages

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora at {CORPORA}"),
]

LISTS = {
    # mutt, Pine, Outlook, Eudora, Gnus, Evolution... on the 2002 lists SpamAssassin kept.
    "spamassassin-2002": ("easy_ham", "easy_ham_2", "hard_ham"),
    # LKML through gmane, and the notmuch list.
    "notmuch": ("lkml", "default"),
}


@cache
def mailbox(corpus: str) -> tuple[Message, ...]:
    """The dated messages with a sender of one corpus's list folders."""
    found = []
    for folder in LISTS[corpus]:
        for path in sorted((CORPORA / corpus / folder).rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(CORPORA).as_posix()
            for index, data in enumerate(split_messages(path.read_bytes())):
                raw = RawMessage(name, index, None, frozenset(), header_section(data))
                try:
                    message = parse_message(raw)
                except UnparsableMessage:
                    continue
                if message.arrived_at is not None and message.from_ and message.from_.email:
                    found.append(message)
    return tuple(found)


def real_replies(messages: tuple[Message, ...]) -> dict[str, set[str]]:
    """By replier, the keys of the messages from others that their In-Reply-To names."""
    by_id = {norm_id(m.message_id): m for m in messages if m.message_id}
    truth: dict[str, set[str]] = defaultdict(set)
    for reply in messages:
        assert reply.from_ is not None
        for cited in reply.in_reply_to:
            parent = by_id.get(norm_id(cited))
            if parent is not None and parent.from_ and parent.from_.email != reply.from_.email:
                truth[reply.from_.email].add(parent.key)
    return truth


def paired(corpus: str) -> tuple[int, int, list[str]]:
    """(replied-to messages paired, all of them, some missed) with each replier as the owner."""
    messages = mailbox(corpus)
    found = total = 0
    missed: list[str] = []
    for owner, parents in sorted(real_replies(messages).items()):
        me = frozenset({owner})
        reasons: dict[str, Reason | None] = {
            m.key: Reason.FROM_ME if m.from_ and m.from_.email == owner else None for m in messages
        }
        answered: set[str] = set()
        for thread in build_threads(messages, me, timedelta(days=21)):
            answered.update(answers(thread, reasons, me))
        total += len(parents)
        found += len(parents & answered)
        missed.extend(f"{owner}: {key}" for key in sorted(parents - answered))
    return found, total, missed


@pytest.mark.parametrize("corpus", sorted(LISTS))
def test_real_replies_on_list_traffic_are_paired(corpus: str) -> None:
    found, total, missed = paired(corpus)
    print(f"\n{corpus}: {found} of {total} real replies paired ({found / total:.1%})")
    assert total > 100
    assert found >= 0.99 * total, missed[:10]
