"""Tests for words: RFC 2047 encoded words decoded, malformed ones left as written."""

from __future__ import annotations

import pytest

from inbox_audit.core.words import decode_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?UTF-8?B?Y2Fmw6k=?=", "café"),
        ("=?utf-8?b?Y2Fmw6k?=", "café"),  # missing padding
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # RFC 2047 §6.2: space between words dropped
        ("=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a_?= b", "a  b"),
        ("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", "é"),  # one character split across two words
        ("=?utf-8?b?w6k=?= =?iso-8859-1?q?=E9?=", "éé"),  # charset change, still joined
        ("=?utf-8*fr?q?=C3=A9t=C3=A9?=", "été"),  # RFC 2231 language tag
        ("=?windows-1252?q?=93quoted=94?=", "“quoted”"),
        ("=?iso-8859-1?q?=80?=", "€"),  # labelled latin-1, written by cp1252
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?koi8-r?b?8MHXxcw=?=", "Павел"),
        ("=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト"),
        ("=?x-unknown?q?d=C3=A9j=C3=A0?=", "déjà"),  # unknown charset: utf-8 guess
        ("=?no-such-charset?q?d=E9j=E0?=", "déjà"),  # not utf-8: cp1252 guess
        ("=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        ("=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="),  # not base64: left as written
        ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),  # unknown encoding
        ("plain = text ?= here", "plain = text ?= here"),
        ("Re: =?utf-8?q?=C3=A9?=!", "Re: é!"),
    ],
)
def test_decode_words(text: str, expected: str) -> None:
    assert decode_words(text) == expected
