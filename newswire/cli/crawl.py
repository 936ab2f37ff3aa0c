"""`newswire crawl`, `newswire sources` and `newswire demo`: crawling in the foreground.

Scrapy, the sample site and pydantic load inside the commands that use them: a re-crawl is
mostly start-up, and the other commands never need them.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from rich.live import Live

from crawler.sources import load_sources, select_sources
from newswire.cli.output import console
from newswire.config import Config
from newswire.display import progress_table, render, runs_table, sources_table
from newswire.errors import ConfigError
from newswire.records import RunStatus
from storage.connection import connect, ready_database
from storage.queries import source_summaries
from storage.runs import get_run

if TYPE_CHECKING:
    from scheduler.inprocess import Board, CrawlOptions


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_sources", is_flag=True, help="Crawl every enabled source.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Article pages per source, at most.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="Only articles published since this date (YYYY-MM-DD).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="Run as if at this time (UTC unless it says): which stored articles are due for a "
    "refetch, and the max-age cutoff. For replaying or testing a refetch schedule.",
)
@click.option("--fast", is_flag=True, help="trafilatura's fast mode: quicker, less thorough.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Sources crawled at once; the rest wait in order.",
)
@click.pass_obj
def crawl(
    config: Config,
    names: tuple[str, ...],
    all_sources: bool,
    max_pages: int | None,
    since: datetime | None,
    as_of: datetime | None,
    fast: bool,
    concurrency: int,
) -> None:
    """Crawl SOURCE... now, in the foreground, with live progress and a summary."""
    sources = load_sources(config.sources_path)
    if all_sources == bool(names):
        raise ConfigError("name the sources to crawl, or pass --all (not both)")
    chosen = [s.name for s in select_sources(sources, names, origin=str(config.sources_path))]
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    from scheduler.inprocess import CrawlOptions

    options = CrawlOptions(
        max_pages=max_pages, since=since, now=as_of, extract_fast=fast, concurrency=concurrency
    )
    if crawl_and_report(config, chosen, options):
        sys.exit(1)


def crawl_and_report(config: Config, names: list[str], options: CrawlOptions) -> int:
    """Run the crawls with a live table, print the summary; returns how many runs failed."""
    from scheduler.inprocess import crawl_settings, run_crawls

    database_url = ready_database(config)
    settings = crawl_settings(database_url, config.sources_path, options, data_dir=config.data_dir)
    with Live(progress_table(None), console=console, refresh_per_second=4, transient=True) as live:

        def show(board: Board) -> None:
            live.update(progress_table(board))

        run_ids = run_crawls(names, settings, options, on_progress=show)
    with connect(database_url) as conn:
        runs = [run for run in (get_run(conn, run_id) for run_id in run_ids) if run]
    render(console, runs_table(runs, title="crawl summary"))
    failed = [run for run in runs if run.status != RunStatus.SUCCEEDED]
    for run in failed:
        click.echo(f"newswire: run {run.id} of {run.source} {run.status}: {run.error}", err=True)
    return len(failed) + len(names) - len(runs)


@click.command()
@click.pass_obj
def sources(config: Config) -> None:
    """List the configured sources with their last run and article count."""
    configured = load_sources(config.sources_path)
    with connect(ready_database(config)) as conn:
        summaries = source_summaries(conn)
    render(console, sources_table(configured.values(), summaries))


@click.command()
@click.option("--serve", is_flag=True, help="Only serve the sample site until stopped.")
@click.option(
    "--outlets",
    type=click.IntRange(min=3),
    default=3,
    show_default=True,
    help="Outlets of the sample world: the three hand-made ones, then generated ones.",
)
@click.pass_obj
def demo(config: Config, serve: bool, outlets: int) -> None:
    """Serve the sample news site, crawl it into the embedded database, show the result."""
    from newswire.demo import prepare_demo, report_demo, serve_forever
    from newswire.samplesite import build_site, start_site
    from scheduler.inprocess import CrawlOptions

    if serve:
        serve_forever(console, outlets)
        return
    site = start_site(build_site(outlets=outlets))
    try:
        demo_config = prepare_demo(config, site)
        urls = ", ".join(site.urls.values())
        console.print(f"[bold]sample news site[/] on {urls}", soft_wrap=True)
        failed = crawl_and_report(demo_config, list(site.urls), CrawlOptions(trigger="demo"))
    finally:
        site.stop()
    report_demo(demo_config, console, outlets=len(site.urls))
    if failed:
        sys.exit(1)
