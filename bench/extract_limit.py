"""The machine's limit: the pipeline's extraction function alone, on pages read from disk, in a
pool of one process per core. Nothing else runs: no fetching, no database, no site server.

Run by crawl_bench.py as ``python bench/extract_limit.py MANIFEST WORKERS FAST``; MANIFEST is
a JSON list of [path, url, language]. Prints one JSON line with the timed phase's figures.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from pipelines.extract import Extracted, ExtractOptions, extract_article

_CHUNK = 8  # pages per task: amortises the pool's round trip without starving a worker


def _warm(_: int) -> tuple[int, float]:
    """Import and run once, so the timed phase starts with every worker ready."""
    body = b"<html><body><article><p>" + b"Warm-up words for the pool. " * 20 + b"</p></article>"
    extract_article(body, "http://127.0.0.1/warm", "text/html", ExtractOptions())
    time.sleep(0.05)  # hold this worker so the next warm-up lands on another
    return os.getpid(), time.process_time()


def _extract(job: tuple[str, str, str | None, bool]) -> tuple[int, float, bool]:
    path, url, language, fast = job
    with open(path, "rb") as handle:
        body = handle.read()
    options = ExtractOptions(fast=fast, language_hint=language)
    result = extract_article(body, url, "text/html", options)
    return os.getpid(), time.process_time(), isinstance(result, Extracted)


def run(manifest: list[list[str]], workers: int, fast: bool) -> dict[str, object]:
    """Extract every page once; wall time and CPU exclude the pool's start and warm-up."""
    jobs = [(path, url, language, fast) for path, url, language in manifest]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        started_cpu = dict(pool.map(_warm, range(workers * 2)))
        started = time.perf_counter()
        results = list(pool.map(_extract, jobs, chunksize=_CHUNK))
        seconds = time.perf_counter() - started
    last_cpu: dict[int, float] = {}
    for pid, cpu, _ in results:
        last_cpu[pid] = max(cpu, last_cpu.get(pid, 0.0))
    return {
        "pages": len(jobs),
        "extracted": sum(ok for _, _, ok in results),
        "seconds": seconds,
        "workers": workers,
        "worker_cpu": {
            str(pid): round(cpu - started_cpu.get(pid, 0.0), 3) for pid, cpu in last_cpu.items()
        },
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        pages = json.load(handle)
    print(json.dumps(run(pages, int(sys.argv[2]), sys.argv[3] == "fast")), flush=True)
