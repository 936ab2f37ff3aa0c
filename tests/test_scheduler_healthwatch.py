"""scheduler.healthwatch: the webhook gets one POST per change of state, retried with backoff
while its receiver is down, and the crawls of a running scheduler go on meanwhile. The
receiver is a real HTTP server on 127.0.0.1; the scheduler and its crawls real processes."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest

from newswire.config import HealthSettings
from scheduler.healthwatch import Session, deliver_due, retry_delay
from storage.health import judge_sources
from tests.conftest import NEWSWIRE, SiteProcess, newswire_env
from tests.scheduling import runs_of, wait_for, write_sources
from tests.test_storage_health import NOW, add_articles, add_run

Conn = psycopg.Connection[Any]


class Receiver:
    """A webhook receiver on a loopback port: keeps every JSON body posted to it, and answers
    500 to the first `failures` of them."""

    def __init__(self, port: int = 0, failures: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.bodies.append(body)
                failing = len(receiver.bodies) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    """A loopback port nothing listens on (until a Receiver takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(url: str) -> HealthSettings:
    return HealthSettings(failing_after=2, webhook_url=url, retry_seconds=0.01)


def _fail_twice(db: Conn) -> None:
    add_run(db, "planet", "failed", NOW - timedelta(minutes=2), error="HTTP 500")
    add_run(db, "planet", "failed", NOW - timedelta(minutes=1), error="HTTP 500")


@pytest.mark.parametrize(
    ("attempts", "delay"), [(1, 10.0), (2, 20.0), (3, 40.0), (11, 3600.0), (12, None)]
)
def test_retry_delay_doubles_to_an_hour_then_gives_up(attempts: int, delay: float | None) -> None:
    assert retry_delay(attempts, 10.0) == delay


def lend(conn: Conn) -> Session:
    """A lender of this test's connection, as the leadership session lends the scheduler's."""
    return lambda: contextlib.nullcontext(conn)


def test_one_post_per_change(db: Conn, receiver: Receiver) -> None:
    settings = _settings(receiver.url)
    _fail_twice(db)
    judge_sources(db, settings, ["planet", "quiet"], now=NOW)
    assert deliver_due(lend(db), settings) == 1
    judge_sources(db, settings, ["planet", "quiet"], now=NOW)  # nothing changed
    assert deliver_due(lend(db), settings) == 0
    add_run(db, "planet", "succeeded", NOW)
    add_articles(db, "planet", None, NOW)
    judge_sources(db, settings, ["planet", "quiet"], now=NOW)
    assert deliver_due(lend(db), settings) == 1
    assert [(b["source"], b["event"], b["previous"], b["state"]) for b in receiver.bodies] == [
        ("planet", "failing", None, "failing"),
        ("planet", "recovered", "failing", "ok"),
    ]
    first = receiver.bodies[0]
    assert isinstance(first["id"], int)
    assert first["health"]["failures_in_row"] == 2
    assert first["health"]["last_success_at"] is None


def test_an_error_answer_is_retried_and_then_sent_once(db: Conn) -> None:
    flaky = Receiver(failures=2)
    try:
        settings = _settings(flaky.url)
        _fail_twice(db)
        judge_sources(db, settings, ["planet"], now=NOW)
        assert deliver_due(lend(db), settings) == 0  # 500: rescheduled, not retried in the call
        row = db.execute("SELECT attempts, last_error FROM health_events").fetchone()
        assert row == (1, "HTTP Error 500: Internal Server Error")
        delivered = wait_for("a delivery", lambda: deliver_due(lend(db), settings), timeout=10)
        assert delivered == 1
        assert len(flaky.bodies) == 3  # two answered 500, the third accepted
        assert deliver_due(lend(db), settings) == 0
        assert {body["id"] for body in flaky.bodies} == {flaky.bodies[0]["id"]}
    finally:
        flaky.close()


def test_a_receiver_that_is_down_gets_the_change_once_it_is_up(db: Conn) -> None:
    port = free_port()
    settings = _settings(f"http://127.0.0.1:{port}/hook")
    _fail_twice(db)
    judge_sources(db, settings, ["planet"], now=NOW)
    assert deliver_due(lend(db), settings) == 0
    row = db.execute("SELECT attempts, last_error FROM health_events").fetchone()
    assert row is not None and row[0] == 1 and "refused" in row[1]
    up = Receiver(port=port)
    try:
        wait_for("a delivery", lambda: deliver_due(lend(db), settings), timeout=10)
        assert [body["event"] for body in up.bodies] == ["failing"]
    finally:
        up.close()


# ---------------------------------------------------------------- a scheduler, for real

DEAD = '\n[sources.dead]\nhome = "http://127.0.0.1:9/"\nschedule = "every 2s"\n'


def test_the_scheduler_sends_one_post_per_change_and_its_crawls_go_on_while_the_receiver_is_down(
    sample_site: SiteProcess, database_url: str, db: Conn, tmp_path: Path
) -> None:
    port = free_port()
    sources = write_sources(sample_site, tmp_path / "sources.toml",
                            schedules={"planet": "every 2s"})  # fmt: skip
    sources.write_text(sources.read_text() + DEAD)
    env = newswire_env(
        database_url,
        tmp_path,
        NEWSWIRE_HEALTH_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        NEWSWIRE_HEALTH_FAILING_AFTER="2",
        NEWSWIRE_HEALTH_CHECK_SECONDS="0.5",
        NEWSWIRE_HEALTH_RETRY_SECONDS="0.5",
    )
    log = (tmp_path / "scheduler.log").open("w")
    scheduler = subprocess.Popen(
        [*NEWSWIRE, "--sources", str(sources), "scheduler"],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    up: Receiver | None = None
    try:

        def failing_unsent() -> bool:
            row = db.execute(
                "SELECT attempts FROM health_events WHERE source = 'dead' AND event = 'failing'"
            ).fetchone()
            return row is not None and row[0] >= 2  # posted twice, into nothing

        wait_for("the failing event's attempts", failing_unsent, timeout=90, interval=0.2)
        since = datetime.now(UTC)

        def planet_goes_on() -> bool:
            done = [r for r in runs_of(db, "planet") if r.status == "succeeded"]
            return len([r for r in done if r.finished_at and r.finished_at > since]) >= 2

        wait_for("planet's crawls while the receiver is down", planet_goes_on, timeout=60)
        up = Receiver(port=port)
        wait_for("the POST", lambda: up.bodies, timeout=30, interval=0.1)
        planet_later = len(runs_of(db, "planet"))
        wait_for("more crawls", lambda: len(runs_of(db, "planet")) >= planet_later + 2, 60)
        assert [(b["source"], b["event"]) for b in up.bodies] == [("dead", "failing")]
        delivered = db.execute(
            "SELECT count(*) FROM health_events WHERE delivered_at IS NOT NULL"
        ).fetchone()
        assert delivered == (1,)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=60)
        log.close()
        if up is not None:
            up.close()
    text = (tmp_path / "scheduler.log").read_text()
    assert "source dead is now failing" in text
    assert "webhook: event" in text and "not delivered" in text
