"""headers and classify over the shared corpora of real and malformed mail (skipped when absent).

Run with `-s` to see the per-corpus summary of reasons.
"""

from __future__ import annotations

from collections import Counter

import pytest

from inbox_audit.core import classify as classify_module
from inbox_audit.model import Reason
from tests.corpora import CORPORA, ME, UNPARSABLE, Result, results

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora at {CORPORA}"),
]


def under(prefix: str) -> list[Result]:
    return [result for result in results() if result.path.startswith(prefix)]


def corpus_of(result: Result) -> str:
    parts = result.path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def test_every_message_parses_and_classifies() -> None:
    assert len(results()) > 8000
    summary: dict[str, Counter[str]] = {}
    for result in results():
        summary.setdefault(corpus_of(result), Counter())[result.outcome] += 1
    total: Counter[str] = Counter(result.outcome for result in results())
    print(f"\n{len(results())} messages from {CORPORA}")
    for corpus, counts in sorted(summary.items()):
        print(f"  {corpus:40} {dict(counts.most_common())}")
    print(f"  {'all':40} {dict(total.most_common())}")


def test_the_classify_shortcut_agrees_with_the_rules() -> None:
    # classify skips its rules for mail that looks plain: on real mail too, the rules would
    # all have said no.
    plain = 0
    for result in results():
        if result.message is not None and classify_module._looks_plain(result.message):
            plain += 1
            for me in (ME, frozenset()):
                assert classify_module._rules(result.message, me) is None, result.path
    assert plain > 1000


def test_only_empty_or_headerless_files_are_unparsable() -> None:
    unparsable = {r.path for r in results() if r.outcome == UNPARSABLE}
    # size-0/1/2 are 0-3 byte mbox files; msg_19 is a bare digest body; the fuzz mbox
    # has a body line starting "From " that splits off a chunk with no header; discourse's
    # inline_reply.eml starts with a blank line, so all of it is body (RFC 5322 §2.1).
    assert unparsable <= {
        "peer-fixtures/discourse/inline_reply.eml",
        "robustness/sisimai-bounces/mailbox/size-0",
        "robustness/sisimai-bounces/mailbox/size-1",
        "robustness/sisimai-bounces/mailbox/size-2",
        "robustness/cpython-test_email/msg_19.txt",
        "robustness/patchwork/fuzz/name-len.mbox",
    }


def test_spamassassin_list_mail_is_not_customer_mail() -> None:
    listed = [
        r
        for r in under("spamassassin-2002/easy_ham")
        if r.message and any(name == "list-id" for name, _ in r.message.auto_headers)
    ]
    assert len(listed) > 2500
    outcomes = Counter(r.outcome for r in listed)
    # They all carry "Precedence: bulk|list" too, which ranks before List-Id; a few are
    # bounces relayed by the list (From: mailer-daemon), which rank first.
    assert outcomes["customer"] == 0
    assert outcomes[Reason.BULK.value] + outcomes[Reason.MAILING_LIST.value] >= 0.99 * len(listed)


def test_sisimai_bounces_are_bounces() -> None:
    mail = [r for r in under("robustness/sisimai-bounces/") if r.outcome != UNPARSABLE]
    bounces = [r for r in mail if "/maildir/not/" not in r.path]
    ratio = sum(r.outcome == Reason.BOUNCE.value for r in bounces) / len(bounces)
    other = Counter(r.outcome for r in bounces if r.outcome != Reason.BOUNCE.value)
    print(f"\nsisimai: {ratio:.1%} of {len(bounces)} classified bounce; others: {dict(other)}")
    # The rest are RFC 3834 auto-replies, KDDI/AWS notices from no-reply senders, and
    # DragonFly bounces without a From (no_sender): not customers either.
    assert ratio >= 0.90
    assert other["customer"] <= 0.02 * len(bounces)


def test_sisimai_non_bounces_are_customers() -> None:
    # Person-to-person mail that bounce parsers must not mistake for a bounce.
    not_bounces = under("robustness/sisimai-bounces/maildir/not/is-not-bounce")
    assert len(not_bounces) == 2
    assert {r.outcome for r in not_bounces} == {"customer"}


def test_talon_client_replies_are_customers() -> None:
    # One real reply per client (Outlook, Gmail, Apple Mail, iPhone, Android, Yahoo...).
    replies = under("robustness/talon/")
    assert len(replies) >= 10
    assert {r.outcome for r in replies} == {"customer"}


def test_enron_person_to_person_mail_is_customer_mail() -> None:
    enron = under("enron-sample/")
    assert len(enron) > 750
    customers = sum(r.outcome == "customer" for r in enron)
    assert customers >= 0.98 * len(enron)


def test_dates_parsed_and_plausible() -> None:
    parsed = [r.message for r in under("spamassassin-2002/easy_ham/") if r.message]
    dated = [m for m in parsed if m.date is not None]
    assert len(dated) >= 0.99 * len(parsed)
    assert all(m.date is not None and m.date.utcoffset() is not None for m in dated)
