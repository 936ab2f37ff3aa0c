"""Serve a SampleSite on 127.0.0.1: one ThreadingHTTPServer per outlet, so each is its own host.

HTTP/1.1 keep-alive, ETag/Last-Modified with 304s on listings, feeds and sitemaps, optional
gzip, bulk pages pre-rendered to disk (``--static``), a request log shared by all outlets (bounded
with ``--request-log``), and control endpoints under ``/__sample/``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import selectors
import threading
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newswire.errors import NewswireError
from newswire.samplesite import routes
from newswire.samplesite.outlets import Outlet
from newswire.samplesite.pages import PageContext
from newswire.samplesite.routes import Reply, gzip_body
from newswire.samplesite.site import SampleSite
from newswire.samplesite.sourcesfile import render_sources_toml
from newswire.samplesite.static import StaticPages
from newswire.samplesite.truth import absolute, article_entry, build_truth, edit_entry

logger = logging.getLogger(__name__)
CONTROL_PREFIX = "/__sample/"
# Listings, feeds and sitemaps kept rendered, per outlet: a refresh of an unchanged world asks
# each outlet for about fifteen of them, and a thousand outlets must not evict one another
# (re-rendering every page whose footer lists 999 partner sites was most of the site's CPU).
_CACHED_PER_OUTLET = 32


class _State:
    """What every outlet's handler shares: the site, the request log, per-URL hit counts."""

    def __init__(self, site: SampleSite, gzip_enabled: bool, request_log: int | None) -> None:
        self.site = site
        self.gzip = gzip_enabled
        self.base_urls: dict[str, str] = {}
        self.lock = threading.Lock()
        self.log: deque[dict[str, Any]] = deque(maxlen=request_log)  # None: unbounded
        self.static: StaticPages | None = None
        self.hits: dict[tuple[str, str], int] = {}
        self.cache: dict[tuple[str, str, str, int], Reply] = {}
        self.cache_limit = _CACHED_PER_OUTLET * len(site.outlets)
        # A kept reply's ETag, hashed once: (id of its body, gzipped) -> (the body, the tag).
        self.etags: dict[tuple[int, bool], tuple[bytes, str]] = {}

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)

    def first_hit(self, outlet: str, path: str) -> bool:
        with self.lock:
            count = self.hits.get((outlet, path), 0) + 1
            self.hits[(outlet, path)] = count
        return count == 1

    def revise(self) -> list[dict[str, Any]]:
        """Apply the planned edits now; their truth entries (none the second time)."""
        edits = self.site.revise(datetime.now(UTC).replace(microsecond=0))
        self.forget()
        return [edit_entry(edit, self.base_urls) for edit in edits]

    def publish(self) -> dict[str, Any]:
        article = self.site.publish_next()
        if article is None:
            raise NewswireError("sample site: every held-back article is already published")
        self.forget()
        return article_entry(article, self.base_urls)

    def keep(self, key: tuple[str, str, str, int], reply: Reply) -> None:
        """Keep a rendered reply for the next request of the same URL and site generation."""
        with self.lock:
            if len(self.cache) >= self.cache_limit:
                self.cache.clear()
                self.etags.clear()
            self.cache[key] = reply

    def forget(self) -> None:
        """The site changed: every kept reply may be stale."""
        with self.lock:
            self.cache.clear()
            self.etags.clear()

    def etag(self, reply: Reply, body: bytes, encoded: bool) -> str:
        """The ETag of a body; a kept reply's is hashed once (the entry holds the body, so its
        id names no other bytes while the entry lives)."""
        if not (reply.cached and body is reply.body):
            return _etag(body, encoded)
        key = (id(body), encoded)
        known = self.etags.get(key)
        if known is not None and known[0] is body:
            return known[1]
        tag = _etag(body, encoded)
        with self.lock:
            if len(self.etags) >= 2 * self.cache_limit:
                self.etags.clear()
            self.etags[key] = (body, tag)
        return tag


def _etag(body: bytes, encoded: bool) -> str:
    digest = hashlib.blake2b(body, digest_size=10).hexdigest()
    return f'"{digest}-gz"' if encoded else f'"{digest}"'


def _not_modified(headers: Any, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when it is absent."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since is None or last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= when


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleNews/1.0"
    timeout = 30  # idle keep-alive connections give their thread back
    outlet: Outlet
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.outlet.name, format % args)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == CONTROL_PREFIX + "requests/reset":
            with self.state.lock:
                cleared = len(self.state.log)
                self.state.log.clear()
            self._send_json(200, {"cleared": cleared})
        elif path == CONTROL_PREFIX + "revise":
            self._send_json(200, self.state.revise())
        elif path == CONTROL_PREFIX + "publish":
            try:
                self._send_json(200, self.state.publish())
            except NewswireError as err:
                self._send_json(409, {"error": str(err)})
        else:
            self._send_json(405, {"error": f"POST is not supported on {path}"})

    def _send_json(self, status: int, data: object, *, head: bool = False) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _control(self, path: str) -> None:
        if path == CONTROL_PREFIX + "truth.json":
            self._send_json(200, build_truth(self.state.site, self.state.base_urls))
        elif path == CONTROL_PREFIX + "requests.json":
            with self.state.lock:
                snapshot = list(self.state.log)
            self._send_json(200, snapshot)
        else:
            self._send_json(404, {"error": f"unknown control endpoint {path}"})

    def _reply(self, path: str, query: str) -> Reply:
        state = self.state
        ctx = PageContext(state.site, self.outlet, state.base_urls)
        key = (self.outlet.name, path, query, state.site.generation)
        reply = state.cache.get(key)
        if reply is None and state.static is not None:
            reply = state.static.reply(self.outlet.name, path)
        if reply is None:
            reply = routes.resolve(ctx, path, query)
            if reply.conditional and reply.cached:  # listings, feeds, sitemaps: cheap to keep
                state.keep(key, reply)
        if reply.fail_first and state.first_hit(self.outlet.name, path):
            return routes.server_error(ctx)
        return reply

    def _serve(self, *, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path) or "/"
        if path.startswith(CONTROL_PREFIX):
            if head:
                self._send_json(405, {"error": "use GET or POST on control endpoints"}, head=True)
            else:
                self._control(path)
            return
        reply = self._reply(path, split.query)
        if reply.delay:
            time.sleep(reply.delay)
        self._send_reply(reply, head)

    def _send_reply(self, reply: Reply, head: bool) -> None:
        body = reply.body
        encoded = (
            self.state.gzip
            and reply.compressible
            and bool(body)
            and "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        )
        if reply.gzipped and not encoded:
            body = gzip.decompress(body)
        etag = self.state.etag(reply, body, encoded) if reply.conditional else ""
        status = reply.status
        if (
            reply.conditional
            and reply.honours_conditional
            and _not_modified(self.headers, etag, reply.last_modified)
        ):
            status = 304
        elif encoded and not reply.gzipped:
            body = gzip_body(body)
        content_type = reply.content_type
        if reply.charset and not self.state.gzip:  # gzip mode mimics sites that omit charset
            content_type += f"; charset={reply.charset}"
        # Logged before the reply leaves: a client that has its answer finds its request logged.
        self.state.record(
            {
                "outlet": self.outlet.name,
                "method": self.command,
                "url": absolute(self.state.base_urls[self.outlet.name], self.path),
                "status": status,
                "if_none_match": "If-None-Match" in self.headers,
                "if_modified_since": "If-Modified-Since" in self.headers,
                "user_agent": self.headers.get("User-Agent"),
                "time": time.time(),
            }
        )
        self.send_response(status)
        if reply.location:
            self.send_header("Location", reply.location)
        if reply.conditional:
            self.send_header("ETag", etag)
            if reply.last_modified is not None:
                lm = reply.last_modified.astimezone(UTC)
                self.send_header("Last-Modified", format_datetime(lm, usegmt=True))
            self.send_header("Cache-Control", "max-age=60")
        if self.state.gzip and reply.compressible:
            self.send_header("Vary", "Accept-Encoding")
        if status == 304:
            self.end_headers()
            return
        self.send_header("Content-Type", content_type)
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # a crawler opening 100+ connections at once is not refused
    timeout = 0  # handle_request is called only when a connection waits: never block in it


class _Acceptor(threading.Thread):
    """One thread accepting on every outlet's socket (epoll): a thousand outlets need a
    thousand listening sockets but not a thousand threads waking ten times a second. Each
    request is then handled in a thread of its own, as ThreadingHTTPServer does."""

    def __init__(self, servers: list[_Server]) -> None:
        super().__init__(name="samplesite-acceptor", daemon=True)
        self.selector = selectors.DefaultSelector()
        for server in servers:
            self.selector.register(server, selectors.EVENT_READ, server)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                key.data.handle_request()  # ready: accepts at once, then a handler thread

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.selector.close()


class RunningSite:
    """A started sample site: its outlets' base URLs, the truth, and the controls."""

    def __init__(self, site: SampleSite, state: _State, servers: list[_Server]) -> None:
        self.site = site
        self._state = state
        self._servers = servers
        self._acceptor = _Acceptor(servers)
        self._acceptor.start()
        self.urls: dict[str, str] = dict(state.base_urls)

    def truth(self) -> dict[str, Any]:
        """The ground truth, identical to GET /__sample/truth.json."""
        return build_truth(self.site, self.urls)

    def sources_toml(self, **limits: object) -> str:
        """A sources.toml for these outlets; ``limits`` override max_pages and max_age_days."""
        return render_sources_toml(self.site, self.urls, **limits)

    def revise(self) -> list[dict[str, Any]]:
        """Apply the planned edits (samplesite.edits) now, as POST /__sample/revise does."""
        return self._state.revise()

    def publish_next(self) -> dict[str, Any]:
        """Publish the next held-back article and return its truth entry."""
        return self._state.publish()

    def requests(self) -> list[dict[str, Any]]:
        """Every request seen so far by all outlets (control endpoints excluded)."""
        with self._state.lock:
            return list(self._state.log)

    def reset_requests(self) -> None:
        """Forget the request log (the first-request 500 counters are kept)."""
        with self._state.lock:
            self._state.log.clear()

    def stop(self) -> None:
        """Stop accepting and close every outlet's socket."""
        self._acceptor.stop()
        for server in self._servers:
            server.server_close()

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_site(
    site: SampleSite,
    *,
    host: str = "127.0.0.1",
    gzip: bool = False,
    static_dir: Path | None = None,
    request_log: int | None = None,
) -> RunningSite:
    """Start one server per outlet on an OS-assigned port, all served by one daemon thread.

    With ``static_dir``, bulk article pages are rendered there first and served from disk;
    ``request_log`` bounds how many requests are kept for ``requests.json`` (None: all).
    """
    state = _State(site, gzip, request_log)
    servers: list[_Server] = []
    for outlet in site.outlets.values():
        handler = type(
            f"{outlet.name.title()}Handler", (_Handler,), {"outlet": outlet, "state": state}
        )
        server = _Server((host, 0), handler)
        state.base_urls[outlet.name] = f"http://{host}:{server.server_address[1]}/"
        servers.append(server)
    if static_dir is not None:
        state.static = StaticPages.render(site, state.base_urls, static_dir, gzipped=gzip)
    logger.info("sample site serving %d outlets on %s", len(servers), host)
    return RunningSite(site, state, servers)
