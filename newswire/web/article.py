"""The article page (``/article/{id}``) and its stored raw HTML (``/article/{id}/raw``).

One article as ``newswire show`` shows it: every field with where the metadata came from,
the clean text, every URL that leads to it, the other members of its story and its versions
(the same storage functions), with a word diff between any two versions
(:func:`pipelines.changes.word_diff`, ``?a=1&b=3``; by default the latest change). The raw
HTML is served as text/plain under a sandboxing CSP, never as a page: it is whatever the
outlet sent, scripts included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from newswire.api.deps import BIGINT, Conn
from newswire.records import Version
from newswire.web.render import LOCKED_DOWN, error_page, page
from pipelines.changes import DiffChunk, diff_counts, word_diff
from storage.queries import article_copies, article_html_text, article_urls, get_article
from storage.versions import list_versions

router = APIRouter(include_in_schema=False)

ArticleId = Annotated[int, Path(ge=1, le=BIGINT)]


def paragraphs(text: str) -> list[str]:
    """The clean text's paragraphs (extraction separates them with line breaks)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


CONTEXT_WORDS = 12  # unchanged words kept on either side of a change


def elide(chunks: Sequence[DiffChunk], context: int = CONTEXT_WORDS) -> list[DiffChunk]:
    """A diff for reading: long unchanged runs cut to ``context`` words beside each change
    ("…" in between), so a one-word correction in a long text is found at once."""
    shown: list[DiffChunk] = []
    for index, chunk in enumerate(chunks):
        words = chunk.text.split()
        if chunk.op != "same" or len(words) <= 2 * context:
            shown.append(chunk)
            continue
        head = words[:context] if index > 0 else []
        tail = words[-context:] if index < len(chunks) - 1 else []
        shown.append(DiffChunk("same", " ".join([*head, "…", *tail])))
    return shown


@dataclass(frozen=True)
class Comparison:
    """Two versions of an article and the word diffs of their titles and texts."""

    old: Version
    new: Version
    title: list[DiffChunk]
    text: list[DiffChunk]
    added: int
    removed: int


def compare(versions: Sequence[Version], a: int | None, b: int | None) -> Comparison | None:
    """The diff of versions a and b (their numbers; by default the last two); None when
    there is only one version or a number is not among them."""
    by_number = {version.version: version for version in versions}
    if len(versions) < 2:
        return None
    old = by_number.get(a if a is not None else versions[-2].version)
    new = by_number.get(b if b is not None else versions[-1].version)
    if old is None or new is None:
        return None
    title, text = word_diff(old.title, new.title), word_diff(old.text, new.text)
    added, removed = diff_counts(text)
    return Comparison(old, new, _changed(title), _changed(text), added, removed)


def _changed(chunks: list[DiffChunk]) -> list[DiffChunk]:
    """The diff elided for reading, or [] when it changes nothing."""
    return elide(chunks) if any(chunk.op != "same" for chunk in chunks) else []


Number = Annotated[int | None, Query(ge=1, le=100_000)]


@router.get("/article/{article_id}")
def article_page(
    request: Request, conn: Conn, article_id: ArticleId, a: Number = None, b: Number = None
) -> Response:
    """One article: metadata and provenance, text, URLs, copies, versions and a diff."""
    found = get_article(conn, article_id)
    if found is None:
        return error_page(request, 404, f"article {article_id} does not exist: search for it")
    versions = list_versions(conn, found.id)
    comparison = compare(versions, a, b)
    if comparison is None and (a is not None or b is not None):
        numbers = ", ".join(str(v.version) for v in versions) or "none"
        return error_page(request, 404, f"article {article_id} has versions {numbers}: pick two")
    context = {
        "article": found,
        "paragraphs": paragraphs(found.text),
        "urls": article_urls(conn, found.id),
        "copies": article_copies(conn, found),
        "versions": versions,
        "comparison": comparison,
    }
    return page(request, "article.html", context)


@router.get("/article/{article_id}/raw")
def raw_html(request: Request, conn: Conn, article_id: ArticleId) -> Response:
    """The stored HTML as plain text (sandboxed, never sniffed as HTML)."""
    text = article_html_text(conn, article_id)
    if text is None:
        return error_page(request, 404, f"article {article_id} has no stored HTML")
    return PlainTextResponse(text, headers=LOCKED_DOWN)
