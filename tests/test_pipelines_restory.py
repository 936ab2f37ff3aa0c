"""pipelines.restory: `dedup --rebuild` brings any database to the stories a fresh crawl gives."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pipelines.restory import rebuild_stories
from storage import stories
from storage.connection import connect
from storage.migrate import load_migrations, upgrade
from storage.queries import store_articles
from tests.conftest import NEWSWIRE, Corpus, newswire_env, run_newswire
from tests.test_storage_stories import (
    ARTICLES,
    expected_originals,
    story_originals,
    url_leads,
)

Conn = psycopg.Connection[Any]


def forget_stories(conn: Conn) -> None:
    """A database as the 0004 migration leaves one: no signatures, exact copies only."""
    conn.execute("TRUNCATE article_bands, article_signatures")
    conn.execute("UPDATE articles SET story_id = coalesce(duplicate_of, id)")


@pytest.mark.parametrize("batch_size", [2, 500])
def test_rebuild_gives_the_stories_of_a_fresh_crawl(db: Conn, batch_size: int) -> None:
    store_articles(db, None, ARTICLES)
    fresh = story_originals(db)
    assert fresh == expected_originals()
    forget_stories(db)
    assert story_originals(db) != fresh
    phases: list[tuple[str, int, int]] = []
    result = rebuild_stories(db, lambda *step: phases.append(step), batch_size=batch_size)
    assert story_originals(db) == fresh
    assert (result.articles, result.stories) == stories.count_stories(db)[::-1]
    assert phases[-1] == ("clustering", len(ARTICLES), len(ARTICLES))
    assert ("signing", len(ARTICLES), len(ARTICLES)) in phases
    rebuild_stories(db, batch_size=batch_size)  # again: the same
    assert story_originals(db) == fresh


def test_dedup_rebuild_command(database_url: str, db: Conn, tmp_path: Path) -> None:
    store_articles(db, None, ARTICLES)
    forget_stories(db)
    env = newswire_env(database_url, tmp_path)
    done = subprocess.run(
        [*NEWSWIRE, "dedup", "--rebuild"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, articles = stories.count_stories(db)
    assert f"rebuilt stories: {count} stories in {articles} articles" in done.stderr
    assert story_originals(db) == expected_originals()
    refused = subprocess.run(
        [*NEWSWIRE, "dedup"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "--rebuild" in refused.stderr


# ---------------------------------------------------------------- upgrading an old database

OLD_TABLES = ("crawl_runs", "articles", "article_urls", "article_html")  # in foreign-key order


def before_stories(conn: Conn) -> None:
    """The schema as it was before stories: every migration before ``NNNN_stories``."""
    migrations = load_migrations()
    stories_version = next(m.version for m in migrations if m.name.endswith("_stories"))
    upgrade(conn, [m for m in migrations if m.version < stories_version])


def copy_crawl(source: Conn, target: Conn) -> None:
    """A crawl's rows, in the columns the target's older schema has (no story_id, ...)."""
    for table in OLD_TABLES:
        columns = [
            name
            for (name,) in target.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                " ORDER BY ordinal_position",
                [table],
            )
        ]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        out = sql.SQL("COPY (SELECT {} FROM {} ORDER BY 1) TO STDOUT (FORMAT BINARY)")
        into = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)")
        with (
            source.cursor().copy(out.format(names, sql.Identifier(table))) as reader,
            target.cursor().copy(into.format(sql.Identifier(table), names)) as writer,
        ):
            for data in reader:
                writer.write(data)


def test_an_old_crawled_database_upgrades_to_the_stories_of_a_fresh_crawl(
    crawled_corpus: Corpus, make_empty_database: Callable[[], str], tmp_path: Path
) -> None:
    old_url = make_empty_database()
    with connect(crawled_corpus.database_url) as fresh, connect(old_url) as old:
        fresh_stories, fresh_urls = story_originals(fresh), url_leads(fresh)
        assert len(set(fresh_stories.values())) < len(fresh_stories), "the crawl has copies"
        before_stories(old)
        assert old.execute("SELECT to_regclass('article_signatures')").fetchone() == (None,)
        copy_crawl(fresh, old)
    upgraded = run_newswire("db", "upgrade", database_url=old_url, data_dir=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    with connect(old_url) as old:  # each article its own story, exact copies with their original
        assert story_originals(old) != fresh_stories
    rebuilt = run_newswire("dedup", "--rebuild", database_url=old_url, data_dir=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    with connect(old_url) as old:
        assert story_originals(old) == fresh_stories
        assert url_leads(old) == fresh_urls
