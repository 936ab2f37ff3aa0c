"""`newswire search`, `show` (with `--versions`), `export` and `stats`: reading the corpus.

Filters are parsed by :func:`storage.search.parse_filters`, the same parser the HTTP API
uses; the record modules (pydantic, pyarrow) load only in the command that prints them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import psycopg
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.progress import Progress as Bar
from rich.text import Text

from crawler.sources import load_sources
from crawler.urls import canonicalize_url, is_http_url
from newswire.cli.output import console, errors, machine_format
from newswire.config import Config
from newswire.display import format_when, render, runs_table
from newswire.errors import ConfigError, NewswireError
from newswire.records import ArticleRow, Version
from storage.connection import connect, ready_database
from storage.queries import (
    article_copies,
    article_urls,
    articles_per_day,
    find_article,
    language_counts,
    source_summaries,
)
from storage.runs import list_runs
from storage.search import (
    Filters,
    SearchRequest,
    clean_query,
    count_matching,
    parse_filters,
    search_articles,
)
from storage.stories import count_stories
from storage.versions import list_versions, version_counts

_MACHINE_FORMATS = ("json", "jsonl", "csv")


def _filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The filters search and export share, as click options named as parse_filters takes them."""
    options = (
        click.option("--source", "sources", multiple=True, help="Only this source (repeatable)."),
        click.option("--lang", help="Only this language (en also matches en-GB)."),
        click.option("--since", help="Published at or after: YYYY-MM-DD or ISO 8601 time."),
        click.option("--until", help="Published before (a bare date includes that day)."),
        click.option("--author", help="An author's name contains this (any case)."),
        click.option(
            "--copies",
            "--duplicates",
            "copies",
            is_flag=True,
            help="Every copy of each story, not only its original (--duplicates: the old name).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _filters(config: Config, conn: psycopg.Connection[Any], given: dict[str, Any]) -> Filters:
    """The filter options, checked; sources must be configured or have stored articles."""
    return parse_filters(
        conn, **given, configured=lambda: load_sources(config.sources_path), prefix="--"
    )


@click.command()
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
    with connect(ready_database(config)) as conn:
        filters = _filters(config, conn, given)
        page = search_articles(conn, SearchRequest(text, filters, sort, limit))
    fmt = machine_format(fmt, "table")
    if fmt == "table":
        title = f"{len(page.hits)} results for {text!r}, by {sort or 'relevance'}"
        render(console, hits_table(page.hits, escape(title)))
    else:
        write_records([hit_record(hit) for hit in page.hits], fmt, sys.stdout)


def _article_ref(text: str) -> int | tuple[str, ...]:
    """An article id, or the URLs to look an article up by: canonical first, as typed next."""
    if text.isdigit() and int(text) < 2**63:
        return int(text)
    if not is_http_url(text):
        raise ConfigError(f"{text!r} is neither an article id nor an http(s) URL")
    return (canonicalize_url(text), text)


@click.command()
@click.argument("article")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]))
@click.option(
    "--versions", "with_versions", is_flag=True,
    help="Its versions instead: time, kind of change, word diffs of title and text.",
)  # fmt: skip
@click.pass_obj
def show(config: Config, article: str, fmt: str | None, with_versions: bool) -> None:
    """One article (by id or by any URL that leads to it) with all its fields."""
    from newswire.results import article_record, article_view, write_records

    ref = _article_ref(article)
    with connect(ready_database(config)) as conn:
        found = find_article(conn, ref)
        if found is None and isinstance(ref, int):
            raise NewswireError(f"article {ref} does not exist: see `newswire search`")
        if found is None:
            raise NewswireError(f"no stored article is reached by {article}")
        if with_versions:
            _show_versions(found, list_versions(conn, found.id), fmt)
            return
        urls, copies = article_urls(conn, found.id), article_copies(conn, found)
    if machine_format(fmt, "text") == "text":
        render(console, article_view(found, urls, copies))
    else:
        write_records([article_record(found, urls, copies)], "json", sys.stdout)


def _show_versions(article: ArticleRow, versions: list[Version], fmt: str | None) -> None:
    from newswire.responses import versions_body
    from newswire.results import versions_view
    from pipelines.changes import diff_versions

    diffs = diff_versions(versions)
    if machine_format(fmt, "text") == "text":
        gone = f", removed {format_when(article.removed_at)}" if article.removed_at else ""
        render(console, Text(f"article {article.id}: {article.title}{gone}"), versions_view(diffs))
    else:
        json.dump(versions_body(article, diffs).model_dump(mode="json"), sys.stdout, indent=2)
        sys.stdout.write("\n")


@click.command("export")
@click.option("-q", "--query", help="Only articles matching this search.")
@_filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Default: from the output's suffix.")  # fmt: skip
@click.option("-o", "--output", required=True, help="The file to write, or - for stdout.")
@click.option(
    "--versions", "with_versions", is_flag=True,
    help="One row per version of each article (its text, title, byline, dates, change kinds).",
)  # fmt: skip
@click.pass_obj
def export(
    config: Config,
    query: str | None,
    fmt: str | None,
    output: str,
    with_versions: bool,
    **given: Any,
) -> None:
    """Export articles (or every version of them) to JSON Lines, CSV or Parquet, streamed
    (any corpus size)."""
    from newswire.export import ExportRequest, choose_format, export_articles

    target = None if output == "-" else Path(output)
    fmt = choose_format(fmt, target)
    text = clean_query(query) if query is not None else None
    with connect(ready_database(config)) as conn:
        filters = _filters(config, conn, given)
        total = None if with_versions else count_matching(conn, text, filters)
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Bar(*columns, console=errors, transient=True) as bar:
            task = bar.add_task(f"exporting to {output}", total=total)
            request = ExportRequest(fmt, target, text, filters, versions=with_versions)
            try:
                written = export_articles(conn, request, lambda n: bar.advance(task, n))
            except BrokenPipeError:  # `newswire export -o - | head`: the reader has enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
    what = "versions of articles" if with_versions else "articles"
    errors.print(f"exported {written} {what} to {output} ({fmt})", soft_wrap=True)


@click.command()
@click.option("--days", type=click.IntRange(1, 3660), default=14, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]))
@click.pass_obj
def stats(config: Config, days: int, fmt: str | None) -> None:
    """Stories against articles, articles per source and day, languages, changed and removed
    articles per source, duplicates and the latest runs."""
    from newswire.results import (
        changes_table,
        languages_table,
        per_day_table,
        stats_record,
        stories_line,
        totals_table,
    )

    with connect(ready_database(config)) as conn:
        summaries = source_summaries(conn)
        per_day = articles_per_day(conn, days=days, now=datetime.now(UTC))
        languages = language_counts(conn)
        last_runs = list_runs(conn, limit=10)
        story_counts = count_stories(conn)
        changes = version_counts(conn)
    if machine_format(fmt, "table") == "table":
        render(
            console,
            stories_line(story_counts),
            totals_table(summaries),
            per_day_table(per_day, list(summaries)),
            languages_table(languages),
            changes_table(changes),
            runs_table(last_runs, title="latest runs"),
        )
    else:
        json.dump(
            stats_record(summaries, per_day, languages, last_runs, story_counts, changes),
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
