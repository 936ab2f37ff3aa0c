"""Headlines without the site's name: affixes such as "… | MDR.DE" or "WELT: …" taken off.

Pure functions over strings. A title is cut at its separators (``|``, ``-``, ``–``, ``:``,
``：``, ``ㅣ``, ...); parts at either end that name the site, and the section names and dates
beside such a part, go; the parts between them are the headline, their separators kept.
What names the site: the names it declares or is configured with, and its template, the
end parts that many of its own titles share (``TitleTemplate``), such as a tagline.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

# A separator: spaced ASCII/typographic dashes, bars and bullets; a colon before a space; the
# full-width colon, bars and the Korean vertical bar, spaced or not.
_SUFFIX_SEPARATOR = re.compile(r"(\s+[|\-–—·•»/]\s+|\s*[|｜：ㅣ]\s*|(?<=\S)-(?=[^\x00-\x7f]))")
_SEPARATOR = re.compile(r"(\s+[|\-–—·•»/]\s+|\s*[|｜：ㅣ]\s*|(?<=\S)-(?=[^\x00-\x7f])|:\s+)")
_NOT_WORD = re.compile(r"[\W_]+")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\.?$|^\d{1,2}\.? \w+\.? \d{4}$")
_SECTION_WORDS = 3  # a section label beside the site's name: at most this many words
_MIN_SITE_KEY = 3  # shorter site keys ("dw" is 2) only match a whole part, never inside one
_HOST_NOISE = frozenset({"www", "m", "amp", "mobile", "news", "com", "org", "net", "co"})
# An end part is the site's template when at least this many of a source's distinct titles,
# and this share of them, carry it: a story's words are not repeated on every twentieth page.
TEMPLATE_MIN_TITLES = 3
TEMPLATE_MIN_SHARE = 0.05
TEMPLATE_TITLES = 300  # stored titles a source's template is learned from: its latest
_CACHED_CHARS = 400
_TITLE_TAG = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def fold(text: str) -> str:
    """Compare headlines the way readers do: Unicode-normalised, case-folded, without
    punctuation, spaces collapsed."""
    # The same names and headlines are folded many times a page: short ones are remembered
    # (a hostile page's megabyte "title" is not).
    return _fold_cached(text) if len(text) <= _CACHED_CHARS else _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


_fold_cached = lru_cache(maxsize=8192)(_fold)


def site_key(name: str) -> str:
    """A site name as one word to match affixes against: "MDR.DE" -> "mdrde"."""
    return fold(name).replace(" ", "")


def host_names(url: str | None) -> list[str]:
    """The labels of a host that can name the site: ``www.globalnews.ca`` -> ["globalnews"]."""
    host = (urlsplit(url or "").hostname or "").lower()
    if not host or host.replace(".", "").isdigit() or host == "localhost":
        return []
    labels = host.split(".")[:-1]  # the top-level domain names no site
    return [label for label in labels if label not in _HOST_NOISE and len(label) >= 2]


def _is_site(part: str, keys: Iterable[str]) -> bool:
    key = site_key(part)
    if not key:
        return False
    for site in keys:
        if key == site:
            return True
        # "MDR.DE" holds "mdr", "The Planet Herald" holds "planetherald"; a long headline part
        # that merely mentions the site is not the site's part.
        long_enough = len(site) >= _MIN_SITE_KEY and len(key) >= _MIN_SITE_KEY
        if long_enough and (site in key or key in site) and len(key) <= 2 * len(site) + 12:
            return True
    return False


def _is_filler(part: str) -> bool:
    """A date or a short section label: site chrome only when next to the site's name."""
    text = part.strip()
    return bool(_DATE.match(text)) or 0 < len(text.split()) <= _SECTION_WORDS


def strip_site_affix(
    title: str,
    site_names: Iterable[str],
    headline: str | None = None,
    affixes: Iterable[str] = (),
) -> str:
    """The title without the site's prefix or suffix; unchanged when nothing names the site.

    ``headline`` is the page's ``<h1>``: a title that is the whole headline is kept whole, and
    a cut that would remove a part the headline contains is not made. ``affixes`` are the
    source's template (``TitleTemplate.affixes``): parts matched whole, never inside a part.
    """
    title = " ".join(title.split())
    keys = {site_key(name) for name in site_names if name and site_key(name)}
    template = frozenset(affixes)
    if not (keys or template) or not title:
        return title
    folded_headline = fold(headline or "")
    if folded_headline and fold(title) == folded_headline:
        return title

    def is_site(part: str) -> bool:
        return site_key(part) in template or _is_site(part, keys)

    # A colon inside a headline is common ("Brexit: the deal"): only a prefix is cut at one.
    result, removed = _cut(title, is_site, _SUFFIX_SEPARATOR, from_end=True)
    result, removed_prefix = _cut(result, is_site, _SEPARATOR, from_end=False)
    removed += removed_prefix
    in_headline = any(fold(part) and fold(part) in folded_headline for part in removed)
    if folded_headline and fold(result) != folded_headline and in_headline:
        return title
    return result


def _cut(
    title: str, is_site: Callable[[str], bool], splitter: re.Pattern[str], *, from_end: bool
) -> tuple[str, list[str]]:
    """Drop the run of site parts, section labels and dates at one end of the title, if the
    run holds a site part; the parts removed come back too."""
    pieces = splitter.split(title)  # part, separator, part, ...
    parts = pieces[0::2]
    if len(parts) < 2:
        return title, []
    order = range(len(parts) - 1, 0, -1) if from_end else range(len(parts) - 1)
    cut, seen_site = None, False
    for index in order:
        if is_site(parts[index]):
            seen_site, cut = True, index
        elif _is_filler(parts[index]) and (from_end or not seen_site or _DATE.match(parts[index])):
            # A section label or date beside the site's name; a prefix ends at the site's name
            # or a date after it ("WELT: Brexit: the deal" keeps "Brexit: the deal").
            cut = index
        else:
            break
    if not seen_site or cut is None:
        return title, []
    if from_end:
        return "".join(pieces[: 2 * cut - 1]).strip(), parts[cut:]
    return "".join(pieces[2 * (cut + 1) :]).strip(), parts[: cut + 1]


def _end_parts(title: str) -> set[str]:
    """The site keys of a title's first and last parts, where it has separators; never its
    longest part, the headline (a story on many pages must not become the template)."""
    ends = set()
    suffix = _SUFFIX_SEPARATOR.split(title)[0::2]
    if len(suffix) > 1 and len(suffix[-1]) < max(map(len, suffix)):
        ends.add(suffix[-1])
    prefix = _SEPARATOR.split(title)[0::2]
    if len(prefix) > 1 and len(prefix[0]) < max(map(len, prefix)):
        ends.add(prefix[0])
    return {site_key(part) for part in ends if not _DATE.match(part.strip())} - {""}


class TitleTemplate:
    """A source's title template, learned from its own titles as they come: the end parts
    (``"… · Tagline"``, ``"Brand: …"``) that many distinct titles share are the site's."""

    def __init__(self, titles: Iterable[str | None] = ()) -> None:
        self._seen: set[str] = set()
        self._ends: Counter[str] = Counter()
        self._affixes: tuple[str, ...] | None = None
        for title in titles:
            self.add(title)

    def add(self, title: str | None) -> None:
        """Count one more title of the source; the same title twice counts once."""
        title = " ".join((title or "").split())
        if title and title not in self._seen:
            self._seen.add(title)
            self._ends.update(_end_parts(title))
            self._affixes = None

    @property
    def affixes(self) -> tuple[str, ...]:
        """The template's parts as site keys, for ``strip_site_affix(affixes=...)``."""
        if self._affixes is None:
            needed = max(TEMPLATE_MIN_TITLES, math.ceil(len(self._seen) * TEMPLATE_MIN_SHARE))
            self._affixes = tuple(sorted(k for k, n in self._ends.items() if n >= needed))
        return self._affixes


def head_title(head: str) -> str | None:
    """The <title> of a page's first bytes, unescaped: stored pages read without parsing."""
    match = _TITLE_TAG.search(head)
    text = " ".join(html.unescape(match[1]).split()) if match else ""
    return text or None
