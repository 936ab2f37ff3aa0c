"""`newswire dedup --rebuild`: recompute signatures and stories for the whole corpus."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

from newswire.cli.output import errors
from newswire.config import Config
from newswire.errors import ConfigError
from storage.connection import connect, ready_database


@click.command()
@click.option("--rebuild", is_flag=True, help="Recompute every signature and story.")
@click.pass_obj
def dedup(config: Config, rebuild: bool) -> None:
    """Near-duplicate stories: --rebuild re-signs every article and re-clusters the corpus
    (after an upgrade, or a change of threshold), a batch at a time."""
    from pipelines.restory import rebuild_stories

    if not rebuild:
        raise ConfigError("newswire dedup: say what to do: --rebuild")
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with connect(ready_database(config)) as conn, Bar(*columns, console=errors) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done)

        result = rebuild_stories(conn, progress)
    errors.print(
        f"rebuilt stories: {result.stories} stories in {result.articles} articles",
        soft_wrap=True,
    )
