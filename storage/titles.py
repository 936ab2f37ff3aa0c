"""The first bytes of a source's latest stored pages, for learning its title template.

The template (``pipelines.titles.TitleTemplate``) is read from the ``<title>`` the pages
carried, not from ``articles.title``: a stored title has its affixes stripped already, so a
template learned from stored titles would fade as soon as it worked, and a second
``newswire reextract`` would undo the first. A page's head is in its first few kilobytes, so
only those are inflated.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any

import psycopg

HEAD_BYTES = 16 * 1024  # a page's <title> sits in its <head>, well within this


def recent_page_heads(conn: psycopg.Connection[Any], source: str, limit: int) -> list[str]:
    """The heads of the source's ``limit`` latest stored pages, newest first, decoded."""
    rows = conn.execute(
        "SELECT h.html_zlib, h.encoding FROM articles a"
        " JOIN article_html h ON h.article_id = a.id"
        " WHERE a.source = %s ORDER BY a.id DESC LIMIT %s",
        [source, limit],
    ).fetchall()
    heads = []
    for blob, encoding in rows:
        try:
            head = zlib.decompressobj().decompress(blob, HEAD_BYTES)
        except zlib.error:
            continue  # a damaged copy says nothing of the template; reextract reports it
        heads.append(head.decode(_codec(encoding), errors="replace"))
    return heads


def _codec(encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        return "utf-8"
