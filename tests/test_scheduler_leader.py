"""Advisory-lock leadership: one active scheduler per database, a standby takes over."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from newswire.errors import DatabaseError
from scheduler.leader import Leadership, scheduler_identity
from storage.runs import active_scheduler
from tests.scheduling import wait_for


def test_one_leader_at_a_time_and_the_standby_takes_over_a_lost_connection(
    db: psycopg.Connection[Any], database_url: str
) -> None:
    first = Leadership(database_url, identity="newswire scheduler first")
    second = Leadership(database_url, identity="newswire scheduler second")
    try:
        assert active_scheduler(db) is None
        assert first.try_acquire()
        assert first.try_acquire()  # idempotent while held
        assert not second.try_acquire()
        assert first.check() and not second.check()
        assert active_scheduler(db) == "newswire scheduler first"
        # The leader's session dies (server restart, network, kill): it must notice.
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            ["newswire scheduler first"],
        )
        wait_for("the leader to notice", lambda: not first.check(), 5)
        assert not first.held and first.conn is None
        wait_for("the standby to take the lock", second.try_acquire, 5)
        assert active_scheduler(db) == "newswire scheduler second"
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()
    # The server ends a closed session (and frees its locks) a moment after the client goes.
    wait_for("the lock to be freed", lambda: active_scheduler(db) is None, 5)


def test_an_unreachable_database_is_no_leadership_and_no_crash() -> None:
    leadership = Leadership("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    assert not leadership.try_acquire()
    assert not leadership.check()
    leadership.release()


def test_identity_names_the_process_within_the_application_name_limit() -> None:
    identity = scheduler_identity()
    assert identity.startswith("newswire scheduler pid ")
    assert len(identity) <= 63


def test_the_leadership_session_is_lent_only_while_leading(database_url: str) -> None:
    leadership = Leadership(database_url, identity="newswire scheduler lender")
    with pytest.raises(DatabaseError, match="does not lead"), leadership.session():
        pass
    assert leadership.try_acquire()
    try:
        with leadership.session() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert leadership.check()  # lending it did not lose the lock
    finally:
        leadership.release()
    with pytest.raises(DatabaseError, match="does not lead"), leadership.session():
        pass
