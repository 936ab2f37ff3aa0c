"""LISTEN/NOTIFY for one-off runs: a trigger or cancel reaches the scheduler at once.

``newswire trigger`` queues a run and NOTIFYs in the same transaction (see
:func:`storage.runs.queue_runs`); a crawl that ends NOTIFYs too, so a run waiting for its
source starts right away. The scheduler keeps one listening connection and wakes on each
notification, with a slow sweep as a safety net for anything sent while it was not listening.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import psycopg

from storage.connection import connect
from storage.runs import listen_runs

logger = logging.getLogger(__name__)

EVENT_KINDS = ("queued", "cancel", "ended")


@dataclass(frozen=True)
class RunEvent:
    """One notification: a run was queued, asked to cancel, or ended."""

    kind: str
    run_id: int


def parse_event(payload: str) -> RunEvent | None:
    """``"queued 12"`` -> RunEvent("queued", 12); None for anything else (logged, ignored)."""
    kind, _, number = payload.partition(" ")
    if kind not in EVENT_KINDS or not number.isdigit():
        return None
    return RunEvent(kind, int(number))


class RunListener:
    """A dedicated autocommit connection LISTENing on the runs channel."""

    def __init__(self, database_url: str) -> None:
        self.conn: psycopg.Connection[Any] = connect(
            database_url, application_name="newswire scheduler listener"
        )
        listen_runs(self.conn)

    def wait(self, timeout: float) -> list[RunEvent]:
        """Block up to timeout seconds for notifications; return all that arrived."""
        received = list(self.conn.notifies(timeout=timeout, stop_after=1))
        if received:
            received += self.conn.notifies(timeout=0)
        events = []
        for note in received:
            event = parse_event(note.payload)
            if event is None:
                logger.warning("ignoring an unknown run notification %r", note.payload)
            else:
                events.append(event)
        return events

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.close()
