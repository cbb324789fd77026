"""Tests for ids: the usual single id read the short way, as the general way reads it."""

from __future__ import annotations

import pytest

from inbox_audit.core import ids


@pytest.mark.parametrize(
    "value",
    ["<a@b>", " <a@b> ", "\t<a@b>\x1c", "<a b@c>", "<é@x>", "<>", "<a@b><c@d>", "x <a@b>"],
)
def test_single_id_shortcut_agrees_with_the_general_way(value: str) -> None:
    single = ids._SINGLE_ID.fullmatch(value)
    general = [i for i in ids._ANGLE_TOKEN.findall("".join(value.split())) if i]
    if single is not None:
        assert general == [single[1]]
    assert ids.message_ids([value]) == tuple(dict.fromkeys(general))
