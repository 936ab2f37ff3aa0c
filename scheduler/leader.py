"""Advisory-lock leadership: one active scheduler per database, the others hot standbys.

The active scheduler holds a session advisory lock on a connection of its own. A standby
tries to take it about once a second, so it takes over within a second or two of the active
one dying (PostgreSQL frees the lock with the dead session). A leader checks its connection
every tick; once that connection is gone so is the lock, and it must stop scheduling at once,
since a standby may already have taken over. The same connection is lent to the active
scheduler's own short statements (:meth:`Leadership.session`): queueing a timetable run,
the health round, the dead-run sweep at takeover, so a scheduler holds two sessions in all
(this one and the timetable's job store) however many sources it schedules.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import psycopg

from newswire.errors import DatabaseError
from storage.connection import connect
from storage.runs import holds_scheduler_lock, set_keepalives, try_lock_scheduler

logger = logging.getLogger(__name__)

# libpq's side of TCP keepalive: a leader behind a dead network notices within ~20 s.
_CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


def scheduler_identity() -> str:
    """How this process shows in pg_stat_activity: who the active scheduler is."""
    return f"newswire scheduler pid {os.getpid()} on {socket.gethostname()}"[:63]


class Leadership:
    """The scheduler lock on a dedicated connection: try to take it, check it, let it go."""

    def __init__(self, database_url: str, identity: str | None = None) -> None:
        self.database_url = database_url
        self.identity = identity or scheduler_identity()
        self.conn: psycopg.Connection[Any] | None = None
        self.held = False
        # One user of the connection at a time: a transaction must not take in the statements
        # of another thread (psycopg would run them inside it).
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lock if no other scheduler holds it; False (never an error) otherwise."""
        if self.held:
            return True
        try:
            if self.conn is None or self.conn.closed:
                self.conn = connect(
                    self.database_url, application_name=self.identity, **_CLIENT_KEEPALIVES
                )
                set_keepalives(self.conn)
            self.held = try_lock_scheduler(self.conn)
        except (DatabaseError, psycopg.Error) as exc:
            logger.warning("standby: cannot reach the database to check for leadership: %s", exc)
            self.release()
        return self.held

    def check(self) -> bool:
        """Whether this scheduler still leads: its connection is up and holds the lock."""
        with self._lock:
            if not self.held or self.conn is None:
                return False
            try:
                self.held = holds_scheduler_lock(self.conn)
            except psycopg.Error as exc:
                logger.error("lost the database connection that holds leadership: %s", exc)
                self._close()
            return self.held

    @contextlib.contextmanager
    def session(self) -> Iterator[psycopg.Connection[Any]]:
        """The leadership connection, lent to one caller at a time for the active scheduler's
        own statements; DatabaseError when this scheduler does not lead (it is stepping down).
        A lost connection shows at the next :meth:`check`, which steps the scheduler down."""
        with self._lock:
            if not self.held or self.conn is None or self.conn.closed:
                raise DatabaseError("this scheduler does not lead (it is standing by)")
            yield self.conn

    def release(self) -> None:
        """Let the lock go (closing the connection frees it) so a standby can take over."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        self.held = False
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = None
