"""Text from mail made safe to print: escape sequences, control characters, bidi overrides out."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides can make a subject display as something it is not.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


# A terminal acts on escape sequences in what it prints (ECMA-48): CSI "ESC [ ... final" (or
# its 8-bit form 0x9B) clears the screen or recolours it, OSC "ESC ] ... BEL or ESC \\" sets
# the window title or a hyperlink, and a lone ESC starts others. Mail can carry any of them.
_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


def printable(text: str) -> str:
    """`text` safe to print, its line breaks kept: escape sequences removed, other control
    characters (but line feeds and tabs) as spaces, bidirectional overrides removed."""
    if text.isprintable():  # no control character (Cc) nor bidi override (Cf): the usual case
        return text
    text = _ESCAPE_SEQUENCES.sub("", text.translate(_BIDI_CONTROLS))
    return "".join(
        " " if ch not in "\n\t" and unicodedata.category(ch) == "Cc" else ch for ch in text
    )


def clean_text(text: str) -> str:
    """One line of plain text: `printable`, its line breaks and runs of spaces one space."""
    return " ".join(printable(text).split())


def shorten(text: str, limit: int = 60) -> str:
    """Cut `text` to at most `limit` characters, at a word boundary when one is near, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"
