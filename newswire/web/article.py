"""The article page (``/article/{id}``) and its stored raw HTML (``/article/{id}/raw``).

One article as ``newswire show`` shows it: every field with where the metadata came from,
the clean text, every URL that leads to it and the other members of its story (the same
storage functions). The raw HTML is served as text/plain under a sandboxing CSP, never as a
page: it is whatever the outlet sent, scripts included.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response

from newswire.api.deps import BIGINT, Conn
from newswire.web.render import LOCKED_DOWN, error_page, page
from storage.queries import article_copies, article_html_text, article_urls, get_article

router = APIRouter(include_in_schema=False)

ArticleId = Annotated[int, Path(ge=1, le=BIGINT)]


def paragraphs(text: str) -> list[str]:
    """The clean text's paragraphs (extraction separates them with line breaks)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.get("/article/{article_id}")
def article_page(request: Request, conn: Conn, article_id: ArticleId) -> Response:
    """One article: metadata and provenance, text, URLs, copies and the raw HTML's link."""
    found = get_article(conn, article_id)
    if found is None:
        return error_page(request, 404, f"article {article_id} does not exist: search for it")
    context = {
        "article": found,
        "paragraphs": paragraphs(found.text),
        "urls": article_urls(conn, found.id),
        "copies": article_copies(conn, found),
    }
    return page(request, "article.html", context)


@router.get("/article/{article_id}/raw")
def raw_html(request: Request, conn: Conn, article_id: ArticleId) -> Response:
    """The stored HTML as plain text (sandboxed, never sniffed as HTML)."""
    text = article_html_text(conn, article_id)
    if text is None:
        return error_page(request, 404, f"article {article_id} has no stored HTML")
    return PlainTextResponse(text, headers=LOCKED_DOWN)
