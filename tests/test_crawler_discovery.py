"""crawler.discovery: feeds, sitemaps, robots.txt and listing pages -> dated links."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from urllib.parse import urldefrag, urljoin

import pytest

from crawler.discovery import (
    Link,
    SitemapDoc,
    newest_first,
    parse_feed,
    parse_listing,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.urls import is_http_url

BASE = "http://127.0.0.1:8001"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Harbour Gazette</title>
    <link>http://127.0.0.1:8001/</link>
    <lastBuildDate>Wed, 25 Nov 2026 08:00:00 GMT</lastBuildDate>
    <atom:link href="http://127.0.0.1:8001/rss.xml" rel="self" type="application/rss+xml"/>
    <item>
      <title>Storm &amp; tide close the harbour</title>
      <link>http://127.0.0.1:8001/2026/11/24/storm-closes-harbour/</link>
      <dc:creator>Ada Quill</dc:creator>
      <pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>
      <content:encoded><![CDATA[<p>The <b>storm</b> came in overnight.</p>]]></content:encoded>
    </item>
    <item>
      <title>  Council   votes on
        ferry fares </title>
      <link>/2026/11/23/council-ferry-fares/#comments</link>
      <dc:date>2026-11-23T18:30:00+01:00</dc:date>
    </item>
    <item>
      <title>Guid only</title>
      <guid isPermaLink="true">http://127.0.0.1:8001/2026/11/22/guid-only-story/</guid>
    </item>
    <item>
      <title>Not a permalink</title>
      <guid isPermaLink="false">tag:127.0.0.1,2026:42</guid>
    </item>
    <item>
      <title>Script link</title>
      <link>javascript:alert(1)</link>
    </item>
    <item>
      <title>Bad date</title>
      <link>http://127.0.0.1:8001/2026/11/21/bad-date-story/</link>
      <pubDate>sometime soon</pubDate>
    </item>
  </channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://127.0.0.1:8001/blog/">
  <title type="html">Harbour &lt;b&gt;Blog&lt;/b&gt;</title>
  <updated>2026-11-25T08:00:00Z</updated>
  <entry xml:base="posts/">
    <title type="html">Ferry &lt;em&gt;returns&lt;/em&gt; &amp;amp; more</title>
    <link rel="alternate" type="text/html" href="ferry-returns.html"/>
    <link rel="replies" href="ferry-returns.html#comments"/>
    <published>2026-11-24T09:15:00+01:00</published>
    <updated>2026-11-24T12:00:00Z</updated>
  </entry>
  <entry>
    <title>Only updated</title>
    <link rel="edit" href="/edit/2"/>
    <link href="/2026/11/20/only-updated-story"/>
    <updated>2026-11-20T07:00:00Z</updated>
  </entry>
  <entry>
    <title>No link at all</title>
    <updated>2026-11-19T07:00:00Z</updated>
  </entry>
</feed>
"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://127.0.0.1:8001/"><title>RDF</title></channel>
  <item rdf:about="http://127.0.0.1:8001/2026/11/18/rdf-story/">
    <title>RDF story</title>
    <dc:date>2026-11-18</dc:date>
  </item>
</rdf:RDF>
"""


def test_parse_feed_rss2() -> None:
    links = parse_feed(RSS, f"{BASE}/rss.xml")
    assert links == [
        Link(
            f"{BASE}/2026/11/24/storm-closes-harbour/",
            utc(2026, 11, 24, 10),
            "Storm & tide close the harbour",
            ("Ada Quill",),
        ),
        Link(
            f"{BASE}/2026/11/23/council-ferry-fares/",
            utc(2026, 11, 23, 17, 30),
            "Council votes on ferry fares",
        ),
        Link(f"{BASE}/2026/11/22/guid-only-story/", None, "Guid only"),
        Link(f"{BASE}/2026/11/21/bad-date-story/", None, "Bad date"),
    ]


def test_parse_feed_atom_with_xml_base() -> None:
    links = parse_feed(ATOM, "http://feeds.test/atom.xml")
    assert links == [
        Link(
            f"{BASE}/blog/posts/ferry-returns.html",
            utc(2026, 11, 24, 8, 15),
            "Ferry returns & more",
            modified=utc(2026, 11, 24, 12),  # <updated>: when the entry last changed
        ),
        Link(
            f"{BASE}/2026/11/20/only-updated-story",
            utc(2026, 11, 20, 7),
            "Only updated",
            modified=utc(2026, 11, 20, 7),
        ),
    ]


def test_parse_feed_rss1() -> None:
    assert parse_feed(RSS1, f"{BASE}/index.rdf") == [
        Link(f"{BASE}/2026/11/18/rdf-story/", utc(2026, 11, 18), "RDF story")
    ]


def test_parse_feed_truncated_keeps_complete_items() -> None:
    cut = RSS[: RSS.index(b"<item>", RSS.index(b"Guid only") - 200)] + b"<item><title>half"
    links = parse_feed(cut, f"{BASE}/rss.xml")
    assert [link.title for link in links] == [
        "Storm & tide close the harbour",
        "Council votes on ferry fares",
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<<<not xml at all",
        b"\x00\x01\x02binary",
        b"<html><body><p>Not a feed</p></body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><link>&e;</link></item></channel></rss>",
    ],
)
def test_parse_feed_junk_gives_nothing(body: bytes) -> None:
    assert parse_feed(body, f"{BASE}/rss.xml") == []


SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>
    <loc>http://127.0.0.1:8001/sitemap-news.xml</loc>
    <lastmod>2026-11-24T10:00:00+00:00</lastmod>
  </sitemap>
  <sitemap><loc>/sitemap-2026-10.xml.gz</loc></sitemap>
  <sitemap><lastmod>2026-11-01</lastmod></sitemap>
</sitemapindex>
"""

NEWS_URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>http://127.0.0.1:8001/2026/11/24/storm-closes-harbour/</loc>
    <lastmod>2026-11-24T12:00:00Z</lastmod>
    <news:news>
      <news:publication>
        <news:name>Harbour Gazette</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>2026-11-24T10:00:00+00:00</news:publication_date>
      <news:title>Storm closes the harbour</news:title>
    </news:news>
    <image:image><image:loc>http://127.0.0.1:8001/img/storm.jpg</image:loc></image:image>
  </url>
  <url>
    <loc> http://127.0.0.1:8001/2026/11/23/council-ferry-fares/ </loc>
    <lastmod>2026-11-23</lastmod>
  </url>
  <url><loc>http://127.0.0.1:8001/about/</loc></url>
  <url><loc>mailto:desk@127.0.0.1</loc></url>
</urlset>
"""


def test_parse_sitemap_index() -> None:
    doc = parse_sitemap(SITEMAP_INDEX, f"{BASE}/sitemap.xml")
    assert doc == SitemapDoc(
        "index",
        [
            Link(f"{BASE}/sitemap-news.xml", utc(2026, 11, 24, 10), modified=utc(2026, 11, 24, 10)),
            Link(f"{BASE}/sitemap-2026-10.xml.gz", None),
        ],
    )


EXPECTED_URLSET = SitemapDoc(
    "urlset",
    [
        Link(
            f"{BASE}/2026/11/24/storm-closes-harbour/",
            utc(2026, 11, 24, 10),
            "Storm closes the harbour",
            modified=utc(2026, 11, 24, 12),  # lastmod beside the news publication date
        ),
        Link(
            f"{BASE}/2026/11/23/council-ferry-fares/", utc(2026, 11, 23), modified=utc(2026, 11, 23)
        ),
        Link(f"{BASE}/about/", None),
    ],
)


def test_parse_sitemap_news_urlset() -> None:
    assert parse_sitemap(NEWS_URLSET, f"{BASE}/sitemap-news.xml") == EXPECTED_URLSET


def test_parse_sitemap_gzip() -> None:
    body = gzip.compress(NEWS_URLSET)
    assert parse_sitemap(body, f"{BASE}/sitemap-news.xml.gz") == EXPECTED_URLSET


def test_parse_sitemap_gzip_over_the_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crawler.discovery.MAX_SITEMAP_BYTES", 100)
    assert parse_sitemap(gzip.compress(NEWS_URLSET), f"{BASE}/sitemap.xml.gz") is None


def test_parse_sitemap_plain_text() -> None:
    body = b"http://127.0.0.1:8001/a-story-here/\n\nhttp://127.0.0.1:8001/b-story-here/\n"
    assert parse_sitemap(body, f"{BASE}/sitemap.txt") == SitemapDoc(
        "urlset",
        [Link(f"{BASE}/a-story-here/", None), Link(f"{BASE}/b-story-here/", None)],
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<<<broken",
        b"\x1f\x8b\x08garbage-after-gzip-magic",
        b"<html><body>Not found</body></html>",
        b"<rss><channel></channel></rss>",
        b"hello\nworld\n",
    ],
)
def test_parse_sitemap_not_a_sitemap(body: bytes) -> None:
    assert parse_sitemap(body, f"{BASE}/sitemap.xml") is None


def test_parse_sitemap_truncated_urlset_keeps_complete_entries() -> None:
    cut = NEWS_URLSET[: NEWS_URLSET.index(b"<url><loc>http://127.0.0.1:8001/about/")]
    doc = parse_sitemap(cut, f"{BASE}/sitemap.xml")
    assert doc is not None
    assert doc.kind == "urlset"
    assert [link.url for link in doc.entries] == [link.url for link in EXPECTED_URLSET.entries[:2]]


def test_sitemaps_from_robots() -> None:
    robots = (
        b"User-agent: *\nDisallow: /private/\n"
        b"Sitemap: http://127.0.0.1:8001/sitemap.xml\n"
        b"sitemap: /sitemap-news.xml\n"
        b"SITEMAP: http://127.0.0.1:8001/sitemap.xml\n"
        b"Sitemap: ftp://127.0.0.1/sitemap.xml\n"
        b"Sitemap: \xff\xfe\n"
    )
    assert sitemaps_from_robots(robots, f"{BASE}/robots.txt") == [
        f"{BASE}/sitemap.xml",
        f"{BASE}/sitemap-news.xml",
    ]


def test_sitemaps_from_robots_none() -> None:
    assert sitemaps_from_robots(b"User-agent: *\nAllow: /\n", f"{BASE}/robots.txt") == []


LISTING = """<!DOCTYPE html>
<html><head>
<meta charset="windows-1252">
<base href="/world/">
<title>World \u2013 Harbour Gazette</title>
<link rel="canonical" href="/world/">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
<link rel="Alternate" type="application/atom+xml" href="http://127.0.0.1:8001/atom.xml">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
<link rel="alternate" hreflang="fr" href="/fr/monde/">
<link rel="stylesheet" href="/site.css">
</head><body>
<nav><a href="/">Home</a> <a href="/world/">World</a></nav>
<article><h2><a href="2026/11/24/storm-closes-harbour/"><img src="x.jpg" alt=""></a>
<a href="2026/11/24/storm-closes-harbour/#top">Storm  closes
 the harbour</a></h2></article>
<article><a href="http://127.0.0.1:8001/2026/11/23/caf\u00e9-reopens/"
  title="Caf\u00e9 reopens"></a></article>
<a href="#main">Skip</a>
<a href="mailto:desk@example.test">Mail</a>
<a href="javascript:void(0)">JS</a>
<a href="http://127.0.0.1:bad/x">Bad port</a>
<a>No href</a>
</body></html>
"""


def test_parse_listing_with_base_href_and_charset() -> None:
    listing = parse_listing(LISTING.encode("cp1252"), f"{BASE}/world/index.html")
    assert listing.links == [
        Link(f"{BASE}/", None, "Home"),
        Link(f"{BASE}/world/", None, "World"),
        Link(f"{BASE}/world/2026/11/24/storm-closes-harbour/", None, "Storm closes the harbour"),
        Link(f"{BASE}/2026/11/23/caf\u00e9-reopens/", None, "Caf\u00e9 reopens"),
    ]
    assert listing.feeds == [f"{BASE}/rss.xml", f"{BASE}/atom.xml"]
    assert listing.canonical == f"{BASE}/world/"


def test_parse_listing_uses_the_given_encoding() -> None:
    page = '<html><body><a href="/a-b-c">\u00c9t\u00e9 news</a></body></html>'
    listing = parse_listing(page.encode("latin-1"), f"{BASE}/", "text/html; charset=latin-1")
    assert listing.links == [Link(f"{BASE}/a-b-c", None, "\u00c9t\u00e9 news")]


def test_parse_listing_og_url_when_no_canonical() -> None:
    page = b'<html><head><meta property="og:url" content="/x/"></head><body></body></html>'
    assert parse_listing(page, f"{BASE}/x/?ref=home").canonical == f"{BASE}/x/"


def test_parse_listing_leaves_out_the_links_keep_refuses() -> None:
    page = (
        b'<html><body><a href="/2026/11/24/ours/">Ours</a>'
        b'<a href="http://127.0.0.9:9000/">Partner</a><a href="//127.0.0.9:9000/x">Another</a>'
        b"</body></html>"
    )
    listing = parse_listing(page, f"{BASE}/", keep=lambda url: url.startswith(BASE))
    assert listing.links == [Link(f"{BASE}/2026/11/24/ours/", None, "Ours")]
    assert len(parse_listing(page, f"{BASE}/").links) == 3


@pytest.mark.parametrize(
    "href",
    [
        "/a/b?q=1#top", "/a//b/../c", "/./x", "//other.test:81/p?q", "HTTPS://Other.test/p",
        "https://other.test/x/../y?", "http://127.0.0.1:8001/p#", "b/c", "../up", "?page=2",
        "#frag", "mailto:desk@site.test", "javascript:void(0)", "ftp://files.test/x",
    ],
)  # fmt: skip
@pytest.mark.parametrize("base", [f"{BASE}/world/index.html?x=1", "https://site.test/a/b/"])
def test_a_link_resolves_as_urljoin_does_whatever_the_memo(base: str, href: str) -> None:
    expected = urldefrag(urljoin(base, href))[0]
    page = f'<html><body><a href="{href}">x</a><a href="{href}">again</a></body></html>'
    for _ in range(2):  # resolved, then remembered: the same answer
        links = parse_listing(page.encode(), base).links
        assert [link.url for link in links] == ([expected] if is_http_url(expected) else [])


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\x00", b"<html", b"plain words"])
def test_parse_listing_junk(body: bytes) -> None:
    assert parse_listing(body, f"{BASE}/") == parse_listing(b"", f"{BASE}/")
    assert parse_listing(body, f"{BASE}/").links == []


NOW = utc(2026, 11, 25, 12)


@pytest.mark.parametrize(
    ("links", "max_age", "expected"),
    [
        pytest.param(
            [Link("u1", utc(2026, 11, 20)), Link("u2", utc(2026, 11, 24)), Link("u3", None)],
            None,
            [Link("u2", utc(2026, 11, 24)), Link("u1", utc(2026, 11, 20)), Link("u3", None)],
            id="sorted-newest-first-undated-last",
        ),
        pytest.param(
            [Link("u0", None), Link("u1", utc(2026, 11, 1)), Link("u2", utc(2026, 11, 24))],
            timedelta(days=7),
            [Link("u2", utc(2026, 11, 24)), Link("u0", None)],
            id="old-dropped-undated-kept",
        ),
        pytest.param(
            [
                Link("u1", utc(2026, 11, 20), "first"),
                Link("u1", utc(2026, 11, 24)),
                Link("u1", None, "third"),
            ],
            None,
            [Link("u1", utc(2026, 11, 24), "first")],
            id="duplicate-keeps-newest-date-and-a-title",
        ),
        pytest.param(
            [Link("u1", utc(2026, 10, 1)), Link("u1", utc(2026, 11, 24))],
            timedelta(days=7),
            [Link("u1", utc(2026, 11, 24))],
            id="newest-date-decides-age",
        ),
        pytest.param(
            [Link("u1", None, "a"), Link("u2", None), Link("u1", None, "b")],
            None,
            [Link("u1", None, "a"), Link("u2", None)],
            id="undated-keep-first-seen-order",
        ),
        pytest.param(
            [Link("u1", utc(2026, 11, 24)), Link("u2", utc(2026, 11, 24))],
            None,
            [Link("u1", utc(2026, 11, 24)), Link("u2", utc(2026, 11, 24))],
            id="ties-keep-input-order",
        ),
        pytest.param(
            [Link("u1", utc(2026, 11, 18, 12)), Link("u2", utc(2026, 11, 18, 11, 59))],
            timedelta(days=7),
            [Link("u1", utc(2026, 11, 18, 12))],
            id="cutoff-inclusive",
        ),
        pytest.param([], timedelta(days=1), [], id="empty"),
    ],
)
def test_newest_first(links: list[Link], max_age: timedelta | None, expected: list[Link]) -> None:
    assert newest_first(links, now=NOW, max_age=max_age) == expected


def test_feed_entries_carry_their_authors() -> None:
    rss = (
        b'<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>'
        b"<link>http://x.test/a</link><author>desk@x.test</author>"
        b"<dc:creator>Mara Quill, Tobias Fenn</dc:creator></item></channel></rss>"
    )
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://x.test/b"/>'
        b"<author><name>Ada Writer</name></author></entry></feed>"
    )
    assert [link.authors for link in parse_feed(rss, "http://x.test/")] == [
        ("Mara Quill, Tobias Fenn",)
    ]
    assert [link.authors for link in parse_feed(atom, "http://x.test/")] == [("Ada Writer",)]
