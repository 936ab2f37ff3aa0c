"""storage.health: states from a source's own history, the source page's runs and errors, the
remembered states and the webhook outbox, against a real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from newswire.config import HealthSettings
from newswire.records import HealthState
from storage.connection import connect
from storage.health import (
    change_event,
    claim_events,
    classify,
    mark_delivered,
    mark_failed,
    record_health,
    silent_after,
    source_health,
    source_history,
    usual_gap,
)

Conn = psycopg.Connection[Any]
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
HOUR = 3600.0
SETTINGS = HealthSettings(silent_factor=4, silent_floor=6 * HOUR, failing_after=3)


def add_run(
    db: Conn,
    source: str,
    status: str,
    finished: datetime,
    *,
    seconds: float = 60,
    stats: dict[str, Any] | None = None,
    error: str | None = None,
    checks: dict[str, Any] | None = None,
) -> int:
    """A finished crawl_runs row as a crawl would leave it."""
    row = db.execute(
        "INSERT INTO crawl_runs (source, trigger, status, queued_at, started_at, finished_at,"
        " stats, error, checks) VALUES (%s, 'cli', %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [
            source,
            status,
            finished - timedelta(seconds=seconds),
            finished - timedelta(seconds=seconds),
            finished,
            Jsonb(stats or {}),
            error,
            None if checks is None else Jsonb(checks),
        ],
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_articles(
    db: Conn,
    source: str,
    run_id: int | None,
    stored: datetime,
    count: int = 1,
    *,
    published: datetime | None = None,
) -> None:
    """count articles rows stored by a run at a moment."""
    for _ in range(count):
        key = db.execute("SELECT count(*) FROM articles").fetchone()
        assert key is not None
        n = key[0]
        db.execute(
            "INSERT INTO articles (source, url, title, text, text_hash, fetched_at, stored_at,"
            " run_id, published_at) VALUES (%s, %s, 'T', 'text', %s, %s, %s, %s, %s)",
            [source, f"http://127.0.0.1:9/{source}/{n}", f"h{n}".encode(), stored, stored,
             run_id, published],
        )  # fmt: skip


def productive_runs(db: Conn, source: str, last: datetime, every: timedelta, runs: int) -> None:
    """A source that stored 2 articles a run, every `every`, the latest run at `last`."""
    for i in reversed(range(runs)):
        at = last - i * every
        run = add_run(db, source, "succeeded", at, stats={"articles_stored": 2})
        add_articles(db, source, run, at, 2)


# ---------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("arrival", "arrivals", "published", "publisheds", "expected"),
    [
        (3600.0, 2, 60.0, 10, 3600.0),  # two arrival gaps: its own arrivals decide
        (3600.0, 1, 60.0, 10, 60.0),  # one: the publication rhythm of its first crawl
        (3600.0, 1, None, 0, 3600.0),  # no dates either: the one gap there is
        (None, 0, None, 1, None),  # nothing shows a rhythm
    ],
)
def test_usual_gap_prefers_arrivals_then_publication_dates(
    arrival: float | None,
    arrivals: int,
    published: float | None,
    publisheds: int,
    expected: float | None,
) -> None:
    assert usual_gap(arrival, arrivals, published, publisheds) == expected


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(None, 6 * HOUR), (HOUR, 6 * HOUR), (2 * HOUR, 8 * HOUR), (7 * 24 * HOUR, 28 * 24 * HOUR)],
)
def test_silent_after_is_k_gaps_with_a_floor(gap: float | None, expected: float) -> None:
    assert silent_after(gap, SETTINGS) == expected


@pytest.mark.parametrize(
    ("runs", "failures", "since_hours", "expected"),
    [
        (0, 0, None, HealthState.NEVER_RUN),
        (5, 3, 1, HealthState.FAILING),  # failing wins over anything else
        (5, 2, 1, HealthState.OK),
        (5, 2, 7, HealthState.SILENT),
        (5, 0, 6, HealthState.OK),  # exactly at the threshold: not yet
        (1, 0, None, HealthState.OK),
    ],
)
def test_classify(runs: int, failures: int, since_hours: float | None, expected: str) -> None:
    since = None if since_hours is None else NOW - timedelta(hours=since_hours)
    state = classify(
        runs=runs,
        failures_in_row=failures,
        since=since,
        threshold=6 * HOUR,
        settings=SETTINGS,
        now=NOW,
    )
    assert state == expected


@pytest.mark.parametrize(
    ("previous", "state", "event"),
    [
        (None, HealthState.OK, None),
        (None, HealthState.FAILING, "failing"),
        (HealthState.NEVER_RUN, HealthState.OK, None),
        (HealthState.OK, HealthState.SILENT, "silent"),
        (HealthState.SILENT, HealthState.FAILING, "failing"),
        (HealthState.FAILING, HealthState.OK, "recovered"),
        (HealthState.SILENT, HealthState.OK, "recovered"),
        (HealthState.OK, HealthState.OK, None),
    ],
)
def test_change_event(previous: HealthState | None, state: HealthState, event: str | None) -> None:
    assert change_event(previous, state) == event


# ---------------------------------------------------------------- source_health


def test_every_state_from_the_sources_own_history_worst_first(db: Conn) -> None:
    # hourly: new articles every hour until 10 hours ago -> usual gap 1 h, silent after 6 h
    productive_runs(db, "hourly", NOW - timedelta(hours=10), timedelta(hours=1), 6)
    add_run(db, "hourly", "succeeded", NOW - timedelta(minutes=5))  # runs, finds nothing
    # weekly: an article a week, the latest 8 days ago: not silent before 4 weeks
    productive_runs(db, "weekly", NOW - timedelta(days=8), timedelta(days=7), 4)
    # broken: fine once, then three failures in a row
    productive_runs(db, "broken", NOW - timedelta(hours=5), timedelta(hours=1), 3)
    for minutes in (30, 20, 10):
        add_run(db, "broken", "failed", NOW - timedelta(minutes=minutes), error="HTTP 500")
    # wobbly: two failures, then a success: the row of failures is broken
    add_run(db, "wobbly", "failed", NOW - timedelta(hours=3))
    add_run(db, "wobbly", "failed", NOW - timedelta(hours=2))
    productive_runs(db, "wobbly", NOW - timedelta(hours=1), timedelta(hours=1), 1)
    add_run(db, "wobbly", "interrupted", NOW - timedelta(minutes=1))  # says nothing

    healths = source_health(db, SETTINGS, now=NOW, sources=["weekly", "fresh", "hourly",
                                                             "broken", "wobbly"])  # fmt: skip
    by_name = {h.source: h for h in healths}
    assert [(h.source, h.state) for h in healths] == [
        ("broken", "failing"),
        ("hourly", "silent"),
        ("fresh", "never_run"),
        ("weekly", "ok"),
        ("wobbly", "ok"),
    ]
    hourly, weekly = by_name["hourly"], by_name["weekly"]
    assert hourly.usual_gap_seconds == pytest.approx(HOUR)
    assert hourly.silent_after_seconds == 6 * HOUR
    assert hourly.last_article_at == NOW - timedelta(hours=10)
    assert hourly.last_success_at == NOW - timedelta(minutes=5)
    assert weekly.usual_gap_seconds == pytest.approx(7 * 24 * HOUR)
    assert weekly.silent_after_seconds == pytest.approx(28 * 24 * HOUR)
    assert by_name["broken"].failures_in_row == 3
    assert by_name["wobbly"].failures_in_row == 0
    assert by_name["wobbly"].runs == 3
    fresh = by_name["fresh"]
    assert (fresh.runs, fresh.last_article_at, fresh.articles_per_day) == (0, None, [0] * 30)
    assert hourly.median_run_seconds == pytest.approx(60)


def test_articles_per_day_and_not_modified_share(db: Conn) -> None:
    today = NOW.replace(hour=1)
    stats = {"pages_fetched": 10, "not_modified": 4}
    run = add_run(db, "planet", "succeeded", today, stats=stats)
    add_articles(db, "planet", run, today, 3)
    add_articles(db, "planet", run, today - timedelta(days=2), 2)
    add_articles(db, "planet", run, today - timedelta(days=40), 5)  # before the sparkline
    old = add_run(db, "planet", "succeeded", today - timedelta(days=1), stats={"pages_fetched": 10})
    add_articles(db, "planet", old, today - timedelta(days=1))
    (health,) = source_health(db, SETTINGS, now=NOW, sources=["planet"])
    assert health.articles_per_day[-3:] == [2, 1, 3]
    assert sum(health.articles_per_day) == 6
    assert len(health.articles_per_day) == 30
    assert health.not_modified_share == pytest.approx(0.4)  # the run without the key is left out


def test_no_304_figures_leave_the_share_unknown(db: Conn) -> None:
    add_run(db, "planet", "succeeded", NOW, stats={"pages_fetched": 5})
    (health,) = source_health(db, SETTINGS, now=NOW)
    assert health.not_modified_share is None


def test_a_new_source_learns_its_gap_from_publication_dates(db: Conn) -> None:
    first = NOW - timedelta(hours=30)
    run = add_run(db, "daily", "succeeded", first)
    for day in range(5):  # one crawl found an article a day
        add_articles(db, "daily", run, first, published=first - timedelta(days=day))
    add_run(db, "daily", "succeeded", NOW - timedelta(hours=1))
    (health,) = source_health(db, SETTINGS, now=NOW)
    assert health.usual_gap_seconds == pytest.approx(24 * HOUR)
    assert health.state == "ok"  # 30 h without news is usual for a daily outlet
    assert source_health(db, SETTINGS, now=NOW + timedelta(days=3))[0].state == "silent"


def test_a_source_that_never_delivered_is_silent_from_its_first_run(db: Conn) -> None:
    add_run(db, "empty", "succeeded", NOW - timedelta(hours=7))
    add_run(db, "empty", "succeeded", NOW - timedelta(hours=1))
    (health,) = source_health(db, SETTINGS, now=NOW)
    assert (health.state, health.last_article_at) == ("silent", None)


def test_all_sources_by_default_and_none_for_an_empty_list(db: Conn) -> None:
    add_run(db, "b", "succeeded", NOW)
    add_articles(db, "a", None, NOW)
    assert [h.source for h in source_health(db, SETTINGS, now=NOW)] == ["a", "b"]
    assert source_health(db, SETTINGS, now=NOW, sources=[]) == []


# ---------------------------------------------------------------- source_history


def test_source_history_runs_over_time_and_errors_with_reasons(db: Conn) -> None:
    first = add_run(db, "planet", "succeeded", NOW - timedelta(hours=2), seconds=30)
    add_articles(db, "planet", first, NOW - timedelta(hours=2), 4)
    failed = add_run(db, "planet", "failed", NOW - timedelta(hours=1), error="timed out")
    checked = add_run(
        db,
        "planet",
        "succeeded",
        NOW,
        checks={
            "passed": False,
            "checks": [
                {"name": "titles", "passed": False, "message": "40% of articles have a title"},
                {"name": "finish reason", "passed": True, "message": "finished"},
            ],
        },
    )
    add_run(db, "other", "failed", NOW, error="not mine")
    history = source_history(db, "planet")
    assert [(p.run_id, p.status, p.new_articles) for p in history.runs] == [
        (first, "succeeded", 4),
        (failed, "failed", 0),
        (checked, "succeeded", 0),
    ]
    assert history.runs[0].duration_seconds == pytest.approx(30)
    assert [p.checks_passed for p in history.runs] == [None, None, False]
    assert [(e.run_id, e.error, e.failed_checks) for e in history.errors] == [
        (checked, None, ["titles: 40% of articles have a title"]),
        (failed, "timed out", []),
    ]
    assert len(source_history(db, "planet", runs=1, errors=1).runs) == 1


# ---------------------------------------------------------------- record_health, the outbox


def _healths(db: Conn, now: datetime) -> list[Any]:
    return source_health(db, SETTINGS, now=now, sources=["planet"])


def test_each_change_is_recorded_and_queued_once(db: Conn) -> None:
    productive_runs(db, "planet", NOW - timedelta(hours=2), timedelta(hours=1), 3)
    first = record_health(db, _healths(db, NOW), now=NOW)
    assert [(c.previous, c.state, c.event) for c in first] == [(None, "ok", None)]
    assert record_health(db, _healths(db, NOW), now=NOW) == []
    later = NOW + timedelta(hours=8)
    changes = record_health(db, _healths(db, later), now=later)
    assert [(c.previous, c.state, c.event) for c in changes] == [("ok", "silent", "silent")]
    assert record_health(db, _healths(db, later), now=later) == []
    events = claim_events(db, lease_seconds=60)
    assert [(e.source, e.event, e.attempts) for e in events] == [("planet", "silent", 1)]
    payload = events[0].payload
    assert (payload["previous"], payload["state"], payload["health"]["state"]) == (
        "ok",
        "silent",
        "silent",
    )
    assert claim_events(db, lease_seconds=60) == []  # leased


def test_two_evaluators_at_once_record_a_change_once(database_url: str, db: Conn) -> None:
    for minutes in (3, 2, 1):
        add_run(db, "planet", "failed", NOW - timedelta(minutes=minutes))
    healths = _healths(db, NOW)
    barrier = threading.Barrier(8)
    results: list[int] = []

    def evaluate() -> None:
        with connect(database_url) as conn:
            barrier.wait()
            results.append(len(record_health(conn, healths, now=NOW)))

    threads = [threading.Thread(target=evaluate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] * 7 + [1]
    assert db.execute("SELECT count(*), min(event) FROM health_events").fetchone() == (
        1,
        "failing",
    )


def test_old_events_are_given_up_unsent(db: Conn) -> None:
    for minutes in (3, 2, 1):
        add_run(db, "planet", "failed", NOW - timedelta(minutes=minutes))
    assert len(record_health(db, _healths(db, NOW), now=NOW)) == 1
    assert db.execute("SELECT state FROM source_health").fetchone() == ("failing",)
    db.execute("UPDATE health_events SET created_at = now() - interval '2 days'")
    assert claim_events(db, lease_seconds=60) == []
    row = db.execute("SELECT given_up_at IS NOT NULL, last_error FROM health_events").fetchone()
    assert row == (True, "too old to send")


def test_failed_deliveries_are_retried_then_given_up(db: Conn) -> None:
    for minutes in (3, 2, 1):
        add_run(db, "planet", "failed", NOW - timedelta(minutes=minutes))
    record_health(db, _healths(db, NOW), now=NOW)
    (event,) = claim_events(db, lease_seconds=60)
    mark_failed(db, event.id, "connection refused", retry_in=0)
    (again,) = claim_events(db, lease_seconds=60)
    assert (again.id, again.attempts) == (event.id, 2)
    mark_failed(db, event.id, "connection refused", retry_in=None)
    assert claim_events(db, lease_seconds=0) == []
    row = db.execute("SELECT given_up_at IS NOT NULL, last_error FROM health_events").fetchone()
    assert row == (True, "connection refused")
    record_health(db, _healths(db, NOW + timedelta(hours=1)), now=NOW)
    add_run(db, "planet", "succeeded", NOW)
    add_articles(db, "planet", None, NOW)
    record_health(db, _healths(db, NOW), now=NOW)
    (recovered,) = claim_events(db, lease_seconds=60)
    mark_delivered(db, recovered.id)
    assert recovered.event == "recovered"
    assert claim_events(db, lease_seconds=0) == []
