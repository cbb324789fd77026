"""Running a test in the owner's other language, and the English words it must not show."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from inbox_audit import i18n

# Words of inbox-audit's English that French never uses. ("messages", "options", "source",
# "date", "minute"... are French words too.)
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "for",
        "with",
        "from",
        "within",
        "since",
        "waiting",
        "waited",
        "overdue",
        "answered",
        "answer",
        "answers",
        "pending",
        "reply",
        "replies",
        "folder",
        "folders",
        "received",
        "customer",
        "customers",
        "none",
        "nobody",
        "yesterday",
        "today",
        "still",
        "more",
        "what",
        "who",
        "why",
        "when",
        "subject",
        "status",
        "late",
        "response",
        "median",
        "mailbox",
        "read",
        "written",
        "changed",
        "nothing",
        "sent",
        "run",
        "show",
        "this",
        "exit",
        "error",
        "hint",
        "warning",
        "invalid",
        "use",
        "file",
        "password",
        "config",
        "default",
    ]
)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """i18n in `language` for the block, English again after it."""
    i18n.use(language)
    try:
        yield
    finally:
        i18n.use("en")


def english_words(text: str, mail_data: Iterable[str] = (), *, wrapped: bool = False) -> set[str]:
    """The English words left in `text` once the strings that come from mail are taken out
    (subjects, names, addresses, folders, holding replies in the customer's language).

    `wrapped`: the text is a table whose cells wrap mail text over several lines, so the
    words of mail data are left out one by one (a weaker check, for the table only).
    """
    # Not words but names: addresses, URLs and mailto: links, options, variables, paths,
    # config keys, file names, identifiers, the commands themselves, what is typed as written
    # (`code`) and an option's literal values (fr|en).
    names = (
        r"`[^`]+`|\w+(\|\w+)+"
        r"|\S+@\S+|\S+://\S+|mailto:\S+|--[a-z-]+|\$\w+|\S*/\S*|\[[a-zA-Z._]+\]"
        r"|\w+[._]\w+|inbox-audit( [a-z]+){0,2}"
    )
    text = re.sub(names, " ", text)
    mail_data = list(mail_data)
    for item in sorted(mail_data, key=len, reverse=True):
        if item:
            text = text.replace(item, " ")
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    if wrapped:
        words -= {w.lower() for item in mail_data for w in re.findall(r"[A-Za-z]+", item)}
    return words & ENGLISH_WORDS
