"""storage.migrate: file naming, upgrade, concurrency under the advisory lock, newer schemas."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

from newswire.errors import DatabaseError, NewswireError
from storage.connection import connect
from storage.migrate import (
    Migration,
    current_version,
    load_migrations,
    parse_migration_filenames,
    upgrade,
)

MakeDatabase = Callable[[], str]


@pytest.mark.parametrize(
    ("filenames", "expected"),
    [
        ([], []),
        (["0001_initial.sql"], [(1, "0001_initial")]),
        (["0002_b.sql", "README.md", "0001_a.sql"], [(1, "0001_a"), (2, "0002_b")]),
    ],
)
def test_parse_migration_filenames_orders_them(
    filenames: list[str], expected: list[tuple[int, str]]
) -> None:
    assert parse_migration_filenames(filenames) == expected


@pytest.mark.parametrize(
    ("filenames", "message"),
    [
        (["0001_a.sql", "0003_c.sql"], "0003_c.sql: expected number 0002"),
        (["0001_a.sql", "0001_b.sql"], "0001_b.sql: expected number 0002"),
        (["0002_b.sql"], "0002_b.sql: expected number 0001"),
        (["1_initial.sql"], "1_initial.sql: name migrations NNNN"),
        (["0001_Initial.sql"], "0001_Initial.sql: name migrations NNNN"),
    ],
)
def test_parse_migration_filenames_refuses_gaps_and_bad_names(
    filenames: list[str], message: str
) -> None:
    with pytest.raises(NewswireError, match=message) as info:
        parse_migration_filenames(filenames)
    assert "\n" not in str(info.value)


def test_shipped_migrations_start_with_the_initial_schema() -> None:
    migrations = load_migrations()
    assert migrations[0].name == "0001_initial"
    assert "CREATE TABLE articles" in migrations[0].sql
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


def test_upgrade_applies_once(make_empty_database: MakeDatabase) -> None:
    with connect(make_empty_database()) as conn:
        assert current_version(conn) == 0
        names = [m.name for m in load_migrations()]
        assert upgrade(conn) == [*names, "procrastinate"]  # the run queue's tables, once
        assert upgrade(conn) == []
        assert current_version(conn) == len(names)
        queue = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        assert queue == (True,)
        rows = conn.execute("SELECT name, applied_at FROM schema_migrations ORDER BY version")
        recorded = rows.fetchall()
    assert [name for name, _ in recorded] == names
    assert all(applied_at.tzinfo is not None for _, applied_at in recorded)


def test_concurrent_upgrades_apply_each_migration_once(make_empty_database: MakeDatabase) -> None:
    url = make_empty_database()
    workers = 5
    barrier = threading.Barrier(workers)
    results: list[list[str]] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            with connect(url) as conn:
                barrier.wait(timeout=10)
                results.append(upgrade(conn))
        except Exception as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    names = [m.name for m in load_migrations()]
    assert sorted(results, key=len) == [[]] * (workers - 1) + [[*names, "procrastinate"]]
    with connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert count == (len(names),)


def test_a_newer_database_is_refused(make_empty_database: MakeDatabase) -> None:
    with connect(make_empty_database()) as conn:
        upgrade(conn)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')")
        with pytest.raises(DatabaseError, match="upgrade newswire") as info:
            upgrade(conn)
        assert "version 9999" in str(info.value)
        assert "\n" not in str(info.value)
        assert current_version(conn) == 9999


def test_a_failing_migration_leaves_nothing_behind(make_empty_database: MakeDatabase) -> None:
    migrations = [
        Migration(1, "0001_first", "CREATE TABLE first_table (id int);"),
        Migration(2, "0002_broken", "CREATE TABLE broken_table (id no_such_type);"),
    ]
    with connect(make_empty_database()) as conn:
        with pytest.raises(psycopg.errors.UndefinedObject):
            upgrade(conn, migrations)
        assert current_version(conn) == 0
        assert conn.execute("SELECT to_regclass('first_table')").fetchone() == (None,)


def test_a_migration_may_hold_several_statements_and_percent_signs(
    make_empty_database: MakeDatabase,
) -> None:
    migrations = [
        Migration(
            1,
            "0001_notes",
            "CREATE TABLE notes (body text);\nINSERT INTO notes VALUES ('100% done');",
        )
    ]
    with connect(make_empty_database()) as conn:
        assert upgrade(conn, migrations) == ["0001_notes"]
        assert conn.execute("SELECT body FROM notes").fetchall() == [("100% done",)]
