"""What a page says about itself: JSON-LD, meta tags, microdata and ``<time>`` elements.

Pure readers over an lxml tree, used by extraction to keep what trafilatura reduces (a full
timestamp with its offset, the declared language, the page type, the canonical URL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml.etree import XPath
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


# Compiled XPath runs in C; ElementPath predicates (``iterfind(".//link[@rel]")``) test every
# element of a 100 KB page in Python.
_BASES = XPath("//base[@href]")
_LINKS = XPath("//link[@rel][@href]")
_ITEMS = XPath("//*[@itemscope][@itemtype]")
_AUTHOR_LINKS = XPath("//a[@rel='author']")
_BYLINE_WORDS = ("By", "BY", "Von", "VON", "Por", "POR", "Par", "PAR")
_BY_PARAGRAPHS = XPath(
    "//article//p[{0}] | //main//p[{0}]".format(
        " or ".join(f"starts-with(normalize-space(.), '{word} ')" for word in _BYLINE_WORDS)
    )
)
_BYLINE_START = re.compile(rf"^(?:{'|'.join(_BYLINE_WORDS)})\s+\w")
_BYLINE_MAX_CHARS = 160
_BYLINE_XPATH = ".//*[contains(@class, 'yline') or contains(@class, 'uthor')]"
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})


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


def meta_tags(tree: HtmlElement) -> dict[str, str]:
    """Every <meta> key (property, name or itemprop; ``http-equiv:`` and the lower-cased
    header name) with its first non-empty content, read in one pass for the many lookups of
    the metadata layer."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        content = (node.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = node.get(attr)
            if key:
                found.setdefault(key.strip(), content)
        header = node.get("http-equiv")
        if header:
            found.setdefault(f"http-equiv:{header.strip().lower()}", content)
    return found


def is_not_article(
    metas: dict[str, str], ld_objects: list[dict[str, Any]], pagetype: str | None
) -> bool:
    """A listing type (og:type or JSON-LD) with no article type anywhere on the page."""
    og_type = metas.get("og:type", "").lower()
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


def page_language(
    tree: HtmlElement, metas: dict[str, str], ld_objects: list[dict[str, Any]]
) -> str | None:
    """The page's declared language as a primary subtag ("en"), from the most reliable source."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += [
        obj["inLanguage"] for obj in ld_objects if isinstance(obj.get("inLanguage"), str)
    ]
    candidates += [metas.get("og:locale"), metas.get("http-equiv:content-language")]
    return next((lang for lang in map(primary_subtag, candidates) if lang), None)


def canonical_href(tree: HtmlElement, metas: dict[str, str], url: str) -> str | None:
    """<link rel=canonical> or og:url, made absolute against <base href> and the page URL."""
    base = url
    for node in _BASES(tree):
        base = urljoin(url, node.get("href", "").strip())
        break
    for node in _LINKS(tree):
        if "canonical" in node.get("rel", "").lower().split() and node.get("href", "").strip():
            return urljoin(base, node.get("href", "").strip())
    og_url = metas.get("og:url")
    return urljoin(base, og_url) if og_url else None


@dataclass(frozen=True)
class Microdata:
    """An article's schema.org microdata (``itemscope itemtype=".../NewsArticle"``)."""

    headline: str | None = None
    people: list[str] = field(default_factory=list)  # author items typed Person, or plain text
    organizations: list[str] = field(default_factory=list)  # author items typed Organization
    published: str | None = None
    modified: str | None = None


def _item_kind(node: HtmlElement) -> str:
    return (node.get("itemtype") or "").strip().rstrip("/").rsplit("/", 1)[-1].lower()


def _properties(scope: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """(name, element) of each itemprop of an item, in document order, nested items' own
    properties left to them."""
    stack = list(reversed(scope))
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str):
            continue
        for name in (node.get("itemprop") or "").split():
            yield name, node
        if node.get("itemscope") is None:
            stack.extend(reversed(node))


def _property_value(node: HtmlElement) -> str:
    """What a property says: ``content`` (meta), ``datetime`` (time), else its visible text."""
    value = node.get("content") or node.get("datetime")
    return " ".join(value.split()) if value is not None else visible_text(node)


def _author_name(node: HtmlElement) -> tuple[str, bool]:
    """(name, is an organization) of an ``author`` property: a nested item or plain text."""
    if node.get("itemscope") is None:
        return _property_value(node), False
    name = next((_property_value(n) for key, n in _properties(node) if key == "name"), "")
    return name or _property_value(node), _item_kind(node).endswith("organization")


def microdata_article(tree: HtmlElement) -> Microdata | None:
    """The first article-typed microdata item of the page, read from visible elements too."""
    for scope in _ITEMS(tree):
        if not _is_article_type(_item_kind(scope)):
            continue
        found: dict[str, str] = {}
        people: list[str] = []
        organizations: list[str] = []
        for key, node in _properties(scope):
            if key == "author":
                name, organization = _author_name(node)
                if name:
                    (organizations if organization else people).append(name)
            elif key in ("headline", "datePublished", "dateModified") and key not in found:
                found[key] = _property_value(node)
        return Microdata(
            headline=found.get("headline") or None,
            people=people,
            organizations=organizations,
            published=found.get("datePublished") or None,
            modified=found.get("dateModified") or None,
        )
    return None


def visible_text(node: HtmlElement) -> str:
    """An element's text as a reader sees it: scripts and styles left out, spaces collapsed."""
    parts: list[str] = []

    def walk(element: HtmlElement) -> None:
        if isinstance(element.tag, str) and element.tag.lower() in _SKIPPED_TAGS:
            return
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(node)
    return " ".join("".join(parts).split())


def page_headline(tree: HtmlElement) -> str | None:
    """The story's <h1>: in its <article> or <main> first."""
    for path in (".//article//h1", ".//main//h1", ".//h1"):
        for node in tree.iterfind(path):
            text = visible_text(node)
            if text:
                return text
    return None


def page_title(tree: HtmlElement) -> str | None:
    """The page's <title> as a reader sees it in a tab."""
    node = tree.find(".//title")
    return (visible_text(node) or None) if node is not None else None


def byline_texts(tree: HtmlElement) -> list[str]:
    """Visible bylines: a byline/author block, rel=author links, or a "By ..." paragraph."""
    # The story's own element first: a byline sits in it, and a big page's chrome is not read.
    scope = next(
        (n for n in (tree.find(".//article"), tree.find(".//main")) if n is not None), tree
    )
    for node in scope.xpath(_BYLINE_XPATH):
        classes = (node.get("class") or "").lower().split()
        if any(
            c in ("byline", "author", "authors", "story-byline", "article-byline") for c in classes
        ):
            text = visible_text(node)
            if text and len(text) <= _BYLINE_MAX_CHARS:
                return [text]
    links = [visible_text(a) for a in _AUTHOR_LINKS(tree)]
    if links:
        return [", ".join(links)]
    for node in _BY_PARAGRAPHS(tree):
        text = visible_text(node)
        if _BYLINE_START.match(text) and len(text) <= _BYLINE_MAX_CHARS:
            return [text]
    return []
