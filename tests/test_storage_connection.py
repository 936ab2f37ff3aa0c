"""storage.connection: URL helpers, fail-fast connections and pools, database_ready."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from newswire.config import Config
from newswire.errors import DatabaseError
from storage.connection import (
    connect,
    database_ready,
    describe_url,
    open_pool,
    replace_dbname,
    resolve_database_url,
)
from storage.migrate import current_version

UNREACHABLE = "postgresql://newswire:s3cret-pw@127.0.0.1:1/news"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:s3cret@127.0.0.1:1/x", "127.0.0.1:1/x"),
        ("postgres://u@localhost/news", "localhost:5432/news"),
        ("postgresql://postgres@/newswire?host=/tmp/pg&port=5433", "/tmp/pg:5433/newswire"),
        ("host=localhost port=6543 dbname=news password=s3cret", "localhost:6543/news"),
        ("postgresql://alice@127.0.0.1", "127.0.0.1:5432/alice"),
        ("postgresql://", "the default host:5432/the default database"),
        ("s3cret junk", "an invalid database URL"),
    ],
)
def test_describe_url_names_host_port_database_never_password(url: str, expected: str) -> None:
    assert describe_url(url) == expected


@pytest.mark.parametrize(
    ("url", "dbname", "expected"),
    [
        ("postgresql://u:p@127.0.0.1:5432/test", "other", "postgresql://u:p@127.0.0.1:5432/other"),
        (
            "postgresql://postgres@/newswire?host=/tmp/pg&port=5432",
            "newswire_test_1",
            "postgresql://postgres@/newswire_test_1?host=/tmp/pg&port=5432",
        ),
        ("postgres://127.0.0.1", "a b", "postgres://127.0.0.1/a%20b"),
        ("host=127.0.0.1 dbname=a", "b", "dbname=b host=127.0.0.1"),
    ],
)
def test_replace_dbname_keeps_server_and_credentials(url: str, dbname: str, expected: str) -> None:
    assert replace_dbname(url, dbname) == expected


def _assert_one_line_fix(message: str) -> None:
    assert "\n" not in message
    assert "s3cret" not in message
    assert "check DATABASE_URL, or unset it to use the embedded database" in message


def test_connect_refused_fails_fast_with_one_line() -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseError) as info:
        connect(UNREACHABLE)
    assert time.monotonic() - started < 5
    message = str(info.value)
    _assert_one_line_fix(message)
    assert "127.0.0.1:1/news" in message
    assert "Connection refused" in message


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers, like a hung server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_connect_times_out_on_a_server_that_never_answers(silent_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseError, match="timeout") as info:
        connect(f"postgresql://u:s3cret@127.0.0.1:{silent_port}/x", connect_timeout=2)
    assert time.monotonic() - started < 6
    _assert_one_line_fix(str(info.value))


def test_connect_rejects_an_invalid_url_without_echoing_it() -> None:
    with pytest.raises(DatabaseError, match="not valid") as info:
        connect("postgresql://u:s3cret@[broken/x")
    _assert_one_line_fix(str(info.value))


def test_connect_names_a_missing_database(database_url: str) -> None:
    with pytest.raises(DatabaseError, match='"newswire_no_such_db" does not exist') as info:
        connect(replace_dbname(database_url, "newswire_no_such_db"))
    assert "/newswire_no_such_db" in str(info.value)


def test_connect_gives_autocommit_connections(database_url: str) -> None:
    with connect(database_url) as conn:
        assert conn.autocommit
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_open_pool_fails_fast_when_unreachable() -> None:
    with pytest.raises(DatabaseError) as info:
        open_pool(UNREACHABLE)
    _assert_one_line_fix(str(info.value))


def test_open_pool_serves_autocommit_connections(database_url: str) -> None:
    pool = open_pool(database_url, min_size=1, max_size=2)
    try:
        with pool.connection() as conn:
            assert conn.autocommit
            assert conn.execute("SELECT 2").fetchone() == (2,)
        assert pool.get_stats()["pool_size"] >= 1
    finally:
        pool.close()


def test_open_pool_bounds_every_statement(database_url: str) -> None:
    pool = open_pool(database_url, max_size=1, statement_timeout_ms=50, name="newswire-test")
    try:
        with pool.connection() as conn, pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(2)")
    finally:
        pool.close()


def test_database_ready_migrates_and_returns_the_url(
    make_empty_database: Callable[[], str],
) -> None:
    url = make_empty_database()
    assert database_ready(url) == url
    assert database_ready(url) == url  # a second entry point finds nothing to do
    with connect(url) as conn:
        assert current_version(conn) >= 1


def test_database_ready_unreachable_is_one_line() -> None:
    with pytest.raises(DatabaseError) as info:
        database_ready(UNREACHABLE)
    _assert_one_line_fix(str(info.value))


def test_resolve_database_url_prefers_database_url(tmp_path: Path) -> None:
    config = Config(
        sources_path=tmp_path / "sources.toml",
        database_url=UNREACHABLE,
        data_dir=tmp_path / "data",
    )
    assert resolve_database_url(config) == UNREACHABLE
    assert not (tmp_path / "data").exists()  # no embedded server was started
