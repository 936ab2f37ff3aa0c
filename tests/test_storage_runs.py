"""Run lifecycle against a real PostgreSQL: create, claim, finish, list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from newswire.errors import NewswireError
from storage import runs
from tests.scheduling import wait_for

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Conn = psycopg.Connection[Any]


def test_run_lifecycle(db: Conn) -> None:
    run_id = runs.create_run(db, "alpha", "cli", pid=4242)
    run = runs.get_run(db, run_id)
    assert run is not None
    assert (run.source, run.trigger, run.status, run.pid) == ("alpha", "cli", "running", 4242)
    assert run.started_at is not None and run.started_at.tzinfo is not None
    assert run.hostname and run.finished_at is None and run.stats == {}

    stats = {"pages_fetched": 3, "start_time": NOW, "dropped": {"too_short": 1}}
    runs.finish_run(db, run_id, "succeeded", stats, None)
    run = runs.get_run(db, run_id)
    assert run is not None and run.status == "succeeded"
    assert run.finished_at is not None and run.finished_at.tzinfo is not None
    assert run.stats == {**stats, "start_time": NOW.isoformat()}


def test_queued_run_starts_once(db: Conn) -> None:
    run_id = runs.create_run(db, "alpha", "api", status="queued")
    queued = runs.get_run(db, run_id)
    assert queued is not None and queued.status == "queued" and queued.started_at is None
    runs.start_run(db, run_id, 99, hostname="worker-1")
    run = runs.get_run(db, run_id)
    assert run is not None
    assert (run.status, run.pid, run.hostname) == ("running", 99, "worker-1")
    with pytest.raises(NewswireError, match=f"crawl run {run_id} cannot start: it is running"):
        runs.start_run(db, run_id, 100)
    with pytest.raises(NewswireError, match="it is missing"):
        runs.start_run(db, 123456, 100)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: runs.create_run(c, "alpha", "cli", status="succeeded"), "queued or running"),
        (lambda c: runs.create_run(c, "alpha", "cron"), "trigger 'cron' is not one of"),
        (lambda c: runs.finish_run(c, 1, "running", {}, None), "not one of"),
        (lambda c: runs.finish_run(c, 424242, "failed", {}, "boom"), "does not exist"),
    ],
)
def test_run_misuse_is_refused(db: Conn, call: Callable[[Conn], object], message: str) -> None:
    runs.create_run(db, "alpha", "cli")
    with pytest.raises(NewswireError, match=message):
        call(db)


def test_list_runs_newest_first_with_filters(db: Conn) -> None:
    ids = [runs.create_run(db, source, "schedule") for source in ("a", "b", "a", "a")]
    runs.finish_run(db, ids[0], "failed", {}, "site down")
    assert [r.id for r in runs.list_runs(db)] == ids[::-1]
    assert [r.id for r in runs.list_runs(db, source="a", limit=2)] == [ids[3], ids[2]]
    failed = runs.list_runs(db, status="failed")
    assert [(r.id, r.error) for r in failed] == [(ids[0], "site down")]
    assert runs.list_runs(db, source="nobody") == []


# ---------------------------------------------------------------- storing


def test_wait_for_end_returns_the_final_run_or_none_in_time(db: Conn) -> None:
    running = runs.create_run(db, "alpha", "cli", pid=1)
    assert runs.wait_for_end(db, running, 0.3, poll=0.05) is None
    runs.finish_run(db, running, "cancelled", {}, "cancelled while running")
    ended = runs.wait_for_end(db, running, 0)
    assert ended is not None and ended.status == "cancelled"


def test_a_started_run_lives_while_the_session_that_started_it_holds_its_source(
    db: Conn, database_url: str
) -> None:
    run_id = runs.create_run(db, "alpha", "api", status="queued")
    with runs.open_lock_session(database_url, "newswire test locks") as locks:
        assert runs.try_lock_source(locks, "alpha")
        runs.start_run(locks, run_id, 7)
        assert runs.fail_dead_runs(db) == []
        pending = runs.pending_run(db, "alpha")
        assert pending is not None and pending.id == run_id
        assert runs.locked_sources(db, ["alpha", "beta"]) == {"alpha"}
    (dead,) = wait_for("the session's locks to be freed", lambda: runs.fail_dead_runs(db), 5)
    assert dead.id == run_id and runs.pending_run(db, "alpha") is None
