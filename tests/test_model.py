"""model: the quick __init__ of the hot frozen classes behaves as the generated one."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import UTC, datetime

import pytest

from inbox_audit.model import (
    Address,
    HoldingReply,
    Message,
    MessageResult,
    RawMessage,
    ReplyRef,
    ThreadResult,
    quick_init,
)
from inbox_audit.threads import Thread


@pytest.mark.parametrize(
    "cls",
    [RawMessage, Address, Message, ReplyRef, MessageResult, HoldingReply, ThreadResult, Thread],
)
def test_quick_init_keeps_the_dataclass_signature(cls: type) -> None:
    parameters = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        assert parameter.default == (
            inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        )
        assert parameter.annotation == field.type


def test_quick_init_objects_are_the_same_frozen_values() -> None:
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
                                                b"From: a@b.example\r\n", None)  # fmt: skip
    assert pickle.loads(pickle.dumps(by_position)) == by_position
    assert dataclasses.replace(by_position, uid=8).uid == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_position.uid = 8  # type: ignore[misc]
    assert Address("a@b.example") == Address(email="a@b.example", name="")
    with pytest.raises(TypeError):
        RawMessage("INBOX", 7)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Address("a@b.example", nom="A")  # type: ignore[call-arg]


def test_quick_init_refuses_fields_it_cannot_set() -> None:
    with pytest.raises(TypeError, match="only plain fields"):

        @quick_init
        @dataclasses.dataclass(frozen=True, slots=True)
        class Listed:
            items: list[int] = dataclasses.field(default_factory=list)
