"""`make screenshots`: a desktop and a phone picture of every web page, from the sample corpus.

Serves the sample site, crawls it into a scratch database (on the server of DATABASE_URL,
else a private embedded PostgreSQL), revises the site (POST /__sample/revise) and crawls it
again, so articles have versions and sources have runs; then starts `newswire serve` and
saves each page at 1440 and 390 px wide into docs/screenshots/ (the README shows them). The
pictures are of the top of each page, as a reader first sees it, to keep them small.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newswire.config import load_config
from storage.connection import connect
from storage.embedded import ensure_embedded, stop_embedded
from tests.browser import chromium, missing_browser
from tests.conftest import Corpus, crawled_into_database, run_newswire, start_site_process
from tests.test_newswire_api import TOKEN, serving

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@contextmanager
def _server_url() -> Iterator[str]:
    """DATABASE_URL's server, or an embedded one in a temporary directory."""
    configured = load_config().database_url
    if configured:
        yield configured
        return
    scratch = Path(tempfile.mkdtemp(prefix="newswire-shots-"))
    try:
        yield ensure_embedded(scratch / "postgres18")
    finally:
        stop_embedded(scratch / "postgres18")
        shutil.rmtree(scratch, ignore_errors=True)


def pages(corpus: Corpus) -> dict[str, str]:
    """Every page by the name of its picture; the article is the one the revision edited."""
    with connect(corpus.database_url) as conn:
        row = conn.execute(
            "SELECT article_id FROM article_versions WHERE version = 2 AND kinds[1] = 'text_edit'"
            " ORDER BY 1 LIMIT 1"
        ).fetchone()
    assert row is not None, "the crawl stored nothing"
    return {
        "search": "/?q=north+korea+OR+talks",
        "article": f"/article/{row[0]}",
        "sources": "/outlets",
        "source": "/outlets/planet",
        "runs": "/crawls",
    }


def take(corpus: Corpus) -> list[Path]:
    """Every page at every size, saved as PNG; returns the files written."""
    written = []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with serving(corpus, NEWSWIRE_API_TOKEN=TOKEN) as server, chromium() as browser:
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
            page = context.new_page()
            for name, path in pages(corpus).items():
                page.goto(server.url + path)
                page.wait_for_load_state("networkidle")
                target = OUTPUT / f"{name}-{size}.png"
                page.screenshot(path=str(target))
                written.append(target)
            context.close()
    return written


def main() -> int:
    reason = missing_browser()
    if reason is not None:
        print(f"make screenshots: {reason}", file=sys.stderr)
        return 1
    with (
        _server_url() as server_url,
        start_site_process() as site,
        tempfile.TemporaryDirectory(prefix="newswire-shots-") as scratch,
        crawled_into_database(server_url, site, Path(scratch)) as corpus,
    ):
        site._control("revise", method="POST")
        again = run_newswire(
            "--sources", str(corpus.sources_path), "crawl", "--all",
            database_url=corpus.database_url, data_dir=corpus.data_dir,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-2000:]
        for path in take(corpus):
            print(f"{path.relative_to(OUTPUT.parent.parent)}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
