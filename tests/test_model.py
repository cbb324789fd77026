"""model: the frozen classes the pipeline builds by the 100,000 behave as plain values."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from inbox_audit.model import (
    Address,
    RawMessage,
)


def test_hot_classes_are_frozen_values_by_position_or_keyword() -> None:
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    by_position = RawMessage("INBOX", 7, when, frozenset({"\\Seen"}), b"From: a@b.example\r\n")
    by_keyword = RawMessage(
        folder="INBOX",
        uid=7,
        internal_date=when,
        flags=frozenset({"\\Seen"}),
        header_bytes=b"From: a@b.example\r\n",
        conversation_id=None,
    )
    assert by_position == by_keyword
    assert hash(by_position) == hash(by_keyword)
    assert dataclasses.astuple(by_position) == ("INBOX", 7, when, frozenset({"\\Seen"}),
                                                b"From: a@b.example\r\n", None, b"")  # fmt: skip
    assert pickle.loads(pickle.dumps(by_position)) == by_position
    assert dataclasses.replace(by_position, uid=8).uid == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_position.uid = 8  # type: ignore[misc]
    assert Address("a@b.example") == Address(email="a@b.example", name="")
    with pytest.raises(TypeError):
        RawMessage("INBOX", 7)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Address("a@b.example", nom="A")  # type: ignore[call-arg]
