"""What `newswire search/show/stats` print: rich tables on a terminal, JSON, JSON Lines or CSV
for machines. Machine records match the HTTP API's, so scripts can switch between the two."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from newswire.display import format_when
from newswire.records import ArticleRow, SearchHit, field_names
from newswire.responses import article_body, hit_body
from pipelines.changes import VersionDiff, render_word_diff
from storage.queries import ArticleCopy, DayCount, LanguageCount, SourceSummary
from storage.search import HIGHLIGHT_START, HIGHLIGHT_STOP
from storage.versions import VersionCount

HIT_FIELDS = field_names(SearchHit)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def hit_record(hit: SearchHit) -> dict[str, Any]:
    """A result exactly as the API returns it (snippet HTML-escaped with <mark> tags)."""
    return hit_body(hit).model_dump(mode="json")


def write_records(records: Sequence[Mapping[str, Any]], fmt: str, stream: IO[str]) -> None:
    """json (one array), jsonl (one object a line) or csv (lists as JSON arrays)."""
    if fmt == "json":
        json.dump(list(records), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
    elif fmt == "jsonl":
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        writer = csv.writer(stream)
        writer.writerow(HIT_FIELDS)
        for record in records:
            writer.writerow(
                json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                for v in (record[name] for name in HIT_FIELDS)
            )


def highlighted(raw: str, style: str = "bold yellow") -> Text:
    """A snippet for the terminal: matched words styled, nothing read as rich markup."""
    text = Text()
    inside = False
    for part in (
        " ".join(raw.split()).replace(HIGHLIGHT_STOP, HIGHLIGHT_START).split(HIGHLIGHT_START)
    ):
        text.append(part, style=style if inside else "")
        inside = not inside
    return text


def hits_table(hits: Iterable[SearchHit], title: str) -> Table:
    """Search results: id, source, date, language, then title over its snippet."""
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("id", "source", "published", "lang"):
        table.add_column(column, no_wrap=column != "source")
    table.add_column("title / snippet", overflow="fold", ratio=1)
    for hit in hits:
        heading = Text(hit.title, style="bold")
        if hit.duplicate_of:
            heading.append(f" (copy of {hit.duplicate_of})", style="dim")
        body = highlighted(hit.snippet) if hit.snippet else Text(hit.description or "", "dim")
        table.add_row(
            str(hit.id), Text(hit.source), format_when(hit.published_at), hit.language or "-",
            Group(heading, body),
        )  # fmt: skip
    return table


def article_record(
    article: ArticleRow, urls: Sequence[str], copies: Sequence[ArticleCopy]
) -> dict[str, Any]:
    """Every field of one article, its URLs and its copies, exactly as the API returns them."""
    return article_body(article, urls, copies).model_dump(mode="json")


def article_view(article: ArticleRow, urls: Sequence[str], copies: Sequence[ArticleCopy]) -> Group:
    """One article for reading: its fields in a table, then the text."""
    table = Table(title=f"article {article.id}", title_justify="left", show_header=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, value in article.__dict__.items():
        if name in ("text", "text_hash"):
            continue
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        elif isinstance(value, datetime):
            value = value.isoformat()
        table.add_row(name.replace("_", " "), Text("-" if value is None else str(value)))
    table.add_row("text hash", article.text_hash.hex())
    table.add_row("urls", Text("\n".join(urls) or "-"))
    for copy in copies:
        role = "original" if copy.id == article.story_id else "copy"
        when = copy.published_at.date().isoformat() if copy.published_at else "undated"
        similar = "-" if copy.similarity is None else f"{copy.similarity:.0%} similar"
        table.add_row(role, Text(f"{copy.id} {copy.source} {when} {similar} {copy.url}"))
    return Group(table, Text(article.text))


def versions_view(diffs: Sequence[VersionDiff]) -> Table:
    """An article's versions for reading: time, kinds and word counts, then the word diffs
    of title and text (``[-removed-] {+added+}``, unchanged runs cut)."""
    table = Table(title="versions", title_justify="left")
    for column in ("version", "fetched", "kind", "words", "changes"):
        table.add_column(column, overflow="fold", no_wrap=column != "changes")
    for diff in diffs:
        v = diff.version
        lines = []
        if diff.title_diff:
            lines.append(f"title: {render_word_diff(diff.title_diff)}")
        if diff.text_diff:
            lines.append(f"text: {render_word_diff(diff.text_diff)}")
        if v.url:
            lines.append(f"now at: {v.url}")
        if v.status != 200:
            lines.append(f"HTTP {v.status}")
        words = f"+{v.words_added} -{v.words_removed}" if v.version > 1 else "-"
        table.add_row(
            str(v.version), format_when(v.fetched_at), ", ".join(v.kinds), words,
            Text("\n".join(lines) or "-"),
        )  # fmt: skip
    return table


def stories_line(stories: tuple[int, int]) -> Text:
    """Stories against articles: copies of one story (exact or edited) count once."""
    count, articles = stories
    return Text(f"{count} stories in {articles} articles ({articles - count} copies)")


def stats_record(
    summaries: Mapping[str, SourceSummary],
    days: Sequence[DayCount],
    languages: Sequence[LanguageCount],
    runs: Sequence[Any],
    stories: tuple[int, int] = (0, 0),
    changes: Sequence[VersionCount] = (),
) -> dict[str, Any]:
    """The figures of `newswire stats` for machines; stories is (stories, articles)."""
    return {
        "stories": stories[0],
        "articles": stories[1],
        "sources": [{k: _plain(v) for k, v in s.__dict__.items()} for s in summaries.values()],
        "per_day": [{k: _plain(v) for k, v in d.__dict__.items()} for d in days],
        "languages": [lang.__dict__ for lang in languages],
        "changes": [count.__dict__ for count in changes],
        "last_runs": [
            {k: _plain(v) for k, v in run.__dict__.items() if k != "stats"} for run in runs
        ],
    }


def per_day_table(days: Sequence[DayCount], sources: Sequence[str]) -> Table:
    """Articles per publication day (rows) and source (columns); copies in brackets."""
    table = Table(title="articles per day (UTC, by publication date)", title_justify="left")
    table.add_column("day")
    for source in sources:
        table.add_column(source, justify="right")
    cells = {(d.day, d.source): d for d in days}
    for day in sorted({d.day for d in days}, reverse=True):
        row = [day.isoformat()]
        for source in sources:
            count = cells.get((day, source))
            text = "" if count is None else str(count.articles)
            if count is not None and count.duplicates:
                text += f" ({count.duplicates})"
            row.append(text)
        table.add_row(*row)
    return table


def changes_table(changes: Sequence[VersionCount]) -> Table:
    """Per source: articles whose content changed since first stored, and articles removed."""
    table = Table(title="changed and removed articles", title_justify="left")
    for column in ("source", "changed", "removed"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for count in changes:
        table.add_row(count.source, str(count.changed), str(count.removed))
    return table


def languages_table(languages: Sequence[LanguageCount]) -> Table:
    """Stored articles per language."""
    table = Table(title="languages", title_justify="left")
    for column in ("language", "articles", "duplicates"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for lang in languages:
        table.add_row(lang.language or "unknown", str(lang.articles), str(lang.duplicates))
    return table


def totals_table(summaries: Mapping[str, SourceSummary]) -> Table:
    """Articles, duplicates and the latest run of every source."""
    table = Table(title="sources", title_justify="left")
    for column in ("source", "articles", "duplicates", "last run", "status", "finished"):
        numeric = column in ("articles", "duplicates")
        table.add_column(column, justify="right" if numeric else "left")
    for s in summaries.values():
        table.add_row(
            Text(s.source), str(s.articles), str(s.duplicates), str(s.last_run_id or "-"),
            s.last_run_status or "-", format_when(s.last_run_finished_at),
        )  # fmt: skip
    return table
