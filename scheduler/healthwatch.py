"""Source health outside the crawls: judging every source on a timer, and the webhook.

A crawl records a change its own run made (failing, recovered) when it closes
(:mod:`crawler.runstats`); a source going *silent* is a matter of time passing, not of a run,
so the active scheduler judges every enabled source every ``check_seconds`` in a thread of
its own (:class:`HealthWatch`). Changes land in the ``health_events`` outbox
(:func:`storage.health.judge_sources`), whoever noticed them; :func:`deliver_due` posts them
to the webhook, each once, retried with backoff (``retry_seconds``, doubling up to an hour,
twelve attempts) while the receiver is down or answers with an error. Nothing here runs on a
crawl's reactor or in the dispatcher: a slow or dead receiver holds up this thread only. Its
statements run on a session it is lent (the active scheduler's own, :mod:`scheduler.leader`),
taken for each step and never held across a POST.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from newswire.config import HealthSettings
from newswire.errors import DatabaseError
from storage.health import claim_events, judge_sources, mark_delivered, mark_failed

logger = logging.getLogger(__name__)

POST_TIMEOUT = 5.0  # seconds a receiver gets to answer one POST
MAX_ATTEMPTS = 12  # then the event is given up (with the backoff, about four hours)
MAX_RETRY = 3600.0  # the backoff's ceiling, seconds
USER_AGENT = "newswire-health-webhook/1"

# Lends a connection for the statements of one step (the leadership session's lender).
Session = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


def retry_delay(attempts: int, first: float) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones (None: give up)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(MAX_RETRY, first * 2 ** (attempts - 1))


def post_event(url: str, body: dict[str, Any], *, timeout: float = POST_TIMEOUT) -> None:
    """POST one event as JSON; raises OSError (urllib's errors included) unless it is 2xx."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def deliver_due(session: Session, settings: HealthSettings) -> int:
    """Post every due event once; returns how many the receiver accepted. A failed POST is
    rescheduled with backoff, never retried in this call. The session is taken to claim and
    to mark, not while a POST waits on the receiver."""
    url = settings.webhook_url
    if url is None:
        return 0
    delivered = 0
    with session() as conn:
        events = claim_events(conn, lease_seconds=POST_TIMEOUT * 4)
    for event in events:
        try:
            post_event(url, {"id": event.id, **event.payload})
        except (OSError, ValueError) as exc:  # refused, timed out, HTTP 4xx/5xx, bad URL
            reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            delay = retry_delay(event.attempts, settings.retry_seconds)
            with session() as conn:
                mark_failed(conn, event.id, reason, retry_in=delay)
            if delay is None:
                logger.error(
                    "webhook: gave up on event %s (%s %s) after %d attempts: %s",
                    event.id, event.source, event.event, event.attempts, reason,
                )  # fmt: skip
            else:
                logger.warning(
                    "webhook: event %s (%s %s) not delivered (%s); retrying in %.0f s",
                    event.id, event.source, event.event, reason, delay,
                )  # fmt: skip
            continue
        with session() as conn:
            mark_delivered(conn, event.id)
        delivered += 1
        logger.info("webhook: sent %s %s (event %s)", event.source, event.event, event.id)
    return delivered


class HealthWatch:
    """The active scheduler's health thread: judge, then send, every check_seconds."""

    def __init__(
        self, session: Session, settings: HealthSettings, sources: Callable[[], list[str]]
    ) -> None:
        self.session = session
        self.settings = settings
        self.sources = sources  # the enabled sources now (they change on SIGHUP)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="health", daemon=True)

    def start(self) -> None:
        """Begin judging in the background."""
        self._thread.start()

    def stop(self, timeout: float = POST_TIMEOUT + 1) -> None:
        """Stop after the current round (a POST in flight gets its timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.session() as conn:
                    judge_sources(conn, self.settings, self.sources())
                deliver_due(self.session, self.settings)
            except (psycopg.Error, DatabaseError) as exc:
                logger.warning("health: database error (%s); trying again later", exc)
            self._stop.wait(self.settings.check_seconds)
