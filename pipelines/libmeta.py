"""trafilatura's own metadata, only the parts the metadata layer weighs, read from one tree.

``bare_extraction(with_metadata=True)`` runs trafilatura's whole metadata sweep: meta tags,
JSON-LD, the title, an XPath search for authors over a deep copy of the page, htmldate, the
site name, categories, tags and a license search. The metadata layer (``pipelines.evidence``)
reads most of these signals itself and counts trafilatura's answer as one weak vote, so the
extraction asks trafilatura for the text alone and calls its metadata functions here: the
same answers, without the license search newswire never stores, and with the author search
(a third of the sweep's time) run only when no other signal named a person.
"""

from __future__ import annotations

import logging
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import Document

logger = logging.getLogger(__name__)
# What trafilatura's JSON-LD reader raises on odd but valid JSON (it catches Exception itself).
_JSON_READER_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def library_metadata(tree: HtmlElement, url: str, date_params: dict[str, Any]) -> Document:
    """trafilatura's title, author (from meta tags and JSON-LD), date, site name, page type,
    description, categories and tags, as its ``extract_metadata`` finds them."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # trafilatura's own rule: a one-word author is a handle
    try:
        metadata = extract_meta_json(tree, metadata)
    except _JSON_READER_ERRORS as exc:
        logger.debug("trafilatura's JSON-LD reader failed on %s: %s", url, exc)
    if not metadata.title:
        metadata.title = extract_title(tree)
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url or url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if "." not in metadata.sitename and not metadata.sitename[:1].isupper():
            metadata.sitename = metadata.sitename.title()
    elif match := META_URL.match(metadata.url or url):
        metadata.sitename = match[1]
    if not metadata.categories:
        metadata.categories = extract_catstags("category", tree)
    if not metadata.tags:
        metadata.tags = extract_catstags("tag", tree)
    metadata.clean_and_trim()
    return metadata


def searched_authors(tree: HtmlElement) -> list[str]:
    """trafilatura's XPath search of the page for author names, its last resort."""
    return [name for name in (extract_author(tree) or "").split(";") if name.strip()]
