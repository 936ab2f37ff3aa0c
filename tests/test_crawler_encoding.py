"""crawler.encoding: one decoding policy for listing and article pages."""

from __future__ import annotations

import pytest

from crawler.encoding import decode_html
from tests.test_pipelines_extract import CP1252_STORY, CYRILLIC


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("h\u00e9".encode(), "text/html; charset=UTF-8", ("h\u00e9", "utf-8")),
        (b"\xef\xbb\xbfh\xc3\xa9", "text/html; charset=latin-1", ("h\u00e9", "utf-8")),  # BOM wins
        (
            b"<meta charset='koi8-r'>\xf0\xd2\xc9",
            None,
            ("<meta charset='koi8-r'>\u041f\u0440\u0438", "koi8-r"),
        ),
        ("\u00e9t\u00e9".encode(), None, ("\u00e9t\u00e9", "utf-8")),
        (CP1252_STORY.encode("cp1252"), None, (CP1252_STORY, "cp1252")),  # no label at all
        (CYRILLIC.encode("cp1251"), None, (CYRILLIC, "cp1251")),
    ],
)
def test_decode_html(body: bytes, content_type: str | None, expected: tuple[str, str]) -> None:
    assert decode_html(body, content_type) == expected


def test_a_listing_and_an_article_decode_alike() -> None:
    # Undeclared legacy bytes: the listing's link titles read as the article's text does,
    # not as UTF-8 with replacement characters.
    text, encoding = decode_html(f"<a href='/x'>{CP1252_STORY}</a>".encode("cp1252"), None)
    assert (CP1252_STORY in text, encoding) == (True, "cp1252")
