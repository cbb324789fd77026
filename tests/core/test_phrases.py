"""Tests for phrases: folding, and the opening of a text that the body signs read."""

from __future__ import annotations

import unicodedata

from inbox_audit.core.phrases import BOUNCE_TEXT, FORWARD_TEXT, fold, opening


def test_fold_drops_every_combining_mark_of_the_basic_plane() -> None:
    # The translate table is filled as characters come: the same as asking each character.
    text = "".join(chr(code) for code in range(0x20, 0x3000)) + " Réponse  AUTOMATIQUE ﬁ"
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    expected = " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
    assert fold.__wrapped__(text) == expected


def test_the_opening_drops_the_rules_drawn_above_the_first_words() -> None:
    assert opening("*****\n  Votre message n’a pas pu être délivré") == (
        "votre message n'a pas pu etre delivre"
    )
    assert opening("---------- Forwarded message ---------").startswith("forwarded message")
    assert opening("") == ""


def test_the_phrases_count_at_the_start_only() -> None:
    assert BOUNCE_TEXT.search(opening("This is the mail system at host mx.example."))
    assert not BOUNCE_TEXT.search(opening("Hello, this is the mail system at host mx.example."))
    assert FORWARD_TEXT.search(opening("Begin forwarded message:"))
    assert not FORWARD_TEXT.search(opening("I forwarded message after message to you."))
