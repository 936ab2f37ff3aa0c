"""newswire.cli: the console script's package. Commands import only what they need: the
scheduler must start in time for its own catch-up run, and queries must not pay for Scrapy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWSWIRE, newswire_env

HEAVY = ("scrapy", "twisted", "trafilatura", "newswire.samplesite")


def imported(args: tuple[str, ...], database_url: str, data_dir: Path) -> set[str]:
    """The modules a real `newswire ARGS` imported, read from -X importtime."""
    sources = data_dir / "sources.toml"
    sources.write_text('[sources.planet]\nhome = "http://127.0.0.1:9/"\n')
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *NEWSWIRE[1:], "--sources", str(sources), *args],
        env=newswire_env(database_url, data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


@pytest.mark.parametrize(
    "args",
    [("--help",), ("scheduler", "--help"), ("runs",), ("sources",), ("stats", "--format", "json"),
     ("search", "talks", "--format", "json")],
)  # fmt: skip
def test_commands_that_do_not_crawl_load_no_crawler(
    database_url: str, db: object, tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = imported(args, database_url, tmp_path)
    assert "click" in modules and not modules & set(HEAVY)


def test_python_m_newswire_is_the_console_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [*NEWSWIRE, "--help"], env=newswire_env("postgresql:///unused", tmp_path),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "search" in done.stdout and "scheduler" in done.stdout
