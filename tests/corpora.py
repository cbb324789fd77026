"""The shared corpora of real and malformed mail (../shared/corpora): its mail files, their
messages, and what headers and classify make of each (cached for the session)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from inbox_audit.core.classify import classify
from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.core.headers import UnparsableMessage, parse_message
from inbox_audit.model import Message, RawMessage

CORPORA = Path(__file__).parents[2] / "shared" / "corpora"
ME = frozenset({"owner@jolis-pots.example"})

# Provenance notes and pair lists sit next to the mail; enron's .txt files ARE mail.
_NOT_MAIL_SUFFIXES = {".md", ".tsv"}
_NOT_MAIL_NAMES = {"UPSTREAM-README.txt"}
_MBOX_FROM_LINE = re.compile(rb"(?m)^From ")
_END_OF_HEADERS = re.compile(rb"\r\n\r\n|\n\n|\r\r")
UNPARSABLE = "unparsable"


@dataclass(frozen=True)
class Result:
    path: str  # relative to CORPORA
    index: int  # position in an mbox file, 0 for single-message files
    outcome: str  # a Reason value, "customer", or "unparsable"
    message: Message | None


def mail_files() -> Iterator[Path]:
    for path in sorted(CORPORA.rglob("*")):
        if (
            path.is_file()
            and path.suffix not in _NOT_MAIL_SUFFIXES
            and path.name not in _NOT_MAIL_NAMES
        ):
            yield path


def split_messages(data: bytes) -> list[bytes]:
    """One message per "From " line for mbox files; the whole file otherwise."""
    if not data.startswith(b"From "):
        return [data]
    starts = [match.start() for match in _MBOX_FROM_LINE.finditer(data)]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


def header_section(message: bytes) -> bytes:
    end = _END_OF_HEADERS.search(message)
    return message[: end.end()] if end else message


@cache
def results() -> tuple[Result, ...]:
    found: list[Result] = []
    for path in mail_files():
        relative = path.relative_to(CORPORA).as_posix()
        for index, data in enumerate(split_messages(path.read_bytes())):
            head = header_section(data)
            body = data[len(head) : len(head) + TEXT_BYTES]
            raw = RawMessage(relative, index, None, frozenset(), head, text_start=body)
            try:
                message = parse_message(raw)
            except UnparsableMessage:
                found.append(Result(relative, index, UNPARSABLE, None))
                continue
            except Exception as exc:  # report which message, then fail
                pytest.fail(f"parse_message raised on {relative}#{index}: {exc!r}")
            try:
                reason = classify(message, ME, in_sent_folder=False)
            except Exception as exc:
                pytest.fail(f"classify raised on {relative}#{index}: {exc!r}")
            outcome = "customer" if reason is None else reason.value
            found.append(Result(relative, index, outcome, message))
    return tuple(found)
