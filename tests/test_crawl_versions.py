"""End to end: articles of the sample site change, refetches find each change and its kind.

One sample site of its own (its edits cannot be undone) and one database, crawled by real
``newswire crawl`` processes whose clock is set with ``--as-of`` (the refetch schedule counts
from publication, so a test cannot wait for it). The module's fixture runs the story once:

1. ``first``: a first crawl stores the site;
2. ``unchanged``: four days on, nothing changed: every due article is refetched conditionally;
3. ``edited``: the site changes (``POST /__sample/revise``) and a crawl at once finds the edited
   pages through their new sitemap and feed dates, before the schedule would;
4. ``schedule``: fifteen days on, the schedule finds the removed page and the redirect;
5. ``past``: forty days on, every article is past its last refetch: none is requested.

Each step keeps the site's request log and the runs' stats; the tests read them, then the
CLI, the HTTP API and the export over the database it leaves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.connection import connect, database_ready
from tests.conftest import (
    Corpus,
    SiteProcess,
    _create_database,
    _drop_database,
    run_newswire,
    start_site_process,
)
from tests.test_crawl_e2e import expected_articles
from tests.test_newswire_api import serving

DELAYS = '["1h", "6h", "1d", "3d", "7d", "14d"]'
CLOCK = {"unchanged": 4, "edited": 4, "schedule": 15, "past": 40}  # days after the first crawl


@dataclass(frozen=True)
class Step:
    """What one crawl did: the site's log of it, the stats of its runs (one per source)."""

    requests: list[dict[str, Any]]
    runs: list[dict[str, Any]]

    def total(self, key: str) -> int:
        return sum(int(run.get(key) or 0) for run in self.runs)

    def articles(self, urls: set[str]) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["url"] in urls]


@dataclass(frozen=True)
class Story:
    corpus: Corpus
    expected: dict[str, dict[str, Any]]
    edits: dict[str, dict[str, Any]]
    steps: dict[str, Step]


def _crawl(corpus: Corpus, site: SiteProcess, as_of: datetime | None) -> Step:
    site.reset_requests()
    args = ["--sources", str(corpus.sources_path), "crawl", "--all"]
    if as_of is not None:
        args += ["--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%S")]
    done = run_newswire(*args, database_url=corpus.database_url, data_dir=corpus.data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    with connect(corpus.database_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (source) stats FROM crawl_runs ORDER BY source, id DESC"
        ).fetchall()
    return Step(site.requests(), [row[0] for row in rows])


@pytest.fixture(scope="module")
def story(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    data_dir = tmp_path_factory.mktemp("versions")
    database_url = database_ready(_create_database(server_url))
    try:
        with start_site_process() as site:
            sources = data_dir / "sources.toml"
            header = r"(?m)^(\[sources\.[a-z0-9_-]+\])$"
            sources.write_text(re.sub(header, rf"\1\nrefetch = {DELAYS}", site.sources_toml))
            corpus = Corpus(database_url, sources, data_dir, site.truth())
            start = datetime.now(UTC).replace(microsecond=0)
            steps = {"first": _crawl(corpus, site, None)}
            steps["unchanged"] = _crawl(corpus, site, start + timedelta(days=CLOCK["unchanged"]))
            site._control("revise", method="POST")
            edits = {e["url"]: e for e in site.truth()["edits"]}
            for name in ("edited", "schedule", "past"):
                steps[name] = _crawl(corpus, site, start + timedelta(days=CLOCK[name]))
        yield Story(corpus, expected_articles(corpus.truth), edits, steps)
    finally:
        _drop_database(server_url, database_url)


def _versions(story: Story) -> dict[str, list[dict[str, Any]]]:
    with connect(story.corpus.database_url) as conn:
        cur = conn.execute(
            "SELECT a.url AS article_url, v.kinds, v.status, v.url, v.title FROM articles a"
            " JOIN article_versions v ON v.article_id = a.id ORDER BY a.url, v.version"
        )
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur]
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["article_url"], []).append(row)
    return found


def _by_kind(story: Story, kind: str) -> dict[str, Any]:
    return next(e for e in story.edits.values() if e["kind"] == kind)


def _article_id(story: Story, url: str) -> int:
    with connect(story.corpus.database_url) as conn:
        row = conn.execute("SELECT id FROM articles WHERE url = %s", [url]).fetchone()
    assert row is not None
    return int(row[0])


def test_the_site_plans_one_change_of_each_kind(story: Story) -> None:
    kinds = sorted(e["kind"] for e in story.edits.values())
    assert kinds == sorted(
        ["headline", "text_edit", "correction", "byline", "removed", "redirected"]
    )
    assert set(story.edits) <= set(story.expected)
    first = story.steps["first"]
    assert first.total("articles_stored") + first.total("duplicates") == len(story.expected)


def test_a_rerun_with_nothing_changed_costs_only_304s(story: Story) -> None:
    step = story.steps["unchanged"]
    refetched = step.articles(set(story.expected))
    assert refetched, "the schedule made nothing due"
    assert all(r["if_none_match"] and r["if_modified_since"] for r in refetched)
    honours = {u for u, a in story.expected.items() if a["honours_conditional"]}
    not_modified = [r for r in refetched if r["status"] == 304]
    assert {r["url"] for r in not_modified} == {r["url"] for r in refetched} & honours
    assert len(not_modified) < len(refetched)  # some pages ignore conditional requests
    assert step.total("refetches") == len(refetched)
    assert step.total("refetch_not_modified") == len(not_modified)
    # pages that ignore conditional requests cost an extraction, and find nothing new
    assert step.total("refetch_unchanged") == len(refetched) - len(not_modified)
    for key in ("articles_stored", "duplicates", "changed", "removed"):
        assert step.total(key) == 0, key


def test_sitemap_and_feed_dates_bring_a_refetch_forward(story: Story) -> None:
    step = story.steps["edited"]
    edited = {u for u, e in story.edits.items() if e["kind"] not in ("removed", "redirected")}
    assert {r["url"] for r in step.articles(set(story.expected))} == edited
    assert step.total("changed") == len(edited)


def test_every_change_is_a_second_version_of_its_kind(story: Story) -> None:
    versions = _versions(story)
    assert set(versions) == set(story.expected)
    for url, edit in story.edits.items():
        assert [v["kinds"] for v in versions[url]] == [["first"], [edit["kind"]]], url
    for url in set(story.expected) - set(story.edits):
        assert len(versions[url]) == 1, url
    headline = _by_kind(story, "headline")["url"]
    assert versions[headline][1]["title"].startswith("Update: ")


def test_the_removed_and_the_redirected_are_marked_not_deleted(story: Story) -> None:
    removed, redirected = _by_kind(story, "removed"), _by_kind(story, "redirected")
    versions = _versions(story)
    assert versions[removed["url"]][1]["status"] == 404
    assert versions[redirected["url"]][1]["url"] == redirected["target"]
    with connect(story.corpus.database_url) as conn:
        gone = conn.execute(
            "SELECT url FROM articles WHERE removed_at IS NOT NULL AND text <> ''"
        ).fetchall()
    assert {u for (u,) in gone} == {removed["url"], redirected["url"]}
    step = story.steps["schedule"]
    assert (step.total("removed"), step.total("changed")) == (2, 0)
    # the redirect's next hop goes without the stored URL's validators (the target, due for
    # its own refetch too, may be asked with its own as well)
    hop = [r for r in step.requests if r["url"] == redirected["target"]]
    assert any(not r["if_none_match"] and r["status"] == 200 for r in hop)


def test_no_refetch_past_the_last_refetch_time(story: Story) -> None:
    step = story.steps["past"]
    assert step.articles(set(story.expected)) == []
    assert step.total("refetches") == 0
    assert step.requests  # the crawl ran: feeds, sitemaps and listings were asked


def _ok(story: Story, *args: str) -> str:
    corpus = story.corpus
    done = run_newswire(
        "--sources", str(corpus.sources_path), *args,
        database_url=corpus.database_url, data_dir=corpus.data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_show_versions_lists_time_kind_and_word_diffs(story: Story) -> None:
    article_id = _article_id(story, _by_kind(story, "text_edit")["url"])
    text = " ".join(_ok(story, "show", str(article_id), "--versions", "--format", "text").split())
    assert "text_edit" in text and "{+Officials said more details" in text
    body = json.loads(_ok(story, "show", str(article_id), "--versions", "--format", "json"))
    assert [v["kinds"] for v in body["items"]] == [["first"], ["text_edit"]]
    added = [c["text"] for c in body["items"][1]["text_diff"] if c["op"] == "added"]
    assert added and added[0].startswith("Officials said more details")
    assert body["items"][1]["words_added"] > 0 and body["items"][1]["words_removed"] == 0
    removed = _article_id(story, _by_kind(story, "removed")["url"])
    text = " ".join(_ok(story, "show", str(removed), "--versions", "--format", "text").split())
    assert "removed" in text and "HTTP 404" in text


def test_versions_over_http(story: Story) -> None:
    article_id = _article_id(story, _by_kind(story, "headline")["url"])
    with serving(story.corpus) as server:
        body = server.client.get(f"/articles/{article_id}/versions").json()
        missing = server.client.get("/articles/999999/versions")
    assert [v["kinds"] for v in body["items"]] == [["first"], ["headline"]]
    assert {"op": "added", "text": "Update:"} in body["items"][1]["title_diff"]
    assert body["items"][1]["text_diff"] == [] and body["removed_at"] is None
    assert missing.status_code == 404 and "does not exist" in missing.json()["error"]


def test_search_finds_the_latest_text_and_stats_count_changes(story: Story) -> None:
    def found(*args: str) -> set[str]:
        lines = _ok(story, "search", *args, "--format", "jsonl").splitlines()
        return {json.loads(line)["url"] for line in lines}

    developing = _by_kind(story, "text_edit")["url"]
    assert developing in found("witnesses described long queues")
    byline = _by_kind(story, "byline")["url"]
    title = story.expected[byline]["title"]
    assert found(title, "--author", "Morgan Ellery") == {byline}
    assert found(title, "--author", story.expected[byline]["authors"][0]) == set()
    figures = json.loads(_ok(story, "stats", "--format", "json"))
    changes = {c["source"]: c for c in figures["changes"]}
    assert (changes["planet"]["changed"], changes["planet"]["removed"]) == (4, 2)


def test_export_versions_writes_a_row_per_version(story: Story, tmp_path: Path) -> None:
    out = tmp_path / "versions.jsonl"
    _ok(story, "export", "--versions", "--source", "planet", "-o", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    correction = _by_kind(story, "correction")["url"]
    mine = [r for r in rows if r["article_url"] == correction]
    assert [r["kinds"] for r in mine] == [["first"], ["correction"]]
    assert mine[1]["text"].rstrip().endswith("misstated the date of the vote.")
    assert not mine[0]["text"].rstrip().endswith("misstated the date of the vote.")
    assert len(rows) == len({r["article_url"] for r in rows}) + len(story.edits)
    parquet = tmp_path / "versions.parquet"
    _ok(story, "export", "--versions", "-o", str(parquet))
    assert parquet.stat().st_size > 0
