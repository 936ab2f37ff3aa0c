"""HTML bytes -> text, decoded once by one policy wherever newswire reads a page.

Discovery reads listing pages and extraction reads article pages; both decode as a browser
would (BOM, the Content-Type charset, ``<meta charset>``, then detection), so a link title
and an article title from the same legacy-encoded site read the same. It lives in the
crawler, the lowest floor that decodes HTML; extraction imports it from here.
"""

from __future__ import annotations

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

# An undeclared body that detection cannot place: the web's default, as browsers read it.
DEFAULT_ENCODING = "cp1252"


def _detect_encoding(body: bytes) -> str | None:
    # Scrapy's fallback for undeclared bodies (UTF-8 if valid, else a statistical guess), with
    # ties among equally plausible single-byte guesses going to the web's default, cp1252.
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        match = from_bytes(body).best()
        if match is None:
            return None
        if "cp1252" in match.could_be_from_charset:
            return "cp1252"
        return resolve_encoding(match.encoding)
    return "utf-8"


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode as a browser would: BOM, header charset, <meta charset>, then detection.

    Returns the text and the encoding used (the name stored with the article's HTML).
    """
    bom, mark = read_bom(body)
    if bom is not None and mark is not None:
        return to_unicode(body[len(mark) :], bom), bom
    encoding = (
        http_content_type_encoding(content_type)
        or html_body_declared_encoding(body)
        or _detect_encoding(body)
        or DEFAULT_ENCODING
    )
    return to_unicode(body, encoding), encoding
