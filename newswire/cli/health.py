"""`newswire health`: every source's state at a glance, for people and for cron.

It judges the configured sources now (storage.health), remembers their states (a change is
queued for the webhook once, whoever notices it first) and, with a webhook configured,
sends what is due, so a cron job alone keeps the webhook informed when no scheduler runs.
"""

from __future__ import annotations

import sys

import click

from crawler.sources import load_sources, select_sources
from newswire.cli.output import console
from newswire.config import Config
from newswire.display import health_table, render
from storage.connection import connect, ready_database


@click.command("health")
@click.option("--source", "names", multiple=True, help="Only this source (repeatable).")
@click.pass_obj
def health(config: Config, names: tuple[str, ...]) -> None:
    """Every enabled source's state, worst first: failing, silent, never run, ok.

    Exits 1 when any source is silent or failing, else 0. A source is failing after
    $NEWSWIRE_HEALTH_FAILING_AFTER failed runs in a row (3), silent when no new article came
    for $NEWSWIRE_HEALTH_SILENT_FACTOR times its usual gap (4), and never sooner than
    $NEWSWIRE_HEALTH_SILENT_FLOOR seconds (6 h).
    """
    from scheduler.healthwatch import deliver_due
    from storage.health import judge_sources

    sources = load_sources(config.sources_path)
    chosen = select_sources(sources, names, origin=str(config.sources_path))
    with connect(ready_database(config)) as conn:
        healths = judge_sources(conn, config.health, [source.name for source in chosen])
        deliver_due(conn, config.health)
    render(console, health_table(healths))
    if any(h.state.alarming for h in healths):
        sys.exit(1)
