"""Which database to use (DATABASE_URL or the embedded one) and connections that fail fast.

Connections are autocommit: every write function in :mod:`storage.queries` groups its
statements in ``conn.transaction()``, which commits on exit, so callers never commit by hand.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from newswire.config import Config
from newswire.errors import DatabaseError
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds; a missing server should fail a command, not hang it
_FIX = "check DATABASE_URL, or unset it to use the embedded database"
_URL_SCHEME = re.compile(r"^postgres(ql)?://", re.IGNORECASE)


def resolve_database_url(config: Config) -> str:
    """DATABASE_URL when set, else the embedded server (started on first use)."""
    if config.database_url:
        return config.database_url
    from storage.embedded import ensure_embedded  # only embedded users pay for the wheel

    return ensure_embedded(config.embedded_data_dir)


def describe_url(url: str) -> str:
    """host:port/database of a libpq URL or conninfo string, for messages: never the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an invalid database URL"
    host = params.get("host") or params.get("hostaddr") or "the default host"
    port = params.get("port") or "5432"
    dbname = params.get("dbname") or params.get("user") or "the default database"
    return f"{host}:{port}/{dbname}"


def replace_dbname(url: str, dbname: str) -> str:
    """The same server and credentials as url, pointing at another database."""
    if _URL_SCHEME.match(url):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    return make_conninfo(url, dbname=dbname)


def _failure_reason(exc: psycopg.Error) -> str:
    """The part of libpq's message that says why, on one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    reason = first.rsplit(" failed: ", 1)[-1]
    return " ".join(reason.removeprefix("FATAL:").split())


def _check_url(url: str) -> None:
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:  # its message may quote the password: not shown
        raise DatabaseError(
            "the database URL is not valid (expected postgresql://user:password@host:port/"
            f"dbname): {_FIX}"
        ) from exc


def connect(url: str, **kw: Any) -> psycopg.Connection[Any]:
    """Open an autocommit connection, or raise a one-line DatabaseError within ~5 s."""
    _check_url(url)
    kw.setdefault("connect_timeout", CONNECT_TIMEOUT)
    kw.setdefault("autocommit", True)
    try:
        return psycopg.connect(url, **kw)
    except psycopg.OperationalError as exc:
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {describe_url(url)} ({_failure_reason(exc)}): {_FIX}"
        ) from exc


def open_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    statement_timeout_ms: int | None = None,
    name: str = "newswire",
) -> ConnectionPool:
    """A pool of autocommit connections, checked on checkout; fails fast like connect().

    A statement_timeout bounds every statement on the pool's connections (a server that
    answers requests must not let one search hold a connection for minutes); name shows in
    the pool's log lines.
    """
    connect(url).close()
    kwargs: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, "autocommit": True}
    if statement_timeout_ms is not None:
        kwargs["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    pool: ConnectionPool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=kwargs,
        check=ConnectionPool.check_connection,
        open=False,
        name=name,
    )
    try:
        pool.open(wait=True, timeout=2 * CONNECT_TIMEOUT)
    except PoolTimeout as exc:
        pool.close()
        raise DatabaseError(
            f"cannot open {min_size} connections to PostgreSQL at {describe_url(url)}: {_FIX}"
        ) from exc
    return pool


def database_ready(url: str) -> str:
    """Connect and bring the schema up to date; the one call every entry point makes."""
    with connect(url) as conn:
        applied = upgrade(conn)
    if applied:
        logger.info("applied migrations %s to %s", ", ".join(applied), describe_url(url))
    return url


def ready_database(config: Config) -> str:
    """The URL of config's database, reachable and migrated: what every command that reads
    or writes the corpus opens."""
    return database_ready(resolve_database_url(config))


def ping(conn: psycopg.Connection[Any]) -> None:
    """One round trip: raises psycopg.OperationalError when the server does not answer."""
    conn.execute("SELECT 1")


# ---------------------------------------------------------------- databases on one server


def drop_database(server_url: str, dbname: str) -> None:
    """Drop dbname on the server of server_url if it exists, closing its sessions. For
    databases newswire owns outright: the demo's, the benchmarks' and the tests' scratch ones."""
    with connect(server_url) as conn:
        name = sql.Identifier(dbname)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def recreate_database(server_url: str, dbname: str) -> str:
    """Drop dbname on the server of server_url (see :func:`drop_database`) and create it
    empty; returns its URL."""
    drop_database(server_url, dbname)
    with connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return replace_dbname(server_url, dbname)
