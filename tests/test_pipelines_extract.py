"""extract_article over hand-written pages, and ExtractPipeline through a real process pool."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import pickle
import signal
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from scrapy import Request, Spider, signals
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newswire.errors import ConfigError
from newswire.records import Article, Page
from pipelines.extract import (
    Extracted,
    ExtractionPool,
    ExtractOptions,
    ExtractPipeline,
    Rejection,
    extract_article,
)
from storage.queries import store_articles
from tests.test_storage_queries import make_article

URL = "https://harbour-times.test/2024/03/05/tide-barrier-vote"

STORY = [
    "The council of Lowmere voted late on Tuesday to fund a movable tide barrier across the "
    "mouth of the Brenn estuary, ending eleven years of argument about how to protect the "
    "old harbour quarter from winter surges.",
    "The scheme, estimated at 41 million, will be paid for by a mix of regional grants and a "
    "levy on moorings. Councillors approved it by nineteen votes to six after a debate that "
    "ran past midnight.",
    "Residents of the quarter, where ground-floor shops flooded three times last winter, "
    "packed the public gallery. Several held up hand-painted signs reading 'Close the gate'.",
    "Engineers expect construction to start next spring and to take about four years. Until "
    "then the harbour authority will keep its temporary flood boards and pumps in place.",
    "Opponents argued that the money would be better spent raising the quay walls, which "
    "they said would protect a wider stretch of coast at a lower cost to ratepayers.",
]

NAV = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in ["news", "sport", "arts"])
COMMENTS = (
    '<section id="comments" class="comments"><h3>Comments</h3>'
    + "".join(
        f'<div class="comment"><p>Reader remark number {i}: I have an opinion about this '
        f"barrier that I would like to share at some length with everyone.</p></div>"
        for i in range(3)
    )
    + "</section>"
)


def news_page(
    *,
    head: str = "",
    byline: str = '<span class="byline">By <a rel="author">Mara Quill</a></span>',
    dates: str = '<time datetime="2024-03-05T21:40:00+01:00">5 March 2024</time>',
    paragraphs: list[str] | None = None,
    lang: str = "en-GB",
    charset: str = "utf-8",
) -> str:
    """A news article page with the furniture real sites carry: nav, ads, related, comments."""
    body = "".join(f"<p>{p}</p>" for p in (STORY if paragraphs is None else paragraphs))
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>Lowmere approves tide barrier | Harbour Times</title>
<meta name="description" content="Council backs a movable barrier for the Brenn estuary.">
<meta property="og:site_name" content="Harbour Times">
{head}
</head><body>
<header><nav class="menu"><ul>{NAV}</ul></nav>
<div class="ad banner">Advertisement: buy our sailing boots today</div></header>
<main><article>
<h1>Lowmere approves tide barrier after eleven-year wait</h1>
{byline}
{dates}
{body}
</article>
<aside class="related"><h3>Related</h3><ul>
<li><a href="/2024/03/01/quay">Quay walls inspected</a></li>
<li><a href="/2024/02/20/storm">Storm damage tallied</a></li></ul></aside>
{COMMENTS}
</main><footer><p>Copyright Harbour Times test fixture</p></footer></body></html>"""


JSON_LD = json.dumps(
    {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Harbour Times"},
            {
                "@type": "NewsArticle",
                "headline": "Lowmere approves tide barrier after eleven-year wait",
                "datePublished": "2024-03-05T21:40:00+01:00",
                "dateModified": "2024-03-06T08:00:00+01:00",
                "author": [
                    {"@type": "Person", "name": "Mara Quill"},
                    {"@type": "Person", "name": "Tobias Fenn"},
                ],
                "articleSection": "Local",
                "inLanguage": "en-GB",
            },
        ],
    }
)
FULL_HEAD = (
    f'<script type="application/ld+json">{JSON_LD}</script>'
    f'<link rel="canonical" href="/2024/03/05/tide-barrier-vote?ref=canonical">'
    '<meta property="og:type" content="article">'
    '<meta name="keywords" content="flooding, harbour">'
)


def run(
    page: str | bytes,
    content_type: str | None = "text/html; charset=utf-8",
    url: str = URL,
    **opts: object,
) -> Extracted | Rejection:
    body = page.encode("utf-8") if isinstance(page, str) else page
    return extract_article(body, url, content_type, ExtractOptions(**opts))  # type: ignore[arg-type]


def test_news_page_text_and_metadata() -> None:
    result = run(news_page(head=FULL_HEAD))
    assert isinstance(result, Extracted), result
    assert result.title == "Lowmere approves tide barrier after eleven-year wait"
    assert result.authors == ["Mara Quill", "Tobias Fenn"]
    assert result.published_at == datetime(2024, 3, 5, 20, 40, tzinfo=UTC)
    assert result.language == "en"
    assert result.site_name == "Harbour Times"
    assert result.description == "Council backs a movable barrier for the Brenn estuary."
    assert (
        result.canonical_href
        == "https://harbour-times.test/2024/03/05/tide-barrier-vote?ref=canonical"
    )
    assert result.encoding == "utf-8"
    assert "tide barrier across the mouth of the Brenn estuary" in result.text
    assert "quay walls" in result.text
    for furniture in ("Advertisement", "Reader remark", "Storm damage", "Copyright", "Sport"):
        assert furniture not in result.text
    assert zlib.decompress(result.html_zlib) == news_page(head=FULL_HEAD).encode("utf-8")
    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.parametrize(
    ("head", "dates", "expected"),
    [
        # JSON-LD datePublished wins, its offset normalised to UTC.
        (FULL_HEAD, "", datetime(2024, 3, 5, 20, 40, tzinfo=UTC)),
        # article:published_time meta with a Z suffix.
        (
            '<meta property="article:published_time" content="2024-03-05T06:15:30Z">',
            "",
            datetime(2024, 3, 5, 6, 15, 30, tzinfo=UTC),
        ),
        # RFC 2822 in the meta, as some CMSs write it.
        (
            '<meta property="article:published_time" content="Tue, 05 Mar 2024 09:00:00 -0500">',
            "",
            datetime(2024, 3, 5, 14, 0, tzinfo=UTC),
        ),
        # Only a <time datetime> in the byline, basic-format offset.
        (
            "",
            '<time datetime="2024-03-05T10:00:00+0200">5.3.2024</time>',
            datetime(2024, 3, 5, 8, 0, tzinfo=UTC),
        ),
        # A naive timestamp is taken as UTC.
        (
            "",
            '<time itemprop="datePublished" datetime="2024-03-05T10:00:00">x</time>',
            datetime(2024, 3, 5, 10, 0, tzinfo=UTC),
        ),
        # Only a human-readable date: trafilatura's day at midnight UTC.
        ("", '<p class="date">Published 5 March 2024</p>', datetime(2024, 3, 5, tzinfo=UTC)),
        # Nothing at all (the URL below carries no date either).
        ("", "", None),
    ],
)
def test_published_at(head: str, dates: str, expected: datetime | None) -> None:
    result = run(news_page(head=head, dates=dates), url="https://harbour-times.test/tide-barrier")
    assert isinstance(result, Extracted), result
    assert result.published_at == expected


def test_unrelated_time_element_does_not_override_the_published_day() -> None:
    dates = (
        '<meta property="article:published_time" content="2024-03-05">'
        '<div class="weather"><time datetime="2024-03-09T07:00:00Z">Saturday</time></div>'
    )
    result = run(news_page(head=dates, dates=""))
    assert isinstance(result, Extracted), result
    assert result.published_at == datetime(2024, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "head", "hint", "expected"),
    [
        ("en-GB", "", None, "en"),
        ("", '<meta property="og:locale" content="de_DE">', None, "de"),
        ("", "", "fr", "fr"),
        ("", "", None, None),
        ("nl", "", "fr", "nl"),
    ],
)
def test_language(lang: str, head: str, hint: str | None, expected: str | None) -> None:
    result = run(news_page(lang=lang, head=head), language_hint=hint)
    assert isinstance(result, Extracted), result
    assert result.language == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<link rel="canonical" href="https://harbour-times.test/a">',
            "https://harbour-times.test/a",
        ),
        ('<link rel="Canonical Alternate" href="/b">', "https://harbour-times.test/b"),
        ('<meta property="og:url" content="/c">', "https://harbour-times.test/c"),
        (
            '<base href="https://cdn.harbour-times.test/x/"><link rel="canonical" href="d">',
            "https://cdn.harbour-times.test/x/d",
        ),
        ('<link rel="canonical" href="  ">', None),
        ("", None),
    ],
)
def test_canonical_href(head: str, expected: str | None) -> None:
    result = run(news_page(head=head))
    assert isinstance(result, Extracted), result
    assert result.canonical_href == expected


LISTING = (
    """<!DOCTYPE html><html lang="en"><head><title>Local news | Harbour Times</title>
<meta property="og:type" content="website">
<script type="application/ld+json">{"@type": "CollectionPage", "name": "Local news"}</script>
</head><body><nav><a href="/">Home</a></nav><main><h1>Local news</h1>
"""
    + "".join(
        f'<div class="teaser"><h2><a href="/2024/03/0{i}/story-{i}">Story number {i} about the '
        f"harbour and its many boats</a></h2><p>A short teaser for story {i}, describing in one "
        f"sentence what happened on the quay this week and why readers should care.</p></div>"
        for i in range(1, 9)
    )
    + "</main></body></html>"
)


@pytest.mark.parametrize(
    ("page", "content_type", "reason"),
    [
        (LISTING, "text/html", "not_article"),
        (
            news_page(paragraphs=["The council met briefly and adjourned."]),
            "text/html",
            "too_short",
        ),
        (
            "<html><head><title>Empty</title></head><body><div></div></body></html>",
            "text/html",
            "no_text",
        ),
        (
            "<html><head><title>Nav</title></head><body><p><a href='/'>Home</a></p></body></html>",
            "text/html",
            "too_short",
        ),
        (b"%PDF-1.7 binary stuff", "application/pdf", "not_html"),
        (b"%PDF-1.7 binary stuff", None, "not_html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html", "not_html"),
        ("", "text/html", "not_html"),
    ],
)
def test_rejections(page: str | bytes, content_type: str | None, reason: str) -> None:
    result = run(page, content_type)
    assert isinstance(result, Rejection), result
    assert result.reason == reason


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="og:type" content="website">',  # a CMS default on every page
        '<script type="application/ld+json">{"@type": "WebPage", "name": "x"}</script>',
        '<meta property="og:type" content="article">'
        '<script type="application/ld+json">{"@type": "CollectionPage"}</script>',
        '<script type="application/ld+json">[{"@type": "ItemList"}, '
        '{"@type": ["Thing", "ReportageNewsArticle"]}]</script>',
    ],
)
def test_generic_or_mixed_page_types_are_still_articles(head: str) -> None:
    assert isinstance(run(news_page(head=head)), Extracted)


def test_min_text_chars_is_an_option() -> None:
    page = news_page(paragraphs=STORY[:1])
    assert run(page, min_text_chars=400) == Rejection("too_short", "264 < 400 chars")
    assert isinstance(run(page, min_text_chars=100), Extracted)


@pytest.mark.parametrize(
    "broken",
    [
        "<html><body><article><p>" + STORY[0] + STORY[1] + "<div><p><b><i>" + STORY[2],
        "<html><head><title>x</title><body><article>" + "".join(f"<p>{p}" for p in STORY),
        "<<<>>><html><body></td></tr><p>" + " ".join(STORY) + "</p></span></html></html>",
    ],
)
def test_broken_html_still_extracts(broken: str) -> None:
    result = run(broken)
    assert isinstance(result, Extracted), result
    assert "tide barrier" in result.text


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xff\xfe\x00<\x00h\x00t\x00m\x00l" * 3,
        b"<?xml version='1.0' encoding='utf-8'?><html><body><p>hello</p></body></html>",
        b"<html>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000 + b"</html>",
        b"\xef\xbb\xbf",
    ],
)
def test_garbage_never_raises(garbage: bytes) -> None:
    result = extract_article(garbage, URL, "text/html", ExtractOptions())
    assert isinstance(result, Rejection | Extracted)


CYRILLIC = "Городской совет одобрил строительство барьера у гавани. " * 4
CP1252_STORY = (
    "The caf\u00e9 owner said \u201cthe barrier\u2019s cost\u201d was fair \u2014 for now. " * 8
)


@pytest.mark.parametrize(
    ("content_type", "meta_charset", "expected_encoding"),
    [
        ("text/html; charset=windows-1252", "utf-8", "cp1252"),  # header beats a wrong meta
        ("text/html", "windows-1252", "cp1252"),
        ("text/html", "iso-8859-1", "cp1252"),  # browsers read latin-1 labels as cp1252
        (None, "windows-1252", "cp1252"),
    ],
)
def test_legacy_encodings(
    content_type: str | None, meta_charset: str, expected_encoding: str
) -> None:
    page = news_page(paragraphs=[CP1252_STORY], charset=meta_charset).encode("cp1252")
    result = extract_article(page, URL, content_type, ExtractOptions())
    assert isinstance(result, Extracted), result
    assert result.encoding == expected_encoding
    assert (
        "caf\u00e9 owner said \u201cthe barrier\u2019s cost\u201d was fair \u2014 for now."
        in result.text
    )


def test_fast_mode_extracts_the_same_story() -> None:
    result = run(news_page(head=FULL_HEAD), fast=True)
    assert isinstance(result, Extracted), result
    assert "tide barrier across the mouth" in result.text
    assert result.published_at == datetime(2024, 3, 5, 20, 40, tzinfo=UTC)


# --- the Scrapy stage -------------------------------------------------------------------------


class _Source:
    name = "harbour"
    home = "https://harbour-times.test/"
    allowed_domains = ("harbour-times.test",)


class _NewsSpider(Spider):
    name = "news"
    source = _Source()


def make_page(body: str, **changes: object) -> Page:
    values: dict[str, object] = {
        "source": "harbour",
        "url": "https://harbour-times.test/story?id=7",
        "response_url": "https://harbour-times.test/story?id=7&utm_source=feed",
        "body": body.encode("utf-8"),
        "content_type": "text/html; charset=utf-8",
        "status": 200,
        "fetched_at": datetime(2024, 3, 6, 12, 0, tzinfo=UTC),
        "via": "feed",
        "hint_title": "Feed title",
        "hint_published": datetime(2024, 3, 4, 9, 0, tzinfo=UTC),
        "language_hint": "en",
    }
    values.update(changes)
    return Page(**values)  # type: ignore[arg-type]


def make_pipeline(workers: int) -> tuple[ExtractPipeline, object]:
    crawler = get_crawler(_NewsSpider, {"NEWSWIRE_EXTRACT_WORKERS": workers})
    crawler.spider = _NewsSpider.from_crawler(crawler)
    return ExtractPipeline.from_crawler(crawler), crawler


async def _through(pipeline: ExtractPipeline, items: list[object]) -> list[object]:
    try:
        out: list[object] = []
        for item in items:
            try:
                out.append(await pipeline.process_item(item))
            except DropItem as exc:
                out.append(exc)
        return out
    finally:
        await pipeline.close_spider()


@pytest.mark.parametrize("workers", [1, 0])
def test_pipeline_builds_articles_and_counts_rejections(workers: int) -> None:
    pipeline, crawler = make_pipeline(workers)
    other = {"not": "a page"}
    pages = [make_page(news_page(head=FULL_HEAD)), make_page(LISTING), other]
    article, dropped, passed = asyncio.run(_through(pipeline, pages))

    assert isinstance(article, Article)
    assert article.url == "https://harbour-times.test/2024/03/05/tide-barrier-vote?ref=canonical"
    assert article.urls == sorted(
        {
            "https://harbour-times.test/story?id=7",
            "https://harbour-times.test/2024/03/05/tide-barrier-vote?ref=canonical",
        }
    )
    assert article.title == "Lowmere approves tide barrier after eleven-year wait"
    assert article.published_at == datetime(2024, 3, 5, 20, 40, tzinfo=UTC)
    assert article.fetched_at == datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
    assert article.source == "harbour" and article.language == "en"
    assert isinstance(dropped, DropItem) and "not_article" in str(dropped)
    assert passed is other
    stats = crawler.stats
    assert stats.get_value("newswire/extracted") == 1
    assert stats.get_value("newswire/rejected/not_article") == 1


def test_pipeline_hint_fallbacks_and_foreign_canonical() -> None:
    bare = (
        "<html><body><article>" + "".join(f"<p>{p}</p>" for p in STORY) + "</article></body></html>"
    )
    head = '<link rel="canonical" href="https://aggregator.test/copied">'
    page = make_page(bare.replace("<body>", f"<head>{head}</head><body>"), language_hint="en")
    pipeline, _ = make_pipeline(0)
    (article,) = asyncio.run(_through(pipeline, [page]))
    assert isinstance(article, Article)
    assert article.url == "https://harbour-times.test/story?id=7"  # off-site canonical ignored
    assert article.urls == ["https://harbour-times.test/story?id=7"]
    assert (article.title, article.title_source) == ("Feed title", "feed")
    assert article.published_at == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    assert article.published_source == "feed"
    assert article.language == "en"


def test_pipeline_survives_a_dead_worker() -> None:
    pipeline, crawler = make_pipeline(1)
    story = news_page(head=FULL_HEAD)

    async def scenario() -> tuple[object, object]:
        try:
            assert pipeline.pool is not None
            pid = await pipeline.pool.call(os.getpid)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(DropItem, match="worker_crash"):
                await pipeline.process_item(make_page(story))
            return await pipeline.process_item(make_page(story)), pid
        finally:
            await pipeline.close_spider()

    article, _ = asyncio.run(scenario())
    assert isinstance(article, Article)
    assert crawler.stats.get_value("newswire/rejected/worker_crash") == 1
    assert crawler.stats.get_value("newswire/extracted") == 1


@pytest.mark.parametrize("value", [-1, "many"])
def test_bad_worker_setting_is_a_config_error(value: object) -> None:
    crawler = get_crawler(_NewsSpider, {"NEWSWIRE_EXTRACT_WORKERS": value})
    with pytest.raises(ConfigError, match="NEWSWIRE_EXTRACT_WORKERS"):
        ExtractPipeline.from_crawler(crawler)


def test_settings_reach_the_options() -> None:
    crawler = get_crawler(
        _NewsSpider,
        {
            "NEWSWIRE_EXTRACT_FAST": "true",
            "NEWSWIRE_EXTRACT_MIN_TEXT_CHARS": 40,
            "DOWNLOAD_MAXSIZE": 5_000_000,
        },
    )
    pipeline = ExtractPipeline.from_crawler(crawler)
    assert pipeline.options == ExtractOptions(
        min_text_chars=40, fast=True, max_html_bytes=5_000_000
    )
    assert pipeline.workers >= 1


def test_pool_starts_on_first_use_only() -> None:
    pipeline, _ = make_pipeline(1)
    other = {"not": "a page"}
    assert asyncio.run(_through(pipeline, [other])) == [other]
    assert pipeline.pool is not None and not pipeline.pool.started


def test_pool_forks_when_the_first_article_request_is_scheduled() -> None:
    pipeline, crawler = make_pipeline(1)
    pool = pipeline.pool
    assert pool is not None

    async def scenario() -> int:
        for meta in ({}, {"newswire_article": True}):
            crawler.signals.send_catch_log(  # type: ignore[attr-defined]
                signals.request_scheduled, request=Request(URL, meta=meta), spider=None
            )
            assert pool.started == bool(meta)
        return await pool.call(os.getpid)

    try:
        assert asyncio.run(scenario()) != os.getpid()
    finally:
        pool.close()


def test_pool_caps_the_pages_in_flight() -> None:
    pool = ExtractionPool(1, max_pending=2)
    seen: list[int] = []

    async def scenario() -> list[float]:
        calls = [asyncio.ensure_future(pool.call(time.sleep, 0.05)) for _ in range(6)]
        while not all(call.done() for call in calls):
            seen.append(pool.pending)
            await asyncio.sleep(0.01)
        return [call.result() for call in calls]

    try:
        assert asyncio.run(scenario()) == [None] * 6
    finally:
        pool.close()
    assert max(seen) == 2 and pool.pending == 0


def test_crawlers_share_the_entry_points_pool() -> None:
    pool = ExtractionPool(1)
    pipelines = []
    for _ in range(2):
        crawler = get_crawler(_NewsSpider, {"NEWSWIRE_EXTRACT_POOL": pool})
        crawler.spider = _NewsSpider.from_crawler(crawler)
        pipelines.append(ExtractPipeline.from_crawler(crawler))
    story = make_page(news_page(head=FULL_HEAD))

    async def scenario() -> int:
        for pipeline in pipelines:
            assert isinstance(await pipeline.process_item(story), Article)
            await pipeline.close_spider()  # not the pipeline's pool: it stays up
        return await pool.call(os.getpid)

    try:
        assert asyncio.run(scenario()) > 0
    finally:
        pool.close()
    assert all(p.pool is pool and not p.owns_pool for p in pipelines)


def test_a_gzip_body_is_inflated_and_kept_as_the_stored_copy() -> None:
    page = news_page(head=FULL_HEAD).encode("utf-8")
    body = gzip.compress(page, 6)
    result = extract_article(body, URL, "text/html", ExtractOptions(), "gzip")
    plain = extract_article(page, URL, "text/html", ExtractOptions())
    assert isinstance(result, Extracted) and isinstance(plain, Extracted)
    assert replace(result, html_zlib=b"") == replace(plain, html_zlib=b"")
    assert zlib.decompress(result.html_zlib) == page
    assert result.html_zlib[2:-4] in body  # the server's compression, not a second one


@pytest.mark.parametrize(
    ("body", "limit", "detail"),
    [
        (b"<html>plain bytes said to be gzip</html>", 10**6, "not a gzip body"),
        (gzip.compress(b"<html>" + b"<p>word</p>" * 1000), 5000, "more than 5000 bytes"),
    ],
)
def test_a_bad_gzip_body_is_a_counted_rejection(body: bytes, limit: int, detail: str) -> None:
    result = extract_article(body, URL, "text/html", ExtractOptions(max_html_bytes=limit), "gzip")
    assert isinstance(result, Rejection)
    assert result.reason == "bad_body" and detail in result.detail


# --- the source's title template ----------------------------------------------------------------

TAGLINE = "Independent news since 1921"


def tagline_page(number: int) -> str:
    """A page that names its site only by a tagline after the headline: no <h1>, no
    og:site_name, no publisher; only the same tagline on many titles says it is the site's."""
    story = f"Harbour story number {number} about the tide barrier"
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f"<html lang='en'><head><title>{story} — {TAGLINE}</title>"
        f'<meta property="og:title" content="{story} — {TAGLINE}"></head><body><article>'
        f'<p class="headline">{story}</p>{paragraphs}</article></body></html>'
    )


def _titles(settings: dict[str, object], numbers: range) -> list[str]:
    crawler = get_crawler(_NewsSpider, {"NEWSWIRE_EXTRACT_WORKERS": 0, **settings})
    crawler.spider = _NewsSpider.from_crawler(crawler)
    pipeline = ExtractPipeline.from_crawler(crawler)
    pages = [make_page(tagline_page(n), url=f"{URL}/{n}", hint_title=None) for n in numbers]
    return [article.title for article in asyncio.run(_through(pipeline, pages))]  # type: ignore[union-attr]


def test_a_crawl_learns_the_template_from_the_titles_it_sees() -> None:
    titles = _titles({}, range(5))
    tagged = [title.endswith(f" — {TAGLINE}") for title in titles]
    assert tagged == [True, True, True, False, False]  # three titles make a template
    assert titles[3] == "Harbour story number 3 about the tide barrier"


def test_a_crawl_starts_from_the_template_of_the_sources_stored_pages(
    db: object, database_url: str
) -> None:
    stored = [
        replace(
            make_article(f"s{n}", source="harbour"),
            html_zlib=zlib.compress(tagline_page(100 + n).encode()),
        )
        for n in range(3)
    ]
    store_articles(db, None, stored)  # type: ignore[arg-type]
    titles = _titles({"NEWSWIRE_DATABASE_URL": database_url}, range(2))
    assert titles == [f"Harbour story number {n} about the tide barrier" for n in range(2)]


def test_an_unreachable_database_leaves_the_template_to_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    titles = _titles({"NEWSWIRE_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}, range(4))
    assert [title.endswith(TAGLINE) for title in titles] == [True, True, True, False]
    assert "stored titles unreadable" in caplog.text
