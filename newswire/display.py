"""Terminal rendering with rich: progress, run summaries, sources and articles, and the one
way every table reaches the screen, a pipe or a log (:func:`render`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from newswire.records import HealthState, Run, Source, SourceHealth
from storage.queries import ArticleRow, SourceSummary

if TYPE_CHECKING:
    from scheduler.inprocess import Board


def progress_table(board: Board | None) -> Table:
    """Live figures of the crawls open now, one row each, and a totals line over all sources
    (a crawl of a thousand sources shows its sixteen running, not a thousand rows)."""
    table = Table(title="crawling", title_justify="left", expand=False)
    for column in ("source", "run", "pages", "stored", "duplicates", "dropped"):
        table.add_column(column, justify="left" if column == "source" else "right")
    if board is None:
        return table
    for row in board.running:
        table.add_row(
            row.source,
            str(row.run_id or "-"),
            str(row.pages),
            str(row.articles),
            str(row.duplicates),
            str(row.dropped),
        )
    table.caption = (
        f"{len(board.running)} running, {board.waiting} waiting, {board.done} done;"
        f" {board.pages} pages, {board.articles} stored, {board.duplicates} duplicates"
    )
    table.caption_justify = "left"
    return table


def runs_table(runs: Iterable[Run], title: str = "runs") -> Table:
    """One row per crawl run with its outcome and main figures."""
    table = Table(title=title, title_justify="left")
    for column in (
        "run",
        "source",
        "trigger",
        "status",
        "started",
        "duration",
        "pages",
        "stored",
        "dups",
        "skipped",
        "dropped",
        "refetched",
        "error",
    ):
        table.add_column(column, overflow="fold")
    for run in runs:
        stats = run.stats or {}
        table.add_row(
            str(run.id),
            run.source,
            run.trigger,
            _status(run.status),
            format_when(run.started_at),
            _duration(run.started_at, run.finished_at),
            str(stats.get("pages_fetched", "")),
            str(stats.get("articles_stored", "")),
            str(stats.get("duplicates", "")),
            str(stats.get("skipped_stored", "")),
            str(sum((stats.get("dropped") or {}).values())),
            _refetched(stats),
            (run.error or "")[:80],
        )
    return table


def _refetched(stats: Mapping[str, object]) -> str:
    """A run's refetches and what they came to: "12 (9 not modified, 2 changed, 1 removed)"."""
    count = stats.get("refetches")
    if not count:
        return ""
    parts = [
        f"{stats.get(key)} {label}"
        for key, label in (
            ("refetch_not_modified", "not modified"),
            ("changed", "changed"),
            ("removed", "removed"),
        )
        if stats.get(key)
    ]
    return f"{count} ({', '.join(parts)})" if parts else str(count)


def sources_table(sources: Iterable[Source], summaries: Mapping[str, SourceSummary]) -> Table:
    """Configured sources with their schedule, last run and article count."""
    table = Table(title="sources", title_justify="left")
    for column in (
        "source",
        "home",
        "schedule",
        "articles",
        "dups",
        "last run",
        "status",
        "finished",
    ):
        table.add_column(column, overflow="fold")
    for source in sources:
        summary = summaries.get(source.name)
        table.add_row(
            source.name + ("" if source.enabled else " (disabled)"),
            source.home,
            source.schedule.describe() if source.schedule else "-",
            str(summary.articles if summary else 0),
            str(summary.duplicates if summary else 0),
            str(summary.last_run_id or "-") if summary else "-",
            _status(summary.last_run_status) if summary and summary.last_run_status else "-",
            format_when(summary.last_run_finished_at) if summary else "-",
        )
    return table


def articles_table(articles: Iterable[ArticleRow], title: str = "articles") -> Table:
    """A short listing of articles: id, source, date, title, authors."""
    table = Table(title=title, title_justify="left")
    for column in ("id", "source", "published", "lang", "title", "authors"):
        table.add_column(column, overflow="fold")
    for article in articles:
        table.add_row(
            str(article.id),
            article.source,
            format_when(article.published_at),
            article.language or "",
            article.title + (f" (copy of {article.duplicate_of})" if article.duplicate_of else ""),
            ", ".join(article.authors),
        )
    return table


def _status(status: str | None) -> str:
    colour = {
        "succeeded": "green",
        "failed": "red",
        "interrupted": "yellow",
        "running": "cyan",
        "queued": "blue",
        "cancelled": "magenta",
    }.get(status or "", "")
    return f"[{colour}]{status}[/]" if colour else (status or "")


def format_when(moment: datetime | None) -> str:
    """A time in tables: to the minute, "-" when there is none."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _duration(start: datetime | None, end: datetime | None) -> str:
    if not start or not end:
        return "-"
    return f"{(end - start).total_seconds():.1f}s"


def run_details(run: Run) -> Table:
    """One run in full: when and where it ran, every figure, and its whole error."""
    table = Table(title=f"run {run.id}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    precise = "%Y-%m-%d %H:%M:%S %Z"
    table.add_row("source", Text(run.source))
    table.add_row("trigger", run.trigger)
    table.add_row("status", _status(run.status))
    for label, moment in (
        ("queued", run.queued_at),
        ("started", run.started_at),
        ("finished", run.finished_at),
    ):
        table.add_row(label, moment.strftime(precise) if moment else "-")
    table.add_row("duration", _duration(run.started_at, run.finished_at))
    table.add_row("process", Text(f"pid {run.pid} on {run.hostname}" if run.pid else "-"))
    for key, value in (run.stats or {}).items():
        if isinstance(value, dict):
            value = ", ".join(f"{name} {count}" for name, count in value.items()) or "-"
        table.add_row(key.replace("_", " "), Text(str(value)))
    table.add_row("error", Text(run.error or "-"))
    for check in (run.checks or {}).get("checks", []):
        outcome = "[green]passed[/]" if check.get("passed") else "[red]FAILED[/]"
        table.add_row(
            f"check {check.get('name')}",
            Text.from_markup(outcome) + ": " + Text(str(check.get("message") or "")),
        )
    return table


# ---------------------------------------------------------------- source health

_SPARKS = "▁▂▃▄▅▆▇█"
_STATE_STYLE = {
    HealthState.FAILING: "bold red",
    HealthState.SILENT: "bold yellow",
    HealthState.NEVER_RUN: "blue",
    HealthState.OK: "green",
}


def sparkline(counts: Iterable[int]) -> str:
    """Counts as one line of block characters, scaled to the largest ("" for none); a day
    without any is a space, so a quiet week shows as a gap."""
    values = list(counts)
    top = max(values, default=0)
    if top <= 0:
        return " " * len(values)
    return "".join(
        " " if n <= 0 else _SPARKS[min(len(_SPARKS) - 1, (n * len(_SPARKS) - 1) // top)]
        for n in values
    )


def format_span(seconds: float | None) -> str:
    """A duration for people: 45s, 12m, 7.5h, 3.2d; "-" when unknown."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 1.5 or (unit == "m" and seconds >= 60):
            return f"{seconds / size:.1f}{unit}".replace(".0" + unit, unit)
    return f"{seconds:.0f}s"


def health_table(healths: Iterable[SourceHealth], title: str = "source health") -> Table:
    """One row a source, worst first as given: its state and the figures that explain it."""
    table = Table(title=title, title_justify="left")
    for column in (
        "source",
        "state",
        "last success",
        "last new article",
        "new/day (30 d)",
        "failures",
        "median run",
        "304s",
        "silent after",
    ):
        table.add_column(column, overflow="fold", no_wrap=column == "new/day (30 d)")
    for health in healths:
        share = health.not_modified_share
        table.add_row(
            Text(health.source),
            Text(health.state.value.replace("_", " "), style=_STATE_STYLE[health.state]),
            format_when(health.last_success_at),
            format_when(health.last_article_at),
            Text(sparkline(health.articles_per_day) + f" {sum(health.articles_per_day)}"),
            str(health.failures_in_row),
            format_span(health.median_run_seconds),
            "-" if share is None else f"{share:.0%}",
            format_span(health.silent_after_seconds),
        )
    return table


# ---------------------------------------------------------------- printing

_UNBOUNDED = 100_000  # columns: wide enough to measure any table unclamped


def render(console: Console, *renderables: RenderableType) -> None:
    """Print tables as tables on a terminal wide enough for them. In a pipe or a log, where
    rich would fit them to 80 columns and break words inside cells ("succ / eede / d"), and on
    a terminal too narrow, print them folded instead: the title, then one block of
    ``column: value`` lines per row, each line whole; a blank line between blocks."""
    for index, renderable in enumerate(renderables):
        if index:
            console.print()
        if console.is_terminal and _fits(console, renderable):
            console.print(renderable)
        else:
            console.print(_folded(renderable), markup=False, highlight=False, soft_wrap=True)


def _fits(console: Console, renderable: RenderableType) -> bool:
    """Whether the renderable fits the terminal without breaking a word (a table's minimum
    width is its longest word per column)."""
    parts = renderable.renderables if isinstance(renderable, Group) else [renderable]
    unbounded = console.options.update_width(_UNBOUNDED)  # rich clamps to the width it is given
    return all(Measurement.get(console, unbounded, part).minimum <= console.width for part in parts)


def _folded(renderable: RenderableType) -> str:
    """The plain text of a renderable, with tables folded to ``column: value`` lines."""
    if isinstance(renderable, Group):
        return "\n\n".join(_folded(part) for part in renderable.renderables)
    if not isinstance(renderable, Table):
        return _plain(renderable)
    rows = zip(*(column.cells for column in renderable.columns), strict=True)
    if renderable.show_header:
        headers = [_plain(column.header) for column in renderable.columns]
        blocks = ["\n".join(_pairs(zip(headers, row, strict=True))) for row in rows]
    else:  # a field / value listing is one block already
        blocks = ["\n".join(_pairs((key, value) for key, value, *_ in rows))]
    title = [_plain(renderable.title)] if renderable.title else []
    return "\n\n".join(title + [block for block in blocks if block])


def _pairs(cells: Iterable[tuple[RenderableType, RenderableType]]) -> Iterable[str]:
    """``key: value`` lines for the non-empty cells; a value's own lines indented under it."""
    for key, cell in cells:
        value = _plain(cell)
        if value:
            yield f"{_plain(key)}: " + value.replace("\n", "\n  ")


def _plain(cell: RenderableType) -> str:
    """What a cell says, without styles: strings in tables are rich markup."""
    if isinstance(cell, Group):
        return "\n".join(_plain(part) for part in cell.renderables)
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        return Text.from_markup(cell).plain
    raise TypeError(f"cannot print a {type(cell).__name__} outside a terminal")
