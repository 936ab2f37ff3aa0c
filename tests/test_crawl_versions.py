"""End to end: articles of the sample site change, refetches find each change and its kind.

One sample site of its own (its edits cannot be undone) and one database, crawled by real
``newswire crawl`` processes whose clock is set with ``--as-of`` (the refetch schedule counts
from publication, so a test cannot wait for it):

1. a first crawl stores the site;
2. four days on, nothing changed: every due article is refetched conditionally, and costs a
   304 (or, on pages that ignore conditional requests, an extraction that finds nothing new);
3. the site changes; a crawl at once finds the edited pages through their new sitemap/feed
   dates, before the schedule would;
4. fifteen days on, the schedule finds the removed page and the redirect;
5. forty days on, every article is past its last refetch: none is requested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.connection import connect, database_ready
from tests.conftest import (
    SiteProcess,
    _create_database,
    _drop_database,
    run_newswire,
    start_site_process,
)
from tests.test_crawl_e2e import expected_articles

DELAYS = '["1h", "6h", "1d", "3d", "7d", "14d"]'


@pytest.fixture(scope="module")
def changing_site() -> Iterator[SiteProcess]:
    with start_site_process() as site:
        yield site


def _crawl(database_url: str, data_dir: Path, sources: Path, as_of: datetime | None) -> None:
    args = ["--sources", str(sources), "crawl", "--all"]
    if as_of is not None:
        args += ["--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%S")]
    done = run_newswire(*args, database_url=database_url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr[-3000:]


def _last_runs(database_url: str) -> list[dict[str, Any]]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (source) stats FROM crawl_runs ORDER BY source, id DESC"
        ).fetchall()
    return [row[0] for row in rows]


def _total(runs: list[dict[str, Any]], key: str) -> int:
    return sum(int(run.get(key) or 0) for run in runs)


def _versions(database_url: str) -> dict[str, list[tuple[list[str], int, str | None]]]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT a.url, v.kinds, v.status, v.url FROM articles a"
            " JOIN article_versions v ON v.article_id = a.id ORDER BY a.url, v.version"
        ).fetchall()
    found: dict[str, list[tuple[list[str], int, str | None]]] = {}
    for url, kinds, status, target in rows:
        found.setdefault(url, []).append((kinds, status, target))
    return found


def _article_requests(site: SiteProcess, urls: set[str]) -> list[dict[str, Any]]:
    return [r for r in site.requests() if r["url"] in urls]


def test_refetches_find_every_change_and_its_kind(
    server_url: str, changing_site: SiteProcess, tmp_path: Path
) -> None:
    site = changing_site
    database_url = database_ready(_create_database(server_url))
    try:
        _scenario(site, database_url, tmp_path)
    finally:
        _drop_database(server_url, database_url)


def _scenario(site: SiteProcess, database_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        re.sub(r"(?m)^(\[sources\.[a-z0-9_-]+\])$", rf"\1\nrefetch = {DELAYS}", site.sources_toml)
    )
    start = datetime.now(UTC).replace(microsecond=0)
    truth = site.truth()
    expected = expected_articles(truth)
    honours = {url for url, a in expected.items() if a["honours_conditional"]}

    # 1. the first crawl
    _crawl(database_url, tmp_path, sources, None)
    assert set(_versions(database_url)) == set(expected)
    assert all(v == [(["first"], 200, None)] for v in _versions(database_url).values())

    # 2. nothing changed: only 304s (and unchanged pages that ignore conditional requests)
    site.reset_requests()
    _crawl(database_url, tmp_path, sources, start + timedelta(days=4))
    runs = _last_runs(database_url)
    refetched = _article_requests(site, set(expected))
    assert refetched, "the schedule made nothing due"
    assert all(r["if_none_match"] and r["if_modified_since"] for r in refetched)
    not_modified = [r for r in refetched if r["status"] == 304]
    assert {r["url"] for r in not_modified} == {r["url"] for r in refetched} & honours
    assert _total(runs, "refetches") == len(refetched)
    assert _total(runs, "refetch_not_modified") == len(not_modified)
    assert _total(runs, "refetch_unchanged") == len(refetched) - len(not_modified)
    for key in ("articles_stored", "duplicates", "changed", "removed"):
        assert _total(runs, key) == 0, key
    assert all(len(v) == 1 for v in _versions(database_url).values())

    # 3. the site changes; its sitemaps and feeds say so, and the edited pages are refetched
    site._control("revise", method="POST")
    edits = {e["url"]: e for e in site.truth()["edits"]}
    assert sorted(e["kind"] for e in edits.values()) == sorted(
        ["headline", "text_edit", "correction", "byline", "removed", "redirected"]
    )
    edited = {u for u, e in edits.items() if e["kind"] not in ("removed", "redirected")}
    site.reset_requests()
    _crawl(database_url, tmp_path, sources, start + timedelta(days=4))
    assert {r["url"] for r in _article_requests(site, set(expected))} == edited
    assert _total(_last_runs(database_url), "changed") == len(edited)

    # 4. the schedule finds the removal and the redirect
    site.reset_requests()
    _crawl(database_url, tmp_path, sources, start + timedelta(days=15))
    versions = _versions(database_url)
    for url, edit in edits.items():
        kinds = [kind for kind, _, _ in versions[url]]
        assert kinds == [["first"], [edit["kind"]]], url
    removed = next(u for u, e in edits.items() if e["kind"] == "removed")
    redirected = next(e for e in edits.values() if e["kind"] == "redirected")
    assert versions[removed][1][1] == 404
    assert versions[redirected["url"]][1][2] == redirected["target"]
    for url in set(expected) - set(edits):
        assert len(versions[url]) == 1, url
    with connect(database_url) as conn:
        gone = conn.execute("SELECT url FROM articles WHERE removed_at IS NOT NULL").fetchall()
    assert {u for (u,) in gone} == {removed, redirected["url"]}
    runs = _last_runs(database_url)
    assert _total(runs, "removed") == 2 and _total(runs, "changed") == 0
    hop = [r for r in site.requests() if r["url"] == redirected["target"]]
    # the redirect's next hop goes without the stored URL's validators (the target, also due
    # for its own refetch, may be asked with its own too)
    assert any(not r["if_none_match"] and r["status"] == 200 for r in hop)

    # 5. past every article's last refetch time, none is requested
    site.reset_requests()
    _crawl(database_url, tmp_path, sources, start + timedelta(days=40))
    assert _article_requests(site, set(expected)) == []
    assert _total(_last_runs(database_url), "refetches") == 0
