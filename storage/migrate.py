"""Forward-only schema migrations: ``storage/migrations/NNNN_name.sql``, applied in order.

All pending migrations run in one transaction that first takes a transaction advisory lock,
so processes starting at once apply each file exactly once and a failing file leaves nothing
behind. A file therefore must not use statements that refuse transactions (``CREATE INDEX
CONCURRENTLY``, ``VACUUM``). ``schema_migrations`` records what ran; a database newer than
this code is refused rather than used with a schema the code does not know.

The run queue's tables (procrastinate's ``procrastinate_*``) are created in the same
transaction, from procrastinate's own schema, when they are missing: they are its business,
newswire only applies them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from procrastinate.schema import SchemaManager

from newswire.errors import DatabaseError, NewswireError

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(int4, int4) keys; the two-key form never collides with bigint keys.
LOCK_NAMESPACE = 0x6E77  # "nw"
_MIGRATE_LOCK = 1
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file: version 1 is ``0001_initial.sql``, named ``0001_initial``."""

    version: int
    name: str
    sql: str


def parse_migration_filenames(filenames: Iterable[str]) -> list[tuple[int, str]]:
    """(version, name) of each .sql file, in order; numbering must run 1, 2, 3… without gaps."""
    found: list[tuple[int, str]] = []
    for filename in filenames:
        if not filename.endswith(".sql"):
            continue
        match = _FILENAME.match(filename)
        if match is None:
            raise NewswireError(
                f"storage/migrations/{filename}: name migrations NNNN_lowercase_words.sql"
            )
        found.append((int(match[1]), filename.removesuffix(".sql")))
    found.sort()
    for expected, (version, name) in enumerate(found, start=1):
        if version != expected:
            raise NewswireError(
                f"storage/migrations/{name}.sql: expected number {expected:04d} here; "
                "number migrations 0001, 0002, … without gaps or repeats"
            )
    return found


def load_migrations() -> list[Migration]:
    """The migrations shipped in the storage package, in order."""
    folder = resources.files("storage").joinpath("migrations")
    names = [entry.name for entry in folder.iterdir()]
    return [
        Migration(version, name, folder.joinpath(name + ".sql").read_text(encoding="utf-8"))
        for version, name in parse_migration_filenames(names)
    ]


def _applied_versions(conn: psycopg.Connection[Any]) -> list[int]:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return []
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def current_version(conn: psycopg.Connection[Any]) -> int:
    """The newest migration applied to this database; 0 for an empty one."""
    return max(_applied_versions(conn), default=0)


def upgrade(
    conn: psycopg.Connection[Any], migrations: Sequence[Migration] | None = None
) -> list[str]:
    """Apply pending migrations (the shipped ones by default, with the run queue's schema);
    return the names applied."""
    shipped = migrations is None
    if migrations is None:
        migrations = load_migrations()
    known = max((m.version for m in migrations), default=0)
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, _MIGRATE_LOCK])
        applied = set(_applied_versions(conn))
        if not applied:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        newest = max(applied, default=0)
        if newest > known:
            info = conn.info
            raise DatabaseError(
                f"database {info.dbname} on {info.host}:{info.port} has schema version "
                f"{newest} but this newswire knows only up to {known}: upgrade newswire"
            )
        for migration in migrations:
            if migration.version in applied:
                continue
            logger.info("applying migration %s", migration.name)
            conn.execute(migration.sql.encode())  # no parameters: several statements may run
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                [migration.version, migration.name],
            )
            applied_now.append(migration.name)
        if shipped and _apply_queue_schema(conn):
            applied_now.append("procrastinate")
    return applied_now


def _apply_queue_schema(conn: psycopg.Connection[Any]) -> bool:
    """Create procrastinate's tables and functions unless they exist; True when created."""
    row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    if row is not None and row[0]:
        return False
    logger.info("applying the run queue's schema (procrastinate)")
    conn.execute(SchemaManager.get_schema().encode())  # bytes: its % signs are not placeholders
    return True
