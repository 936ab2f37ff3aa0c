"""What a page says about itself: JSON-LD, meta tags and ``<time>`` elements.

Pure readers over an lxml tree, used by extraction to keep what trafilatura reduces (a full
timestamp with its offset, the declared language, the page type, the canonical URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

# Schema.org / Open Graph types of listings and profiles. Generic ones ("website", "webpage")
# are left out: many sites put them on every page, stories included.
_NOT_ARTICLE_TYPES = frozenset(
    {
        "aboutpage", "blog", "checkoutpage", "collectionpage", "contactpage", "faqpage",
        "itemlist", "jobposting", "profilepage", "qapage", "realestatelisting",
        "searchresultspage",
    }
)  # fmt: skip


def json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph members included; broken scripts are skipped."""
    for script in tree.iterfind(".//script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except json.JSONDecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _ld_types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.lower() for v in values if isinstance(v, str)]


def _is_article_type(kind: str) -> bool:
    return kind == "article" or kind.endswith(("article", "posting"))


def meta_content(tree: HtmlElement, *keys: str) -> str | None:
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            for node in tree.iterfind(f".//meta[@{attr}='{key}']"):
                content = (node.get("content") or "").strip()
                if content:
                    return content
    return None


def meta_tags(tree: HtmlElement) -> dict[str, str]:
    """Every <meta> key (property, name or itemprop) with its first non-empty content, read
    in one pass for the many lookups of the metadata layer."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        content = (node.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = node.get(attr)
            if key:
                found.setdefault(key.strip(), content)
    return found


def is_not_article(
    tree: HtmlElement, ld_objects: list[dict[str, Any]], pagetype: str | None
) -> bool:
    """A listing type (og:type or JSON-LD) with no article type anywhere on the page."""
    og_type = (meta_content(tree, "og:type") or "").lower()
    types = {kind for obj in ld_objects for kind in _ld_types(obj)}
    if _is_article_type(og_type) or any(_is_article_type(kind) for kind in types):
        return False
    declared = {og_type, (pagetype or "").lower(), *types}
    return bool(declared & _NOT_ARTICLE_TYPES)


def article_objects(ld_objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JSON-LD objects of an article type (NewsArticle, BlogPosting, ...); all of them
    when none has one, since many pages type their story as a bare WebPage."""
    articles = [o for o in ld_objects if any(_is_article_type(k) for k in _ld_types(o))]
    return articles or ld_objects


def primary_subtag(tag: str | None) -> str | None:
    """``en-GB`` -> ``en``: articles are searched by language, not by region."""
    primary = (tag or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def page_language(tree: HtmlElement, ld_objects: list[dict[str, Any]]) -> str | None:
    """The page's declared language as a primary subtag ("en"), from the most reliable source."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += [
        obj["inLanguage"] for obj in ld_objects if isinstance(obj.get("inLanguage"), str)
    ]
    candidates.append(meta_content(tree, "og:locale"))
    for node in tree.iterfind(".//meta[@http-equiv]"):
        if node.get("http-equiv", "").lower() == "content-language":
            candidates.append(node.get("content"))
    return next((lang for lang in map(primary_subtag, candidates) if lang), None)


def canonical_href(tree: HtmlElement, url: str) -> str | None:
    """<link rel=canonical> or og:url, made absolute against <base href> and the page URL."""
    base = url
    for node in tree.iterfind(".//base[@href]"):
        base = urljoin(url, node.get("href", "").strip())
        break
    for node in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in node.get("rel", "").lower().split() and node.get("href", "").strip():
            return urljoin(base, node.get("href", "").strip())
    og_url = meta_content(tree, "og:url")
    return urljoin(base, og_url) if og_url else None
