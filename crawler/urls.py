"""URL identity and URL heuristics, pure: one canonical form per page, one key per site.

w3lib does the heavy lifting (percent-encoding, query sorting, fragment removal); this module
adds what it leaves out: default ports, tracking parameters, sites told apart by port, and
the guess whether a link found on a listing page points at an article.

The functions a crawl calls for every link it meets are memoised, bounded (``URL_CACHE``
entries each): a listing's navigation repeats on every page of its site, and a worker running
sixteen crawls at once met the same few hundred URLs per crawl over and over (a quarter of its
event loop's time went to parsing and canonicalising them). Bounded, a worker's memory stays
flat however many sites it crawls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from posixpath import splitext
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

from courlan.filters import NAVIGATION_FILTER, is_not_crawlable
from w3lib.url import canonicalize_url as _w3lib_canonicalize
from w3lib.url import url_query_cleaner

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query keys that identify a campaign or a click, never the page: dropped from canonical URLs.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
        "mkt_tok", "ref_src", "ref_url", "oly_anon_id", "oly_enc_id", "vero_id",
        "vero_conv", "wt.mc_id", "wt_mc_id", "xtor", "at_medium", "at_campaign",
        "cmpid", "ocid", "ncid", "spm", "s_cid", "__twitter_impression", "li_fat_id",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "itm_")

_FILE_EXTENSIONS = frozenset(
    {
        # documents
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "epub", "rtf",
        # images
        "jpg", "jpeg", "png", "gif", "webp", "svg", "bmp", "tif", "tiff", "ico", "avif", "heic",
        # media
        "mp3", "mp4", "m4a", "m4v", "aac", "ogg", "oga", "ogv", "wav", "flac", "webm", "avi",
        "mov", "mkv", "flv", "wmv", "mpg", "mpeg", "m3u8", "pls",
        # archives and binaries
        "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar", "iso", "dmg", "exe", "apk", "bin",
    }
)  # fmt: skip
# Served by web servers but never an article page.
_NON_HTML_EXTENSIONS = _FILE_EXTENSIONS | {
    "xml", "rss", "atom", "rdf", "json", "js", "mjs", "css", "txt", "csv", "ics", "vcf",
    "woff", "woff2", "ttf", "otf", "eot", "swf", "map", "wasm",
}  # fmt: skip

# Path segments that mark navigation, account or archive pages rather than stories, beyond
# courlan's (see _is_navigation_segment): accounts, subscriptions, search, feeds, legal and
# about pages, site admin, and plurals courlan's list lacks.
_NAV_SEGMENTS = frozenset(
    {
        "authors", "categories", "archive", "logout", "signin", "sign-in", "signup", "sign-up",
        "register", "account", "subscribe", "subscription", "newsletter", "newsletters",
        "search", "feed", "feeds", "rss", "wp-admin", "wp-login", "cdn-cgi", "about",
        "about-us", "privacy", "privacy-policy", "terms", "terms-of-use", "terms-of-service",
        "cookie-policy", "cookies",
    }
)  # fmt: skip
# Of those, the segments of pages that are neither stories nor listings worth following: a
# sign-in form, an account, a legal text links to the same navigation as every other page,
# and, answered without validators, would be fetched in full on every run for nothing.
_DEAD_END_SEGMENTS = frozenset(
    {
        "account", "accounts", "login", "logout", "signin", "sign-in", "signup", "sign-up",
        "register", "subscribe", "subscription", "wp-login", "wp-admin", "cdn-cgi", "privacy",
        "privacy-policy", "terms", "terms-of-use", "terms-of-service", "cookie-policy", "cookies",
    }
)  # fmt: skip
_PAGING_QUERY_KEYS = frozenset({"page", "paged", "pg"})
_ID_QUERY_KEYS = frozenset({"p", "id", "story", "story_id", "article", "article_id", "articleid"})

_DATE_IN_PATH = re.compile(
    r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?(?!\d{1,2}(?:/|$))[^/]+"
    r"|(?:^|[/_-])(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[/_-]|$)"
)
_LONG_NUMBER = re.compile(r"(?<!\d)\d{5,}(?!\d)")
_SLUG_SEPARATOR = re.compile(r"[-_]+")
# Entries per memoised function: the URLs of the crawls open at once in one worker, and more.
URL_CACHE = 8192


def _split(url: str) -> SplitResult:
    """urlsplit that also validates the port, so callers see one ValueError for bad URLs."""
    parts = urlsplit(url.strip())
    _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    return parts


@lru_cache(maxsize=URL_CACHE)
def _http_parts(url: str) -> SplitResult | None:
    """The parts of an absolute http(s) URL with a host and a valid port, else None."""
    try:
        parts = _split(url)
    except ValueError:
        return None
    return parts if parts.scheme in _DEFAULT_PORTS and parts.hostname else None


def is_http_url(url: str) -> bool:
    """Whether newswire could fetch this URL: absolute http(s), a host, a valid port. The one
    test behind sources.toml's URLs, discovered links and URLs typed on the command line."""
    return _http_parts(url) is not None


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


@lru_cache(maxsize=URL_CACHE)
def canonicalize_url(url: str) -> str:
    """One spelling per page, so the same article reached via a feed and a link is stored once.

    Raises ValueError for a URL that cannot be parsed (bad port or host).
    """
    canonical = _w3lib_canonicalize(url.strip(), keep_fragments=False)
    parts = _split(canonical)
    if parts.query:
        dropped = [pair.partition("=")[0] for pair in parts.query.split("&")]
        dropped = [key for key in dropped if _is_tracking(key)]
        if dropped:
            canonical = url_query_cleaner(canonical, dropped, remove=True, unique=False)
            parts = _split(canonical)
    netloc = parts.netloc
    if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme):
        netloc = netloc.rsplit(":", 1)[0]
    elif netloc.endswith(":"):
        netloc = netloc[:-1]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _ascii_host(host: str) -> str:
    """Punycode for IDN hosts, matching what w3lib puts into canonical URLs."""
    host = host.rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _host_port(parts: SplitResult) -> tuple[str, int | None]:
    host = _ascii_host(parts.hostname or "")
    return host, parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def host_key(url: str) -> str:
    """ "host:port" (port only when not the scheme's default): local test sites differ by port."""
    parts = _split(url)
    host, port = _host_port(parts)
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return _format_host(host)
    return f"{_format_host(host)}:{port}"


@lru_cache(maxsize=256)
def _parse_domain_entry(entry: str) -> tuple[str, int | None]:
    parts = urlsplit("//" + entry.strip().lower())
    return _ascii_host(parts.hostname or ""), parts.port


@lru_cache(maxsize=URL_CACHE)
def _site(url: str) -> tuple[str, int | None] | None:
    """The host and port of an http(s) URL, as allowed_domains entries are matched."""
    parts = _http_parts(url)
    return None if parts is None else _host_port(parts)


def is_allowed(url: str, allowed_domains: Sequence[str]) -> bool:
    """Whether a URL belongs to the site: "example.com" covers subdomains and every port,
    "127.0.0.1:8001" exactly that host and port. Only http(s) URLs are ever allowed."""
    site = _site(url)
    if site is None:
        return False
    host, port = site
    for entry in allowed_domains:
        try:
            domain, entry_port = _parse_domain_entry(entry)
        except ValueError:
            continue
        if not domain:
            continue
        if entry_port is not None:
            if host == domain and port == entry_port:
                return True
        elif host == domain or host.endswith("." + domain):
            return True
    return False


def resolve_canonical(page_url: str, declared: str | None, allowed_domains: Sequence[str]) -> str:
    """The page's own rel=canonical/og:url when it stays on the site, else its fetched URL;
    a canonical pointing elsewhere (syndication, a bad template) must not hijack the record."""
    if declared and declared.strip():
        try:
            target = urljoin(page_url, declared.strip())
            if is_allowed(target, allowed_domains):
                return canonicalize_url(target)
        except ValueError:
            pass
    return canonicalize_url(page_url)


def _extension(path: str) -> str:
    last = unquote_plus(path.rstrip("/").rsplit("/", 1)[-1])
    return splitext(last)[1].lstrip(".").lower()


def is_file_link(url: str) -> bool:
    """Whether a link points at a document, image, media file or archive rather than a page."""
    try:
        path = _split(url).path
    except ValueError:
        return False
    return _extension(path) in _FILE_EXTENSIONS


@lru_cache(maxsize=URL_CACHE)
def is_dead_end(url: str) -> bool:
    """Whether a link leads to an account, sign-in or legal page, which a crawl neither stores
    nor follows for links."""
    parts = _http_parts(url)
    if parts is None:
        return False
    path = unquote_plus(parts.path).lower()
    return any(splitext(segment)[0] in _DEAD_END_SEGMENTS for segment in path.split("/"))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((unquote_plus(key).lower(), unquote_plus(value)))
    return pairs


def _is_navigation_segment(stem: str) -> bool:
    """Whether one path segment names a listing, account or legal page: courlan's words (tag,
    category, author, page, archives, user, login, contact, imprint, ...) or ours.

    courlan's are matched against the whole segment: courlan's is_navigation_page finds them
    anywhere in a URL, so /2026/11/24/black-cat/ would be a category, and takes ?p=N, which
    is WordPress's permalink of one post, for paging.
    """
    return (
        stem in _NAV_SEGMENTS
        or NAVIGATION_FILTER.fullmatch(f"/{stem}/") is not None
        or is_not_crawlable(f"/{stem}")
    )


def _is_navigation(segments: list[str], query: str) -> bool:
    if any(_is_navigation_segment(splitext(segment)[0]) for segment in segments):
        return True
    return any(key in _PAGING_QUERY_KEYS for key, _ in _query_pairs(query))


def _has_article_evidence(path: str, segments: list[str], query: str) -> bool:
    if _DATE_IN_PATH.search(path):
        return True
    if segments:
        slug = splitext(segments[-1])[0]
        if len([word for word in _SLUG_SEPARATOR.split(slug) if word]) >= 3:
            return True
    if any(_LONG_NUMBER.search(segment) for segment in segments):
        return True
    return any(
        key in _ID_QUERY_KEYS and value.isdigit() for key, value in _query_pairs(query) if value
    )


def looks_like_article(
    url: str, *, allow: Sequence[re.Pattern[str]], deny: Sequence[re.Pattern[str]]
) -> bool:
    """Guess from the URL alone whether a link on a home or section page is a story.

    Deny patterns win, then allow patterns decide when given; else the URL must show evidence
    (a date, a long slug, a long numeric id) and no navigation marker.
    """
    if any(pattern.search(url) for pattern in deny):
        return False
    if allow:
        return any(pattern.search(url) for pattern in allow)
    return _has_article_shape(url)


@lru_cache(maxsize=URL_CACHE)
def _has_article_shape(url: str) -> bool:
    """The URL-only evidence of looks_like_article, for a source without allow patterns."""
    parts = _http_parts(url)
    if parts is None:
        return False
    path = unquote_plus(parts.path).lower()
    if _extension(path) in _NON_HTML_EXTENSIONS:
        return False
    segments = [segment for segment in path.split("/") if segment]
    if _is_navigation(segments, parts.query):
        return False
    return _has_article_evidence(path, segments, parts.query)
