"""Rendering the web pages safely: autoescaped templates, a per-response CSP nonce, and the
few helpers templates use on crawled values (times, outside links, snippets).

Crawled text is hostile: a title can be ``<script>``, a URL ``javascript:``. Every value goes
through Jinja2's autoescape; the one string the templates take as markup is a snippet, which
:func:`storage.search.snippet_html` escapes first and then marks with ``<mark>`` only where
PostgreSQL's own match markers are. A link leaves the site only for an http(s) URL. Every page
carries a Content-Security-Policy whose script source is a nonce of that response alone, so
an injected ``<script>`` or ``onerror=`` would not run even if escaping failed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from crawler.urls import is_http_url
from storage.search import snippet_html

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ASSETS_VERSION = "1"  # bumped when app.js or style.css change, so browsers fetch them again


def content_security_policy(nonce: str) -> str:
    """Nothing from elsewhere, no inline script or style, no plugins, no framing; scripts
    only with this response's nonce; fetches only to this server (the runs page's polling)."""
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


# A response that is not HTML (raw page text, downloads) gets the strictest policy.
LOCKED_DOWN = {
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def utc_text(moment: datetime | None) -> str:
    """A time as the page shows it without JavaScript (and on hover with it): UTC, minutes."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime | None) -> str:
    """A time for <time datetime>, in UTC, which the page's script turns into local time."""
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def outside_href(url: str | None) -> str | None:
    """The URL when a link to it is safe to render (absolute http or https), else None: the
    template then shows it as text."""
    return url if url and is_http_url(url) else None


def snippet_markup(raw: str | None) -> Markup:
    """A search snippet as markup: escaped by snippet_html, <mark> only from our markers."""
    return Markup(snippet_html(raw) or "")


def query_string(params: Mapping[str, Any]) -> str:
    """A page's query string from its parameters, lists repeated, empty values left out."""
    pairs = [
        (key, item)
        for key, value in params.items()
        for item in (value if isinstance(value, list | tuple) else [value])
        if item not in (None, "", False)
    ]
    return urlencode([(key, "1" if item is True else str(item)) for key, item in pairs])


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its file name
    undefined=StrictUndefined,  # a misspelt name fails the page, not renders empty
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(utc=utc_text, iso=iso, outside=outside_href, snippet=snippet_markup)
_env.globals.update(query_string=query_string, assets=ASSETS_VERSION)


def page(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    """A rendered page with its own CSP nonce (the template puts it on its script tags)."""
    nonce = secrets.token_urlsafe(16)
    body = _env.get_template(template).render(
        request=request, nonce=nonce, path=request.url.path, **context
    )
    headers = {
        "Content-Security-Policy": content_security_policy(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(body, status_code=status, headers=headers)


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page: the status, one line saying what to fix, the way back."""
    return page(request, "error.html", {"status": status, "message": message}, status=status)
