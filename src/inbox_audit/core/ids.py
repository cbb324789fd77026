"""The ids a message is threaded by: Message-ID, In-Reply-To, References and Thread-Index."""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Sequence

_ANGLE_TOKEN = re.compile(r"<([^<>]*)>")
# One id of printable ASCII, maybe on a continuation line ("Message-ID:" + CRLF + " <id>"):
# what the general way below finds too (\s is what str.split() splits on). A class of ranges
# is matched through a bitmap, twice as fast as one that holds \s.
_SINGLE_ID = re.compile(r"\s*<([!-;=?-~]+)>\s*")


def _ids_in(value: str) -> list[str]:
    single = _SINGLE_ID.fullmatch(value)  # the usual value: what the general way finds too
    if single is not None:
        return [sys.intern(single[1])]
    # Folded ids can contain whitespace where the line was broken: remove it. Removing all
    # of it first leaves the same <...> tokens, in one pass instead of one per token.
    ids: list[str] = _ANGLE_TOKEN.findall("".join(value.split()))
    # A reply's In-Reply-To and References repeat the Message-IDs of earlier messages: one
    # string each for the whole mailbox, not one per mention (interned strings are freed
    # like others once unused).
    return [sys.intern(ident) for ident in ids if ident]


def first_message_id(values: Sequence[str]) -> str | None:
    """The first id of the first Message-ID value that has one; `values` holds one or more."""
    for value in values:
        ids = _ids_in(value)
        if ids:
            return ids[0]
        # Some mailers omit the brackets: accept the bare token.
        tokens = value.split()
        if tokens and (bare := tokens[0].strip("<>")):
            return bare
    return None


def message_ids(values: Sequence[str]) -> tuple[str, ...]:
    """Every <id> in order, duplicates dropped. In-Reply-To may carry junk around the id."""
    return tuple(dict.fromkeys(ident for value in values for ident in _ids_in(value)))


# [MS-OXOMSG] §2.2.1.3 PidTagConversationIndex: a 22-byte header (reserved byte, FILETIME,
# GUID) shared by the whole conversation, then one 5-byte block per reply.
_THREAD_INDEX_ROOT = 22


def thread_index_root(values: Sequence[str]) -> str | None:
    """The conversation root of the first Thread-Index value, or None if it has none."""
    if not values:
        return None
    compact = "".join(values[0].split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(data) < _THREAD_INDEX_ROOT:
        return None
    # A conversation's messages share the root: one string for all of them.
    return sys.intern("ti:" + data[:_THREAD_INDEX_ROOT].hex())


#: A message id a header can carry as written (RFC 5322 §3.6.4 msg-id: printable ASCII with no
#: angle bracket or space); another is left out of a reply rather than written broken.
CITABLE_ID = re.compile(r"[!-;=?-~]+")

#: The most ids a reply's References keeps: the thread's first and the latest ones. RFC 5322
#: §3.6.4 lets a long References be trimmed, and a mailto: link must stay short enough for
#: mail clients and browsers to take it.
MAX_REFERENCES = 6


def reply_references(
    message_id: str | None, references: Sequence[str], in_reply_to: Sequence[str]
) -> tuple[str, ...]:
    """The References of a reply to a message (RFC 5322 §3.6.4): its References (else its one
    In-Reply-To), then its Message-ID; the last is the reply's In-Reply-To. () without an id.
    """
    if not message_id:
        return ()
    parents = tuple(references) or (tuple(in_reply_to) if len(in_reply_to) == 1 else ())
    ids = (*(i for i in parents if i != message_id), message_id)
    if len(ids) > MAX_REFERENCES:
        ids = (ids[0], *ids[-(MAX_REFERENCES - 1) :])
    return ids
