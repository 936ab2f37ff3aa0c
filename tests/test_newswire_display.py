"""newswire.display: every table the CLI prints stays readable in a pipe or a log, where rich
would fit it to 80 columns and break words inside cells. The real CLI runs piped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage import runs
from tests.conftest import run_newswire

LONG = "a-source-name-long-enough-to-be-cut-into-pieces-by-an-eighty-column-table"
OTHER = "another-source-with-a-name-that-no-narrow-cell-could-hold-on-one-line"
HOME = "http://127.0.0.1:9/a/home/page/with/a/path/far/too/long/for/any/narrow/column/"
ERROR = "the site answered 503 Service Unavailable to every single request"


@pytest.fixture
def history(db: Any, tmp_path: Path) -> tuple[Path, int]:
    """Two sources with long names and a run history: the sources file and an ended run."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.{LONG}]\nhome = "{HOME}"\nschedule = "every 15m"\njitter = "30s"\n'
        f'[sources.{OTHER}]\nhome = "{HOME}"\nschedule = "*/30 * * * *"\n'
    )
    done = runs.create_run(db, LONG, "manual", pid=1)
    figures = {"pages_fetched": 12, "articles_stored": 3, "refetches": 7,
               "refetch_not_modified": 5, "changed": 1, "removed": 1}  # fmt: skip
    runs.finish_run(db, done, "succeeded", figures, None)
    cut = runs.create_run(db, OTHER, "schedule", pid=2)
    runs.finish_run(db, cut, "interrupted", {"pages_fetched": 1}, ERROR)
    runs.create_run(db, OTHER, "api", status="queued")
    return sources, cut


def piped(database_url: str, data_dir: Path, sources: Path, *args: str) -> list[str]:
    """The lines a command prints to a pipe 80 columns wide."""
    done = run_newswire(
        "--sources", str(sources), *args,
        database_url=database_url, data_dir=data_dir, COLUMNS="80",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def assert_no_word_split(lines: list[str]) -> None:
    """No printed word is a piece of a long name, URL or status (as "succ", "eede", "d")."""
    for word in {word for line in lines for word in line.split()}:
        for whole in (LONG, OTHER, HOME, "succeeded", "interrupted", "queued"):
            assert len(word) < 4 or word not in whole or word == whole, (word, whole, lines)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("sources",), [f"source: {LONG}", f"source: {OTHER}", f"home: {HOME}",
                        "schedule: every 15m, jitter 30s", "schedule: */30 * * * *",
                        "status: succeeded", "status: queued"]),
        (("runs",), [f"source: {LONG}", f"source: {OTHER}", "status: succeeded",
                     "status: interrupted", "status: queued", f"error: {ERROR}",
                     "refetched: 7 (5 not modified, 1 changed, 1 removed)"]),
        (("stats", "--format", "table"), ["latest runs", f"source: {LONG}", "status: queued",
                                          "status: succeeded"]),
    ],
    ids=["sources", "runs", "stats"],
)  # fmt: skip
def test_piped_tables_fold_to_whole_lines(
    database_url: str, tmp_path: Path, history: tuple[Path, int], args: tuple[str, ...],
    expected: list[str],
) -> None:  # fmt: skip
    lines = piped(database_url, tmp_path, history[0], *args)
    assert set(expected) <= set(lines), lines
    assert_no_word_split(lines)


def test_piped_run_details_keep_the_whole_error(
    database_url: str, tmp_path: Path, history: tuple[Path, int]
) -> None:
    sources, run_id = history
    lines = piped(database_url, tmp_path, sources, "runs", "show", str(run_id))
    assert lines[0] == f"run {run_id}"
    assert_no_word_split(lines)
    assert {
        f"source: {OTHER}",
        "status: interrupted",
        "pages fetched: 1",
        f"error: {ERROR}",
    } <= set(lines)


# ---------------------------------------------------------------- source health


@pytest.mark.parametrize(
    ("counts", "line"),
    [
        ([], ""),
        ([0, 0, 0], "   "),
        ([1, 0, 8, 4], "▁ █▄"),
        ([3, 3], "██"),
    ],
)
def test_sparkline_scales_to_the_largest_and_leaves_empty_days_blank(
    counts: list[int], line: str
) -> None:
    from newswire.display import sparkline

    assert sparkline(counts) == line


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (42.4, "42s"), (60, "1m"), (90, "1.5m"), (5400, "1.5h"), (21600, "6h"),
     (4 * 86400, "4d")],
)  # fmt: skip
def test_format_span(seconds: float | None, text: str) -> None:
    from newswire.display import format_span

    assert format_span(seconds) == text


def test_health_table_folds_hostile_names_whole() -> None:
    from rich.console import Console

    from newswire.display import health_table, render
    from newswire.records import HealthState, SourceHealth

    hostile = SourceHealth(
        source="[red]<script>alert(1)</script>[/red]", state=HealthState.NEVER_RUN,
        last_success_at=None, last_article_at=None, articles_per_day=[0] * 30,
        failures_in_row=0, median_run_seconds=None, not_modified_share=None,
        usual_gap_seconds=None, silent_after_seconds=21600.0, runs=0,
    )  # fmt: skip
    console = Console(record=True, width=80, force_terminal=False)
    render(console, health_table([hostile]))
    text = console.export_text()
    assert "source: [red]<script>alert(1)</script>[/red]" in text
    assert "state: never run" in text and "silent after: 6h" in text
