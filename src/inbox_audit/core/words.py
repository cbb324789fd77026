"""Header text: RFC 2047 encoded words and raw 8-bit bytes decoded, whitespace collapsed."""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")

# Labels that lie: mailers label GBK text gb2312 and cp1252 text iso-8859-1 (WHATWG
# Encoding Standard maps both the same way); unknown-8bit is Python's own marker.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}
_UNKNOWN_CHARSETS = frozenset({"unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined"})


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; leave malformed ones as written.

    Whitespace between two encoded words is dropped (RFC 2047 §6.2), and adjacent words in
    one charset are joined before decoding, so a character split across words survives.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: bytes | None = None  # bytes of adjacent same-charset words, not yet decoded
    pending_charset = ""
    after_word = False
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        position = match.end()
        data = _decode_payload(match.group(2), match.group(3))
        if data is None:  # malformed: keep the text as it was
            if pending is not None:
                out.append(_decode_bytes(pending, pending_charset))
                pending = None
            out.append(gap + match.group(0))
            after_word = False
            continue
        charset = _charset_name(match.group(1))
        if after_word and not gap.strip():
            gap = ""
        if pending is not None and not gap and charset == pending_charset:
            pending += data
        else:
            if pending is not None:
                out.append(_decode_bytes(pending, pending_charset))
            out.append(gap)
            pending, pending_charset = data, charset
        after_word = True
    if pending is not None:
        out.append(_decode_bytes(pending, pending_charset))
    out.append(text[position:])
    return "".join(out)


def _charset_name(label: str) -> str:
    # RFC 2231 §5 allows a language after "*": =?utf-8*fr?Q?...?=
    return label.split("*", 1)[0].strip("\"'").lower()


def _decode_payload(encoding: str, encoded: str) -> bytes | None:
    if encoding in "Bb":
        compact = "".join(encoded.split())
        if len(compact) % 4 == 1:
            return None
        try:
            return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
    # Q encoding (RFC 2047 §4.2): "_" is a space, =XX a byte; a stray "=" stays literal.
    raw = encoded.replace("_", " ").encode("utf-8", "surrogateescape")
    return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _decode_bytes(data: bytes, charset: str) -> str:
    if charset in _UNKNOWN_CHARSETS:
        return decode_8bit(data)
    name = _CHARSET_ALIASES.get(charset, charset)
    try:
        codecs.lookup(name)
        return data.decode(name)
    except (LookupError, UnicodeDecodeError, ValueError):
        return decode_8bit(data)


def decode_8bit(raw: bytes) -> str:
    """Raw header bytes as text: UTF-8, else cp1252, else latin-1."""
    # RFC 6532 allows raw UTF-8 in headers; older clients wrote their locale's charset,
    # most often cp1252 (a superset of latin-1 in practice). latin-1 never fails.
    for charset in ("utf-8", "cp1252"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


# Subjects, Content-Type, Return-Path and display names repeat across a mailbox (a thread
# shares its subject), and decoding encoded words is the costly part: keep recent results.
@functools.lru_cache(maxsize=16384)
def unstructured(value: str) -> str:
    """Decoded encoded words, whitespace runs collapsed to one space, stripped."""
    return " ".join((decode_words(value) if "=?" in value else value).split())
