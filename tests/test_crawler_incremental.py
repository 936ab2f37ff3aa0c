"""The incremental gate with a tiny scheduler allowance: requests wait in the gate, none is lost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SiteProcess, run_newswire, start_site_process

BULK = 240


@pytest.fixture(scope="module")
def bulk_site() -> Any:
    site = start_site_process("--bulk", str(BULK), "--gzip")
    try:
        yield site
    finally:
        site.stop()


def _with_settings(site: SiteProcess, path: Path, settings: str) -> Path:
    toml = site.sources_toml
    names = re.findall(r"^\[sources\.(\w+)\]$", toml, flags=re.MULTILINE)
    toml += "".join(f"\n[sources.{name}.settings]\n{settings}\n" for name in names)
    path.write_text(toml)
    return path


def test_requests_past_the_queue_limit_wait_and_are_all_fetched(
    bulk_site: SiteProcess, database_url: str, db: Any, tmp_path: Path
) -> None:
    sources = _with_settings(
        bulk_site, tmp_path / "sources.toml", "NEWSWIRE_INCREMENTAL_QUEUE_LIMIT = 5"
    )
    done = run_newswire(
        "-v", "--sources", str(sources), "crawl", "--all", database_url=database_url,
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    waited = [int(n) for n in re.findall(r"'newswire/incremental/waited': (\d+)", done.stderr)]
    assert len(waited) == 3 and min(waited) > 0, done.stderr[-3000:]
    truth = bulk_site.truth()
    expected = {a["url"] for a in truth["articles"] if not a["old"] and not a["held_back"]}
    stored = {row[0] for row in db.execute("SELECT url FROM articles")}
    assert stored == expected
