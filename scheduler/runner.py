"""One crawl = one subprocess: ``python -m scrapy crawl news`` for a queued run, timed out.

Scrapy's reactor cannot restart within a process, and a fresh process per run keeps the
scheduler's memory flat. The crawl claims its run row and takes its source's lock itself
(``crawler/runstats.py``); this module starts it, forwards its output, ends it on timeout or
shutdown (SIGTERM, which Scrapy answers by closing cleanly, then SIGKILL after a grace
period), and reports how it ended so the scheduler can record what the crawl could not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

TAIL_LINES = 20  # last output lines kept for the error of a crawl that died
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class CrawlJob:
    """What one crawl subprocess needs: its run, its limits and where things are."""

    run_id: int
    source: str
    trigger: str
    timeout: float  # seconds from start; the source's limits.timeout
    database_url: str
    sources_path: Path
    log_level: str = "WARNING"


@dataclass(frozen=True)
class CrawlExit:
    """How a crawl subprocess ended, and why we stopped it if we did."""

    returncode: int
    stopped_for: str | None  # None: it ended by itself; "timeout", "shutdown" or "kill"
    killed: bool  # it ignored SIGTERM for the whole grace period and got SIGKILL
    tail: tuple[str, ...]

    def describe(self) -> str:
        """How it ended, e.g. "exited with code 1" or "was killed by signal 9 (SIGKILL)"."""
        if self.returncode >= 0:
            return f"exited with code {self.returncode}"
        number = -self.returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            return f"was killed by signal {number}"
        return f"was killed by signal {number} ({name})"


@dataclass(frozen=True)
class ExitRecord:
    """What to record for a run its crawl could not close: only from these statuses."""

    status: str
    error: str
    only_from: tuple[str, ...]


def exit_record(job: CrawlJob, outcome: CrawlExit) -> ExitRecord:
    """How a run ends when its crawl process did not (or could not) say so itself."""
    if outcome.stopped_for == "timeout":
        how = "killed" if outcome.killed else "stopped"
        return ExitRecord(
            "failed",
            f"timed out after {job.timeout:g} s (the source's limits.timeout) and did not "
            f"close: {how}",
            ("queued", "running", "interrupted"),
        )
    if outcome.stopped_for in {"shutdown", "kill"}:
        return ExitRecord(
            "interrupted",
            "the scheduler shut down and the crawl did not close in time: killed",
            ("running",),
        )
    last = next((line for line in reversed(outcome.tail) if line.strip()), "")
    return ExitRecord(
        "failed",
        f"the crawl process {outcome.describe()} without recording an outcome"
        + (f"; its last output: {last[-300:]}" if last else ""),
        ("queued", "running"),
    )


def crawl_command(job: CrawlJob) -> list[str]:
    """The crawl's argv; the database URL is passed in the environment, not here, because
    every user on the machine can read a process's arguments."""
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "news",
        "-a",
        f"source={job.source}",
        "-a",
        f"run_id={job.run_id}",
        "-s",
        f"NEWSWIRE_SOURCES={job.sources_path.resolve()}",
        "-s",
        f"NEWSWIRE_RUN_TRIGGER={job.trigger}",
        "-s",
        f"LOG_LEVEL={job.log_level}",
        "-s",  # the crawl closes itself cleanly at its timeout; wait() only backs this up
        f"CLOSESPIDER_TIMEOUT={job.timeout:g}",
    ]


def crawl_environment(job: CrawlJob, base: Mapping[str, str]) -> dict[str, str]:
    """base (this process's environment, passed through) plus the settings module, so the
    working directory does not matter, and the database URL."""
    return {
        **base,
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "DATABASE_URL": job.database_url,
        "PYTHONUNBUFFERED": "1",
    }


class CrawlProcess:
    """A started crawl subprocess; one thread waits on it while others may ask it to stop."""

    def __init__(
        self,
        job: CrawlJob,
        on_line: Callable[[CrawlJob, str], None] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.job = job
        self.started = time.monotonic()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._stop_for: str | None = None
        self._on_line = on_line
        self.process = subprocess.Popen(
            crawl_command(job),
            env=crawl_environment(job, os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the scheduler only
        )
        self.pid = self.process.pid
        self._reader = threading.Thread(
            target=self._read, name=f"run-{job.run_id}-output", daemon=True
        )
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            text = line.rstrip("\n")
            self.tail.append(text)
            if self._on_line is not None:
                self._on_line(self.job, text)

    def stop(self, reason: str) -> None:
        """Ask for a clean stop ("shutdown"), or an immediate one ("kill"); thread-safe."""
        if self._stop_for is None or reason == "kill":
            self._stop_for = reason

    def wait(self, kill_grace: float) -> CrawlExit:
        """Wait for the crawl. One that outlives its timeout (it should have closed itself)
        by kill_grace gets SIGTERM, and SIGKILL kill_grace seconds after a SIGTERM it ignores."""
        deadline = self.started + self.job.timeout + kill_grace
        term_sent: float | None = None
        killed = False
        stopped_for: str | None = None
        while True:
            try:
                returncode = self.process.wait(timeout=_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if stopped_for is None and (self._stop_for or now >= deadline):
                stopped_for = self._stop_for or "timeout"
                logger.info(
                    "run %s of %s: stopping its crawl (%s)",
                    self.job.run_id,
                    self.job.source,
                    stopped_for,
                )
            want_kill = self._stop_for == "kill" or (
                term_sent is not None and now - term_sent >= kill_grace
            )
            if want_kill and not killed:
                self._signal_group(signal.SIGKILL)
                killed = True
            elif stopped_for is not None and term_sent is None:
                self._signal(signal.SIGTERM)
                term_sent = now
        if returncode != 0:  # extraction workers a killed crawl may have left behind
            self._signal_group(signal.SIGKILL)
        self._reader.join(timeout=2)
        return CrawlExit(returncode, stopped_for, killed, tuple(self.tail))

    def _signal(self, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signum)

    def _signal_group(self, signum: signal.Signals) -> None:
        # start_new_session made the crawl the leader of its own process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)
