"""`newswire reextract`: the current extraction over the stored raw HTML, changes written back.

For a database crawled by an older newswire: titles without site affixes, authors apart from
agency credits, modified dates and the provenance of each field, from the HTML it kept.
"""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.progress import Progress as Bar
from rich.table import Table

from newswire.cli.output import console, errors
from newswire.config import Config
from newswire.display import render
from storage.connection import connect, ready_database
from storage.search import parse_when


@click.command()
@click.option("--source", help="Only this source's articles.")
@click.option("--since", help="Only articles fetched at or after: YYYY-MM-DD or ISO 8601 time.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.pass_obj
def reextract(
    config: Config, source: str | None, since: str | None, dry_run: bool, batch_size: int
) -> None:
    """Extract stored articles again from their raw HTML and update the fields that changed."""
    from pipelines.reextract import ReextractRequest
    from pipelines.reextract import reextract as run_reextract

    moment = parse_when(since, name="--since") if since else None
    request = ReextractRequest(source, moment, dry_run, batch_size)
    with connect(ready_database(config)) as conn:
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Bar(*columns, console=errors, transient=True) as bar:
            task = bar.add_task("re-extracting", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = run_reextract(conn, request, progress)
    verb = "would change" if dry_run else "changed"
    table = Table(
        title=f"{report.changed} of {report.examined} articles {verb}", title_justify="left"
    )
    table.add_column("field")
    table.add_column("articles", justify="right")
    for name, count in sorted(report.fields.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(name, str(count))
    render(console, table)
    if report.rejected:
        errors.print(f"{report.rejected} page(s) no longer extract as articles: left as stored")
