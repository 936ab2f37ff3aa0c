"""pipelines.restory: `dedup --rebuild` brings any database to the stories a fresh crawl gives."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.restory import rebuild_stories
from storage import stories
from storage.queries import store_articles
from tests.conftest import NEWSWIRE, newswire_env
from tests.test_storage_stories import ARTICLES, expected_originals, story_originals

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
