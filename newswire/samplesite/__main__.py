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
import tempfile
import threading
from datetime import datetime
from pathlib import Path

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


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m newswire.samplesite",
        description="Serve the generated sample news site on 127.0.0.1 until SIGTERM/SIGINT.",
    )
    parser.add_argument("--seed", type=int, default=7, help="text generation seed (default 7)")
    parser.add_argument("--bulk", type=int, default=0, help="extra generated articles (benchmark)")
    parser.add_argument("--gzip", action="store_true", help="gzip responses, no charset in headers")
    parser.add_argument(
        "--static",
        action="store_true",
        help="render the bulk pages once at start and serve them from disk (benchmarks)",
    )
    parser.add_argument(
        "--request-log",
        type=_count,
        metavar="N",
        help="keep only the last N requests for /__sample/requests.json (default: all)",
    )
    parser.add_argument(
        "--outlets",
        type=_count,
        default=3,
        help="outlets to serve, each on its own port: the three hand-made ones, then generated",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="add an article whose title, byline and text carry script payloads (web tests)",
    )
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
            outlets=args.outlets,
            hostile=args.hostile,
        )
    except NewswireError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="newswire-static-") as scratch:
        running = start_site(
            site,
            gzip=args.gzip,
            static_dir=Path(scratch) if args.static else None,
            request_log=args.request_log,
        )
        announced = {"urls": running.urls, "sources_toml": running.sources_toml()}
        print(json.dumps(announced), flush=True)
        while not stop.wait(0.5):
            pass
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
