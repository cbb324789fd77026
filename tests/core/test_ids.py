"""Message-IDs: a single id read the short way as the general way reads it; a reply's References."""

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


def test_reply_references_follow_rfc5322() -> None:
    from inbox_audit.core.ids import MAX_REFERENCES, reply_references

    assert reply_references(None, ("a@x",), ()) == ()
    assert reply_references("c@x", (), ("b@x",)) == ("b@x", "c@x")  # lone In-Reply-To
    assert reply_references("c@x", (), ("a@x", "b@x")) == ("c@x",)  # ambiguous: left out
    long = tuple(f"{n}@x" for n in range(20))
    kept = reply_references("z@x", long, ())
    assert len(kept) == MAX_REFERENCES and kept[0] == "0@x" and kept[-2:] == ("19@x", "z@x")
