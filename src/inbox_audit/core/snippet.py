"""The opening words of a message's text, from the first bytes of its body, never raising."""

from __future__ import annotations

import binascii
import html
import re

#: The characters of the text kept: a sentence or two, enough to tell its language.
TEXT_CHARS = 240

# The body is cut anywhere (core.fields.TEXT_BYTES): a part may lack its end, a base64 quantum
# or a multibyte character, so each step below takes what is whole and goes on.
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_FIELD = re.compile(rb"(?im)^(content-type|content-transfer-encoding)[ \t]*:(.*(?:\r?\n[ \t].*)*)")
_PARAMETER = re.compile(r'(?i)\b(boundary|charset)\s*=\s*(?:"([^"]*)"?|([^;\s]+))')
_TAG = re.compile(rb"<(?:style|script)\b.*?(?:</(?:style|script)\s*>|$)|<[^>]*(?:>|$)", re.I | re.S)
_MAX_DEPTH = 5  # multipart/mixed > alternative > related: deeper is an attack, not mail


def text_start(body: bytes, content_type: str, transfer_encoding: str) -> str:
    """The first TEXT_CHARS characters of the first text part of a body that starts with
    `body`, under a header with this Content-Type and Content-Transfer-Encoding: decoded
    (base64, quoted-printable, any charset), tags and quoted lines dropped, white space
    folded. "" when there is no text part in it, or nothing can be made of it."""
    try:
        found = _first_text(body, content_type, transfer_encoding, 0)
    except (ValueError, LookupError, RecursionError, binascii.Error):
        return ""  # one broken message never stops an audit
    return "" if found is None else found


def _first_text(body: bytes, content_type: str, encoding: str, depth: int) -> str | None:
    mime = content_type.partition(";")[0].strip().lower() or "text/plain"
    params = {m[1].lower(): m[2] or m[3] or "" for m in _PARAMETER.finditer(content_type)}
    if mime.startswith("multipart/"):
        boundary = params.get("boundary", "")
        if not boundary or depth >= _MAX_DEPTH:
            return None
        html_text: str | None = None
        for part in _parts(body, boundary.encode("ascii", "replace")):
            head, _, rest = _split_head(part)
            fields = _fields(head)
            text = _first_text(
                rest,
                fields.get("content-type", "text/plain"),
                fields.get("content-transfer-encoding", ""),
                depth + 1,
            )
            if text is not None and not text.startswith("\x00html"):
                return text
            html_text = html_text or text
        return None if html_text is None else html_text
    if mime not in ("text/plain", "text/html"):
        return None
    raw = _undo_transfer_encoding(body, encoding.strip().lower())
    if mime == "text/html":
        raw = _TAG.sub(b" ", raw)
    # Three times what is kept is plenty once quoted lines and runs of spaces are gone.
    text = _charset_decoded(raw, params.get("charset", ""))[: 3 * TEXT_CHARS]
    if mime == "text/html":
        text = html.unescape(text)
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return " ".join(" ".join(kept).split())[:TEXT_CHARS]


def _parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between `--boundary` lines (RFC 2046 §5.1.1), the last one maybe cut."""
    delimiter = b"--" + boundary
    pieces = body.split(delimiter)
    parts = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):  # the close delimiter
            break
        parts.append(piece.partition(b"\n")[2])
    return parts


def _split_head(part: bytes) -> tuple[bytes, bytes, bytes]:
    if part.startswith((b"\n", b"\r\n")):  # no header: text/plain by default
        return b"", b"", part.lstrip(b"\r\n")
    found = _BLANK_LINE.search(part)
    if found is None:
        return part, b"", b""
    return part[: found.start()], b"", part[found.end() :]


def _fields(head: bytes) -> dict[str, str]:
    return {
        m[1].decode("ascii").lower(): " ".join(m[2].decode("latin-1").split())
        for m in _FIELD.finditer(head)
    }


def _undo_transfer_encoding(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        # Whole quanta only (RFC 4648 §4): the fetch cuts base64 anywhere.
        compact = b"".join(data.split())
        compact = bytes(c for c in compact if c in _BASE64_ALPHABET)
        return binascii.a2b_base64(compact[: len(compact) // 4 * 4])
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _charset_decoded(raw: bytes, charset: str) -> str:
    for candidate in (charset.strip().lower(), "utf-8"):
        if candidate:
            try:
                return raw.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    # Not what it says, or cut mid-character: UTF-8 keeps what is whole, and windows-1252
    # reads any byte of the older 8-bit mail that named no charset.
    text = raw.decode("utf-8", errors="replace").rstrip("\ufffd")
    return text if text.count("\ufffd") <= 2 else raw.decode("cp1252", errors="replace")
