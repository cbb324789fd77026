"""Address-list header values (From, To, Cc, Reply-To) → Address tuples (RFC 5322 §3.4)."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Sequence
from email.utils import getaddresses
from typing import Any

from inbox_audit.core.words import unstructured
from inbox_audit.model import Address

# Python 3.11.10+ (CVE-2023-27043) parses addresses strictly by default and returns
# [("", "")] for input it finds ambiguous; older 3.11 patch releases have no `strict`.
_HAS_STRICT = "strict" in inspect.signature(getaddresses).parameters
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_BARE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
#: Sender names without a domain that still identify someone (bounces come from them).
_SYSTEM_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


# The common shapes, "a@b.c", "Name <a@b.c>" and lists of them, without the full parser
# (which is most of the parse time). Anything with quotes, comments, groups or route syntax
# goes to getaddresses.
_SIMPLE_ADDRESS = re.compile(
    r"\s*(?:([^\"<>,;:()\\@]*?)\s*<([^<>\s\"(),;:\\@]+@[^<>\s\"(),;:\\@]+)>"
    r"|([^<>\s\"(),;:\\@]+@[^<>\s\"(),;:\\@]+))\s*(?:,|$)"
)


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(value):
        match = _SIMPLE_ADDRESS.match(value, position)
        if match is None or match.end() == position:
            return None
        name, bracketed, bare = match.groups()
        pairs.append((name or "", bracketed or bare))
        position = match.end()
    return pairs


def _getaddresses(value: str) -> list[tuple[str, str]]:
    if not value.strip():
        return []
    simple = _simple_addresses(value)
    if simple is not None:
        return simple
    attempts: list[dict[str, bool]] = [{}, {"strict": False}] if _HAS_STRICT else [{}]
    parse: Any = getaddresses  # typeshed for 3.11 lacks `strict`
    for options in attempts:
        try:
            pairs: list[tuple[str, str]] = list(parse([value], **options))
        # The legacy parser recurses once per ":" (group syntax): hostile headers with
        # thousands of colons exhaust the stack.
        except (RecursionError, ValueError, IndexError, TypeError):
            continue
        if any(address for _, address in pairs):
            return pairs
    return _regex_addresses(value)


def _regex_addresses(value: str) -> list[tuple[str, str]]:
    """Last resort: addr-specs found by pattern, in angle brackets first."""
    found = _ANGLE_ADDRESS.findall(value) or _BARE_ADDRESS.findall(value)
    return [("", address) for address in found]


def _address(name: str, address: str) -> Address | None:
    email = "".join(address.split()).lower().strip("<>")
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) and email not in _SYSTEM_LOCAL_PARTS:
        return None
    display = unstructured(name)
    # A decoded encoded word can carry the quotes RFC 5322 would have put around it.
    if len(display) >= 2 and display[0] == display[-1] and display[0] in "\"'":
        display = display[1:-1].strip()
    return Address(email, display)


def addresses(values: Sequence[str]) -> tuple[Address, ...]:
    """The usable addresses of one or more values of a field, in order."""
    if len(values) == 1:
        return _address_list(values[0])
    return tuple(address for value in values for address in _address_list(value))


# A mailbox repeats the same few From/To values (the owner's, each customer's) thousands of
# times; Address is frozen, so one parse can be shared by every message that carries it.
# Room for every distinct value of a big mailbox: 100,000 messages hold ~60,000, and a
# smaller cache lost a third of them to eviction before they came back.
@functools.lru_cache(maxsize=1 << 17)
def _address_list(value: str) -> tuple[Address, ...]:
    found: list[Address] = []
    for name, address in _getaddresses(value):
        parsed = _address(name, address)
        if parsed is not None:
            found.append(parsed)
    return tuple(found)


def first_sender(values: Sequence[str]) -> Address | None:
    """The first usable address of the From values."""
    # Several addresses in From (RFC 5322 §3.6.2 allows it with a Sender): keep the first.
    found = addresses(values)
    return found[0] if found else None
