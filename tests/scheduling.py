"""Helpers for the scheduler tests: a sources file for the sample site, scheduler processes,
and polling with deadlines instead of sleeps."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from newswire.records import Run
from storage.runs import active_scheduler, list_runs, locked_sources
from tests.conftest import NEWSWIRE, SiteProcess, newswire_env

T = TypeVar("T")

# A crawl slow enough to be caught mid-run (about 6 s for the planet outlet), storing as it
# goes, and quick to close: few requests in flight.
SLOW_CRAWL = {
    "DOWNLOAD_DELAY": 0.2,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 2,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "NEWSWIRE_STORE_BATCH_SIZE": 1,
    "NEWSWIRE_STORE_FLUSH_SECONDS": 0.2,
    "NEWSWIRE_EXTRACT_WORKERS": 1,
}
FAST_CRAWL = {"NEWSWIRE_EXTRACT_WORKERS": 1}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def write_sources(
    site: SiteProcess,
    path: Path,
    *,
    schedules: Mapping[str, str | None],
    settings: Mapping[str, Mapping[str, object]] | None = None,
    limits: Mapping[str, Mapping[str, object]] | None = None,
) -> Path:
    """The sample site's sources, only those named in schedules, each with that schedule
    (None: unscheduled), extra [limits] keys and a [settings] table."""
    blocks = {}
    for block in site.sources_toml.strip().split("\n\n"):
        name = re.match(r"\[sources\.([^\].]+)\]", block)
        assert name is not None, block
        blocks[name.group(1)] = block
    out: list[str] = []
    for name, schedule in schedules.items():
        block = re.sub(r"(?m)^schedule = .*\n", "", blocks[name])
        if schedule is not None:
            block = block.replace(f"[sources.{name}.limits]", f'schedule = "{schedule}"\n'
                                  f"[sources.{name}.limits]")  # fmt: skip
        extra = {**FAST_CRAWL, **(settings or {}).get(name, {})}
        block += "".join(f"\n{k} = {_toml(v)}" for k, v in (limits or {}).get(name, {}).items())
        block += f"\n[sources.{name}.settings]\n"
        block += "".join(f"{key} = {_toml(value)}\n" for key, value in extra.items())
        out.append(block)
    path.write_text("\n".join(out))
    return path


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.05) -> T:
    """Poll probe until it returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Scheduler:
    """``newswire scheduler`` as a subprocess, its log in a file."""

    def __init__(
        self, database_url: str, data_dir: Path, sources: Path, *flags: str, name: str = "s"
    ) -> None:
        self.log_path = data_dir / f"scheduler-{name}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*NEWSWIRE, "--sources", str(sources), "scheduler", *flags],
            env=newswire_env(database_url, data_dir),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def launched(self) -> list[int]:
        """Run ids this scheduler's timetable queued, from its log."""
        return [int(m) for m in re.findall(r"run (\d+) queued by the timetable", self.log())]

    def wait_log(self, pattern: str, timeout: float) -> re.Match[str]:
        return wait_for(f"{pattern!r} in {self.log_path}", lambda: re.search(pattern, self.log()),
                        timeout)  # fmt: skip

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_ready(self, conn: psycopg.Connection[Any]) -> None:
        """Until this scheduler is the active one and its local worker claims from the queue."""
        wait_for("leadership", lambda: is_leader(conn, self), 15)
        wait_for("its worker", lambda: workers_ready(conn), 30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait; kill if it hangs (which fails the caller's later checks)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._log.close()


def workers_ready(conn: psycopg.Connection[Any], count: int = 1) -> bool:
    """Whether count workers are claiming from the queue (procrastinate registers each)."""
    row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    return row is not None and row[0] >= count


def is_leader(conn: psycopg.Connection[Any], scheduler: Scheduler) -> bool:
    """Whether this scheduler process holds the active-scheduler lock."""
    return f"pid {scheduler.pid} " in (active_scheduler(conn) or "")


def runs_of(conn: psycopg.Connection[Any], source: str | None = None) -> list[Run]:
    """Runs oldest first."""
    return list(reversed(list_runs(conn, source=source, limit=1000)))


def wait_idle(conn: psycopg.Connection[Any], sources: list[str], timeout: float = 30) -> None:
    """Wait until no crawl of these sources holds its lock (orphans of a killed scheduler)."""
    wait_for("crawls to end", lambda: not locked_sources(conn, sources), timeout)
