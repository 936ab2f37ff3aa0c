"""The store stage's refetch half: compare a refetched article with its latest version.

For each refetch outcome one transaction locks the article, reads its latest version, and
writes what the outcome calls for, through ``storage.versions``:

==================  ==========================================================================
not_modified        a 304: only the schedule moves on (no extraction happened, nothing else)
unchanged           the same content (``pipelines.changes`` finds no change): the schedule only
changed             a new version with its change kinds and word counts; the row shows it
removed             404/410, or a page no longer an article: a removal version, row kept
redirected          the URL now leads to another stored article (or to a different text, which
                    is stored as a new article): a "redirected" version naming the target
moved               the URL leads to the same article at a new address: the new URL is
                    recorded for it, and its content compared as above
==================  ==========================================================================

A refetch of an article already removed (two runs at once) changes nothing. The next refetch
time follows the source's delays from the article's publication
(``newswire.schedule.refetch_step``): a delay missed meanwhile is skipped, never made up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import psycopg

from newswire.records import Article, ChangeKind, RefetchResult, VersionContent, field_names
from newswire.schedule import refetch_due_at, refetch_step
from pipelines.changes import classify_change, diff_counts, word_diff
from storage.queries import article_id_for_url
from storage.versions import (
    Latest,
    add_url,
    add_version,
    lock_latest,
    mark_checked,
    mark_removed,
    schedule_base,
)

# A redirect target with less than this share of the stored text is another article.
SAME_ARTICLE_SHARE = 0.5


@dataclass(frozen=True)
class RefetchOutcome:
    """What a refetch came to; ``new_article`` is a redirect target to store as an article."""

    outcome: str  # see the module's table, or "gone_already"
    version: int | None = None  # the version it wrote
    new_article: Article | None = None


def next_refetch(base: datetime, delays: tuple[timedelta, ...], now: datetime) -> datetime | None:
    """When an article whose delays count from ``base`` is due after a fetch at ``now``."""
    return refetch_due_at(base, delays, refetch_step(base, delays, now))


def first_refetch(
    article: Article, delays: tuple[timedelta, ...], now: datetime
) -> datetime | None:
    """A new article's first refetch time: the first delay after its publication that had not
    passed at ``now`` (an archive page fetched a month late is not due at once)."""
    return next_refetch(article.published_at or article.fetched_at, delays, now)


def apply_refetch(
    conn: psycopg.Connection[Any],
    item: Article | RefetchResult,
    delays: tuple[timedelta, ...],
    now: datetime,
) -> RefetchOutcome:
    """Write one refetch's outcome in one transaction (see the module's table); ``now`` is the
    run's clock, which the next refetch time is counted on."""
    article_id = item.refetch_of if isinstance(item, Article) else item.refetch.article_id
    assert article_id is not None
    with conn.transaction():
        latest = lock_latest(conn, article_id)
        if latest is None or latest.removed:
            return RefetchOutcome("gone_already")
        base = schedule_base(conn, article_id) or latest.version.fetched_at
        due = next_refetch(base, delays, now)
        if isinstance(item, RefetchResult):
            return _without_page(conn, latest, item, due)
        outcome, moved_to = "unchanged", None
        if item.url != latest.url:
            other = article_id_for_url(conn, item.url)
            different = other is None and _share_kept(latest.version.text, item.text) < (
                SAME_ARTICLE_SHARE
            )
            if (other is not None and other != article_id) or different:
                number = mark_removed(
                    conn, latest.version, kind=ChangeKind.REDIRECTED, status=200,
                    fetched_at=item.fetched_at, url=item.url,
                )  # fmt: skip
                urls = [u for u in item.urls if u != latest.url]
                new = replace(item, refetch_of=None, urls=urls) if different else None
                return RefetchOutcome("redirected", number, new)
            add_url(conn, item.url, article_id)
            outcome, moved_to = "moved", item.url
        kinds = classify_change(latest.version, _content(item))
        if not kinds:
            mark_checked(conn, article_id, item.fetched_at, due)
            return RefetchOutcome(outcome)
        words = diff_counts(word_diff(latest.version.text, item.text))
        number = add_version(conn, latest.version, item, kinds, words, moved_to)
        mark_checked(conn, article_id, item.fetched_at, due)
        return RefetchOutcome("changed", number)


def _without_page(
    conn: psycopg.Connection[Any], latest: Latest, item: RefetchResult, due: datetime | None
) -> RefetchOutcome:
    if item.reason == "not_modified":
        mark_checked(conn, latest.version.article_id, item.fetched_at, due)
        return RefetchOutcome("not_modified")
    number = mark_removed(
        conn, latest.version, kind=ChangeKind.REMOVED, status=item.status,
        fetched_at=item.fetched_at,
    )  # fmt: skip
    return RefetchOutcome("removed", number)


def _share_kept(old_text: str, new_text: str) -> float:
    """The share of the old text's words a new text keeps (word diff), 0 for an empty one."""
    chunks = word_diff(old_text, new_text)
    old_words = sum(len(c.text.split()) for c in chunks if c.op != "added")
    kept = sum(len(c.text.split()) for c in chunks if c.op == "same")
    return kept / old_words if old_words else 0.0


def _content(article: Article) -> VersionContent:
    return VersionContent(**{name: getattr(article, name) for name in field_names(VersionContent)})
