"""Crawl throughput benchmark: ``make bench`` (or ``.venv/bin/python bench/crawl_bench.py``).

Serves the sample site with N generated 60-120 KB articles (gzip, no charset), crawls it into
a fresh database with ``newswire crawl --all`` and measures, in the same invocation, a re-crawl
of the unchanged site, the naive baseline (bench/naive_crawl.py), the extraction-only limit
(bench/extract_limit.py) and fast mode's quality cost (bench/fast_quality.py). CPU seconds
per process and peak memory of every process together come from bench/meter.py.

The database is a private embedded PostgreSQL in a temporary directory, or fresh databases on
the server of $DATABASE_URL when it is set (that server's other work then counts too).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from crawl_report import print_report
from fast_quality import ModeScore, score_modes
from meter import Meter, Usage
from psycopg import sql

from newswire.config import load_config
from storage.connection import connect, database_ready, drop_database, replace_dbname

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
CRAWL_TIMEOUT = 3600


@dataclass(frozen=True)
class CrawlFigures:
    """One measured crawl (or extraction run) and what it cost."""

    name: str
    articles: int  # articles stored (or pages extracted, for the limit)
    rows: int  # rows written to articles, article_urls and article_html
    pages: int  # HTTP responses received
    usage: Usage
    seconds: float  # wall time of the measured phase
    cpu_seconds: float | None = None  # the measured phase's own CPU, where the script reports it

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


@dataclass
class Site:
    """The sample site subprocess and what it announced."""

    process: subprocess.Popen[str]
    sources_toml: str
    base_url: str

    def truth(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url + "__sample/truth.json", timeout=120) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_site(*args: str) -> Site:
    """``python -m newswire.samplesite ARGS``; returns once it has printed its URLs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newswire.samplesite", *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"bench: the sample site did not start (exit {process.wait()})")
    announced = json.loads(line)
    return Site(process, announced["sources_toml"], next(iter(announced["urls"].values())))


class Databases:
    """Fresh databases on one server: a private embedded one, or $DATABASE_URL's."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.embedded_dir: Path | None = None
        configured = load_config().database_url
        if configured:
            self.server_url = configured
        else:
            from storage.embedded import ensure_embedded

            self.embedded_dir = workdir / "postgres18"
            self.server_url = ensure_embedded(self.embedded_dir)
        self.created: list[str] = []
        self.postmaster_pid: int | None = None
        with connect(self.server_url) as conn:  # asked while the backend is alive to be seen
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()
            try:
                self.postmaster_pid = psutil.Process(backend[0]).ppid() if backend else None
            except psutil.Error:  # a server on another machine: its CPU cannot be seen
                self.postmaster_pid = None

    def fresh(self) -> str:
        """A new database with newswire's schema."""
        name = f"newswire_bench_{secrets.token_hex(4)}"
        with connect(self.server_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return database_ready(replace_dbname(self.server_url, name))

    def close(self) -> None:
        for name in self.created:
            drop_database(self.server_url, name)
        if self.embedded_dir is not None:
            from storage.embedded import stop_embedded

            stop_embedded(self.embedded_dir)


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(DATABASE_URL=database_url, NEWSWIRE_DATA_DIR=str(data_dir), COLUMNS="160")
    return env


def count_rows(database_url: str) -> tuple[int, int, int]:
    """(articles, rows in the three article tables, HTTP responses recorded by runs)."""
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_urls),"
            " (SELECT count(*) FROM article_html),"
            " (SELECT coalesce(sum((stats->>'pages_fetched')::int), 0) FROM crawl_runs)"
        ).fetchone()
    assert row is not None
    articles, urls, html, pages = row
    return articles, articles + urls + html, pages


def measure(
    name: str, command: list[str], env: dict[str, str], watched: dict[str, int], log: Path
) -> tuple[Usage, float]:
    """Run ``command`` to completion while metering it and the ``watched`` processes."""
    meter = Meter()
    for group, pid in watched.items():
        meter.watch(group, pid)
    with meter, log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        meter.watch("crawl", process.pid)
        code = process.wait(timeout=CRAWL_TIMEOUT)
        seconds = time.perf_counter() - started
    if code != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench: {name} exited with {code}; its output ends:\n{tail}")
    return meter.usage(), seconds


def run_crawl(
    name: str, command: list[str], database_url: str, data_dir: Path, watched: dict[str, int]
) -> CrawlFigures:
    """A crawl subprocess into ``database_url``; rows and articles are the ones it added."""
    before = count_rows(database_url)
    usage, seconds = measure(
        name, command, _env(database_url, data_dir), watched, data_dir / f"{name}.log"
    )
    after = count_rows(database_url)
    return CrawlFigures(
        name,
        articles=after[0] - before[0],
        rows=after[1] - before[1],
        pages=after[2] - before[2],
        usage=usage,
        seconds=seconds,
    )


def run_outcomes(database_url: str) -> dict[str, Any]:
    """What the runs in a database counted beyond stored articles: drops, errors, statuses."""
    totals: dict[str, Any] = {"runs": 0, "failed": 0, "errors": 0, "retries": 0, "dropped": {}}
    with connect(database_url) as conn:
        for status, stats in conn.execute("SELECT status, stats FROM crawl_runs ORDER BY id"):
            totals["runs"] += 1
            totals["failed"] += status != "succeeded"
            totals["errors"] += int(stats.get("errors", 0))
            totals["retries"] += int(stats.get("retries", 0))
            for reason, count in (stats.get("dropped") or {}).items():
                totals["dropped"][reason] = totals["dropped"].get(reason, 0) + int(count)
    return totals


def crawl_command(sources: Path, max_pages: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "newswire", "--sources", str(sources),
        "crawl", "--all", "--max-pages", str(max_pages), *extra,
    ]  # fmt: skip


def exact_only(sources_toml: str) -> str:
    """The sources file with near-dup detection switched off for every source (a Scrapy
    setting in each source's ``settings`` table): stories of exact copies only."""
    import tomllib

    names = tomllib.loads(sources_toml)["sources"]
    tables = [f"[sources.{name}.settings]\nNEWSWIRE_DEDUP_NEAR = false\n" for name in names]
    return "\n".join([sources_toml, *tables])


def near_dup_pairs(
    label: str, first: CrawlFigures, site: Site, dbs: Databases, work: Path, rounds: int
) -> dict[str, list[CrawlFigures]]:
    """End-to-end crawls with near-dup detection on and off, each into a fresh database and
    data directory, alternating so the machine's drift hits both; ``first`` is the first "on"."""
    watched = {"site": site.process.pid}
    if dbs.postmaster_pid is not None:
        watched["postgres"] = dbs.postmaster_pid
    sources = {"on": work / f"{label}-sources.toml", "off": work / f"{label}-sources-exact.toml"}
    sources["off"].write_text(exact_only(site.sources_toml))
    max_pages = first.articles + 1000  # as the first crawl: no source runs out of budget
    found: dict[str, list[CrawlFigures]] = {"on": [first], "off": []}
    for round_ in range(rounds):
        for mode in ("off", "on") if round_ == 0 else ("on", "off"):
            if round_ == 0 and mode == "on":
                continue
            name = f"{label}-near-{mode}-{round_ + 1}"
            data_dir = work / f"{name}-data"
            data_dir.mkdir()
            command = crawl_command(sources[mode], max_pages)
            found[mode].append(run_crawl(name, command, dbs.fresh(), data_dir, watched))
    return found


def dump_pages(database_url: str, sources_toml: str, directory: Path) -> Path:
    """Write every stored article's HTML to disk; returns the manifest extract_limit reads."""
    import tomllib

    languages = {
        name: entry.get("language")
        for name, entry in tomllib.loads(sources_toml)["sources"].items()
    }
    directory.mkdir(parents=True, exist_ok=True)
    manifest = []
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT a.id, a.source, h.fetched_url, h.html_zlib FROM articles a"
            " JOIN article_html h ON h.article_id = a.id ORDER BY a.id"
        )
        for article_id, source, url, html_zlib in rows:
            path = directory / f"{article_id}.html"
            path.write_bytes(zlib.decompress(html_zlib))
            manifest.append([str(path), url, languages.get(source)])
    manifest_path = directory / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    return manifest_path


def run_limit(manifest: Path, workers: int, fast: bool, log_dir: Path) -> CrawlFigures:
    """bench/extract_limit.py in a subprocess; its own timing excludes pool start-up."""
    command = [
        sys.executable, str(BENCH_DIR / "extract_limit.py"), str(manifest), str(workers),
        "fast" if fast else "default",
    ]  # fmt: skip
    name = "limit-fast" if fast else "limit"
    usage, _ = measure(name, command, dict(os.environ), {}, log_dir / f"{name}.log")
    result = json.loads((log_dir / f"{name}.log").read_text().strip().splitlines()[-1])
    return CrawlFigures(
        name,
        int(result["extracted"]),
        0,
        int(result["pages"]),
        usage,
        float(result["seconds"]),
        sum(result["worker_cpu"].values()),
    )


def run_floor(database_url: str, work: Path, watched: dict[str, int], label: str) -> CrawlFigures:
    """bench/scrapy_floor.py over the stored articles' URLs, while the site still serves them."""
    with connect(database_url) as conn:
        urls = [url for (url,) in conn.execute("SELECT fetched_url FROM article_html")]
    path = work / f"{label}-urls.json"
    path.write_text(json.dumps(urls))
    name = f"{label}-scrapy"
    command = [sys.executable, str(BENCH_DIR / "scrapy_floor.py"), str(path)]
    usage, _ = measure(name, command, dict(os.environ), watched, work / f"{name}.log")
    result = json.loads((work / f"{name}.log").read_text().strip().splitlines()[-1])
    pages = int(result["pages"])
    return CrawlFigures(
        name, pages, 0, pages, usage, float(result["seconds"]), float(result["cpu_seconds"])
    )


@contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="newswire-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"bench: files kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def expected_count(truth: dict[str, Any]) -> int:
    """Articles a complete crawl stores: every live article that is not too old."""
    return sum(1 for a in truth["articles"] if not a["old"] and not a["held_back"])


def crawl_site(
    label: str,
    articles: int,
    dbs: Databases,
    work: Path,
    *,
    recrawl: bool,
    naive: bool,
    near_dup_rounds: int = 0,
) -> dict[str, Any]:
    """Serve a bulk site; crawl it (and re-crawl, and crawl it naively) into fresh databases."""
    site = start_site("--bulk", str(articles), "--gzip", "--static", "--request-log", "0")
    try:
        sources = work / f"{label}-sources.toml"
        sources.write_text(site.sources_toml)
        watched = {"site": site.process.pid}
        if dbs.postmaster_pid is not None:
            watched["postgres"] = dbs.postmaster_pid
        max_pages = articles + 1000
        database_url = dbs.fresh()
        data_dir = work / f"{label}-data"
        data_dir.mkdir()
        found: dict[str, Any] = {"expected": expected_count(site.truth()), "database": database_url}
        command = crawl_command(sources, max_pages)
        found["e2e"] = run_crawl(f"{label}-e2e", command, database_url, data_dir, watched)
        found["e2e_outcomes"] = run_outcomes(database_url)
        log = (data_dir / f"{label}-e2e.log").read_text(errors="replace").splitlines()
        found["e2e_problems"] = [line for line in log if "ERROR" in line or "WARNING" in line]
        if near_dup_rounds:
            found["near_dup"] = near_dup_pairs(
                label, found["e2e"], site, dbs, work, near_dup_rounds
            )
        if recrawl:
            found["recrawl"] = run_crawl(
                f"{label}-recrawl", command, database_url, data_dir, watched
            )
        if naive:
            naive_url = dbs.fresh()
            naive_command = [
                sys.executable, str(BENCH_DIR / "naive_crawl.py"), str(sources), naive_url,
                str(max_pages),
            ]  # fmt: skip
            found["naive"] = run_crawl(
                f"{label}-naive", naive_command, naive_url, data_dir, watched
            )
        if naive:  # the full measurement: Scrapy alone, for the ceiling it sets
            found["floor"] = run_floor(database_url, work, watched, label)
        found["sources_toml"] = site.sources_toml
        return found
    finally:
        site.stop()


def quality() -> list[ModeScore]:
    """Fast mode against default mode on the default sample site (no bulk articles)."""
    site = start_site()
    try:
        return score_modes(site.truth())
    finally:
        site.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/crawl_bench.py", description="newswire crawl throughput benchmark."
    )
    parser.add_argument("--articles", type=int, default=2000, help="generated articles (2000)")
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--also-large",
        type=int,
        nargs="?",
        const=20000,
        default=0,
        metavar="N",
        help="also crawl an N-article site (default 20000) to check memory stays flat",
    )
    parser.add_argument(
        "--near-dup-rounds",
        type=int,
        default=1,
        metavar="N",
        help="end-to-end crawls with near-dup detection off and on, N of each (1; 0 skips)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="limit's pool")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.articles < 1:
        raise SystemExit("bench: --articles must be at least 1")
    with workspace(args.keep) as work:
        dbs = Databases(work)
        try:
            print(f"bench: crawling a {args.articles}-article site ...", file=sys.stderr)
            main_run = crawl_site(
                "main",
                args.articles,
                dbs,
                work,
                recrawl=True,
                naive=not args.skip_naive,
                near_dup_rounds=args.near_dup_rounds,
            )
            print("bench: extraction-only limit ...", file=sys.stderr)
            manifest = dump_pages(main_run["database"], main_run["sources_toml"], work / "pages")
            main_run["limit"] = run_limit(manifest, args.workers, False, work)
            main_run["limit_fast"] = run_limit(manifest, args.workers, True, work)
            print("bench: fast mode quality on the default sample site ...", file=sys.stderr)
            scores = quality()
            large = None
            if args.also_large:
                print(f"bench: crawling a {args.also_large}-article site ...", file=sys.stderr)
                large = crawl_site("large", args.also_large, dbs, work, recrawl=False, naive=False)
        finally:
            dbs.close()
    report = print_report(args.articles, main_run, scores, large)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=_jsonable))
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
