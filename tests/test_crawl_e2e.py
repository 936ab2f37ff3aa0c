"""End to end: the sample site crawled into PostgreSQL by real newswire and Scrapy processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.urls import canonicalize_url
from storage.connection import connect, database_ready
from tests.conftest import (
    NEWSWIRE,
    Corpus,
    SiteProcess,
    newswire_env,
    run_newswire,
    start_site_process,
)

REPO = Path(__file__).resolve().parent.parent


def expected_articles(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The truth's articles a crawl must store: not too old, not held back."""
    return {a["url"]: a for a in truth["articles"] if not a["old"] and not a["held_back"]}


def article_url_set(truth: dict[str, Any]) -> set[str]:
    """Every URL under which the site serves an article, alternates included."""
    urls = set()
    for article in truth["articles"]:
        urls.add(article["url"])
        urls.update(article["alternate_urls"])
    return urls


def stored_rows(database_url: str) -> dict[str, dict[str, Any]]:
    with connect(database_url) as conn:
        cur = conn.execute(
            "SELECT a.url, a.title, a.authors, a.credits, a.published_at, a.modified_at,"
            " a.title_source, a.authors_source, a.published_source, a.language, a.text,"
            " o.url AS duplicate_of FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of"
        )
        names = [c.name for c in cur.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cur}


def runs(database_url: str) -> list[tuple[str, str, dict[str, Any], str | None]]:
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT source, status, stats, error FROM crawl_runs ORDER BY id"
        ).fetchall()


def requested_article_urls(site: SiteProcess, truth: dict[str, Any]) -> set[str]:
    article_urls = {canonicalize_url(u) for u in article_url_set(truth)}
    return {r["url"] for r in site.requests() if canonicalize_url(r["url"]) in article_urls}


# ---------------------------------------------------------------- the first crawl


def test_first_crawl_stores_exactly_the_ground_truth(crawled_corpus: Corpus) -> None:
    expected = expected_articles(crawled_corpus.truth)
    stored = stored_rows(crawled_corpus.database_url)
    assert set(stored) == set(expected)
    for url, truth in expected.items():
        row = stored[url]
        assert row["title"] == truth["title"], url
        assert row["authors"] == truth["authors"], url
        assert row["credits"] == truth["credits"], url
        assert row["published_at"] == datetime.fromisoformat(truth["published"]), url
        modified = truth["modified"] and datetime.fromisoformat(truth["modified"])
        assert row["modified_at"] == (modified or None), url
        sources = (row["title_source"], row["authors_source"], row["published_source"])
        assert None not in sources, (url, sources)
        assert row["language"] == truth["language"], url
        assert row["text"].startswith(truth["text_start"]), url
        assert row["duplicate_of"] == truth["duplicate_of"], url


def test_first_crawl_runs_are_recorded(crawled_corpus: Corpus) -> None:
    recorded = runs(crawled_corpus.database_url)
    assert sorted(source for source, *_ in recorded) == sorted(crawled_corpus.truth["outlets"])
    for _source, status, stats, error in recorded:
        assert (status, error) == ("succeeded", None)
        assert stats["pages_fetched"] > 0 and stats["errors"] == 0
    stored = sum(stats["articles_stored"] for _, _, stats, _ in recorded)
    duplicates = sum(stats["duplicates"] for _, _, stats, _ in recorded)
    assert stored + duplicates == len(expected_articles(crawled_corpus.truth))


def test_every_url_of_an_article_leads_to_it(crawled_corpus: Corpus) -> None:
    with connect(crawled_corpus.database_url) as conn:
        leads = dict(
            conn.execute(
                "SELECT u.url, a.url FROM article_urls u JOIN articles a ON a.id = u.article_id"
            ).fetchall()
        )
    with_alternates = [a for a in crawled_corpus.truth["articles"] if a["alternate_urls"]]
    assert with_alternates, "the sample site should have tracking-parameter and /a/N URLs"
    for article in with_alternates:
        if article["old"] or article["held_back"]:
            continue
        for alternate in article["alternate_urls"]:
            assert leads[canonicalize_url(alternate)] == article["url"], alternate


def test_comment_pages_are_one_article_with_all_their_urls(crawled_corpus: Corpus) -> None:
    # ?p=2, ?p=6, ?p=7 serve the commented column with other comments and another comment count
    # in its text, and name no canonical URL: one article with all its URLs (each URL reaches
    # article_urls only by being fetched).
    (column,) = [
        a for a in crawled_corpus.truth["articles"] if any("?p=" in u for u in a["alternate_urls"])
    ]
    with connect(crawled_corpus.database_url) as conn:
        rows = conn.execute(
            "SELECT a.url, array_agg(u.url ORDER BY u.url) FROM articles a"
            " JOIN article_urls u ON u.article_id = a.id"
            " WHERE split_part(a.url, '?', 1) = %s GROUP BY a.url",
            [column["url"]],
        ).fetchall()
    assert rows == [(column["url"], sorted([column["url"], *column["alternate_urls"]]))]


def test_traps_are_handled(crawled_corpus: Corpus, sample_site: SiteProcess) -> None:
    truth = crawled_corpus.truth
    stored = stored_rows(crawled_corpus.database_url)
    retried = [a for a in truth["articles"] if a["retry_500"]]
    assert retried and all(a["url"] in stored for a in retried)
    legacy = [a for a in truth["articles"] if a["legacy_encoding"]]
    assert legacy and all(stored[a["url"]]["text"].startswith(a["text_start"]) for a in legacy)
    copies = [a for a in truth["articles"] if a["duplicate_of"]]
    assert copies and all(stored[a["url"]]["duplicate_of"] == a["duplicate_of"] for a in copies)
    assert not set(truth["not_articles"]) & set(stored)
    requested = {canonicalize_url(r["url"]) for r in sample_site.requests()}
    assert truth["disallowed"]
    assert not {canonicalize_url(u) for u in truth["disallowed"]} & requested
    old = [a["url"] for a in truth["articles"] if a["old"]]
    assert old and not set(old) & requested, "max-age cutoff applies before requesting"


# ---------------------------------------------------------------- incremental crawls


@pytest.fixture
def own_site() -> Any:
    with start_site_process("--slow", "0.2") as site:
        yield site


def test_recrawl_fetches_no_article_again_and_picks_up_a_new_one(
    own_site: SiteProcess, make_empty_database: Any, tmp_path: Path
) -> None:
    database_url = database_ready(make_empty_database())
    sources = own_site.write_sources(tmp_path / "sources.toml")
    crawl = ["--sources", str(sources), "crawl", "--all"]
    first = run_newswire(*crawl, database_url=database_url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    truth = own_site.truth()
    stored_first = stored_rows(database_url)
    requested = {canonicalize_url(r["url"]) for r in own_site.requests()}
    never = truth["disallowed"] + [a["url"] for a in truth["articles"] if a["old"]]
    assert requested and not {canonicalize_url(u) for u in never} & requested

    own_site.reset_requests()
    second = run_newswire(*crawl, database_url=database_url, data_dir=tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert requested_article_urls(own_site, truth) == set()
    assert stored_rows(database_url) == stored_first
    for _source, status, stats, _ in runs(database_url)[-3:]:
        assert status == "succeeded"
        assert stats["article_pages"] == 0 and stats["articles_stored"] == 0
        assert stats["skipped_stored"] > 0
        # Nothing changed: every feed, sitemap and listing is read from its stored reading.
        assert stats["structure_parsed"] == 0 and stats["structure_reused"] > 0

    published = own_site.publish()
    own_site.reset_requests()
    scrapy = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"source={published['outlet']}"],
        cwd=REPO,
        env=newswire_env(database_url, tmp_path, NEWSWIRE_SOURCES=str(sources)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scrapy.returncode == 0, scrapy.stderr[-2000:]
    assert set(stored_rows(database_url)) - set(stored_first) == {published["url"]}
    assert requested_article_urls(own_site, own_site.truth()) == {published["url"]}
    source, status, stats, _ = runs(database_url)[-1]
    assert (source, status, stats["articles_stored"]) == (published["outlet"], "succeeded", 1)
    assert stats["structure_parsed"] > 0  # the pages that list the new article, read afresh


def test_max_pages_caps_article_requests(
    sample_site: SiteProcess, make_empty_database: Any, tmp_path: Path
) -> None:
    database_url = database_ready(make_empty_database())
    sources = sample_site.write_sources(tmp_path / "sources.toml")
    done = run_newswire(
        "--sources",
        str(sources),
        "crawl",
        "planet",
        "--max-pages",
        "3",
        database_url=database_url,
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ((_, status, stats, _),) = runs(database_url)
    assert status == "succeeded" and stats["article_requests"] == 3
    assert len(stored_rows(database_url)) <= 3


def test_min_text_chars_of_a_source_rejects_short_pages(
    sample_site: SiteProcess, make_empty_database: Any, tmp_path: Path
) -> None:
    database_url = database_ready(make_empty_database())
    text = sample_site.sources_toml.replace(
        "[sources.planet.limits]\n", "[sources.planet.limits]\nmin_text_chars = 100000\n"
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(text)
    done = run_newswire(
        "--sources", str(sources), "crawl", "planet", database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ((_, status, stats, _),) = runs(database_url)
    assert status == "succeeded" and stats["articles_stored"] == 0
    assert stats["dropped"]["too_short"] == stats["article_pages"] > 0


def test_sources_lists_counts_and_last_runs(crawled_corpus: Corpus) -> None:
    done = run_newswire(
        "--sources",
        str(crawled_corpus.sources_path),
        "sources",
        database_url=crawled_corpus.database_url,
        data_dir=crawled_corpus.data_dir,
    )
    assert done.returncode == 0, done.stderr
    originals: dict[str, int] = {}
    for article in expected_articles(crawled_corpus.truth).values():
        if not article["duplicate_of"]:
            originals[article["outlet"]] = originals.get(article["outlet"], 0) + 1
    listed = {row["source"]: row for row in folded_rows(done.stdout)}  # piped: key: value rows
    for outlet, count in originals.items():
        assert listed[outlet]["articles"] == str(count) and listed[outlet]["status"] == "succeeded"


def folded_rows(stdout: str) -> list[dict[str, str]]:
    """The rows of a table the CLI printed to a pipe: blocks of `column: value` lines."""
    blocks = (block.splitlines() for block in stdout.split("\n\n"))
    return [
        dict(line.split(": ", 1) for line in block)
        for block in blocks
        if block and all(": " in line for line in block)
    ]


# ---------------------------------------------------------------- failures


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("newswire: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("sources_text", "args", "expected"),
    [
        ("[sources.x\nhome = 1", ("crawl", "--all"), "sources.toml"),
        ('[sources.x]\nhome = "ftp://example.org/"\n', ("crawl", "--all"), "'x'"),
        ('[sources.x]\nhome = "http://127.0.0.1:9/"\nfeed = []\n', ("crawl", "x"), "feeds"),
        ('[sources.x]\nhome = "http://127.0.0.1:9/"\n', ("crawl", "nope"), "unknown source"),
        ('[sources.x]\nhome = "http://127.0.0.1:9/"\n', ("crawl",), "--all"),
    ],
    ids=["toml syntax", "bad url", "typo in key", "unknown source", "nothing named"],
)
def test_bad_input_is_one_line_and_stores_nothing(
    database_url: str,
    db: Any,
    tmp_path: Path,
    sources_text: str,
    args: tuple[str, ...],
    expected: str,
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_text)
    done = run_newswire(
        "--sources", str(sources), *args, database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 2
    assert expected in one_line_error(done)
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)


def test_missing_sources_file(database_url: str, tmp_path: Path) -> None:
    done = run_newswire(
        "--sources",
        str(tmp_path / "absent.toml"),
        "crawl",
        "--all",
        database_url=database_url,
        data_dir=tmp_path,
    )
    assert done.returncode == 2
    assert "absent.toml" in one_line_error(done)


def test_unreachable_database(sample_site: SiteProcess, tmp_path: Path) -> None:
    sources = sample_site.write_sources(tmp_path / "sources.toml")
    done = run_newswire(
        "--sources",
        str(sources),
        "crawl",
        "--all",
        database_url="postgresql://postgres@127.0.0.1:1/newswire",
        data_dir=tmp_path,
    )
    assert done.returncode == 1
    line = one_line_error(done)
    assert "127.0.0.1:1" in line and "DATABASE_URL" in line


def test_site_down_fails_the_run(database_url: str, db: Any, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[sources.gone]\nhome = "http://127.0.0.1:9/"\nfeeds = []\nsitemaps = []\n'
        "[sources.gone.settings]\nRETRY_TIMES = 0\n"
    )
    done = run_newswire(
        "--sources", str(sources), "crawl", "gone", database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 1
    ((source, status, _stats, error),) = runs(database_url)
    assert (source, status) == ("gone", "failed") and "no page could be fetched" in error
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)


# ---------------------------------------------------------------- the demo


def test_demo_serve_prints_urls_and_sources(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*NEWSWIRE, "demo", "--serve"],
        env=newswire_env("postgresql://unused@127.0.0.1:1/x", tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen = ""
    while "[sources." not in seen:
        line = process.stdout.readline()
        assert line, "demo --serve ended early"
        seen += line
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert "http://127.0.0.1:" in seen


def test_demo_crawls_the_sample_site(server_url: str, tmp_path: Path) -> None:
    done = run_newswire("demo", database_url=server_url, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    # 29 regular articles and the 14 of the syndication test bed; one story per original, less
    # the seed's wire copy and the test bed's seven copies of its wire story.
    assert (
        "stored 43 articles from 3 outlets (2 of them recorded as a duplicate of another "
        "outlet's copy; 35 stories, edited copies counted once)"
    ) in " ".join(done.stdout.split())


def story_rows(database_url: str) -> dict[str, str]:
    """Each stored URL and the URL of its story's original."""
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT a.url, o.url FROM articles a JOIN articles o ON o.id = a.story_id"
        ).fetchall()
    return dict(rows)


def test_copies_are_linked_into_their_story_and_traps_are_not(crawled_corpus: Corpus) -> None:
    stories = story_rows(crawled_corpus.database_url)
    expected = expected_articles(crawled_corpus.truth)
    assert set(stories) == set(expected)
    assert stories == {url: a["story_of"] or url for url, a in expected.items()}
    assert sum(a["story_of"] is not None for a in expected.values()) == 8


def test_stories_do_not_depend_on_crawl_order(
    sample_site: SiteProcess, make_empty_database: Any, tmp_path: Path
) -> None:
    sources = sample_site.write_sources(tmp_path / "sources.toml")
    found = []
    for order in (("planet", "meridian"), ("meridian", "planet")):
        url = database_ready(make_empty_database())
        for name in order:
            done = run_newswire(
                "--sources", str(sources), "crawl", name, database_url=url, data_dir=tmp_path
            )
            assert done.returncode == 0, done.stderr[-3000:]
        found.append(story_rows(url))
    assert found[0] == found[1]
    expected = expected_articles(sample_site.truth())
    crawled = {u: a for u, a in expected.items() if a["outlet"] in ("planet", "meridian")}
    assert found[0] == {u: a["story_of"] or u for u, a in crawled.items()}
    assert len(set(found[0].values())) < len(found[0])  # copies were linked at all


def test_two_crawls_storing_one_story_at_once_end_in_one_cluster(
    sample_site: SiteProcess, make_empty_database: Any, tmp_path: Path
) -> None:
    # The wire story's copies are on planet and meridian: crawled at the same moment, their
    # stores interleave (each batch waits for the other's under the store lock).
    sources = sample_site.write_sources(tmp_path / "sources.toml")
    url = database_ready(make_empty_database())
    crawls = [
        subprocess.Popen(
            [*NEWSWIRE, "--sources", str(sources), "crawl", name],
            env=newswire_env(url, tmp_path / name),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("planet", "meridian")
    ]
    for crawl in crawls:
        _, err = crawl.communicate(timeout=180)
        assert crawl.returncode == 0, err[-3000:]
    expected = expected_articles(sample_site.truth())
    crawled = {u: a for u, a in expected.items() if a["outlet"] in ("planet", "meridian")}
    assert story_rows(url) == {u: a["story_of"] or u for u, a in crawled.items()}
