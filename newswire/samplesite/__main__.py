"""``python -m newswire.samplesite``: serve the sample site until SIGTERM or SIGINT.

Prints one JSON line, ``{"urls": {...}, "sources_toml": "..."}``, once every outlet is
listening, so a test or the demo can start it as a subprocess and read where it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import datetime

from newswire.errors import ConfigError, NewswireError
from newswire.samplesite.server import start_site
from newswire.samplesite.site import build_site


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--now {text!r} is not an ISO 8601 date-time: use 2025-03-01T12:00:00+00:00"
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m newswire.samplesite",
        description="Serve the generated sample news site on 127.0.0.1 until SIGTERM/SIGINT.",
    )
    parser.add_argument("--seed", type=int, default=7, help="text generation seed (default 7)")
    parser.add_argument("--bulk", type=int, default=0, help="extra generated articles (benchmark)")
    parser.add_argument("--gzip", action="store_true", help="gzip responses, no charset in headers")
    parser.add_argument("--slow", type=float, default=1.5, help="delay of the slow page, seconds")
    parser.add_argument("--now", help="anchor date-time for all dates (default: current UTC time)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the site, print its URLs as one JSON line, serve until told to stop."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        site = build_site(
            seed=args.seed,
            now=_parse_now(args.now),
            bulk_articles=args.bulk,
            slow_seconds=args.slow,
        )
    except NewswireError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    running = start_site(site, gzip=args.gzip)
    print(json.dumps({"urls": running.urls, "sources_toml": running.sources_toml()}), flush=True)
    while not stop.wait(0.5):
        pass
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
