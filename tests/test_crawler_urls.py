"""crawler.urls: canonical form, site identity, the article heuristics."""

from __future__ import annotations

import re

import pytest

from crawler.urls import (
    canonicalize_url,
    host_key,
    is_allowed,
    is_dead_end,
    is_file_link,
    is_http_url,
    looks_like_article,
    resolve_canonical,
)

CANONICAL_CASES = [
    ("HTTP://Example.COM/a/b/", "http://example.com/a/b/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://127.0.0.1:8001/x", "http://127.0.0.1:8001/x"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com/a#comments", "http://example.com/a"),
    ("http://example.com/a/", "http://example.com/a/"),  # trailing slash kept
    ("http://example.com/a", "http://example.com/a"),  # and not added
    ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
    ("http://example.com/a?q=2&q=1", "http://example.com/a?q=1&q=2"),  # repeats kept
    ("http://example.com/a?utm_source=x&utm_medium=y&id=7", "http://example.com/a?id=7"),
    ("http://example.com/a?UTM_Campaign=x&id=7", "http://example.com/a?id=7"),
    ("http://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4", "http://example.com/a"),
    ("http://example.com/a?mc_cid=1&mc_eid=2&igshid=3&_ga=4&yclid=5", "http://example.com/a"),
    ("http://example.com/a?ref_src=twsrc&page=2", "http://example.com/a?page=2"),
    ("http://example.com/a?x=1&utm_term=t#frag", "http://example.com/a?x=1"),
    ("http://example.com/%7euser/caf%c3%a9", "http://example.com/~user/caf%C3%A9"),
    ("http://example.com/caf\u00e9 bar", "http://example.com/caf%C3%A9%20bar"),
    ("http://example.com/a?q=a%20b", "http://example.com/a?q=a+b"),
    ("http://example.com/a?", "http://example.com/a"),
    ("http://example.com/a/../b", "http://example.com/b"),
    ("  http://example.com/a  ", "http://example.com/a"),
    ("http://[::1]:8001/a?gclid=1", "http://[::1]:8001/a"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize("url", [url for url, _ in CANONICAL_CASES])
def test_canonicalize_url_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_canonicalize_url_rejects_a_bad_port() -> None:
    with pytest.raises(ValueError):
        canonicalize_url("http://example.com:99999/a")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8001/a", "127.0.0.1:8001"),
        ("http://127.0.0.1:8002/a", "127.0.0.1:8002"),
        ("http://Example.com:80/", "example.com"),
        ("https://example.com:443/", "example.com"),
        ("https://example.com:80/", "example.com:80"),
        ("http://example.com:443/", "example.com:443"),
        ("http://[::1]:8001/", "[::1]:8001"),
        ("http://b\u00fccher.de/", "xn--bcher-kva.de"),
    ],
)
def test_host_key(url: str, expected: str) -> None:
    assert host_key(url) == expected


def test_host_key_needs_a_host() -> None:
    with pytest.raises(ValueError):
        host_key("file:///etc/passwd")


@pytest.mark.parametrize(
    ("url", "allowed", "expected"),
    [
        ("http://example.com/a", ["example.com"], True),
        ("https://www.example.com/a", ["example.com"], True),
        ("http://example.com:8080/a", ["example.com"], True),
        ("http://badexample.com/a", ["example.com"], False),
        ("http://example.com.evil.org/a", ["example.com"], False),
        ("http://127.0.0.1:8001/a", ["127.0.0.1:8001"], True),
        ("http://127.0.0.1:8002/a", ["127.0.0.1:8001"], False),
        ("http://127.0.0.1/a", ["127.0.0.1:8001"], False),
        ("http://127.0.0.1:8002/a", ["127.0.0.1"], True),
        ("https://example.com/a", ["example.com:443"], True),
        ("http://example.com/a", ["example.com:443"], False),
        ("http://news.example.com/a", ["news.example.com"], True),
        ("http://example.com/a", ["news.example.com"], False),
        ("http://EXAMPLE.com/a", ["Example.COM"], True),
        ("ftp://example.com/a", ["example.com"], False),
        ("mailto:x@example.com", ["example.com"], False),
        ("http://example.com:bad/a", ["example.com"], False),
        ("http://example.com/a", [], False),
        ("http://b\u00fccher.de/a", ["xn--bcher-kva.de"], True),
    ],
)
def test_is_allowed(url: str, allowed: list[str], expected: bool) -> None:
    assert is_allowed(url, allowed) is expected


SITE = ["127.0.0.1:8001"]


@pytest.mark.parametrize(
    ("page", "declared", "expected"),
    [
        ("http://127.0.0.1:8001/a?utm_source=x", None, "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/a", "", "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/a?print=1", "/a", "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/x/a", "b", "http://127.0.0.1:8001/x/b"),
        (
            "http://127.0.0.1:8001/a",
            "http://127.0.0.1:8001/2026/11/24/story/",
            "http://127.0.0.1:8001/2026/11/24/story/",
        ),
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/b", "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/a", "https://syndicator.example/b", "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/a", "//127.0.0.1:8001/c", "http://127.0.0.1:8001/c"),
        ("http://127.0.0.1:8001/a", "javascript:void(0)", "http://127.0.0.1:8001/a"),
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:bad/", "http://127.0.0.1:8001/a"),
    ],
)
def test_resolve_canonical(page: str, declared: str | None, expected: str) -> None:
    assert resolve_canonical(page, declared, SITE) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://s.test/2026/11/24/storm-hits-coast/", True),
        ("http://s.test/2026/11/24/12345", True),
        ("http://s.test/world/2026/11/storm/", True),
        ("http://s.test/news/2026-11-24-storm", True),
        ("http://s.test/world/storm-hits-the-coast", True),
        ("http://s.test/world/storm_hits_coast.html", True),
        ("http://s.test/news/world-europe-67123456", True),
        ("http://s.test/article/1234567", True),
        ("http://s.test/index.php?p=4521", True),
        ("http://s.test/2026/11/24/", False),  # a day archive
        ("http://s.test/2026/11/", False),
        ("http://s.test/", False),
        ("http://s.test/world/", False),
        ("http://s.test/world/europe/", False),
        ("http://s.test/news/storm", False),
        ("http://s.test/tag/climate-change-policy/", False),
        ("http://s.test/tags/storm-hits-coast", False),
        ("http://s.test/topic/local-elections-in-2026", False),
        ("http://s.test/category/world-news-today/", False),
        ("http://s.test/author/jane-q-doe/", False),
        ("http://s.test/login?next=/2026/11/24/storm-hits-coast/", False),
        ("http://s.test/signin", False),
        ("http://s.test/register", False),
        ("http://s.test/subscribe/best-offer-ever", False),
        ("http://s.test/search?q=storm-hits-coast", False),
        ("http://s.test/world/page/2/", False),
        ("http://s.test/world/?page=2", False),
        ("http://s.test/terms-of-service", False),
        ("http://s.test/2026/11/24/storm-hits-coast.pdf", False),
        ("http://s.test/media/storm-hits-coast.jpg", False),
        ("http://s.test/feeds/world-news-rss.xml", False),
        ("http://s.test/downloads/annual-report-2026.zip", False),
        ("http://s.test/video/storm-hits-coast.mp4", False),
        ("ftp://s.test/2026/11/24/storm-hits-coast/", False),
        ("http://s.test:bad/2026/11/24/storm-hits-coast/", False),
    ],
)
def test_looks_like_article_heuristics(url: str, expected: bool) -> None:
    assert looks_like_article(url, allow=(), deny=()) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://s.test/account/login", True),
        ("http://s.test/account/login?next=subscribe", True),
        ("http://s.test/Sign-In.html", True),
        ("http://s.test/legal/privacy-policy/", True),
        ("http://s.test/wp-login.php", True),
        ("http://s.test/world/", False),  # a section: followed for its links
        ("http://s.test/world/?page=2", False),
        ("http://s.test/tag/terms-of-trade/", False),  # a word inside a segment is not one
        ("http://s.test/author/jane-q-doe/", False),
        ("http://s.test/2026/11/24/storm-hits-coast/", False),
        ("mailto:desk@s.test", False),
    ],
)
def test_dead_end_links_are_account_and_legal_pages(url: str, expected: bool) -> None:
    assert is_dead_end(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # courlan's navigation words, matched as whole path segments
        ("http://s.test/kategorie/welt-nachrichten-heute/", False),
        ("http://s.test/user/jane-q-doe-profile", False),
        ("http://s.test/seite/2/", False),
        ("http://s.test/archives/2026-11-24/", False),
        ("http://s.test/kontakt.html", False),
        # ... and not inside a slug, where courlan's own test would find them
        ("http://s.test/2026/11/24/black-cat/", True),
        ("http://s.test/2026/11/24/meet-the-new-user/", True),
        ("http://s.test/news/harbour-tags-every-boat/", True),
        # ours, which courlan lacks
        ("http://s.test/newsletter/weekly-harbour-digest", False),
        ("http://s.test/privacy-policy/data-we-keep-2026", False),
    ],
)
def test_looks_like_article_navigation_words(url: str, expected: bool) -> None:
    assert looks_like_article(url, allow=(), deny=()) is expected


@pytest.mark.parametrize(
    ("url", "allow", "deny", "expected"),
    [
        # deny wins over everything
        ("http://s.test/live/2026/11/24/storm-hits-coast/", [], [r"/live/"], False),
        ("http://s.test/live/story/", [r"/story/"], [r"/live/"], False),
        # allow patterns decide when given: they can admit and exclude
        ("http://s.test/story/abc", [r"/story/"], [], True),
        ("http://s.test/2026/11/24/storm-hits-coast/", [r"/story/"], [], False),
        ("http://s.test/tag/x", [r"/tag/"], [], True),
        # deny without allow falls through to the heuristics
        ("http://s.test/2026/11/24/storm-hits-coast/", [], [r"/live/"], True),
    ],
)
def test_looks_like_article_patterns(
    url: str, allow: list[str], deny: list[str], expected: bool
) -> None:
    result = looks_like_article(
        url, allow=[re.compile(p) for p in allow], deny=[re.compile(p) for p in deny]
    )
    assert result is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://s.test/report.pdf", True),
        ("http://s.test/REPORT.PDF", True),
        ("http://s.test/img/photo.jpeg?w=300", True),
        ("http://s.test/a/b.webp", True),
        ("http://s.test/pod/episode.mp3", True),
        ("http://s.test/v/clip.mp4", True),
        ("http://s.test/files/data.tar.gz", True),
        ("http://s.test/files/archive.zip", True),
        ("http://s.test/doc.docx", True),
        ("http://s.test/2026/11/24/storm-hits-coast/", False),
        ("http://s.test/story.html", False),
        ("http://s.test/sitemap.xml", False),
        ("http://s.test/pdf/", False),
        ("http://s.test/", False),
        ("http://s.test:bad/x.pdf", False),
    ],
)
def test_is_file_link(url: str, expected: bool) -> None:
    assert is_file_link(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com/a", True),
        ("HTTPS://Example.com", True),
        ("http://127.0.0.1:8001/a?b=1#c", True),
        ("  https://example.com/  ", True),
        ("http://[::1]:8080/", True),
        ("ftp://example.com/a", False),
        ("javascript:alert(1)", False),
        ("mailto:desk@example.com", False),
        ("/2026/11/24/story/", False),
        ("//example.com/a", False),
        ("http:///path-only", False),
        ("http://example.com:bad/", False),
        ("http://example.com:70000/", False),
        ("http://[::1/", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected
