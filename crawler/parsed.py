"""What discovery read from a feed, sitemap, robots.txt or listing page, kept beside the HTTP
cache and keyed by the page's bytes, so an unchanged page is not parsed again.

A refresh of an unchanged source is mostly structure pages that answer 304 Not Modified: the
HTTP cache hands the spider the same bytes it parsed last run, and parsing them again was the
largest single cost of a worker refreshing a 1,000-outlet world (a home page whose footer
links 999 partner sites takes about 5 ms to parse; its stored reading takes 0.02 ms to load).

Each entry is one file per (kind, URL), holding a digest of everything the reading depends on
(the kind, the URL, the content type, the source's allowed domains, the body, and this
module's format) and the reading itself. A digest that differs is a changed page: it is parsed
and the file replaced, atomically, since the workers of one machine share the data directory.
Nothing here decides what to crawl: the spider treats a stored reading exactly as a fresh one,
so a page that stops answering 304 (or a site without validators that sends the same bytes)
gives the same requests either way. A file that cannot be read (a crash mid-write on another
filesystem, an older format) is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Self, TypeVar

from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Part of every digest: bump it when a reading's type changes shape (discovery.Link, Listing,
# SitemapDoc), so that files written by an older version are parsed again, not misread.
FORMAT = b"newswire-parsed-1"
_Reading = TypeVar("_Reading")
# What a file that is not a reading of ours can raise while it is loaded.
_UNREADABLE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
               IndexError, KeyError, OverflowError, pickle.UnpicklingError)  # fmt: skip


class ParsedPages:
    """Stored readings of structure pages under one directory (None: every page is parsed)."""

    def __init__(self, directory: Path | None, crawler: Crawler | None = None) -> None:
        self.directory = directory
        self.crawler = crawler  # its stats count pages parsed and readings reused

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Beside the HTTP cache, which keeps the bytes these readings come from; off with it."""
        settings = crawler.settings
        if not settings.getbool("HTTPCACHE_ENABLED"):
            return cls(None, crawler)
        directory = Path(settings.get("HTTPCACHE_DIR") or "httpcache") / "parsed"
        return cls(directory, crawler)

    def read(
        self,
        kind: str,
        url: str,
        body: bytes,
        parse: Callable[[], _Reading],
        context: Iterable[str] = (),
    ) -> _Reading:
        """``parse()``'s result for these bytes: the stored one when the page is unchanged.

        ``context`` names whatever else the reading depends on (content type, allowed domains).
        """
        if self.directory is None:
            return self._parse(parse)
        digest = _digest(kind, url, body, context)
        path = self._path(kind, url)
        try:
            stored_digest, reading = pickle.loads(path.read_bytes())
        except FileNotFoundError:
            pass
        except _UNREADABLE as exc:
            logger.debug("parsed reading %s unreadable (%s): parsing again", path, exc)
        else:
            if stored_digest == digest:
                self._count("reused")
                return reading  # type: ignore[no-any-return]
        reading = self._parse(parse)
        self._write(path, pickle.dumps((digest, reading), protocol=pickle.HIGHEST_PROTOCOL))
        return reading

    def _parse(self, parse: Callable[[], _Reading]) -> _Reading:
        self._count("parsed")
        return parse()

    def _count(self, what: str) -> None:
        if self.crawler is not None:  # the crawl's stats exist by the time pages arrive
            self.crawler.stats.inc_value(f"newswire/discovery/{what}")

    def _path(self, kind: str, url: str) -> Path:
        assert self.directory is not None
        name = hashlib.blake2b(f"{kind} {url}".encode(), digest_size=16).hexdigest()
        return self.directory / name[:2] / name

    def _write(self, path: Path, data: bytes) -> None:
        """Replace the file whole: a reader sees the old reading or the new, never half."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:  # a full or read-only disk costs a parse next run, nothing more
            logger.warning("could not keep the parsed reading of a page at %s: %s", path, exc)


def _digest(kind: str, url: str, body: bytes, context: Iterable[str]) -> bytes:
    digest = hashlib.blake2b(FORMAT, digest_size=20)
    for part in (kind, url, *context):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(body)
    return digest.digest()
