"""Local workers under ``newswire scheduler --workers N``: started, watched, restarted, stopped.

Each worker is a ``newswire worker`` subprocess (:mod:`scheduler.worker`); the scheduler never
hands it work, the queue does. A worker that exits (after its K crawls or past its M MB, with
status 0, or because it crashed) is started again: at once after a clean exit, after a pause
that doubles up to a minute when it keeps failing. On stop each gets SIGTERM (it stops
claiming and closes its crawls as interrupted) and the shutdown timeout, then SIGKILL; a
scheduler that is killed leaves none behind (``--supervised``: a worker whose parent is gone
stops as on SIGTERM). The
database URL travels in the environment, never on the command line, where every user of the
machine can read it.
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
worker_logger = logging.getLogger("scheduler.worker.output")  # workers' lines, forwarded

_POLL_SECONDS = 0.2
_MAX_PAUSE = 60.0


@dataclass(frozen=True)
class WorkerSpec:
    """What every local worker is started with."""

    database_url: str
    sources_path: Path
    concurrency: int
    log_level: str = "INFO"


def worker_command(spec: WorkerSpec) -> list[str]:
    """A worker's argv: everything but the database URL."""
    return [
        sys.executable, "-m", "newswire", "--sources", str(spec.sources_path.resolve()),
        *(["-v"] if spec.log_level == "DEBUG" else []),
        "worker", "--supervised", "--concurrency", str(spec.concurrency),
    ]  # fmt: skip


def worker_environment(spec: WorkerSpec, base: Mapping[str, str]) -> dict[str, str]:
    """base (this process's environment, passed through) plus the database URL."""
    return {**base, "DATABASE_URL": spec.database_url, "PYTHONUNBUFFERED": "1"}


class _Slot:
    """One local worker position: its current process and its restart pause."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.process: subprocess.Popen[str] | None = None
        self.started = 0.0
        self.pause = 1.0
        self.restart_at = 0.0


class WorkerSupervisor:
    """Keeps ``count`` local workers running until :meth:`stop`."""

    def __init__(self, spec: WorkerSpec, count: int, shutdown_timeout: float) -> None:
        self.spec = spec
        self.shutdown_timeout = shutdown_timeout
        self.slots = [_Slot(number) for number in range(1, count + 1)]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="workers", daemon=True)

    def start(self) -> None:
        """Start every worker and the thread that restarts them."""
        if self.slots:
            self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            now = time.monotonic()
            for slot in self.slots:
                process = slot.process
                if process is not None and process.poll() is not None:
                    self._exited(slot, process.returncode, now)
                if slot.process is None and now >= slot.restart_at:
                    self._spawn(slot)
            self._stopping.wait(_POLL_SECONDS)

    def _exited(self, slot: _Slot, code: int, now: float) -> None:
        slot.process = None
        if code == 0:
            logger.info("worker %d exited after its restart limit: starting it again", slot.number)
            slot.pause = 1.0
            return
        lived = now - slot.started
        slot.pause = 1.0 if lived > _MAX_PAUSE else min(_MAX_PAUSE, slot.pause * 2)
        slot.restart_at = now + slot.pause
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        logger.error("worker %d %s: starting it again in %.0f s", slot.number, how, slot.pause)

    def _spawn(self, slot: _Slot) -> None:
        try:
            slot.process = subprocess.Popen(
                worker_command(self.spec),
                env=worker_environment(self.spec, os.environ),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,  # a Ctrl-C at the terminal reaches the scheduler only
            )
        except OSError as exc:
            logger.error("worker %d could not start: %s", slot.number, exc)
            slot.restart_at = time.monotonic() + _MAX_PAUSE
            return
        slot.started = time.monotonic()
        logger.info("worker %d started (pid %d)", slot.number, slot.process.pid)
        threading.Thread(
            target=_forward, args=(slot.number, slot.process), name=f"worker-{slot.number}-output",
            daemon=True,
        ).start()  # fmt: skip

    def kill(self) -> None:
        """A second stop request: SIGKILL every worker now (thread-safe)."""
        self._stopping.set()
        for process in self._running():
            _signal(process, signal.SIGKILL)

    def _running(self) -> list[subprocess.Popen[str]]:
        return [s.process for s in self.slots if s.process and s.process.poll() is None]

    def stop(self) -> None:
        """SIGTERM every worker and wait up to the shutdown timeout, then SIGKILL."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        running = self._running()
        for process in running:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.shutdown_timeout
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker pid %d did not stop in time: killed", process.pid)
                _signal(process, signal.SIGKILL)
                process.wait()
        for process in running:  # extraction processes a killed worker may have left
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


def _signal(process: subprocess.Popen[str], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _forward(number: int, process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        worker_logger.info("worker %d | %s", number, line.rstrip("\n"))
