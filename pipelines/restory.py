"""Re-clustering the whole corpus: every signature and story recomputed from stored texts.

For databases from before stories existed, and after a change to the signature or the link
threshold. Two passes over the articles in id order, each a batch at a time: sign every text
(pipelines.dedup, as a crawl does), then assign every article to its story against the whole
band index (storage.stories). Links are symmetric and stories are their connected components,
so the result is the one a fresh crawl of the same articles gives, in memory bounded by the
batch size, not the corpus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from pipelines.dedup import sign_text
from storage import stories

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # articles a batch: a few MB of text, one short transaction each


@dataclass(frozen=True)
class RebuildResult:
    """What a rebuild did."""

    articles: int
    stories: int
    moved: int  # article story changes in the clustering pass


def rebuild_stories(
    conn: psycopg.Connection[Any],
    progress: Callable[[str, int, int], None] = lambda phase, done, total: None,
    batch_size: int = BATCH_SIZE,
) -> RebuildResult:
    """Recompute every signature and story; ``progress(phase, done, total)`` after each batch
    ("signing", then "clustering")."""
    total = stories.reset_stories(conn)
    done, last = 0, 0
    while batch := stories.article_texts(conn, last, batch_size):
        signed = [(article_id, *sign_text(text)) for article_id, text in batch]
        stories.write_signatures(conn, [row for row in signed if row[1]])
        done, last = done + len(batch), batch[-1][0]
        progress("signing", done, total)
    done, last, moved = 0, 0, 0
    while ids := stories.article_ids(conn, last, batch_size):
        moved += stories.reassign_stories(conn, ids)
        done, last = done + len(ids), ids[-1]
        progress("clustering", done, total)
    count, articles = stories.count_stories(conn)
    logger.info("rebuilt stories: %d stories in %d articles", count, articles)
    return RebuildResult(articles=articles, stories=count, moved=moved)
