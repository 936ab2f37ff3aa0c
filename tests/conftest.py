"""Shared fixtures: a fresh PostgreSQL database per test session, emptied before each test.

With DATABASE_URL set, the session creates ``newswire_test_<random>`` on that server and drops
it at the end; otherwise it starts an embedded server in a temporary data dir and stops it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from newswire.config import load_config
from storage.connection import connect, database_ready, drop_database, replace_dbname
from storage.embedded import ensure_embedded, stop_embedded


def _create_database(server_url: str) -> str:
    """Create an empty database on the server behind server_url; return its URL."""
    name = f"newswire_test_{secrets.token_hex(4)}"
    with connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return replace_dbname(server_url, name)


def _drop_database(server_url: str, url: str) -> None:
    drop_database(server_url, conninfo_to_dict(url)["dbname"])


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server the session may create databases on: DATABASE_URL's or embedded."""
    configured = load_config().database_url
    if configured:
        yield configured
        return
    data_dir = Path(tempfile.mkdtemp(prefix="newswire-test-"))
    pgdata = data_dir / "postgres18"
    try:
        yield ensure_embedded(pgdata)
    finally:
        try:
            stop_embedded(pgdata)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this test session, migrations applied."""
    url = _create_database(server_url)
    try:
        yield database_ready(url)
    finally:
        _drop_database(server_url, url)


@pytest.fixture
def make_empty_database(server_url: str) -> Iterator[Callable[[], str]]:
    """Creates empty databases (no migrations) for one test, dropped after it."""
    created: list[str] = []

    def make() -> str:
        created.append(_create_database(server_url))
        return created[-1]

    yield make
    for url in created:
        _drop_database(server_url, url)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the session database, every table emptied first."""
    with connect(database_url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'schema_migrations' ORDER BY tablename"
        ).fetchall()
        if tables:
            conn.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(name) for (name,) in tables)
                )
            )
        yield conn


# ---------------------------------------------------------------- the sample site and crawls

NEWSWIRE = [sys.executable, "-m", "newswire"]


@dataclass
class SiteProcess:
    """The sample news site running as a subprocess, with its control endpoints at hand."""

    process: subprocess.Popen[str]
    urls: dict[str, str]
    sources_toml: str

    def _control(self, path: str, method: str = "GET") -> Any:
        base = next(iter(self.urls.values()))
        request = urllib.request.Request(f"{base}__sample/{path}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def truth(self) -> dict[str, Any]:
        return self._control("truth.json")

    def requests(self) -> list[dict[str, Any]]:
        return self._control("requests.json")

    def reset_requests(self) -> None:
        self._control("requests/reset", method="POST")

    def publish(self) -> dict[str, Any]:
        return self._control("publish", method="POST")

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml)
        return path

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> SiteProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_site_process(*args: str) -> SiteProcess:
    """Start ``python -m newswire.samplesite ARGS`` and read the one line it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newswire.samplesite", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError(f"the sample site did not start (exit {process.wait()})")
    announced = json.loads(line)
    return SiteProcess(process, announced["urls"], announced["sources_toml"])


@pytest.fixture(scope="session")
def sample_site() -> Iterator[SiteProcess]:
    """One sample site for the session: read it, don't publish on it (use your own for that)."""
    with start_site_process() as site:
        yield site


def newswire_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a newswire subprocess: this database, a private data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(DATABASE_URL=database_url, NEWSWIRE_DATA_DIR=str(data_dir), **extra)
    env.setdefault("COLUMNS", "200")
    return env


def run_newswire(
    *args: str, database_url: str, data_dir: Path, timeout: float = 180, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the newswire CLI as a real subprocess and capture what it prints."""
    return subprocess.run(
        [*NEWSWIRE, *args],
        env=newswire_env(database_url, data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class Corpus:
    """A database holding one crawl of the session's sample site, and that site's truth."""

    database_url: str
    sources_path: Path
    data_dir: Path
    truth: dict[str, Any]


@contextmanager
def crawled_into_database(
    server_url: str, site: SiteProcess, data_dir: Path, sources: Path | None = None
) -> Iterator[Corpus]:
    """A site crawled once into a new database of its own (through its sources file, or the
    one given), dropped afterwards."""
    url = database_ready(_create_database(server_url))
    try:
        sources = sources or site.write_sources(data_dir / "sources.toml")
        done = run_newswire(
            "--sources", str(sources), "crawl", "--all", database_url=url, data_dir=data_dir
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield Corpus(url, sources, data_dir, site.truth())
    finally:
        _drop_database(server_url, url)


@pytest.fixture(scope="session")
def crawled_corpus(
    server_url: str, sample_site: SiteProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Corpus]:
    """The sample site crawled once into a database of its own (the ``db`` fixture empties
    the session database before each test; this one is left alone)."""
    with crawled_into_database(
        server_url, sample_site, tmp_path_factory.mktemp("corpus")
    ) as corpus:
        yield corpus
