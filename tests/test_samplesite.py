"""The sample site: newswire's records match the ground truth; every trap answers over HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.html
import pytest
import trafilatura

from newswire.errors import ConfigError, NewswireError
from newswire.samplesite import RunningSite, SampleSite, build_site, start_site
from newswire.samplesite.content import human_date, slugify
from newswire.samplesite.pages import PageContext, render_article
from newswire.samplesite.site import META_STYLES
from newswire.samplesite.sourcesfile import toml_value
from newswire.samplesite.styles import MICRODATA, TAGLINES, TEMPLATE
from newswire.samplesite.truth import build_truth
from pipelines.evidence import PageHints
from pipelines.extract import Extracted, ExtractOptions, extract_article
from pipelines.metadata import json_ld_objects
from pipelines.titles import TitleTemplate, head_title

NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
SLOW = 0.4
TRUTH_KEYS = {
    "outlet",
    "url",
    "title",
    "authors",
    "credits",
    "published",
    "modified",
    "language",
    "alternate_urls",
    "duplicate_of",
    "story_of",
    "old",
    "held_back",
    "retry_500",
    "slow",
    "legacy_encoding",
    "text_start",
    "honours_conditional",
}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


def fetch(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET/POST without urllib's error raising: (status, headers, raw body)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def site() -> SampleSite:
    return build_site(now=NOW, slow_seconds=SLOW)


@pytest.fixture(scope="module")
def running(site: SampleSite) -> Iterator[RunningSite]:
    server = start_site(site)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def truth(running: RunningSite) -> dict:
    return running.truth()


def _one(truth: dict, **flags: object) -> dict:
    found = [a for a in truth["articles"] if all(a[k] == v for k, v in flags.items())]
    assert len(found) == 1, flags
    return found[0]


# -- the model and the truth ---------------------------------------------------------------


def test_truth_shape_and_traps(truth: dict, running: RunningSite) -> None:
    assert set(truth) == {
        "now",
        "outlets",
        "articles",
        "not_articles",
        "disallowed",
        "bulk_articles",
        "edits",
        "revised_at",
    }
    assert truth["now"] == NOW.isoformat() and truth["bulk_articles"] == 0
    assert {o["base_url"] for o in truth["outlets"].values()} == set(running.urls.values())
    assert len({urlsplit(u).port for u in running.urls.values()}) == 3
    articles = truth["articles"]
    assert 42 <= len(articles) <= 50  # 28-36 regular, 14 of the syndication test bed
    assert all(set(a) == TRUTH_KEYS for a in articles)
    assert {a["language"] for a in articles} == {"en", "fr", "de", "es"}
    assert len({a["url"] for a in articles}) == len(articles)
    for flag in ("old", "held_back", "retry_500", "slow"):
        _one(truth, **{flag: True})
    _one(truth, legacy_encoding="windows-1252")
    tracked = [a for a in articles if any("utm_" in u for u in a["alternate_urls"])]
    assert len(tracked) == 1
    assert {
        k for u in tracked[0]["alternate_urls"] for k in ("utm_", "fbclid", "gclid") if k in u
    } == {
        "utm_",
        "fbclid",
        "gclid",
    }
    short = [a for a in articles if any("/a/" in u for u in a["alternate_urls"])]
    assert len(short) == 1 and "/a/" not in short[0]["url"]
    copies = [a for a in articles if a["duplicate_of"]]
    assert len(copies) == 2  # the seed's wire story, and the wire copy with other quotes
    for copy in copies:
        original = next(a for a in articles if a["url"] == copy["duplicate_of"])
        assert original["outlet"] != copy["outlet"]
        assert original["text_start"] == copy["text_start"]
        assert copy["story_of"] == copy["duplicate_of"]
    stories = Counter(a["story_of"] for a in articles if a["story_of"])
    assert sorted(stories.values()) == [1, 7]  # the seed's copy; the test bed's seven copies
    wire = next(a for a in articles if a["url"] == max(stories, key=stories.__getitem__))
    assert wire["story_of"] is None and wire["outlet"] == "meridian"
    first = datetime.fromisoformat(wire["published"])
    later = [
        datetime.fromisoformat(a["published"]) for a in articles if a["story_of"] == wire["url"]
    ]
    assert later and min(later) > first
    old = _one(truth, old=True)
    assert NOW - datetime.fromisoformat(old["published"]) > timedelta(days=365)
    for article in articles:
        published = datetime.fromisoformat(article["published"])
        assert published.tzinfo is not None and published <= NOW
    offsets = {datetime.fromisoformat(a["published"]).utcoffset() for a in articles}
    assert len(offsets) >= 3
    article_urls = {a["url"] for a in articles}
    assert not article_urls & set(truth["disallowed"])
    assert not article_urls & set(truth["not_articles"])
    assert any("/members/" in u for u in truth["disallowed"])
    for suffix in ("/account/login", ".pdf", ".png", "?page=2", "/tag/", "/author/"):
        assert any(suffix in u for u in truth["not_articles"]), suffix


def test_truth_endpoint_equals_truth(running: RunningSite, truth: dict) -> None:
    for base in running.urls.values():
        status, headers, body = fetch(base + "__sample/truth.json")
        assert status == 200 and headers.get_content_type() == "application/json"
        assert json.loads(body) == truth


def test_generation_is_deterministic_and_long_enough() -> None:
    first, again = build_site(now=NOW), build_site(now=NOW)
    urls = {name: f"http://127.0.0.1:{8000 + i}/" for i, name in enumerate(first.outlets)}
    assert build_truth(first, urls) == build_truth(again, urls)
    other = build_truth(build_site(seed=8, now=NOW), urls)
    assert [a["text_start"] for a in other["articles"]] != [
        a["text_start"] for a in build_truth(first, urls)["articles"]
    ]
    short = [a for a in first.articles if a.story.word_count < 250]
    assert [a.path.rstrip("/").rsplit("-", 2)[-2:] for a in short] == [
        ["brief", "1"],
        ["brief", "2"],
    ]
    assert min(a.story.word_count for a in short) >= 80  # the test bed's briefs: still articles


@pytest.mark.parametrize(
    "now",
    [datetime(2025, 3, 14, 23, 59, tzinfo=UTC), datetime(2025, 3, 15, 0, 1, tzinfo=UTC)],
)
def test_local_dates_never_run_ahead_of_utc(now: datetime) -> None:
    """Extractors drop dates after today; a +02:00 article at 00:30 local must not be one."""
    site = build_site(now=now, bulk_articles=30)
    articles = [*site.articles, *(site.bulk_article(i) for i in range(30))]
    assert all(a.published <= now for a in articles)
    assert max(a.published.date() for a in articles) <= now.date()


def _render(site: SampleSite, base_urls: dict[str, str], entry: dict) -> str:
    base = base_urls[entry["outlet"]]
    article = site.find_article(entry["outlet"], "/" + entry["url"][len(base) :])
    assert article is not None, entry["url"]
    html = render_article(PageContext(site, site.outlets[entry["outlet"]], base_urls), article)
    encoding = entry["legacy_encoding"] or "utf-8"
    return html.encode(encoding).decode(encoding)  # as a crawler decodes the declared charset


def _extract(
    site: SampleSite, base_urls: dict[str, str], entry: dict, affixes: tuple[str, ...]
) -> list[str]:
    """Render one truth article and compare newswire's record of it with the truth entry;
    the body text is trafilatura's, unchanged. ``affixes``: its outlet's title template."""
    page = _render(site, base_urls, entry)
    encoding = entry["legacy_encoding"] or "utf-8"
    hints = PageHints(site_names=(entry["outlet"],), title_affixes=affixes)
    options = ExtractOptions(hints=hints)
    result = extract_article(page.encode(encoding), entry["url"], None, options)
    assert isinstance(result, Extracted), (entry["url"], result)
    doc = trafilatura.bare_extraction(page, url=entry["url"], with_metadata=True)
    modified = entry["modified"] and datetime.fromisoformat(entry["modified"])
    expected = {
        "title": entry["title"],
        "authors": entry["authors"],
        "credits": entry["credits"],
        "published_at": datetime.fromisoformat(entry["published"]),
        "modified_at": modified or None,
        "language": entry["language"],
    }
    wrong = [
        f"{name} {getattr(result, name)!r} != {value!r}"
        for name, value in expected.items()
        if getattr(result, name) != value
    ]
    sources = (result.title_source, result.authors_source, result.published_source)
    if None in sources:
        wrong.append(f"sources {sources!r}")
    if result.text != (doc.text or "").strip() or not result.text.startswith(entry["text_start"]):
        wrong.append(f"text {result.text[:60]!r}")
    return [f"{entry['url']}: {w}" for w in wrong]


@pytest.mark.parametrize("now", [NOW, None], ids=["fixed-now", "real-now"])
def test_newswire_agrees_with_truth(now: datetime | None) -> None:
    """Every field of every article, in every metadata style the site renders."""
    site = build_site(now=now, bulk_articles=72)  # three pages of style 7 on each outlet
    site.publish_next()  # the held-back article is rendered too
    base_urls = {name: f"http://127.0.0.1:{9100 + i}/" for i, name in enumerate(site.outlets)}
    truth = build_truth(site, base_urls)
    assert len(truth["articles"]) >= 100
    assert {
        site.find_article(a["outlet"], "/" + a["url"].split("/", 3)[3]).meta_style
        for a in truth["articles"]
    } == set(range(META_STYLES))
    # Each outlet's template, from its pages' titles, as a crawl learns it from stored pages.
    templates: dict[str, TitleTemplate] = {name: TitleTemplate() for name in site.outlets}
    for entry in truth["articles"]:
        templates[entry["outlet"]].add(head_title(_render(site, base_urls, entry)))
    mismatches = [
        m
        for entry in truth["articles"]
        for m in _extract(site, base_urls, entry, templates[entry["outlet"]].affixes)
    ]
    assert mismatches == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Friday 14 March 2025, 10:30 UTC-05:00"),
        ("fr", "Publié le 14 mars 2025 à 10h30"),
        ("de", "Veröffentlicht am 14. März 2025, 10:30 Uhr"),
        ("es", "Publicado el 14 de marzo de 2025, 10:30"),
    ],
)
def test_human_date(language: str, expected: str) -> None:
    moment = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert human_date(moment, language) == expected


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (
            "Gipfel in Dunmor: Ostmere öffnet Botschaften",
            "gipfel-in-dunmor-ostmere-offnet-botschaften",
        ),
        ("Weiß & Söhne: 4,1 % Plus", "weiss-sohne-4-1-plus"),
        ("À Corvena, l'été", "a-corvena-l-ete"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("value", "literal"),
    [(5, "5"), (True, "true"), ('a"b', '"a\\"b"'), (["x", 2], '["x", 2]')],
)
def test_toml_value(value: object, literal: str) -> None:
    assert toml_value(value) == literal


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        build_site(bulk_articles=-1)
    with pytest.raises(ConfigError):
        toml_value({"a": 1})


def test_sources_toml(running: RunningSite) -> None:
    data = tomllib.loads(running.sources_toml(max_pages=5))["sources"]
    assert set(data) == set(running.urls)
    assert "feeds" not in data["meridian"] and "sitemaps" in data["meridian"]
    assert "sitemaps" not in data["europa"] and "feeds" in data["europa"]
    for name, source in data.items():
        assert source["home"] == running.urls[name]
        assert source["allowed_domains"] == [urlsplit(running.urls[name]).netloc]
        assert source["limits"] == {"max_pages": 5, "max_age_days": 30}
        assert source["schedule"] == "every 30m" and source["start_urls"]
        assert not any("/members/" in u for u in source["start_urls"])


# -- over HTTP -----------------------------------------------------------------------------


def test_robots_and_disallowed_section(running: RunningSite, truth: dict) -> None:
    for name, base in running.urls.items():
        status, headers, body = fetch(base + "robots.txt")
        assert status == 200 and headers.get_content_type() == "text/plain"
        parser = RobotFileParser()
        parser.parse(body.decode().splitlines())
        assert parser.site_maps() and all(u.startswith(base) for u in parser.site_maps())
        outlet_articles = [a["url"] for a in truth["articles"] if a["outlet"] == name]
        assert all(parser.can_fetch("newswire", u) for u in outlet_articles)
    planet = running.urls["planet"]
    robots = RobotFileParser()
    robots.parse(fetch(planet + "robots.txt")[2].decode().splitlines())
    assert not any(robots.can_fetch("newswire", u) for u in truth["disallowed"])
    home = fetch(planet)[2].decode()
    assert 'href="/members/' in home  # linked from the home page despite robots.txt


def test_feeds_parse_and_discovery(running: RunningSite, truth: dict) -> None:
    known = {u for a in truth["articles"] for u in (a["url"], *a["alternate_urls"])}
    for name, base in running.urls.items():
        home = fetch(base)[2].decode()
        assert 'type="application/rss+xml"' in home and 'type="application/atom+xml"' in home
        rss_url = home.split('type="application/rss+xml"', 1)[1].split('href="', 1)[1].split('"')[0]
        status, headers, body = fetch(rss_url)
        assert status == 200 and headers.get_content_type() == "application/rss+xml"
        items = ET.fromstring(body).findall("./channel/item")
        assert items and all(i.findtext("link") in known for i in items)
        assert all(i.findtext("pubDate") for i in items)
        atom_url = home.split('type="application/atom+xml"', 1)[1].split('href="', 1)[1]
        entries = ET.fromstring(fetch(atom_url.split('"')[0])[2]).findall("atom:entry", NS)
        assert len(entries) == len(items)
        old = _one(truth, old=True)["url"]
        assert old.encode() not in body, name


def _sitemap_urls(base: str, index_path: str) -> dict[str, list[str]]:
    """Child sitemap URL -> the <loc>s it lists."""
    index = ET.fromstring(fetch(base + index_path)[2])
    found = {}
    for loc in index.findall("sm:sitemap/sm:loc", NS):
        status, headers, body = fetch(loc.text or "")
        assert status == 200
        if (loc.text or "").endswith(".gz"):
            assert headers.get_content_type() == "application/x-gzip"
            body = gzip.decompress(body)
        found[loc.text or ""] = [
            e.text or "" for e in ET.fromstring(body).findall("sm:url/sm:loc", NS)
        ]
    return found


def test_sitemaps(running: RunningSite, truth: dict) -> None:
    planet = _sitemap_urls(running.urls["planet"], "sitemap_index.xml")
    archive = next(v for k, v in planet.items() if k.endswith(".xml.gz"))
    old = _one(truth, old=True)
    assert old["url"] in archive
    assert all(old["url"] not in urls for k, urls in planet.items() if not k.endswith(".gz"))
    listed = {u for urls in planet.values() for u in urls}
    assert {u for u in truth["disallowed"] if "/members/2" in u} <= listed
    news_url = next(k for k in planet if "news" in k)
    news = ET.fromstring(fetch(news_url)[2])
    assert news.findall("sm:url", NS)
    for entry in news.findall("sm:url", NS):
        assert entry.findtext("news:news/news:title", namespaces=NS)
        published = entry.findtext("news:news/news:publication_date", namespaces=NS)
        assert NOW - datetime.fromisoformat(published or "") <= timedelta(days=2)
    robots = fetch(running.urls["europa"] + "robots.txt")[2].decode()
    index_path = robots.split("Sitemap: ", 1)[1].split()[0][len(running.urls["europa"]) :]
    europa = _sitemap_urls(running.urls["europa"], index_path)
    europa_articles = {a["url"] for a in truth["articles"] if a["outlet"] == "europa"}
    assert europa_articles <= {u for urls in europa.values() for u in urls}


def test_article_traps(running: RunningSite, truth: dict) -> None:
    tracked = next(a for a in truth["articles"] if any("gclid" in u for u in a["alternate_urls"]))
    pages = {fetch(u)[2] for u in [tracked["url"], *tracked["alternate_urls"]]}
    assert (
        len(pages) == 1
        and f'<link rel="canonical" href="{tracked["url"]}">'.encode() in pages.pop()
    )
    short = next(a for a in truth["articles"] if any("/a/" in u for u in a["alternate_urls"]))
    status, _, body = fetch(short["alternate_urls"][0])
    assert status == 200 and f'rel="canonical" href="{short["url"]}"'.encode() in body
    copy = next(a for a in truth["articles"] if a["duplicate_of"])
    copy_page = fetch(copy["url"])[2].decode()
    original_page = fetch(copy["duplicate_of"])[2].decode()
    assert f'rel="canonical" href="{copy["url"]}"' in copy_page

    def body_of(page: str) -> str:
        return page.split('itemprop="articleBody">', 1)[1].split("\n</div>\n", 1)[0]

    assert body_of(copy_page) == body_of(original_page)
    retry = _one(truth, retry_500=True)
    assert [fetch(retry["url"])[0] for _ in range(3)] == [500, 200, 200]
    slow = _one(truth, slow=True)
    started = time.monotonic()
    assert fetch(slow["url"])[0] == 200
    assert time.monotonic() - started >= SLOW


def test_not_article_pages(running: RunningSite, truth: dict) -> None:
    statuses = {}
    for url in truth["not_articles"]:
        status, headers, body = fetch(url)
        statuses[url] = status
        if url.endswith(".pdf"):
            assert headers.get_content_type() == "application/pdf" and body.startswith(b"%PDF-")
            assert body.rstrip().endswith(b"%%EOF")
        elif url.endswith(".png"):
            assert headers.get_content_type() == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
    missing = [u for u, s in statuses.items() if s == 404]
    assert len(missing) == 3 and all(s == 200 for u, s in statuses.items() if u not in missing)
    planet = running.urls["planet"]
    assert fetch(planet + "world/?page=99")[0] == 404
    split = urlsplit(planet)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=5)
    connection.request("GET", "/sport")
    response = connection.getresponse()
    assert (response.status, response.getheader("Location")) == (301, "/sport/")
    connection.close()


def test_every_linked_page_is_in_the_truth(running: RunningSite, truth: dict) -> None:
    """Follow every same-host link from the home pages, as a polite crawler would."""
    articles = {u: a for a in truth["articles"] for u in (a["url"], *a["alternate_urls"])}
    feeds = set()
    for name, base in running.urls.items():
        robots = RobotFileParser()
        robots.parse(fetch(base + "robots.txt")[2].decode().splitlines())
        queue, seen, reached = [base], {base}, set()
        while queue:
            url = queue.pop()
            assert robots.can_fetch("newswire", url), url
            status, headers, body = fetch(url)
            if url in articles:
                reached.add(articles[url]["url"])
                assert status == 200 or (status == 500 and articles[url]["retry_500"]), url
            elif headers.get_content_type() in ("application/rss+xml", "application/atom+xml"):
                feeds.add(url)
            else:
                assert url in truth["not_articles"], url
            if headers.get_content_type() != "text/html":
                continue
            for href in re.findall(r'href="([^"#]*)', body.decode(headers.get_content_charset())):
                link = urljoin(url, href)
                if urlsplit(link).netloc == urlsplit(base).netloc and link not in seen:
                    seen.add(link)
                    if robots.can_fetch("newswire", link):
                        queue.append(link)
        listed = [a for a in truth["articles"] if a["outlet"] == name]
        assert reached == {a["url"] for a in listed if not (a["old"] or a["held_back"])}
    assert len(feeds) == 6


def test_conditional_requests(running: RunningSite) -> None:
    base = running.urls["meridian"]
    for path in ("feeds/latest.rss", "sitemap.xml", "world/", "", "robots.txt"):
        status, headers, _ = fetch(base + path)
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and etag and modified
        assert fetch(base + path, headers={"If-None-Match": etag})[0] == 304
        assert fetch(base + path, headers={"If-Modified-Since": modified})[0] == 304
        earlier = format_datetime(NOW - timedelta(days=30), usegmt=True)
        assert fetch(base + path, headers={"If-Modified-Since": earlier})[0] == 200
        assert fetch(base + path, headers={"If-None-Match": '"other"'})[0] == 200


def test_article_pages_answer_conditional_requests_but_some_ignore_them(
    running: RunningSite, truth: dict
) -> None:
    regular = [a for a in truth["articles"] if not a["held_back"] and not a["retry_500"]]
    honouring = next(a for a in regular if a["honours_conditional"])
    ignoring = next(a for a in regular if not a["honours_conditional"])
    for article, answer in ((honouring, 304), (ignoring, 200)):
        status, headers, _ = fetch(article["url"])
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and etag and modified
        assert parsedate_to_datetime(modified) == datetime.fromisoformat(
            article["modified"] or article["published"]
        )
        assert fetch(article["url"], headers={"If-None-Match": etag})[0] == answer
        assert fetch(article["url"], headers={"If-Modified-Since": modified})[0] == answer
        assert fetch(article["url"], headers={"If-None-Match": '"other"'})[0] == 200


def test_revise_applies_one_change_of_each_kind() -> None:
    with start_site(build_site(now=NOW)) as server:
        before = server.truth()
        edits = {e["kind"]: e for e in before["edits"]}
        assert set(edits) == {
            "headline", "text_edit", "correction", "byline", "removed", "redirected"
        }  # fmt: skip
        assert before["revised_at"] is None
        by_url = {a["url"]: a for a in before["articles"]}
        assert all(not by_url[e["url"]]["held_back"] for e in edits.values())
        pages = {kind: fetch(e["url"]) for kind, e in edits.items()}
        base = server.urls["planet"]  # the first outlet: the one whose articles change
        _, _, sitemap_before = fetch(base + "sitemap-articles.xml")
        status, _, body = fetch(base + "__sample/revise", method="POST")
        assert status == 200 and json.loads(body) == before["edits"]
        after = server.truth()
        assert after["revised_at"] is not None
        revised_at = datetime.fromisoformat(after["revised_at"])
        now = {a["url"]: a for a in after["articles"]}
        headline = now[edits["headline"]["url"]]
        assert headline["title"] == "Update: " + by_url[edits["headline"]["url"]]["title"]
        assert datetime.fromisoformat(headline["modified"]) == revised_at
        assert now[edits["byline"]["url"]]["authors"] == ["Morgan Ellery"]
        text = fetch(edits["correction"]["url"])[2].decode()
        assert "Correction: an earlier version of this article misstated" in text
        grown = fetch(edits["text_edit"]["url"])[2]
        assert len(grown) > len(pages["text_edit"][2]) and b"Witnesses described" in grown
        assert edits["removed"]["url"] not in now and fetch(edits["removed"]["url"])[0] == 404
        status, headers, _ = _no_redirect(edits["redirected"]["url"])
        assert (
            status == 301
            and base.rstrip("/") + headers["Location"] == edits["redirected"]["target"]
        )
        _, _, sitemap = fetch(base + "sitemap-articles.xml")
        assert sitemap != sitemap_before
        assert edits["removed"]["url"].encode() not in sitemap
        assert f"<lastmod>{headline['modified']}</lastmod>".encode() in sitemap
        assert fetch(base + "__sample/revise", method="POST")[2] == b"[]"  # once only
        assert server.revise() == []


def _no_redirect(url: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    split = urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    try:
        connection.request("GET", split.path)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_requests_log(running: RunningSite) -> None:
    base = running.urls["europa"]
    assert fetch(base + "__sample/requests/reset", method="POST")[0] == 200
    fetch(base + "feed/", headers={"If-None-Match": '"x"', "User-Agent": "probe"})
    fetch(running.urls["planet"] + "robots.txt?x=1")
    status, _, body = fetch(base + "__sample/requests.json")
    log = json.loads(body)
    assert status == 200 and [e["url"] for e in log] == [
        base + "feed/",
        running.urls["planet"] + "robots.txt?x=1",
    ]
    assert log[0]["method"] == "GET" and log[0]["status"] == 200 and log[0]["user_agent"] == "probe"
    assert log[0]["if_none_match"] is True and log[0]["if_modified_since"] is False
    assert running.requests() == log
    running.reset_requests()
    assert running.requests() == []


def test_legacy_encoding(running: RunningSite, truth: dict) -> None:
    entry = _one(truth, legacy_encoding="windows-1252")
    status, headers, body = fetch(entry["url"])
    assert status == 200 and headers.get_content_charset() == "windows-1252"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("windows-1252")
    assert 'content="text/html; charset=windows-1252"' in text
    assert entry["text_start"] in text and any(c in text for c in "äöüß„“")


def test_publish_held_back() -> None:
    with start_site(build_site(now=NOW)) as server:
        held = _one(server.truth(), held_back=True)
        base = server.urls[held["outlet"]]
        rss = base + "rss.xml"
        _, headers, before = fetch(rss)
        assert fetch(held["url"])[0] == 404 and held["url"].encode() not in before
        status, _, body = fetch(base + "__sample/publish", method="POST")
        assert status == 200 and json.loads(body) == held
        assert fetch(held["url"])[0] == 200
        assert fetch(rss, headers={"If-None-Match": headers["ETag"]})[0] == 200
        for path in ("", "rss.xml", "atom.xml", "sitemap-news.xml", "sitemap-articles.xml"):
            assert held["url"].removeprefix(base).encode() in fetch(base + path)[2], path
        assert fetch(base + "__sample/publish", method="POST")[0] == 409
        with pytest.raises(NewswireError):
            server.publish_next()


def test_gzip_mode() -> None:
    with start_site(build_site(now=NOW), gzip=True) as server:
        truth = server.truth()
        legacy = _one(truth, legacy_encoding="windows-1252")
        status, headers, body = fetch(legacy["url"], headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert headers["Content-Type"] == "text/html"
        assert legacy["text_start"] in gzip.decompress(body).decode("windows-1252")
        status, headers, body = fetch(legacy["url"])
        assert headers.get("Content-Encoding") is None and body.startswith(b"<!DOCTYPE html>")
        base = server.urls["planet"]
        _, headers, body = fetch(
            base + "sitemap-archive.xml.gz", headers={"Accept-Encoding": "gzip"}
        )
        assert headers.get("Content-Encoding") is None
        assert gzip.decompress(body).startswith(b"<?xml")
        _, headers, _ = fetch(base + "rss.xml", headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Type"] == "application/rss+xml"
        etag = headers["ETag"]
        assert (
            fetch(base + "rss.xml", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})[0]
            == 304
        )


def test_concurrent_connections_and_keep_alive(running: RunningSite, truth: dict) -> None:
    urls = [
        a["url"] for a in truth["articles"] if not (a["slow"] or a["held_back"] or a["retry_500"])
    ]
    targets = [urls[i % len(urls)] for i in range(150)]
    with ThreadPoolExecutor(max_workers=120) as pool:
        statuses = list(pool.map(lambda u: fetch(u)[0], targets))
    assert statuses == [200] * len(targets)
    split = urlsplit(running.urls["planet"])
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=5)
    for path in ("/", "/robots.txt", "/rss.xml"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200 and response.read()
    connection.close()


def test_bulk_mode_is_lazy_and_sized() -> None:
    started = time.monotonic()
    server = start_site(build_site(now=NOW, bulk_articles=20_000))
    try:
        assert time.monotonic() - started < 2
        base = server.urls["meridian"]
        index = ET.fromstring(fetch(base + "sitemap.xml")[2])
        bulk_maps = [
            e.text or "" for e in index.findall("sm:sitemap/sm:loc", NS) if "bulk" in (e.text or "")
        ]
        assert len(bulk_maps) == 7
        urls = [
            e.text or "" for e in ET.fromstring(fetch(bulk_maps[0])[2]).findall("sm:url/sm:loc", NS)
        ]
        assert len(urls) == 1000
        sizes = [len(fetch(u)[2]) for u in urls[::97]]
        assert all(60_000 <= s <= 120_000 for s in sizes), sizes
        items = ET.fromstring(fetch(base + "feeds/latest.rss")[2]).findall("./channel/item")
        assert len(items) == 50
        assert fetch(base + "news/not-a-real-story-b999999")[0] == 404
    finally:
        server.stop()
    assert time.monotonic() - started < 8


def test_static_bulk_pages_are_the_rendered_pages(tmp_path: Path) -> None:
    site = build_site(now=NOW, bulk_articles=9)
    server = start_site(site, gzip=True, static_dir=tmp_path / "static", request_log=2)
    try:
        assert len(list((tmp_path / "static").iterdir())) == 9
        for index in (0, 4, 8):
            article = site.bulk_article(index)
            ctx = PageContext(site, site.outlets[article.outlet], server.urls)
            expected = render_article(ctx, article).encode()
            url = urljoin(server.urls[article.outlet], article.path)
            status, headers, body = fetch(url, headers={"Accept-Encoding": "gzip"})
            assert (status, headers["Content-Encoding"]) == (200, "gzip")
            assert gzip.decompress(body) == expected
            status, headers, body = fetch(url)  # a client without gzip gets the page decoded
            assert (status, headers["Content-Encoding"], body) == (200, None, expected)
        missing = urljoin(server.urls["planet"], "/news/not-a-real-story-b999")
        assert fetch(missing)[0] == 404
        log = server.requests()
        assert [entry["status"] for entry in log] == [200, 404]  # only the last two are kept
    finally:
        server.stop()


def test_command_line_rejects_a_negative_request_log() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newswire.samplesite", "--request-log", "-1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--request-log: '-1' is not a whole number >= 0" in done.stderr


def test_command_line_serves_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "newswire.samplesite", "--seed", "3", "--slow", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = json.loads(process.stdout.readline() if process.stdout else "{}")
        assert set(line["urls"]) == {"planet", "meridian", "europa"}
        assert (
            tomllib.loads(line["sources_toml"])["sources"]["planet"]["home"]
            == line["urls"]["planet"]
        )
        assert fetch(line["urls"]["planet"] + "robots.txt")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_a_generated_world_gives_every_outlet_its_port_feeds_sitemaps_and_truth() -> None:
    site = build_site(now=NOW, outlets=40)
    with start_site(site) as world:
        truth = world.truth()
        ports = {urlsplit(url).port for url in world.urls.values()}
        sources = tomllib.loads(world.sources_toml())
    assert len(truth["outlets"]) == len(ports) == 40
    assert list(world.urls)[:4] == ["planet", "meridian", "europa", "meridian-4"]
    per_outlet: dict[str, int] = {}
    for article in truth["articles"]:
        if not article["old"]:
            per_outlet[article["outlet"]] = per_outlet.get(article["outlet"], 0) + 1
    generated = [n for n in per_outlet if "-" in n]
    assert len(generated) == 37 and all(8 <= per_outlet[n] <= 11 for n in generated)
    # the traps that make sense once per world stay with the three hand-made outlets
    assert {a["outlet"] for a in truth["articles"] if a["held_back"] or a["duplicate_of"]} <= {
        "planet",
        "meridian",
        "europa",
    }
    assert len(sources["sources"]) == 40
    # The default world is the three hand-made outlets, article for article.
    assert build_site(now=NOW).articles == site.articles[: len(build_site(now=NOW).articles)]


def test_a_world_has_at_least_the_three_hand_made_outlets() -> None:
    with pytest.raises(ConfigError, match="--outlets must be at least 3"):
        build_site(outlets=2)


def test_a_thousand_outlets_are_served_by_one_acceptor_thread() -> None:
    before = threading.active_count()
    with start_site(build_site(now=NOW, outlets=1000)) as world:
        assert threading.active_count() == before + 1
        last = list(world.urls.values())[-1]
        with urllib.request.urlopen(last, timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read()
    assert threading.active_count() == before


def test_comment_pages_serve_the_commented_column(running: RunningSite, truth: dict) -> None:
    (column,) = [a for a in truth["articles"] if any("?p=" in u for u in a["alternate_urls"])]
    home = fetch(running.urls["planet"])[2].decode()
    for url in column["alternate_urls"]:
        assert urlsplit(url).path + "?" + urlsplit(url).query in home, "linked from the home page"
    pages = [fetch(url)[2].decode() for url in (column["url"], *column["alternate_urls"])]
    assert not any('rel="canonical"' in page or "og:url" in page for page in pages)
    lines = [re.findall(r'<p class="discussion">([^<]*)</p>', page) for page in pages]
    assert lines[0] == ["Join the discussion: 41 comments."]
    assert lines[1] == ["Join the discussion: 44 comments, page 2 of 7."]
    assert len({line[0] for line in lines}) == 4


def test_style_7_names_its_site_by_nothing_but_the_template() -> None:
    """No og:site_name, publisher, <h1>, source name or host spells the tagline: without the
    outlet's template the title keeps it, with it the headline is clean."""
    site = build_site(now=NOW, bulk_articles=72)
    base_urls = {name: f"http://127.0.0.1:{9100 + i}/" for i, name in enumerate(site.outlets)}
    pages = [site.bulk_article(i) for i in range(72)]
    tagged = [a for a in pages if a.meta_style == TEMPLATE]
    assert {a.outlet for a in tagged} == set(site.outlets)
    templates: dict[str, TitleTemplate] = {name: TitleTemplate() for name in site.outlets}
    rendered = {}
    for article in [*site.articles, *pages]:
        ctx = PageContext(site, site.outlets[article.outlet], base_urls)
        rendered[article.path] = html = render_article(ctx, article)
        templates[article.outlet].add(head_title(html))
    for article in tagged:
        html, url = rendered[article.path], base_urls[article.outlet] + article.path[1:]
        tree = lxml.html.fromstring(html)
        assert not tree.xpath("//h1") and 'property="og:site_name"' not in html
        assert all("publisher" not in obj for obj in json_ld_objects(tree))
        tagline = TAGLINES[site.outlets[article.outlet].style]
        assert f"— {tagline}</title>" in html
        for affixes, title in [((), f"{article.story.title} — {tagline}"), (None, None)]:
            affixes = templates[article.outlet].affixes if affixes is None else affixes
            hints = PageHints(site_names=(article.outlet,), title_affixes=affixes)
            result = extract_article(html.encode(), url, None, ExtractOptions(hints=hints))
            assert isinstance(result, Extracted)
            assert result.title == (title or article.story.title), url


def test_style_6_is_microdata_in_visible_elements_only() -> None:
    site = build_site(now=NOW, bulk_articles=12)
    base_urls = {name: f"http://127.0.0.1:{9100 + i}/" for i, name in enumerate(site.outlets)}
    styled = [a for a in site.articles if a.meta_style == MICRODATA and not a.disallowed]
    assert styled and any(a.modified for a in styled)
    for article in styled:
        html = render_article(PageContext(site, site.outlets[article.outlet], base_urls), article)
        assert "ld+json" not in html and 'name="author"' not in html
        assert 'itemtype="https://schema.org/NewsArticle"' in html
        assert "published_time" not in html and "modified_time" not in html
        url = base_urls[article.outlet] + article.path[1:]
        result = extract_article(html.encode(), url, None, ExtractOptions())
        assert isinstance(result, Extracted)
        assert (result.authors, result.authors_source) == (list(article.story.authors), "microdata")
        assert result.modified_at == (article.modified and article.modified.astimezone(UTC))
