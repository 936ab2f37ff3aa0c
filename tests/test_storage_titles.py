"""storage.titles: the heads of a source's latest stored pages, for its title template."""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import psycopg

from storage.queries import store_articles
from storage.titles import HEAD_BYTES, recent_page_heads
from tests.test_storage_queries import make_article

Conn = psycopg.Connection[Any]


def _page(title: str, padding: int = 0, encoding: str = "utf-8") -> bytes:
    head = f"<html><head><title>{title}</title></head><body>"
    return zlib.compress((head + "<p>x</p>" * padding + "</body></html>").encode(encoding))


def test_recent_page_heads_newest_first_of_one_source(db: Conn) -> None:
    articles = [
        replace(make_article(f"k{n}"), html_zlib=_page(f"Story {n} — Tagline")) for n in range(4)
    ]
    other = replace(make_article("o", source="beta"), html_zlib=_page("Other"))
    for article in [*articles, other]:  # one batch each: ids in this order
        store_articles(db, None, [article])
    heads = recent_page_heads(db, "alpha", 3)
    assert [head.split("<title>")[1].split("<")[0] for head in heads] == [
        "Story 3 — Tagline",
        "Story 2 — Tagline",
        "Story 1 — Tagline",
    ]
    assert recent_page_heads(db, "nobody", 3) == []


def test_only_the_head_is_inflated_and_the_stored_charset_decodes_it(db: Conn) -> None:
    big = replace(make_article("big"), html_zlib=_page("Grand", padding=50_000))
    legacy = replace(
        make_article("legacy"), html_zlib=_page("Café — Élan", encoding="cp1252"), encoding="cp1252"
    )
    store_articles(db, None, [big])
    store_articles(db, None, [legacy])
    newest, oldest = recent_page_heads(db, "alpha", 10)
    assert "<title>Café — Élan</title>" in newest
    assert len(oldest) == HEAD_BYTES and oldest.startswith("<html><head><title>Grand")


def test_a_damaged_copy_is_skipped_not_fatal(db: Conn) -> None:
    store_articles(db, None, [make_article("good"), make_article("bad")])
    db.execute(
        "UPDATE article_html SET html_zlib = %s WHERE article_id ="
        " (SELECT id FROM articles WHERE url LIKE %s)",
        [b"not zlib at all", "%/bad"],
    )
    heads = recent_page_heads(db, "alpha", 10)
    assert len(heads) == 1 and "<h1>good</h1>" in heads[0]
