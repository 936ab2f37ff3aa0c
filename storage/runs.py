"""SQL over crawl runs: their lifecycle, and the scheduler's locks, queue and cancels.

Write functions group their statements in ``conn.transaction()``: on the autocommit
connections from :mod:`storage.connection` each call commits on its own.
"""

from __future__ import annotations

import json
import socket
import time
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from newswire.errors import NewswireError
from newswire.records import Run, RunStatus, field_names
from storage.connection import connect
from storage.migrate import LOCK_NAMESPACE

RUN_TRIGGERS = ("cli", "schedule", "manual", "api", "demo")
_FINAL_TEXT = ", ".join(RunStatus.finals())


_RUN_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, field_names(Run)))


def _json_default(value: object) -> str:
    """Scrapy stats carry datetimes (start_time): store them as ISO text."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


# ---------------------------------------------------------------- runs


def create_run(
    conn: psycopg.Connection[Any],
    source: str,
    trigger: str,
    *,
    status: str = "running",
    pid: int | None = None,
    hostname: str | None = None,
) -> int:
    """Record a run, either queued for a runner or already running in this process.

    A running run belongs to this connection's session: it is alive while the session holds
    the source's lock (:func:`try_lock_source`), so create it on the connection holding it.
    """
    if trigger not in RUN_TRIGGERS:
        raise NewswireError(
            f"crawl run for {source}: trigger {trigger!r} is not one of {RUN_TRIGGERS}"
        )
    if status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise NewswireError(f"crawl run for {source}: a new run is queued or running, not {status}")
    running = status == "running"
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO crawl_runs"
            " (source, trigger, status, started_at, pid, hostname, lock_pid, lock_key)"
            " VALUES (%s, %s, %s, CASE WHEN %s THEN now() END, %s, %s,"
            " CASE WHEN %s THEN pg_backend_pid() END, %s) RETURNING id",
            [
                source,
                trigger,
                status,
                running,
                pid,
                hostname or socket.gethostname(),
                running,
                source_lock_key(source) if running else None,
            ],
        ).fetchone()
    assert row is not None
    return int(row[0])


def start_run(
    conn: psycopg.Connection[Any], run_id: int, pid: int, *, hostname: str | None = None
) -> None:
    """Move a queued run to running, recording the process (and host) that runs it and the
    session whose source lock keeps it alive: call it on the connection holding that lock."""
    with conn.transaction():
        row = conn.execute(
            "SELECT source FROM crawl_runs WHERE id = %s AND status = 'queued' FOR UPDATE",
            [run_id],
        ).fetchone()
        if row is not None:
            conn.execute(
                "UPDATE crawl_runs SET status = 'running', started_at = now(), pid = %s,"
                " hostname = %s, lock_pid = pg_backend_pid(), lock_key = %s WHERE id = %s",
                [pid, hostname or socket.gethostname(), source_lock_key(row[0]), run_id],
            )
            return
    run = get_run(conn, run_id)
    state = "missing" if run is None else run.status
    raise NewswireError(f"crawl run {run_id} cannot start: it is {state}, only queued runs start")


def finish_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    status: str,
    stats: dict[str, Any],
    error: str | None,
    *,
    checks: dict[str, Any] | None = None,
) -> None:
    """Close a run with its final status, its crawl stats, the error that ended it and the
    results of its checks (crawler.monitors)."""
    if not RunStatus.is_final(status):
        raise NewswireError(f"crawl run {run_id}: {status!r} is not one of {_FINAL_TEXT}")
    payload = Jsonb(stats, dumps=lambda obj: json.dumps(obj, default=_json_default))
    with conn.transaction():
        cur = conn.execute(
            "UPDATE crawl_runs SET status = %s, finished_at = now(), stats = %s, error = %s,"
            " checks = %s WHERE id = %s",
            [status, payload, error, None if checks is None else Jsonb(checks), run_id],
        )
    if cur.rowcount != 1:
        raise NewswireError(f"crawl run {run_id} does not exist: it cannot finish")


def get_run(conn: psycopg.Connection[Any], run_id: int) -> Run | None:
    """One run by id."""
    query = sql.SQL("SELECT {} FROM crawl_runs WHERE id = %s").format(_RUN_COLUMNS)
    with conn.cursor(row_factory=class_row(Run)) as cur:
        return cur.execute(query, [run_id]).fetchone()


def list_runs(
    conn: psycopg.Connection[Any],
    *,
    source: str | None = None,
    status: str | None = None,
    limit: int = 20,
) -> list[Run]:
    """The newest runs first, optionally of one source or in one status."""
    query = sql.SQL(
        "SELECT {} FROM crawl_runs WHERE (%s::text IS NULL OR source = %s)"
        " AND (%s::text IS NULL OR status = %s) ORDER BY id DESC LIMIT %s"
    ).format(_RUN_COLUMNS)
    with conn.cursor(row_factory=class_row(Run)) as cur:
        return cur.execute(query, [source, source, status, status, limit]).fetchall()


# ---------------------------------------------------------------- scheduler: locks, queue, cancel
# One run per source at a time: the crawl process holds the source's session advisory lock while
# it runs, on one lock session shared by all the crawls of the process (a session can hold many
# locks), so a thousand sources need one connection, not a thousand. The run row names the
# session (lock_pid) and the lock (lock_key). Advisory locks belong to one database but pg_locks
# shows the whole cluster, so every lookup is narrowed to the current database.

SOURCE_LOCK_NAMESPACE = 0x6E73  # key1 of pg_try_advisory_lock(int4, int4) for source locks
_LEADER_LOCK = 3  # pg_try_advisory_lock(LOCK_NAMESPACE, 3): held by the active scheduler
RUNS_CHANNEL = "newswire_runs"  # NOTIFY payloads: "queued <id>", "cancel <id>", "ended <id>"
_OUR_ADVISORY_LOCKS = """
    l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
# True when the crawl process of run r is alive: the session that took its source's lock holds it.
_RUN_ALIVE = f"""EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE {_OUR_ADVISORY_LOCKS} AND l.classid::bigint = {SOURCE_LOCK_NAMESPACE}
      AND l.pid = r.lock_pid AND l.objid::bigint = r.lock_key)"""


def source_lock_key(source: str) -> int:
    """A source's second advisory-lock key; CRC-32 is the same in every process and version."""
    return zlib.crc32(source.encode("utf-8")) & 0x7FFFFFFF


def open_lock_session(database_url: str, name: str) -> psycopg.Connection[Any]:
    """The connection that holds a process's source locks, named for `pg_stat_activity`, with
    keepalives so that a dead crawl machine frees its sources in seconds, not hours."""
    conn = connect(database_url, application_name=name[:63])
    set_keepalives(conn)
    return conn


def try_lock_source(conn: psycopg.Connection[Any], source: str) -> bool:
    """Take the source's run lock if nobody holds it; it lasts until the connection closes."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(%s, %s)", [SOURCE_LOCK_NAMESPACE, source_lock_key(source)]
    ).fetchone()
    return bool(row and row[0])


def unlock_source(conn: psycopg.Connection[Any], source: str) -> None:
    """Release the source's run lock now (closing the connection would, a moment later)."""
    conn.execute(
        "SELECT pg_advisory_unlock(%s, %s)", [SOURCE_LOCK_NAMESPACE, source_lock_key(source)]
    )


def try_lock_scheduler(conn: psycopg.Connection[Any]) -> bool:
    """Take the active-scheduler lock if free; only its holder schedules and starts runs."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _LEADER_LOCK]
    ).fetchone()
    return bool(row and row[0])


def holds_scheduler_lock(conn: psycopg.Connection[Any]) -> bool:
    """Whether this session still holds the active-scheduler lock (raises if it is gone)."""
    row = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {_OUR_ADVISORY_LOCKS}"
        " AND l.pid = pg_backend_pid() AND l.classid::bigint = %s AND l.objid::bigint = %s)",
        [LOCK_NAMESPACE, _LEADER_LOCK],
    ).fetchone()
    return bool(row and row[0])


def set_keepalives(conn: psycopg.Connection[Any], seconds: int = 10) -> None:
    """Have the server probe this TCP client, so a lock held by a dead machine is freed in
    about 2 x seconds rather than the OS's two hours (no effect over a unix socket)."""
    value = str(seconds)
    conn.execute(
        "SELECT set_config('tcp_keepalives_idle', %s, false),"
        " set_config('tcp_keepalives_interval', %s, false),"
        " set_config('tcp_keepalives_count', '3', false)",
        [value, str(max(1, seconds // 2))],
    )


def active_scheduler(conn: psycopg.Connection[Any]) -> str | None:
    """application_name of the active scheduler's session, or None when no scheduler runs."""
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        f" WHERE {_OUR_ADVISORY_LOCKS} AND l.classid::bigint = %s AND l.objid::bigint = %s",
        [LOCK_NAMESPACE, _LEADER_LOCK],
    ).fetchone()
    return None if row is None else str(row[0] or "a scheduler")


def locked_sources(conn: psycopg.Connection[Any], sources: Sequence[str]) -> set[str]:
    """Which of these sources have a crawl running right now, whoever started it."""
    keys = {source_lock_key(name): name for name in sources}
    if not keys:
        return set()
    rows = conn.execute(
        f"SELECT l.objid::bigint FROM pg_locks l WHERE {_OUR_ADVISORY_LOCKS}"
        " AND l.classid::bigint = %s AND l.objid::bigint = ANY(%s)",
        [SOURCE_LOCK_NAMESPACE, list(keys)],
    )
    return {keys[row[0]] for row in rows}


def notify_runs(conn: psycopg.Connection[Any], payload: str) -> None:
    """Announce a run event to any listener (delivered when the transaction commits)."""
    conn.execute("SELECT pg_notify(%s, %s)", [RUNS_CHANNEL, payload])


def listen_runs(conn: psycopg.Connection[Any]) -> None:
    """Subscribe this (autocommit) connection to run notifications."""
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(RUNS_CHANNEL)))


def queue_runs(conn: psycopg.Connection[Any], sources: Sequence[str], trigger: str) -> list[int]:
    """Queue one run row per source and announce each on the runs channel, in one transaction
    (:func:`scheduler.queue.queue_crawls` adds their jobs in the same transaction)."""
    with conn.transaction():
        run_ids = [create_run(conn, source, trigger, status="queued") for source in sources]
        for run_id in run_ids:
            notify_runs(conn, f"queued {run_id}")
    return run_ids


def pending_run(conn: psycopg.Connection[Any], source: str) -> Run | None:
    """The source's oldest run that is queued, or running in a live process; None when idle."""
    query = sql.SQL(
        "SELECT {} FROM crawl_runs r WHERE source = %s"
        " AND (status = 'queued' OR (status = 'running' AND " + _RUN_ALIVE + "))"
        " ORDER BY id LIMIT 1"
    ).format(_RUN_COLUMNS)
    with conn.cursor(row_factory=class_row(Run)) as cur:
        return cur.execute(query, [source]).fetchone()


def end_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    status: str,
    error: str,
    *,
    only_from: Sequence[str],
    pid: int | None = None,
) -> bool:
    """Close a run its own process could not close (died, timed out, never started), keeping
    its stats; only from the given statuses, and only the process pid's run when given."""
    if not RunStatus.is_final(status):
        raise NewswireError(f"crawl run {run_id}: {status!r} is not one of {_FINAL_TEXT}")
    cur = conn.execute(
        "UPDATE crawl_runs SET status = %s, error = %s, finished_at = now()"
        " WHERE id = %s AND status = ANY(%s) AND (%s::int4 IS NULL OR pid = %s)",
        [status, error, run_id, list(only_from), pid, pid],
    )
    return cur.rowcount == 1


def fail_dead_runs(conn: psycopg.Connection[Any]) -> list[Run]:
    """Mark failed every run left 'running' by a process that died (killed, machine restart):
    no live session holds its lock."""
    query = sql.SQL(
        "UPDATE crawl_runs r SET status = 'failed', finished_at = now(),"
        " error = format(%s, r.pid, r.hostname)"
        " WHERE r.status = 'running' AND NOT " + _RUN_ALIVE + " RETURNING {}"
    ).format(_RUN_COLUMNS)
    message = (
        "its crawl process (pid %s on %s) ended without recording an outcome:"
        " it was killed, or its machine or the database restarted"
    )
    with conn.cursor(row_factory=class_row(Run)) as cur:
        return cur.execute(query, [message]).fetchall()


def cancel_requested(conn: psycopg.Connection[Any], run_id: int) -> bool:
    """Whether `newswire cancel` asked this run to stop."""
    row = conn.execute(
        "SELECT cancel_requested_at IS NOT NULL FROM crawl_runs WHERE id = %s", [run_id]
    ).fetchone()
    return bool(row and row[0])


def request_cancel(conn: psycopg.Connection[Any], run_id: int) -> str:
    """Cancel a queued run (or one whose process is gone) now: "cancelled"; ask a running
    crawl to stop: "requested". The scheduler is told either way."""
    with conn.transaction():
        row = conn.execute(
            "SELECT status FROM crawl_runs WHERE id = %s FOR UPDATE", [run_id]
        ).fetchone()
        if row is None:
            raise NewswireError(f"run {run_id} does not exist: see `newswire runs`", exit_code=2)
        status = row[0]
        if RunStatus.is_final(status):
            raise NewswireError(f"run {run_id} already {status}: there is nothing to cancel")
        alive_row = conn.execute(
            "SELECT " + _RUN_ALIVE + " FROM crawl_runs r WHERE r.id = %s", [run_id]
        ).fetchone()
        if status == "running" and alive_row is not None and alive_row[0]:
            conn.execute(
                "UPDATE crawl_runs SET cancel_requested_at = coalesce(cancel_requested_at, now())"
                " WHERE id = %s",
                [run_id],
            )
            outcome = "requested"
        else:
            reason = "before it started" if status == "queued" else "after its process ended"
            conn.execute(
                "UPDATE crawl_runs SET status = 'cancelled', finished_at = now(),"
                " cancel_requested_at = now(), error = %s WHERE id = %s",
                [f"cancelled {reason}", run_id],
            )
            outcome = "cancelled"
        notify_runs(conn, f"cancel {run_id}")
    return outcome


# ---------------------------------------------------------------- waiting for a run to end


def wait_for_end(
    conn: psycopg.Connection[Any], run_id: int, timeout: float, *, poll: float = 0.2
) -> Run | None:
    """The run once it is final, or None when it is still going after timeout seconds: a
    cancelled crawl closes at its next check, so `newswire cancel` waits for it here."""
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(conn, run_id)
        if run is not None and RunStatus.is_final(run.status):
            return run
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll)
