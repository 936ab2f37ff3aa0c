"""SQL over source health: every source's state in one query, one source's runs over time
and its last errors, and the remembered states and webhook outbox of changes.

A source's figures come from its own history: its completed runs (succeeded or failed;
interrupted and cancelled runs say nothing about the source) and its articles rows, each a
new article by the time it was stored. Its *usual gap* is the median gap between its
arrivals, the runs among its latest 20 completed ones that stored something (by when they
finished); with fewer than three arrivals there, the median gap between the publication
dates of its latest 51 dated articles (what a first crawl found in the feeds, or the rhythm
of a weekly outlet crawled every half hour), else the one arrival gap there is. The state is
decided by the pure :func:`classify` with ``now`` given, so a test or a page can evaluate any
moment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from newswire.config import HealthSettings
from newswire.records import HealthState, RunError, RunPoint, SourceHealth

logger = logging.getLogger(__name__)

SPARK_DAYS = 30  # days in SourceHealth.articles_per_day
RECENT_RUNS = 20  # a source's latest completed runs: its run time, 304 share and arrivals
PUBLISHED_GAPS = 50  # publication gaps behind the fallback usual gap

# One row a source, each part a LATERAL on an index, so the cost grows with the number of
# sources, not with their history: (source, id) on crawl_runs for the latest runs, the latest
# success, the failures since it and the first run; (source, stored_at) on articles for the
# latest arrival and the 30 days of the sparkline; (source, published_at) for the
# publication-date fallback, read only for a source with fewer than three arrivals among its
# recent runs (a one-time filter).
_HEALTH_QUERY = """
SELECT s.source, coalesce(w.runs, 0), ls.finished_at, coalesce(fr.failures, 0),
       ff.finished_at, w.median_run_seconds, w.not_modified_share,
       w.arrival_gap, coalesce(w.arrival_gaps, 0), la.stored_at,
       p.published_gap, coalesce(p.published_gaps, 0), d.days, d.counts
FROM unnest(%(sources)s::text[]) WITH ORDINALITY AS s(source, ord)
LEFT JOIN LATERAL (
    SELECT count(*) AS runs,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median_run_seconds,
           sum(not_modified) / nullif(sum(pages) FILTER (WHERE not_modified IS NOT NULL), 0)
               AS not_modified_share,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS arrival_gap,
           count(gap) AS arrival_gaps
    FROM (SELECT r.*,
                 CASE WHEN r.productive THEN extract(epoch FROM r.finished_at - lag(r.finished_at)
                     OVER (PARTITION BY r.productive ORDER BY r.id))::float8 END AS gap
          FROM (SELECT c.id, c.finished_at,
                       extract(epoch FROM c.finished_at - c.started_at)::float8 AS seconds,
                       (c.stats ->> 'not_modified')::float8 AS not_modified,
                       (c.stats ->> 'pages_fetched')::float8 AS pages,
                       coalesce((c.stats ->> 'articles_stored')::int, 0)
                         + coalesce((c.stats ->> 'duplicates')::int, 0) > 0 AS productive
                FROM crawl_runs c
                WHERE c.source = s.source AND c.status IN ('succeeded', 'failed')
                ORDER BY c.id DESC LIMIT %(recent)s) r) x) w ON true
LEFT JOIN LATERAL (
    SELECT c.id, c.finished_at FROM crawl_runs c
    WHERE c.source = s.source AND c.status = 'succeeded'
    ORDER BY c.id DESC LIMIT 1) ls ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS failures FROM crawl_runs c
    WHERE c.source = s.source AND c.id > coalesce(ls.id, 0) AND c.status = 'failed') fr ON true
LEFT JOIN LATERAL (
    SELECT c.finished_at FROM crawl_runs c
    WHERE c.source = s.source AND c.status IN ('succeeded', 'failed')
    ORDER BY c.id LIMIT 1) ff ON true
LEFT JOIN LATERAL (
    SELECT a.stored_at FROM articles a WHERE a.source = s.source
    ORDER BY a.stored_at DESC LIMIT 1) la ON true
LEFT JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS published_gap,
           count(gap) AS published_gaps
    FROM (SELECT extract(epoch FROM lag(y.published_at) OVER (ORDER BY y.published_at DESC)
                                   - y.published_at)::float8 AS gap
          FROM (SELECT a.published_at FROM articles a
                WHERE a.source = s.source AND a.published_at IS NOT NULL
                  AND coalesce(w.arrival_gaps, 0) < 2
                ORDER BY a.published_at DESC LIMIT %(published_rows)s) y) z) p ON true
LEFT JOIN LATERAL (
    SELECT array_agg(n ORDER BY day) AS counts, array_agg(day ORDER BY day) AS days
    FROM (SELECT floor(extract(epoch FROM a.stored_at - %(since)s) / 86400)::int AS day,
                 count(*)::int AS n
          FROM articles a WHERE a.source = s.source AND a.stored_at >= %(since)s
          GROUP BY 1) e) d ON true
ORDER BY s.ord
"""

# Every source the database knows, by a skip scan of each table's source index: the distinct
# values one index probe each, not a pass over every run and article.
_KNOWN_SOURCES = """
WITH RECURSIVE r(source) AS (
    (SELECT source FROM crawl_runs ORDER BY source LIMIT 1)
    UNION ALL
    SELECT (SELECT c.source FROM crawl_runs c WHERE c.source > r.source
            ORDER BY c.source LIMIT 1) FROM r WHERE r.source IS NOT NULL),
a(source) AS (
    (SELECT source FROM articles ORDER BY source LIMIT 1)
    UNION ALL
    SELECT (SELECT x.source FROM articles x WHERE x.source > a.source
            ORDER BY x.source LIMIT 1) FROM a WHERE a.source IS NOT NULL)
SELECT source FROM r WHERE source IS NOT NULL
UNION SELECT source FROM a WHERE source IS NOT NULL
ORDER BY 1
"""


def usual_gap(
    arrival_gap: float | None, arrival_gaps: int, published_gap: float | None, published_gaps: int
) -> float | None:
    """The gap a source usually leaves between new articles, in seconds: its arrivals' median
    once it has two gaps or more, else its publication dates' (a new source's first crawl
    shows its rhythm), else its one arrival gap; None when nothing shows a rhythm yet."""
    if arrival_gaps >= 2:
        return arrival_gap
    if published_gaps >= 2:
        return published_gap
    return arrival_gap


def silent_after(gap: float | None, settings: HealthSettings) -> float:
    """Seconds without a new article after which a source with this usual gap is silent:
    k x the gap, never less than the floor (a weekly outlet is not flagged daily, nor an
    hourly one at the first quiet night)."""
    if gap is None:
        return settings.silent_floor
    return max(settings.silent_floor, settings.silent_factor * gap)


def classify(
    *,
    runs: int,
    failures_in_row: int,
    since: datetime | None,
    threshold: float,
    settings: HealthSettings,
    now: datetime,
) -> HealthState:
    """A source's state: never run without a completed run; failing after N failed runs in a
    row; silent when nothing new came for longer than the threshold, counted from ``since``
    (its latest new article, or its first completed run when it never delivered one)."""
    if runs == 0:
        return HealthState.NEVER_RUN
    if failures_in_row >= settings.failing_after:
        return HealthState.FAILING
    if since is not None and (now - since).total_seconds() > threshold:
        return HealthState.SILENT
    return HealthState.OK


def _per_day(days: list[int] | None, counts: list[int] | None) -> list[int]:
    """Counts by day number (0: the first day of the sparkline) as one count per day."""
    per_day = [0] * SPARK_DAYS
    for day, count in zip(days or [], counts or [], strict=True):
        if 0 <= day < SPARK_DAYS:  # an article stored after `now` is not in the line
            per_day[day] = count
    return per_day


def _worst_first(health: SourceHealth) -> tuple[Any, ...]:
    last = health.last_article_at.timestamp() if health.last_article_at else float("-inf")
    return (health.state.rank, -health.failures_in_row, last, health.source)


def known_sources(conn: psycopg.Connection[Any]) -> list[str]:
    """Every source with runs or articles in the database, by name."""
    return [row[0] for row in conn.execute(_KNOWN_SOURCES)]


def source_health(
    conn: psycopg.Connection[Any],
    settings: HealthSettings,
    *,
    now: datetime,
    sources: Sequence[str] | None = None,
) -> list[SourceHealth]:
    """Every source's health at ``now``, worst first (failing, silent, never run, ok): the
    named sources (one without history is never run), or every source the database has
    runs or articles of. One query, whatever the number of sources."""
    names = list(dict.fromkeys(sources)) if sources is not None else known_sources(conn)
    first_day = now.astimezone(UTC).date() - timedelta(days=SPARK_DAYS - 1)
    params = {
        "sources": names,
        "recent": RECENT_RUNS,
        "published_rows": PUBLISHED_GAPS + 1,
        "since": datetime.combine(first_day, datetime.min.time(), tzinfo=UTC),
    }
    rows = []
    if names:
        with conn.transaction():  # the planner's estimate would have JIT compile it: 0.9 s
            conn.execute("SET LOCAL jit = off")
            rows = conn.execute(_HEALTH_QUERY, params).fetchall()
    healths = []
    for row in rows:
        (name, runs, last_success, failures, first_finished, median, share, arrival_gap,
         arrival_gaps, last_article, published_gap, published_gaps, days, counts) = row  # fmt: skip
        gap = usual_gap(arrival_gap, arrival_gaps, published_gap, published_gaps)
        threshold = silent_after(gap, settings)
        state = classify(
            runs=runs,
            failures_in_row=failures,
            since=last_article or first_finished,
            threshold=threshold,
            settings=settings,
            now=now,
        )
        healths.append(
            SourceHealth(
                source=name,
                state=state,
                last_success_at=last_success,
                last_article_at=last_article,
                articles_per_day=_per_day(days, counts),
                failures_in_row=int(failures),
                median_run_seconds=median,
                not_modified_share=share,
                usual_gap_seconds=gap,
                silent_after_seconds=threshold,
                runs=int(runs),
            )
        )
    return sorted(healths, key=_worst_first)


# ---------------------------------------------------------------- one source


@dataclass(frozen=True)
class SourceHistory:
    """One source's latest runs, oldest first (a chart's x axis), and its latest failures,
    newest first, each with its reasons."""

    source: str
    runs: list[RunPoint]
    errors: list[RunError]


def source_history(
    conn: psycopg.Connection[Any], source: str, *, runs: int = 100, errors: int = 20
) -> SourceHistory:
    """The source page's data: its latest finished runs with the new articles each stored and
    how long it took, and its latest failed or failed-check runs with the error and checks."""
    points = conn.execute(
        "SELECT r.id, r.status, r.started_at, r.finished_at,"
        " (SELECT count(*) FROM articles a WHERE a.run_id = r.id)::int,"
        " extract(epoch FROM r.finished_at - r.started_at)::float8,"
        " (r.checks ->> 'passed')::boolean"
        " FROM crawl_runs r WHERE r.source = %s AND r.finished_at IS NOT NULL"
        " ORDER BY r.id DESC LIMIT %s",
        [source, runs],
    ).fetchall()
    failures = conn.execute(
        "SELECT r.id, r.finished_at, r.error, coalesce(ARRAY("
        "   SELECT (c ->> 'name') || ': ' || coalesce(c ->> 'message', '')"
        "   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.checks -> 'checks') = 'array'"
        "                                  THEN r.checks -> 'checks' END) c"
        "   WHERE (c ->> 'passed')::boolean IS FALSE), '{}')"
        " FROM crawl_runs r WHERE r.source = %s AND r.finished_at IS NOT NULL"
        "  AND (r.status = 'failed' OR (r.checks ->> 'passed')::boolean IS FALSE)"
        " ORDER BY r.id DESC LIMIT %s",
        [source, errors],
    ).fetchall()
    return SourceHistory(
        source=source,
        runs=[RunPoint(*row) for row in reversed(points)],
        errors=[RunError(run_id, at, text, list(checks)) for run_id, at, text, checks in failures],
    )


# ---------------------------------------------------------------- remembered states, outbox


@dataclass(frozen=True)
class HealthChange:
    """A source that moved from one state to another (previous None: first seen)."""

    source: str
    previous: HealthState | None
    state: HealthState
    event: str | None  # "failing", "silent" or "recovered": what the webhook hears; None: quiet


def change_event(previous: HealthState | None, state: HealthState) -> str | None:
    """What a move from previous to state tells the webhook: becoming failing or silent, or
    recovering from either to ok; None for moves nobody is alerted about (never run to ok)."""
    if state == previous:
        return None
    if state in (HealthState.FAILING, HealthState.SILENT):
        return state.value
    if state == HealthState.OK and previous is not None and previous.alarming:
        return "recovered"
    return None


def event_payload(change: HealthChange, health: SourceHealth, now: datetime) -> dict[str, Any]:
    """The JSON body posted for a change: the event, and the figures that explain it."""
    figures = {key: value for key, value in asdict(health).items() if key != "source"}
    return {
        "source": change.source,
        "event": change.event,
        "previous": change.previous.value if change.previous else None,
        "state": change.state.value,
        "at": now.isoformat(),
        "health": {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in figures.items()
        },
    }


def record_health(
    conn: psycopg.Connection[Any],
    healths: Sequence[SourceHealth],
    *,
    now: datetime,
) -> list[HealthChange]:
    """Remember each source's state and return the ones that changed, queueing one webhook
    event per alerting change (whether a webhook is configured is the sender's business: a
    process without the URL must not swallow a change). The remembered rows are locked while
    compared, so when two processes evaluate at once each change is recorded (and sent) once."""
    if not healths:
        return []
    by_source = {health.source: health for health in healths}
    changes: list[HealthChange] = []
    with conn.transaction():
        stored = dict(
            conn.execute(
                "SELECT source, state FROM source_health WHERE source = ANY(%s)"
                " ORDER BY source FOR UPDATE",
                [sorted(by_source)],
            ).fetchall()
        )
        for name in sorted(by_source):
            health = by_source[name]
            previous = HealthState(stored[name]) if name in stored else None
            if previous == health.state:
                continue
            if previous is None:
                inserted = conn.execute(
                    "INSERT INTO source_health (source, state, since) VALUES (%s, %s, %s)"
                    " ON CONFLICT (source) DO NOTHING",
                    [name, health.state.value, now],
                ).rowcount
                if not inserted:  # another evaluator saw it first and owns this change
                    continue
            else:
                conn.execute(
                    "UPDATE source_health SET state = %s, since = %s WHERE source = %s",
                    [health.state.value, now, name],
                )
            event = change_event(previous, health.state)
            change = HealthChange(name, previous, health.state, event)
            changes.append(change)
            if change.event is not None:
                conn.execute(
                    "INSERT INTO health_events (source, event, previous, state, payload)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    [
                        name,
                        change.event,
                        previous.value if previous else None,
                        health.state.value,
                        Jsonb(event_payload(change, health, now)),
                    ],
                )
    return changes


def judge_sources(
    conn: psycopg.Connection[Any],
    settings: HealthSettings,
    sources: Sequence[str],
    *,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """Judge the sources now, worst first, and remember their states, logging each change
    (and queueing it for the webhook) once."""
    now = now or datetime.now(UTC)
    healths = source_health(conn, settings, now=now, sources=sources)
    for change in record_health(conn, healths, now=now):
        was = change.previous.value if change.previous else "unknown"
        level = logging.WARNING if change.state.alarming else logging.INFO
        logger.log(level, "source %s is now %s (was %s)", change.source, change.state, was)
    return healths


@dataclass(frozen=True)
class HealthEvent:
    """One queued webhook event, claimed for a delivery attempt."""

    id: int
    source: str
    event: str
    payload: dict[str, Any]
    attempts: int  # including this one


def claim_events(
    conn: psycopg.Connection[Any],
    *,
    lease_seconds: float,
    max_age_seconds: float = 86400.0,
    limit: int = 20,
) -> list[HealthEvent]:
    """Due, undelivered events, oldest first, leased for one attempt: another sender skips
    them until the lease runs out (when this one died mid-attempt). Events older than
    max_age_seconds are given up unsent: news of a change from days ago, or from before a
    webhook was configured, is not news."""
    conn.execute(
        "UPDATE health_events SET given_up_at = now(),"
        " last_error = coalesce(last_error || '; ', '') || 'too old to send'"
        " WHERE delivered_at IS NULL AND given_up_at IS NULL"
        " AND created_at < now() - make_interval(secs => %s)",
        [max_age_seconds],
    )
    rows = conn.execute(
        "UPDATE health_events e SET attempts = e.attempts + 1,"
        " next_attempt_at = now() + make_interval(secs => %s)"
        " WHERE e.id IN (SELECT id FROM health_events"
        "   WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= now()"
        "   ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
        " RETURNING e.id, e.source, e.event, e.payload, e.attempts",
        [lease_seconds, limit],
    ).fetchall()
    return sorted((HealthEvent(*row) for row in rows), key=lambda event: event.id)


def mark_delivered(conn: psycopg.Connection[Any], event_id: int) -> None:
    """The receiver accepted the event: it is never sent again."""
    conn.execute(
        "UPDATE health_events SET delivered_at = now(), last_error = NULL WHERE id = %s",
        [event_id],
    )


def mark_failed(
    conn: psycopg.Connection[Any], event_id: int, error: str, *, retry_in: float | None
) -> None:
    """An attempt failed: try again in retry_in seconds, or (None) give up on the event."""
    conn.execute(
        "UPDATE health_events SET last_error = %s,"
        " next_attempt_at = CASE WHEN %s::float8 IS NULL THEN next_attempt_at"
        "                   ELSE now() + make_interval(secs => %s::float8) END,"
        " given_up_at = CASE WHEN %s::float8 IS NULL THEN now() END"
        " WHERE id = %s",
        [error[:1000], retry_in, retry_in, retry_in, event_id],
    )
