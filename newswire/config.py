"""Process configuration, read once from the environment and passed down as a frozen record.

Nothing else in newswire reads ``os.environ``: entry points call :func:`load_config` and hand
the result (or the values in it) to the parts that need them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from newswire.errors import ConfigError


@dataclass(frozen=True)
class HealthSettings:
    """When a source counts as silent or failing (storage.health), and who hears of changes."""

    silent_factor: float = 4.0  # k: silent after k x the source's usual gap between new articles
    silent_floor: float = 6 * 3600.0  # ... but never sooner than this many seconds
    failing_after: int = 3  # failing after this many failed runs in a row
    webhook_url: str | None = None  # POSTed a JSON event when a source changes state
    check_seconds: float = 30.0  # how often the scheduler judges every source and sends
    retry_seconds: float = 10.0  # first wait before a failed POST is retried; it doubles


@dataclass(frozen=True)
class Config:
    """Where the sources file and the database are, and the knobs every process shares."""

    sources_path: Path
    database_url: str | None
    data_dir: Path
    api_token: str | None = None
    api_open_reads: bool = True
    scheduler_workers: int = 1  # local `newswire worker` processes the scheduler supervises
    scheduler_grace: int = 6 * 3600  # seconds a missed timetable run may still start late
    scheduler_shutdown_timeout: float = 30.0  # seconds crawls get to close cleanly on SIGTERM
    worker_concurrency: int = 16  # crawls a worker runs at once
    worker_max_crawls: int = 1000  # a worker exits (to be restarted) after this many crawls
    worker_max_memory_mb: int = 1024  # ... or once its RSS grows past this many MB
    health: HealthSettings = HealthSettings()

    @property
    def embedded_data_dir(self) -> Path:
        """The embedded PostgreSQL cluster lives here when no DATABASE_URL is given."""
        return self.data_dir / "postgres18"

    def with_overrides(self, **changes: object) -> Config:
        """Return a copy with command-line flags applied over the environment."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean: use true or false")


def _number(
    env: Mapping[str, str], name: str, default: float, minimum: float, *, whole: bool = False
) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name}={text!r} is not {kind}: e.g. {name}={default:g}") from None
    if not value >= minimum:  # also refuses nan
        raise ConfigError(f"{name}={text!r} is below {minimum:g}: use {minimum:g} or more")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read NEWSWIRE_* and DATABASE_URL once; defaults suit a single user on one machine."""
    env = os.environ if environ is None else environ
    data_dir = env.get("NEWSWIRE_DATA_DIR") or platformdirs.user_data_dir("newswire")
    return Config(
        sources_path=Path(env.get("NEWSWIRE_SOURCES", "sources.toml")),
        database_url=env.get("DATABASE_URL") or None,
        data_dir=Path(data_dir).expanduser(),
        api_token=env.get("NEWSWIRE_API_TOKEN") or None,
        api_open_reads=_flag(env.get("NEWSWIRE_API_OPEN_READS", "true"), "NEWSWIRE_API_OPEN_READS"),
        scheduler_workers=int(_number(env, "NEWSWIRE_SCHEDULER_WORKERS", 1, 0, whole=True)),
        scheduler_grace=int(_number(env, "NEWSWIRE_SCHEDULER_GRACE", 6 * 3600, 1, whole=True)),
        scheduler_shutdown_timeout=_number(env, "NEWSWIRE_SCHEDULER_SHUTDOWN_TIMEOUT", 30.0, 0),
        worker_concurrency=int(_number(env, "NEWSWIRE_WORKER_CONCURRENCY", 16, 1, whole=True)),
        worker_max_crawls=int(_number(env, "NEWSWIRE_WORKER_MAX_CRAWLS", 1000, 1, whole=True)),
        worker_max_memory_mb=int(
            _number(env, "NEWSWIRE_WORKER_MAX_MEMORY_MB", 1024, 64, whole=True)
        ),
        health=_health_settings(env),
    )


def _health_settings(env: Mapping[str, str]) -> HealthSettings:
    url = env.get("NEWSWIRE_HEALTH_WEBHOOK_URL") or None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(
            f"NEWSWIRE_HEALTH_WEBHOOK_URL={url!r} is not an http(s) URL:"
            " e.g. NEWSWIRE_HEALTH_WEBHOOK_URL=https://alerts.example/newswire"
        )
    return HealthSettings(
        silent_factor=_number(env, "NEWSWIRE_HEALTH_SILENT_FACTOR", 4.0, 1),
        silent_floor=_number(env, "NEWSWIRE_HEALTH_SILENT_FLOOR", 6 * 3600.0, 60),
        failing_after=int(_number(env, "NEWSWIRE_HEALTH_FAILING_AFTER", 3, 1, whole=True)),
        webhook_url=url,
        check_seconds=_number(env, "NEWSWIRE_HEALTH_CHECK_SECONDS", 30.0, 0.1),
        retry_seconds=_number(env, "NEWSWIRE_HEALTH_RETRY_SECONDS", 10.0, 0.1),
    )
