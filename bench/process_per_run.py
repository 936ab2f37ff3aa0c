"""The old way, for the scale benchmark's baseline: each queued run is its own ``scrapy crawl``.

Before long-lived workers the scheduler started ``python -m scrapy crawl news -a source=NAME
-a run_id=ID`` for every run, at most two at once; this claims the same procrastinate jobs
the workers claim (so the runs go through the same scheduler and queue) and runs each that
way. A benchmark yardstick only. Run as ``python bench/process_per_run.py SOURCES_TOML
CONCURRENCY`` with DATABASE_URL set; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from scheduler.queue import CRAWL_QUEUE, CRAWL_TASK, HEARTBEAT_SECONDS, STALLED_SECONDS, queue_app


def main(sources: str, concurrency: int) -> None:
    app = queue_app(os.environ["DATABASE_URL"])

    @app.task(name=CRAWL_TASK, queue=CRAWL_QUEUE)
    async def crawl(run_id: int, source: str) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"source={source}",
            "-a", f"run_id={run_id}", "-s", f"NEWSWIRE_SOURCES={sources}",
            "-s", "NEWSWIRE_RUN_TRIGGER=manual", "-s", "LOG_LEVEL=WARNING",
            env={**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
            stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await process.wait()

    async def serve() -> None:
        async with app.open_async():
            worker = asyncio.create_task(
                app.run_worker_async(queues=[CRAWL_QUEUE], concurrency=concurrency,
                                     install_signal_handlers=False, delete_jobs="successful",
                                     # beat as the workers do, or the sweep prunes it as dead
                                     update_heartbeat_interval=HEARTBEAT_SECONDS,
                                     stalled_worker_timeout=STALLED_SECONDS)
            )  # fmt: skip
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, worker.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    asyncio.run(serve())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
