"""Tests for snippet: the opening words of a message's text from the first bytes of its body."""

from __future__ import annotations

import base64
import quopri

import pytest

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.core.snippet import TEXT_CHARS, text_start

FRENCH = "Bonjour, je voudrais réserver deux places pour l'atelier découverte de samedi."


def test_plain_utf8() -> None:
    assert text_start(FRENCH.encode(), "text/plain; charset=utf-8", "8bit") == FRENCH


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "iso-8859-15", "utf-16"])
def test_any_charset(charset: str) -> None:
    assert text_start(FRENCH.encode(charset), f"text/plain; charset={charset}", "") == FRENCH


def test_quoted_printable() -> None:
    body = quopri.encodestring(FRENCH.encode("iso-8859-1"))
    assert text_start(body, 'text/plain; charset="ISO-8859-1"', "Quoted-Printable") == FRENCH


def test_base64_cut_anywhere() -> None:
    body = base64.encodebytes(FRENCH.encode())  # lines of 76 characters, as mailers write
    for cut in range(len(body) - 30, len(body)):
        text = text_start(body[:cut], "text/plain; charset=utf-8", "base64")
        assert FRENCH.startswith(text)
        assert text.startswith("Bonjour, je voudrais")


def test_a_multibyte_character_cut_at_the_end() -> None:
    body = FRENCH.encode()[: FRENCH.encode().index("é".encode()) + 1]  # half of "é"
    assert text_start(body, "text/plain; charset=utf-8", "") == "Bonjour, je voudrais r"


def test_the_first_text_part_of_a_multipart() -> None:
    body = (
        b"This is a multi-part message in MIME format.\r\n"
        b"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        b"--inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring(FRENCH.encode("iso-8859-1"))
        + b"\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--inner--\r\n"
        b"--outer\r\nContent-Type: application/pdf; name=devis.pdf\r\n\r\nJVBERi0=\r\n"
    )
    assert text_start(body, 'multipart/mixed; boundary="outer"', "7bit") == FRENCH


def test_html_only() -> None:
    body = (
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p {color: red}</style></head><body><p>Bonjour&nbsp;Claire,"
        b"<br>je voudrais r&eacute;server</p>"
    )
    assert text_start(body, "multipart/alternative; boundary=b", "") == (
        "Bonjour Claire, je voudrais réserver"  # &nbsp; folded as any white space
    )


def test_quoted_lines_are_not_the_customer_s() -> None:
    body = b"Merci beaucoup !\r\n\r\n> On 3 Nov, Claire wrote:\r\n> Hello there\r\n"
    assert text_start(body, "text/plain", "") == "Merci beaucoup !"


def test_at_most_text_chars() -> None:
    assert len(text_start(b"mot " * TEXT_BYTES, "text/plain", "")) == TEXT_CHARS


@pytest.mark.parametrize(
    ("body", "content_type", "encoding"),
    [
        (b"", "text/plain", ""),
        (b"JVBERi0xLjQK", "application/pdf", "base64"),
        (b"--b\r\nContent-Type: image/png\r\n\r\n\x89PNG", "multipart/mixed; boundary=b", ""),
        (b"no boundary here", "multipart/mixed", ""),
        (b"--b\r\n" * 500, "multipart/mixed; boundary=b", ""),
        (b"x" * 100, 'multipart/mixed; boundary="unclosed', "base64"),
        (b"\xff\xfe\x00\xd8", "text/plain; charset=no-such-charset", "x-unknown"),
        (b"=ZZ=\r\n=", "text/plain", "quoted-printable"),
        (b"!!!!", "text/plain", "base64"),
    ],
)
def test_broken_mime_never_raises(body: bytes, content_type: str, encoding: str) -> None:
    assert isinstance(text_start(body, content_type, encoding), str)


def test_nested_too_deep_is_given_up() -> None:
    body = b""
    for depth in range(10):
        body += b"--b%dx\r\nContent-Type: multipart/mixed; boundary=b%dx\r\n\r\n" % (
            depth,
            depth + 1,
        )
    body += b"--b10x\r\nContent-Type: text/plain\r\n\r\nhidden\r\n"
    assert text_start(body, "multipart/mixed; boundary=b0x", "") == ""


def test_undeclared_8bit_reads_as_windows_1252() -> None:
    body = "Café crème à côté".encode("cp1252")
    assert text_start(body, "text/plain", "8bit") == "Café crème à côté"
