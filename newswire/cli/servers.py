"""`newswire db ...` and `newswire serve`: the two servers newswire runs or looks after, the
database (migrations, the embedded PostgreSQL) and the HTTP API."""

from __future__ import annotations

import socket
import sys

import click

from newswire.cli.output import console
from newswire.config import Config
from newswire.errors import NewswireError
from storage.connection import connect, describe_url, ready_database, resolve_database_url
from storage.embedded import embedded_status, stop_embedded
from storage.migrate import upgrade


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(config: Config) -> None:
    """Apply pending schema migrations (also done automatically on first use)."""
    with connect(resolve_database_url(config)) as conn:
        applied = upgrade(conn)
    console.print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")


@db.command("status")
@click.pass_obj
def db_status(config: Config) -> None:
    """Where the database is, and whether the embedded server is running."""
    if config.database_url:
        console.print(f"DATABASE_URL: {describe_url(config.database_url)}")
        return
    url = embedded_status(config.embedded_data_dir)
    state = f"running at {url}" if url else "not running (starts on first use)"
    console.print(f"embedded PostgreSQL in {config.embedded_data_dir}: {state}", soft_wrap=True)


@db.command("stop")
@click.pass_obj
def db_stop(config: Config) -> None:
    """Stop the embedded PostgreSQL server (it starts again on next use)."""
    stopped = stop_embedded(config.embedded_data_dir)
    console.print(
        "embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0: any free one; the URL is printed).")  # fmt: skip
@click.pass_obj
def serve(config: Config, host: str, port: int) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until stopped."""
    from newswire.api import create_app, listen, run_server

    app = create_app(config)
    ready_database(config)  # a bad database fails here, in one line
    sock = listen(host, port)
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    click.echo(f"newswire API on http://{shown}:{sock.getsockname()[1]}/ (docs at /docs)")
    sys.stdout.flush()
    if not run_server(app, sock):
        raise NewswireError("the API did not start: see the log lines above")
