"""The ``newswire`` console script: crawl, sources, demo and the database, from one place.

The commands live by group in this package (crawl.py, runs.py, query.py, dedup.py,
servers.py); their handlers parse, call one function below and print. Each imports what only
it needs when it runs: `newswire crawl` starts without pydantic and the sample site (a
re-crawl is mostly start-up), the scheduler and the queries without Scrapy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newswire.cli import crawl, dedup, health, query, reextract, runs, servers
from newswire.cli.output import errors
from newswire.config import load_config
from newswire.errors import NewswireError
from newswire.logs import configure_logging

# long-running: plain timestamped log lines for docker and journald
_SERVICES = {"scheduler", "worker"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The sources file (default: $NEWSWIRE_SOURCES or ./sources.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, sources_path: Path | None, verbose: int) -> None:
    """newswire: crawl news sources into a searchable PostgreSQL corpus."""
    configure_logging(verbose, service=ctx.invoked_subcommand in _SERVICES)
    ctx.obj = load_config().with_overrides(sources_path=sources_path)


for _command in (
    crawl.crawl, crawl.sources, crawl.demo,
    runs.scheduler, runs.worker, runs.trigger, runs.runs, runs.cancel, health.health,
    query.search, query.show, query.export, query.stats, reextract.reextract, dedup.dedup,
    servers.db, servers.serve,
):  # fmt: skip
    cli.add_command(_command)


def main() -> None:
    """Console-script entry: newswire errors become one line on stderr and an exit code."""
    try:
        cli.main(standalone_mode=False)
    except NewswireError as exc:
        click.echo(f"newswire: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        errors.print("newswire: interrupted")
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
