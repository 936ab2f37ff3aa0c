"""`newswire health` as a real subprocess over a real database whose sources were crawled for
real: one failing (its site is down), one silent (its new articles are made old), one ok."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.connection import connect, database_ready
from tests.conftest import SiteProcess, _create_database, _drop_database, run_newswire

DEAD = '\n[sources.dead]\nhome = "http://127.0.0.1:9/"\n'  # nothing listens on port 9


@pytest.fixture(scope="module")
def judged(
    sample_site: SiteProcess, server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Path]]:
    """A database where planet is ok, europa silent and dead failing, and its sources file."""
    tmp_path = tmp_path_factory.mktemp("health")
    url = database_ready(_create_database(server_url))
    sources = tmp_path / "sources.toml"
    sources.write_text(sample_site.sources_toml + DEAD)
    crawled = run_newswire(
        "--sources", str(sources), "crawl", "planet", "europa", database_url=url,
        data_dir=tmp_path,
    )  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    for _ in range(3):  # three failed runs in a row: failing
        failed = run_newswire("--sources", str(sources), "crawl", "dead", database_url=url,
                              data_dir=tmp_path)  # fmt: skip
        assert failed.returncode == 1
    with connect(url) as conn:  # europa's news stopped two days ago, its runs go on; undated,
        conn.execute(  # its usual gap is unknown and the floor (6 h) decides
            "UPDATE articles SET stored_at = stored_at - interval '2 days', published_at = NULL"
            " WHERE source = 'europa'"
        )
    try:
        yield url, sources, tmp_path
    finally:
        _drop_database(server_url, url)


def test_health_lists_failing_and_silent_first_and_exits_1(judged: tuple[str, Path, Path]) -> None:
    url, sources, data_dir = judged
    done = run_newswire("--sources", str(sources), "health", database_url=url, data_dir=data_dir)
    assert done.returncode == 1, done.stderr
    blocks = done.stdout.split("\n\n")
    assert blocks[0] == "source health"
    rows = [dict(line.split(": ", 1) for line in block.splitlines()) for block in blocks[1:]]
    states = [(row["source"], row["state"]) for row in rows]
    assert states[:2] == [("dead", "failing"), ("europa", "silent")]
    assert sorted(states[2:]) == [("meridian", "never run"), ("planet", "ok")]
    by_source = {row["source"]: row for row in rows}
    assert by_source["dead"]["failures"] == "3"
    assert by_source["planet"]["failures"] == "0"
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM articles WHERE source = 'planet'").fetchone()
    assert row is not None
    assert by_source["planet"]["new/day (30 d)"].endswith(f"█ {row[0]}")  # all stored today
    assert by_source["europa"]["silent after"] == "6h"  # the floor
    with connect(url) as conn:
        remembered = dict(conn.execute("SELECT source, state FROM source_health").fetchall())
    assert remembered == {"dead": "failing", "europa": "silent", "meridian": "never_run",
                          "planet": "ok"}  # fmt: skip


def test_health_of_sound_sources_exits_0_and_bad_names_exit_2(
    judged: tuple[str, Path, Path],
) -> None:
    url, sources, data_dir = judged
    ok = run_newswire("--sources", str(sources), "health", "--source", "planet",
                      database_url=url, data_dir=data_dir)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "state: ok" in ok.stdout
    unknown = run_newswire("--sources", str(sources), "health", "--source", "plnet",
                           database_url=url, data_dir=data_dir)  # fmt: skip
    assert unknown.returncode == 2
    assert "unknown source 'plnet'" in unknown.stderr
    settings = run_newswire("--sources", str(sources), "health", database_url=url,
                            data_dir=data_dir, NEWSWIRE_HEALTH_SILENT_FACTOR="lots")  # fmt: skip
    assert settings.returncode == 2
    assert "NEWSWIRE_HEALTH_SILENT_FACTOR='lots' is not a number" in settings.stderr


def test_runs_show_prints_the_checks_of_a_run(judged: tuple[str, Path, Path]) -> None:
    url, _, data_dir = judged
    with connect(url) as conn:
        runs = dict(conn.execute("SELECT source, max(id) FROM crawl_runs GROUP BY 1").fetchall())
    done = run_newswire("runs", "show", str(runs["planet"]), database_url=url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "check titles: passed: 100% of" in done.stdout
    assert "check finish reason: passed: closed: finished" in done.stdout
    with connect(url) as conn:  # planet and europa: two crawls on one reactor, each checked
        unchecked = conn.execute("SELECT count(*) FROM crawl_runs WHERE checks IS NULL").fetchone()
    assert unchecked == (0,)
    failed = run_newswire("runs", "show", str(runs["dead"]), database_url=url, data_dir=data_dir)
    assert "check items stored: passed" in failed.stdout
    assert "check errors: FAILED:" in failed.stdout
