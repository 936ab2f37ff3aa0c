"""storage.versions: first versions, new versions and removals, the schedule, the migration."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg

from newswire.records import ChangeKind, Refetch
from storage import queries
from storage.connection import connect
from storage.migrate import load_migrations, upgrade
from storage.queries import store_articles
from storage.versions import (
    add_version,
    due_refetches,
    list_versions,
    lock_latest,
    mark_checked,
    mark_removed,
    modified_refetches,
    version_counts,
    version_html,
)
from tests.test_storage_queries import NOW, make_article

Conn = psycopg.Connection[Any]
LATE = NOW + timedelta(days=90)  # the clock of the modified-date lookups


def queries_due(db: Conn, now: datetime) -> list[Refetch]:
    return due_refetches(db, "alpha", now, 10)


def _store(db: Conn, key: str, **changes: Any) -> int:
    article = replace(make_article(key), refetch_at=NOW + timedelta(hours=1), **changes)
    return store_articles(db, None, [article]).article_ids[0]


def test_a_stored_article_has_its_first_version_and_schedule(db: Conn) -> None:
    article_id = _store(db, "one", etag='"v1"', last_modified="Sun, 01 Mar 2026 11:00:00 GMT")
    [first] = list_versions(db, article_id)
    assert (first.version, first.kinds, first.status, first.title) == (
        1,
        ["first"],
        200,
        "Story one",
    )
    assert (first.etag, first.last_modified, first.has_html) == (
        '"v1"', "Sun, 01 Mar 2026 11:00:00 GMT", False
    )  # fmt: skip
    assert zlib.decompress(version_html(db, article_id, 1) or b"").startswith(b"<html>")
    assert list_versions(db, 999) == []
    due = queries_due(db, NOW + timedelta(hours=1))
    assert [(r.article_id, r.version, r.etag) for r in due] == [(article_id, 1, '"v1"')]
    assert queries_due(db, NOW + timedelta(minutes=59)) == []


def test_a_new_version_takes_the_row_and_keeps_the_old_html(db: Conn) -> None:
    article_id = _store(db, "one")
    old_html = version_html(db, article_id, 1)
    edited = replace(
        make_article("one"),
        title="Story one, rewritten",
        text="A new text entirely " * 5,
        html_zlib=zlib.compress(b"<html>v2</html>"),
        fetched_at=NOW + timedelta(hours=2),
        etag='"v2"',
    )
    with db.transaction():
        latest = lock_latest(db, article_id)
        assert latest is not None and not latest.removed
        number = add_version(db, latest.version, edited, [ChangeKind.HEADLINE], (5, 3))
    assert number == 2
    first, second = list_versions(db, article_id)
    assert first.has_html and not second.has_html
    assert (second.kinds, second.words_added, second.words_removed) == (["headline"], 5, 3)
    assert version_html(db, article_id, 1) == old_html
    assert zlib.decompress(version_html(db, article_id, 2) or b"") == b"<html>v2</html>"
    row = queries.get_article(db, article_id)
    assert row is not None
    assert (row.title, row.version, row.removed_at) == ("Story one, rewritten", 2, None)
    # search finds the latest text, not the first
    hits = db.execute(
        "SELECT id FROM articles WHERE search @@ plainto_tsquery('english', 'rewritten')"
    ).fetchall()
    assert hits == [(article_id,)]
    assert [(c.source, c.changed, c.removed) for c in version_counts(db)] == [("alpha", 1, 0)]


def test_removal_keeps_the_article_and_ends_its_schedule(db: Conn) -> None:
    article_id = _store(db, "gone")
    with db.transaction():
        latest = lock_latest(db, article_id)
        assert latest is not None
        mark_removed(db, latest.version, kind=ChangeKind.REMOVED, status=404, fetched_at=NOW)
    versions = list_versions(db, article_id)
    assert [(v.kinds, v.status, v.title) for v in versions] == [
        (["first"], 200, "Story gone"), (["removed"], 404, "Story gone")
    ]  # fmt: skip
    assert version_html(db, article_id, 2) is None
    assert version_html(db, article_id, 1) is not None
    row = queries.get_article(db, article_id)
    assert row is not None and row.removed_at == NOW and row.text
    assert queries_due(db, NOW + timedelta(days=30)) == []
    assert [(c.changed, c.removed) for c in version_counts(db)] == [(0, 1)]
    latest = lock_latest(db, article_id)
    assert latest is not None and latest.removed


def test_checked_moves_the_schedule_and_modified_dates_call_sooner(db: Conn) -> None:
    article_id = _store(db, "one")
    url = make_article("one").url
    assert modified_refetches(db, {url: NOW - timedelta(minutes=5)}, LATE) == []  # before the fetch
    [target] = modified_refetches(db, {url: NOW + timedelta(minutes=5)}, LATE)
    assert target.article_id == article_id
    mark_checked(db, article_id, NOW + timedelta(minutes=10), NOW + timedelta(hours=6))
    assert modified_refetches(db, {url: NOW + timedelta(minutes=5)}, LATE) == []
    assert queries_due(db, NOW + timedelta(hours=5)) == []
    assert [r.article_id for r in queries_due(db, NOW + timedelta(hours=6))] == [article_id]
    mark_checked(db, article_id, NOW + timedelta(hours=6), None)  # the last delay spent
    assert queries_due(db, NOW + timedelta(days=60)) == []
    assert modified_refetches(db, {url: NOW + timedelta(days=1)}, LATE) == []
    assert modified_refetches(db, {}, LATE) == []
    mark_checked(db, article_id, NOW, NOW + timedelta(hours=6))
    assert modified_refetches(db, {url: NOW + timedelta(hours=1)}, NOW) == []  # in the future


def test_due_refetches_are_newest_first_and_bounded(db: Conn) -> None:
    ids = [_store(db, f"a{i}", published_at=NOW - timedelta(hours=i)) for i in range(5)]
    due = [r.article_id for r in queries_due(db, NOW + timedelta(days=1))]
    assert due == ids
    assert [r.article_id for r in due_refetches(db, "alpha", NOW + timedelta(days=1), 2)] == ids[:2]
    assert due_refetches(db, "alpha", NOW + timedelta(days=1), 0) == []
    assert due_refetches(db, "beta", NOW + timedelta(days=1), 5) == []


def test_the_migration_gives_existing_articles_their_first_version(
    make_empty_database: Any,
) -> None:
    url = make_empty_database()
    before = [m for m in load_migrations() if m.version <= 6]
    with connect(url) as conn:
        upgrade(conn, before)
        conn.execute(
            "INSERT INTO articles (source, url, title, authors, published_at, text, text_hash,"
            " fetched_at, credits) VALUES"
            " ('alpha', 'http://a/1', 'Fresh', '{Ada}', %s, 'fresh text', '\\x01', %s, '{AP}'),"
            " ('alpha', 'http://a/2', 'Old', '{}', %s, 'old text', '\\x02', %s, '{}')",
            [NOW - timedelta(hours=2), NOW, NOW - timedelta(days=30), NOW],
        )
        conn.execute(
            "INSERT INTO article_html (article_id, fetched_url, encoding, html_zlib)"
            " SELECT id, url, 'utf-8', %s FROM articles",
            [zlib.compress(b"<html>kept</html>")],
        )
        upgrade(conn)
        fresh, old = (
            queries.find_article(conn, ["http://a/1"]),
            queries.find_article(conn, ["http://a/2"]),
        )
        assert fresh is not None and old is not None
        [first] = list_versions(conn, fresh.id)
        assert (first.title, first.authors, first.credits, first.text, first.kinds) == (
            "Fresh", ["Ada"], ["AP"], "fresh text", ["first"]
        )  # fmt: skip
        assert zlib.decompress(version_html(conn, fresh.id, 1) or b"") == b"<html>kept</html>"
        assert fresh.version == 1 and fresh.removed_at is None
        due = conn.execute(
            "SELECT article_id, due_at FROM article_refetch ORDER BY article_id"
        ).fetchall()
        # the next default delay after the fetch (6 h after publication); the old one is done
        assert due == [(fresh.id, NOW + timedelta(hours=4)), (old.id, None)]
