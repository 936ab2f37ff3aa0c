"""`newswire crawl` of many sources in one process: bounded concurrency, bounded connections."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scheduler.inprocess import CrawlOptions, CrawlSettings, crawl_settings
from storage.connection import connect
from tests.conftest import SiteProcess, run_newswire, start_site_process

# The suite crawls 200 outlets (about 40 s); the full world of 1,000 is the same test
# with NEWSWIRE_TEST_OUTLETS=1000 (about 8 minutes on two cores: README, "Many outlets").
OUTLETS = int(os.environ.get("NEWSWIRE_TEST_OUTLETS", "200"))
CONNECTION_BOUND = 10
SAMPLE_SECONDS = 0.05


@pytest.fixture(scope="module")
def world() -> Iterator[SiteProcess]:
    """A sample world of a few hundred outlets, each on its own port."""
    with start_site_process("--outlets", str(OUTLETS)) as site:
        yield site


class ConnectionSampler(threading.Thread):
    """Counts the other sessions of the database every 50 ms, keeping the peak and who held
    them then; with application names, only the sessions of those names (so a process another
    test left behind is not counted)."""

    def __init__(self, database_url: str, application_names: list[str] | None = None) -> None:
        super().__init__(daemon=True)
        self.conn = connect(database_url)
        self.application_names = application_names
        self.peak = 0
        self.at_peak: list[tuple[Any, ...]] = []
        self.samples = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            rows = self.conn.execute(
                "SELECT application_name, backend_start, left(query, 60) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"  # not the server's autovacuum workers
                " AND (%(names)s::text[] IS NULL OR application_name = ANY(%(names)s))",
                {"names": self.application_names},
            ).fetchall()
            if len(rows) > self.peak:
                self.peak, self.at_peak = len(rows), rows
            self.samples += 1

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        self.conn.close()
        return self.peak


@pytest.mark.timeout(max(300, OUTLETS + 60))  # the session's 300 s fits the suite's 200
def test_crawl_all_of_hundreds_of_sources_stays_within_ten_connections(
    db: psycopg.Connection[Any], database_url: str, world: SiteProcess, tmp_path: Path
) -> None:
    sources = world.write_sources(tmp_path / "sources.toml")
    sampler = ConnectionSampler(database_url)
    sampler.start()
    try:
        done = run_newswire("--sources", str(sources), "crawl", "--all", "--concurrency", "16",
                            database_url=database_url, data_dir=tmp_path,
                            timeout=max(280, OUTLETS))  # fmt: skip
    finally:
        peak = sampler.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert sampler.samples > 20 and 3 <= peak <= CONNECTION_BOUND
    runs = db.execute("SELECT source, status FROM crawl_runs").fetchall()
    assert sorted(source for source, _ in runs) == sorted(world.urls)
    assert {status for _, status in runs} == {"succeeded"}
    truth = world.truth()
    expected = {a["url"] for a in truth["articles"] if not a["old"] and not a["held_back"]}
    stored = {url for (url,) in db.execute("SELECT url FROM articles")}
    assert stored == expected


def test_a_crawls_copy_of_the_settings_is_scrapys_deep_copy_only_faster(tmp_path: Path) -> None:
    settings = crawl_settings(
        "postgresql://postgres@127.0.0.1/unused", tmp_path / "sources.toml", CrawlOptions()
    )
    scrapys, ours = copy.deepcopy(settings), settings.copy()
    assert type(ours) is CrawlSettings and ours.frozen == settings.frozen
    assert list(ours.attributes) == list(scrapys.attributes)
    for name in scrapys.attributes:
        assert (ours[name], ours.getpriority(name)) == (scrapys[name], scrapys.getpriority(name))
    ours["DOWNLOADER_MIDDLEWARES"].set("tests.Extra", 5, "spider")
    ours["RETRY_HTTP_CODES"].append(599)
    ours.set("DOWNLOAD_DELAY", 9.0, "cmdline")
    assert "tests.Extra" not in settings["DOWNLOADER_MIDDLEWARES"]
    assert 599 not in settings["RETRY_HTTP_CODES"] and settings["DOWNLOAD_DELAY"] == 0.0
    frozen = settings.frozencopy()
    assert frozen.frozen and not settings.frozen
