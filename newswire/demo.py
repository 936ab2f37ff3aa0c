"""`newswire demo`: the sample news site, crawled into the embedded database, end to end.

The demo uses its own database (``newswire_demo``) on the embedded server (or on DATABASE_URL's
server when set), emptied at each run, so it shows the same thing every time and never mixes
sample articles into a real corpus.
"""

from __future__ import annotations

import signal
import threading

from rich.console import Console

from newswire.config import Config
from newswire.display import articles_table, render
from newswire.samplesite import RunningSite, build_site, start_site
from storage.connection import connect, database_ready, describe_url, recreate_database
from storage.embedded import ensure_embedded
from storage.queries import count_articles, recent_articles
from storage.stories import count_stories

DEMO_DATABASE = "newswire_demo"


def demo_database(config: Config) -> str:
    """A fresh, empty demo database on DATABASE_URL's server or the embedded one."""
    server_url = config.database_url or ensure_embedded(config.embedded_data_dir)
    return database_ready(recreate_database(server_url, DEMO_DATABASE))


def prepare_demo(config: Config, site: RunningSite) -> Config:
    """Config for the demo: a fresh demo database and a sources file for the running site."""
    database_url = demo_database(config)
    sources_path = config.data_dir / "demo-sources.toml"
    sources_path.parent.mkdir(parents=True, exist_ok=True)
    sources_path.write_text(site.sources_toml())
    return config.with_overrides(sources_path=sources_path, database_url=database_url)


def report_demo(config: Config, console: Console, outlets: int) -> None:
    """A few stored articles and one line saying how many the demo stored."""
    assert config.database_url is not None
    with connect(config.database_url) as conn:
        total = count_articles(conn, include_duplicates=True)
        duplicates = total - count_articles(conn)
        stories, _ = count_stories(conn)
        stored = recent_articles(conn, limit=8)
    render(console, articles_table(stored, title="a few stored articles"))
    console.print(
        f"[bold green]stored {total} articles[/] from {outlets} outlets "
        f"({duplicates} of them recorded as a duplicate of another outlet's copy; "
        f"{stories} stories, edited copies counted once) "
        f"in database {DEMO_DATABASE} on {describe_url(config.database_url)}",
        soft_wrap=True,
    )


SHOWN_URLS = 10  # a world of a thousand outlets is summed up, its sources file says the rest


def serve_forever(console: Console, outlets: int) -> None:
    """Serve the sample site until SIGINT/SIGTERM, printing its URLs and a sources file."""
    site = start_site(build_site(outlets=outlets))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    shown = [f"  {name}: {url}" for name, url in list(site.urls.items())[:SHOWN_URLS]]
    if len(site.urls) > SHOWN_URLS:
        shown.append(f"  ... and {len(site.urls) - SHOWN_URLS} more outlets")
    console.print(f"sample news site, {len(site.urls)} outlets:", *shown, sep="\n")
    console.print("a matching sources file:\n")
    console.print(site.sources_toml(), markup=False, highlight=False)
    try:
        stop.wait()
    finally:
        site.stop()
