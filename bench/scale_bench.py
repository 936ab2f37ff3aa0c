"""A thousand outlets through the scheduler and its workers: ``make bench-scale``.

One invocation on a fresh database, against a generated sample world (``--outlets``, 1,000 by
default, about ten articles each):

1. the first crawl of every outlet, triggered at once through ``newswire scheduler
   --workers W``: wall time, articles/s, peak database connections, peak RSS/PSS of every
   process (scheduler, workers, their extraction processes, the site, PostgreSQL);
2. refresh cycles of the unchanged world, each source triggered once: wall time, source
   refreshes/s, CPU-s per refresh (site and database included), requests per refresh, the
   304 share, peak connections, and the worker's peak RSS in each cycle (first to last);
3. the baseline, the same refresh the old way: the same scheduler (``--workers 0``) with a
   worker that runs each job as its own ``scrapy crawl`` subprocess, two at once as the old
   scheduler did (bench/process_per_run.py), over ``--baseline-sources`` of the outlets (at
   about one source a second, all 1,000 would take a quarter of an hour);
4. the ceiling: Scrapy alone (bench/scrapy_floor.py) fetching the URLs one refresh cycle
   requested, one process, no gate, no database.

Every figure is printed beside its baseline and ceiling from the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from crawl_bench import REPO, Databases, _env, start_site
from meter import Meter, Usage

from scheduler.queue import queue_crawls
from storage.connection import connect

BENCH_DIR = Path(__file__).resolve().parent
NEWSWIRE = [sys.executable, "-m", "newswire"]
CONNECTION_SAMPLE = 0.05
# The bench's own sessions (triggering, waiting, counting) are not the scheduler's or its
# workers': the connection figures leave them out.
BENCH_APP = "newswire bench"
MB = 1024 * 1024


class ConnectionPeak(threading.Thread):
    """The most client sessions the database had at once, sampled from pg_stat_activity, and
    how many runs were running at once (peak and mean over the samples).

    The bench's own sessions are left out, and so are the server's autovacuum workers: they
    are not client connections and do not count against max_connections (one met the peak at
    1,000 outlets)."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.conn = connect(database_url, application_name=BENCH_APP)
        self.peak = 0
        self.running: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(CONNECTION_SAMPLE):
            row = self.conn.execute(
                "SELECT (SELECT count(*) FROM pg_stat_activity"
                "  WHERE datname = current_database() AND application_name <> %s"
                "  AND backend_type = 'client backend'),"
                " (SELECT count(*) FROM crawl_runs WHERE status = 'running')",
                [BENCH_APP],
            ).fetchone()
            self.peak = max(self.peak, int(row[0]) if row else 0)
            self.running.append(int(row[1]) if row else 0)

    def reset(self) -> tuple[int, list[int]]:
        """The connection peak and the running counts since the last reset."""
        peak, self.peak = self.peak, 0
        running, self.running = self.running, []
        return peak, running

    def close(self) -> None:
        self._halt.set()
        self.join()
        self.conn.close()


@dataclass
class Cycle:
    """One batch of runs, every source triggered once, to its end."""

    name: str
    sources: int
    seconds: float
    usage: Usage
    connections: int
    runs: dict[str, int]
    pages: int
    not_modified: int
    articles: int
    running: list[int] = field(default_factory=list)  # runs running at once, per sample
    worker_rss: list[int] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.sources / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_source(self) -> float:
        return self.usage.cpu() / self.sources if self.sources else 0.0


def scheduler_process(
    sources: Path, database_url: str, data_dir: Path, *flags: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    log = (data_dir / f"scheduler-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [*NEWSWIRE, "--sources", str(sources), "scheduler", *flags],
        env={**_env(database_url, data_dir), **env}, cwd=REPO, stdout=log,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_workers(database_url: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with connect(database_url, application_name=BENCH_APP) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
            if row and row[0] >= count:
                return
            time.sleep(0.1)
    raise SystemExit(f"bench: {count} worker(s) did not start within {timeout:g} s")


def run_cycle(
    name: str,
    database_url: str,
    names: list[str],
    watched: dict[str, int],
    connections: ConnectionPeak,
    timeout: float,
) -> Cycle:
    """Trigger every named source once and wait for all of the runs to end."""
    meter = Meter()
    for group, pid in watched.items():
        meter.watch(group, pid)
    connections.reset()
    with meter, connect(database_url, application_name=BENCH_APP) as conn:
        started = time.perf_counter()
        run_ids = [q.run_id for q in queue_crawls(conn, names, "manual") if q.job_id is not None]
        deadline = started + timeout
        while True:
            row = conn.execute(
                "SELECT count(*) FROM crawl_runs WHERE id = ANY(%s)"
                " AND status IN ('queued', 'running')",
                [run_ids],
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            if time.perf_counter() > deadline:
                open_runs = row and row[0]
                raise SystemExit(f"bench: {name}: {open_runs} runs still open after {timeout}s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        figures = conn.execute(
            "SELECT coalesce(sum((stats->>'pages_fetched')::int), 0),"
            " coalesce(sum((stats->>'not_modified')::int), 0),"
            " coalesce(sum((stats->>'articles_stored')::int), 0)"
            " FROM crawl_runs WHERE id = ANY(%s)",
            [run_ids],
        ).fetchone()
        runs = dict(
            conn.execute(
                "SELECT status, count(*) FROM crawl_runs WHERE id = ANY(%s) GROUP BY 1", [run_ids]
            ).fetchall()
        )
    assert figures is not None
    pages, not_modified, articles = (int(v) for v in figures)
    usage = meter.usage()
    peak, running = connections.reset()
    return Cycle(name, len(run_ids), seconds, usage, peak, runs, pages, not_modified, articles,
                 running)  # fmt: skip


def worker_pids(scheduler: subprocess.Popen[str]) -> list[int]:
    """The scheduler's worker subprocesses (not their extraction processes)."""
    found = []
    for child in psutil.Process(scheduler.pid).children():
        try:
            if "worker" in child.cmdline():
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def peak_rss(usage: Usage, pids: list[int]) -> int:
    return max((p.rss_peak for p in usage.processes if p.pid in pids), default=0)


def site_requests(base_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(base_url + "__sample/requests.json", timeout=120) as response:
        return json.load(response)


def reset_requests(base_url: str) -> None:
    request = urllib.request.Request(base_url + "__sample/requests/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def stop(process: subprocess.Popen[str], timeout: float = 120) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_ceiling(urls: list[str], work: Path) -> dict[str, float]:
    path = work / "refresh-urls.json"
    path.write_text(json.dumps(urls))
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "scrapy_floor.py"), str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench: scrapy_floor failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, found: dict[str, Any]) -> None:
    first: Cycle = found["first"]
    cycles: list[Cycle] = found["refreshes"]
    refresh, baseline, ceiling = cycles[0], found["baseline"], found["ceiling"]
    print(f"\nscale benchmark: {args.outlets} outlets, {args.workers} worker(s) x "
          f"{args.concurrency} crawls, {psutil.cpu_count()} cores")  # fmt: skip
    stored = found["expected"] - len(found["missing"]) + found["unexpected"]
    print(f"first crawl: {first.sources} sources in {first.seconds:.1f} s, {stored} articles "
          f"({stored / first.seconds:.1f}/s); ground truth {found['expected']}: "
          f"{len(found['missing'])} missing {found['missing'][:3]}, {found['unexpected']} not in "
          f"it; runs {first.runs}")  # fmt: skip
    print(f"  peak DB connections {first.connections}, peak RSS {first.usage.peak_rss / MB:.0f}"
          f" MB, PSS {first.usage.peak_pss / MB:.0f} MB (all processes), CPU "
          f"{first.usage.cpu():.1f} s")  # fmt: skip
    rows = [("workers (this)", refresh), ("old way (process per run)", baseline)]
    logs = dict(zip([label for label, _ in rows], [found["site_last"], found["site_baseline"]],
                    strict=True))  # fmt: skip
    print("refresh of the unchanged world, every source triggered once:")
    for label, cycle in rows:
        share = cycle.not_modified / cycle.pages if cycle.pages else 0.0
        print(f"  {label:27} {cycle.sources:5} sources {cycle.seconds:7.1f} s "
              f"{cycle.per_second:6.2f} refreshes/s  {cycle.cpu_per_source:.3f} CPU-s each  "
              f"{cycle.pages / cycle.sources:.1f} requests each  304 share {share:.0%}  "
              f"peak conns {cycle.connections}  runs {cycle.runs}")  # fmt: skip
        log = logs[label]
        revalidated = sum(1 for r in log if r["status"] == 304)
        when = "its last cycle" if label == rows[0][0] else "its cycle"
        print(f"  {'':27} as the site saw {when}:"
              f" {len(log) / cycle.sources:.1f} HTTP requests per refresh, 304 share "
              f"{revalidated / len(log) if log else 0:.0%} (the rest of the requests above are"
              " fresh HTTP-cache hits)")  # fmt: skip
        busy = [n for n in cycle.running if n] or [0]
        print(f"  {'':27} running at once: peak {max(busy)}, mean {sum(busy) / len(busy):.1f}")
    ceiling_rate = args.outlets / ceiling["seconds"]
    print(
        f"  {'Scrapy alone (ceiling)':27} {ceiling['pages']:5} URLs    "
        f"{ceiling['seconds']:7.1f} s {ceiling_rate:6.2f} sources/s    "
        f"{ceiling['cpu_seconds'] / args.outlets:.3f} CPU-s each (its process only)"
    )
    print(f"  workers / old way: {refresh.per_second / baseline.per_second:.1f}x refreshes/s, "
          f"{baseline.cpu_per_source / refresh.cpu_per_source:.1f}x less CPU per refresh; "
          f"workers / ceiling: {refresh.per_second / ceiling_rate:.0%}")  # fmt: skip
    rates = ", ".join(f"{c.per_second:.1f}" for c in cycles)
    rss = [c.worker_rss[0] / MB if c.worker_rss else 0.0 for c in cycles]
    print(f"  {len(cycles)} refresh cycles: refreshes/s {rates}")
    print(f"  CPU-s per refresh, each cycle: {', '.join(f'{c.cpu_per_source:.3f}' for c in cycles)}"
          f"; mean {sum(c.cpu_per_source for c in cycles) / len(cycles):.3f}")  # fmt: skip
    for group in refresh.usage.groups():
        shares = ", ".join(f"{c.usage.cpu(group) / c.sources:.3f}" for c in cycles)
        print(f"    of which {group}: {shares}")
    last = cycles[-1]
    by_process: dict[str, float] = {}
    for process in last.usage.processes:
        if process.group == "newswire":
            role = "workers" if process.pid in found["worker_pids"] else process.name
            by_process[role] = by_process.get(role, 0.0) + process.cpu_seconds / last.sources
    print("    newswire's processes in the last cycle, CPU-s per refresh: "
          + ", ".join(f"{name} {cpu:.3f}" for name, cpu in by_process.items()))  # fmt: skip
    print(
        f"  worker peak RSS per cycle (MB): {', '.join(f'{r:.0f}' for r in rss)}; "
        f"last/first {rss[-1] / rss[0]:.2f}"
        if rss and rss[0]
        else ""
    )
    peak = max(c.connections for c in [first, *cycles])
    print(f"  peak DB connections over every workers cycle: {peak}")
    groups = {k: round(v, 1) for k, v in refresh.usage.groups().items()}
    print(f"  CPU of the first refresh by group (s): {groups}; other work on the machine "
          f"{refresh.usage.others:.1f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=10, help="refresh cycles (RSS check)")
    # One worker per core: a worker's crawls share one event loop, which a refresh keeps busy.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline-sources", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newswire-scale-"))
    databases = Databases(work)
    site = start_site("--outlets", str(args.outlets))
    truth = site.truth()
    expected = {a["url"] for a in truth["articles"] if not a["old"] and not a["held_back"]}
    found: dict[str, Any] = {"expected": len(expected)}
    database_url = databases.fresh()
    sources = work / "sources.toml"
    # No timetable: every run of the benchmark is one it triggered.
    sources.write_text("".join(line for line in site.sources_toml.splitlines(keepends=True)
                               if not line.startswith("schedule =")))  # fmt: skip
    names = [line.split(".", 1)[1].rstrip("]") for line in site.sources_toml.splitlines()
             if line.startswith("[sources.") and line.count(".") == 1]  # fmt: skip
    connections = ConnectionPeak(database_url)
    connections.start()
    watched = {"site": site.process.pid}
    if databases.postmaster_pid:
        watched["postgres"] = databases.postmaster_pid
    timeout = max(600.0, args.outlets * 2.0)
    # The same worker through every cycle: its RSS over ten cycles is the memory check.
    env = {"NEWSWIRE_WORKER_MAX_CRAWLS": str(args.outlets * (args.cycles + 2))}
    scheduler = scheduler_process(sources, database_url, work, "--workers", str(args.workers),
                                  "--concurrency", str(args.concurrency), env=env)  # fmt: skip
    try:
        wait_workers(database_url, args.workers)
        watched["newswire"] = scheduler.pid
        found["first"] = run_cycle("first", database_url, names, watched, connections, timeout)
        print(f"first crawl done in {found['first'].seconds:.1f} s", flush=True)
        with connect(database_url, application_name=BENCH_APP) as conn:
            stored = {url for (url,) in conn.execute("SELECT url FROM articles")}
        found["missing"] = sorted(expected - stored)
        found["unexpected"] = len(stored - expected)
        cycles = []
        pids = found["worker_pids"] = worker_pids(scheduler)
        for number in range(1, args.cycles + 1):
            if number == args.cycles:
                reset_requests(site.base_url)
            cycle = run_cycle(f"refresh-{number}", database_url, names, watched, connections,
                              timeout)  # fmt: skip
            cycle.worker_rss = [peak_rss(cycle.usage, pids)]
            cycles.append(cycle)
            print(f"refresh {number}: {cycle.per_second:.1f}/s", flush=True)
        found["refreshes"] = cycles
        found["site_last"] = site_requests(site.base_url)
        urls = [r["url"] for r in found["site_last"]]
    finally:
        stop(scheduler)
    old = scheduler_process(sources, database_url, work, "--workers", "0", env={})
    baseline_worker = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "process_per_run.py"), str(sources), "2"],
        env=_env(database_url, work), cwd=REPO,
    )  # fmt: skip
    try:
        watched["newswire"] = old.pid
        watched["old worker"] = baseline_worker.pid
        subset = names[: args.baseline_sources]
        reset_requests(site.base_url)
        found["baseline"] = run_cycle("baseline", database_url, subset, watched, connections,
                                      timeout)  # fmt: skip
        found["site_baseline"] = site_requests(site.base_url)
    finally:
        stop(baseline_worker)
        stop(old)
    found["ceiling"] = run_ceiling(urls, work)
    connections.close()
    site.stop()
    report(args, found)
    if not args.keep:
        databases.close()
    print(f"work directory: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
