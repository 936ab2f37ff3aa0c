"""Stories: near-copies of one text linked into a cluster, through an LSH index in PostgreSQL.

Every stored article has a MinHash signature (set by pipelines.dedup) in
``article_signatures``, cut into ``BANDS`` bands of ``BAND_ROWS`` values, each band hashed to
one key in ``article_bands``. Articles that share a key are candidates; a candidate pair is
linked when the estimated containment of the smaller text in the larger reaches
``LINK_CONTAINMENT``. A story is a connected component of the links, plus exact copies
(``duplicate_of``). Its ``story_id`` is the id of its original: the earliest-published member,
an exact-text original before its exact copies on a tie, then the smallest URL (a URL, not an
id, so the original does not depend on which copy was stored first).

The index lives in PostgreSQL, not in one process's memory, so every crawl process sees every
other's articles, and the store's advisory lock orders the assignments: a new article is
checked against the whole corpus in one indexed statement per batch, reading and verifying no
more than ``LookupBounds`` allows, so its cost does not grow with the corpus; and the result
is the same whatever order the copies arrive in (links are symmetric; components do not
depend on the order their edges are found).

The store also asks here whether a page is another query of one its source already has
(``?p=2``, a comment page) with a near-copy text: then it is another URL of that article.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from storage.migrate import LOCK_NAMESPACE

STORE_LOCK = 2  # pg_advisory_xact_lock(LOCK_NAMESPACE, 2): storage.queries' store lock

BAND_ROWS = 6  # 21 bands of a 128-value signature (126 used): a pair with Jaccard 0.8 is a
# candidate 99.8% of the time, 0.7: 93%, 0.5: 28%, 0.4: 8% (1 - (1 - J^6)^21); templated
# stories that share phrases (J ~ 0.4) rarely become candidates, and verification drops those.
LINK_CONTAINMENT = 0.9  # estimated share of the smaller text's shingles in the larger: the test
# bed's copies keep > 0.92; different stories from one template reach 0.81 (bench/dedup_bench)


@dataclass(frozen=True)
class LookupBounds:
    """How much of the band index one article's lookup may read, so its cost stays flat as the
    corpus grows (bench/dedup_bench.py measures both). A copy shares most of its bands with
    the story's members (the test bed's at least 7 of 21), a different story of one template
    one or two, so the candidates sharing the most bands are the copies."""

    postings: int = 100  # rows read per band key: a key shared by more is boilerplate (or one
    # big story, linked into through any of its members)
    verified: int = 20  # candidates verified on their signatures per article


BOUNDS = LookupBounds()

# The band keys of some articles' signatures (%s: their ids).
_INSERT_BANDS = f"""
INSERT INTO article_bands (band, hash, article_id)
SELECT g.band, hashtextextended(
           array_to_string(s.signature[g.band * {BAND_ROWS} + 1 : (g.band + 1) * {BAND_ROWS}], ','),
           g.band),
       s.article_id
FROM article_signatures s
CROSS JOIN LATERAL generate_series(0, cardinality(s.signature) / {BAND_ROWS} - 1) AS g(band)
WHERE s.article_id = ANY(%s)
"""
# The planner's estimates for these lookups are far off on a growing table (a stale row count
# times a posting list), which crossed jit_above_cost: 275 ms of JIT compilation for a 150 ms
# lookup of 100 articles at 50,000. They are short statements, compiled for nothing.
_NO_JIT = "SET LOCAL jit = off"
# Nor are they prepared (prepare=False): after five runs psycopg prepares a statement and
# PostgreSQL may switch to a generic plan, blind to the ids and limits; the same-page match's
# went from 1 ms to 500 ms a batch at 30,000 articles.
_OWN_STORY = "UPDATE articles SET story_id = id WHERE id = ANY(%s) AND story_id IS NULL"
# Verified links of some articles (%(ids)s) to others sharing a band key. Bounded whatever the
# corpus: each key's postings are read %(postings)s at most (a key shared by more is boilerplate
# or one big story, which one member links into), and of an article's candidates only the
# %(verified)s sharing the most bands are verified on their signatures.
_LINKS = """
WITH probe AS (SELECT article_id, band, hash FROM article_bands WHERE article_id = ANY(%(ids)s)),
hits AS (
    SELECT p.article_id AS a, o.article_id AS b, count(*) AS shared
    FROM probe p CROSS JOIN LATERAL (
        SELECT article_id FROM article_bands o
        WHERE o.band = p.band AND o.hash = p.hash AND o.article_id <> p.article_id
        LIMIT %(postings)s) o
    GROUP BY 1, 2),
ranked AS (
    SELECT a, b, row_number() OVER (PARTITION BY a ORDER BY shared DESC, b DESC) AS rank
    FROM hits)
SELECT r.a, r.b FROM ranked r
JOIN article_signatures sa ON sa.article_id = r.a
JOIN article_signatures sb ON sb.article_id = r.b
WHERE r.rank <= %(verified)s
  AND newswire_containment(newswire_jaccard(sa.signature, sb.signature), sa.shingles, sb.shingles)
      >= %(threshold)s
UNION
SELECT id, duplicate_of FROM articles WHERE id = ANY(%(ids)s) AND duplicate_of IS NOT NULL
UNION
SELECT id, duplicate_of FROM articles WHERE duplicate_of = ANY(%(ids)s)
"""
# Near-copy, by the signatures of two rows ({a}, {b}: their aliases; %(threshold)s).
_NEAR = """newswire_containment(newswire_jaccard({a}.signature, {b}.signature),
    {a}.shingles::int4, {b}.shingles::int4) >= %(threshold)s AND cardinality({a}.signature) > 0"""
# Same-page aliases, run by the store on its staging table before it inserts: a staged row of
# a page its source already has under another query (split_part drops the query), whose text
# is a near-copy of that article's, is that article; the stored URLs of one page verified are
# %(verified)s at most (a site whose every article is index.php?p=N has thousands).
_MATCH_SAME_PAGE = f"""
UPDATE _store_batch b SET outcome = 'known', article_id = m.article_id
FROM (SELECT DISTINCT ON (b.ord) b.ord, o.id AS article_id
      FROM _store_batch b
      CROSS JOIN LATERAL (
          SELECT u.article_id FROM article_urls u  -- no DISTINCT: the planner then walked
          WHERE split_part(u.url, '?', 1) = split_part(b.url, '?', 1)  -- another index, 12 ms
          LIMIT %(verified)s) u
      JOIN articles o ON o.id = u.article_id AND o.source = b.source
      JOIN article_signatures s ON s.article_id = o.id
      WHERE b.outcome IS NULL AND {_NEAR.format(a="b", b="s")}
      ORDER BY b.ord, o.id) m
WHERE b.ord = m.ord
"""
# ... and a staged row that is such a variant of an earlier row of its batch is known through it.
_MATCH_SAME_PAGE_EARLIER = f"""
UPDATE _store_batch b SET outcome = 'known', via = m.via
FROM (SELECT DISTINCT ON (l.ord) l.ord, e.ord AS via
      FROM _store_batch l JOIN _store_batch e ON e.ord < l.ord AND e.source = l.source
           AND split_part(e.url, '?', 1) = split_part(l.url, '?', 1)
      WHERE l.outcome IS NULL AND {_NEAR.format(a="l", b="e")}
      ORDER BY l.ord, e.ord) m
WHERE b.ord = m.ord
"""
# An article first stored under a variant (?p=2) takes the page's plain URL when a batch brings
# it: the article's URL does not depend on which of its URLs was crawled first.
_PREFER_PLAIN_URL = """
UPDATE articles a SET url = b.url FROM _store_batch b
WHERE b.outcome = 'known' AND a.id = b.article_id AND a.source = b.source
  AND strpos(b.url, '?') = 0 AND strpos(a.url, '?') > 0 AND split_part(a.url, '?', 1) = b.url
"""
# Each group (node: an article id or a story id, grp: its group) gets one original: every
# member of the group's stories then points at it.
_MERGE = """
WITH g(node, grp) AS (SELECT * FROM unnest(%s::int8[], %s::int8[])),
members AS (
    SELECT a.id, g.grp FROM articles a JOIN g ON a.story_id = g.node
    UNION SELECT a.id, g.grp FROM articles a JOIN g ON a.id = g.node),
originals AS (
    SELECT DISTINCT ON (m.grp) m.grp, a.id
    FROM members m JOIN articles a ON a.id = m.id
    ORDER BY m.grp, a.published_at NULLS LAST, a.duplicate_of IS NOT NULL, a.url)
UPDATE articles a SET story_id = o.id
FROM members m JOIN originals o ON o.grp = m.grp
WHERE a.id = m.id AND a.story_id IS DISTINCT FROM o.id
"""


def _groups(nodes: Iterable[int], links: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Union-find over story ids: each node mapped to one representative of its group."""
    parent: dict[int, int] = {node: node for node in nodes}

    def find(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return {node: find(node) for node in parent}


def find_links(
    conn: psycopg.Connection[Any], article_ids: Sequence[int], bounds: LookupBounds = BOUNDS
) -> list[tuple[int, int]]:
    """The verified near-copy links and exact-copy links of these (signed) articles, each an
    (article, other) pair, found within ``bounds``."""
    params = {"ids": list(article_ids), "threshold": LINK_CONTAINMENT, **vars(bounds)}
    with conn.transaction():
        conn.execute(_NO_JIT)
        return [(int(a), int(b)) for a, b in conn.execute(_LINKS, params, prepare=False)]


def assign_stories(conn: psycopg.Connection[Any], article_ids: Sequence[int]) -> int:
    """Link these (signed) articles into the stories of their near-copies; returns how many
    articles changed story. Callers hold the store lock, so two assignments never interleave."""
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    conn.execute(_OWN_STORY, [ids], prepare=False)
    links = find_links(conn, ids)
    linked = sorted({article for link in links for article in link} | set(ids))
    stories = dict(
        conn.execute(
            "SELECT id, coalesce(story_id, id) FROM articles WHERE id = ANY(%s)", [linked]
        ).fetchall()
    )
    groups = _groups(stories.values(), ((stories[a], stories[b]) for a, b in links))
    nodes = sorted(groups)
    return conn.execute(_MERGE, [nodes, [groups[n] for n in nodes]], prepare=False).rowcount


def match_same_page(conn: psycopg.Connection[Any], bounds: LookupBounds = BOUNDS) -> None:
    """Mark the store's staged rows that are another query of a page their source has, with a
    near-copy of its text, as known: another URL of that article (the caller holds the store
    lock, before inserting, and resolves ``via`` rows after)."""
    params = {"threshold": LINK_CONTAINMENT, "verified": bounds.verified}
    conn.execute(_MATCH_SAME_PAGE, params, prepare=False)
    conn.execute(_MATCH_SAME_PAGE_EARLIER, params, prepare=False)


def prefer_plain_urls(conn: psycopg.Connection[Any]) -> None:
    """Give articles stored under a query variant their page's plain URL once it is staged."""
    conn.execute(_PREFER_PLAIN_URL)


def index_signatures(conn: psycopg.Connection[Any], article_ids: Sequence[int]) -> None:
    """Write the LSH band keys of these articles' stored signatures."""
    if article_ids:
        conn.execute(_INSERT_BANDS, [list(article_ids)], prepare=False)


def count_stories(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """(stories, articles) over the whole corpus: a researcher's two counts."""
    row = conn.execute(
        "SELECT count(DISTINCT coalesce(story_id, id)), count(*) FROM articles"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


# ---------------------------------------------------------------- rebuilding every story
# `newswire dedup --rebuild`: signatures and stories recomputed for the whole corpus, in
# batches read by keyset (id order), so memory does not grow with the corpus and each batch
# is a short transaction a running crawl can interleave with.


def reset_stories(conn: psycopg.Connection[Any]) -> int:
    """Drop every signature and band and make each article its own story again (exact copies
    stay with their original); returns how many articles there are."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, STORE_LOCK])
        conn.execute("TRUNCATE article_bands, article_signatures")
        conn.execute(
            "UPDATE articles SET story_id = coalesce(duplicate_of, id)"
            " WHERE story_id IS DISTINCT FROM coalesce(duplicate_of, id)"
        )
        row = conn.execute("SELECT count(*) FROM articles").fetchone()
    return int(row[0]) if row is not None else 0


def article_texts(
    conn: psycopg.Connection[Any], after_id: int, limit: int
) -> list[tuple[int, str]]:
    """The next ``limit`` articles' ids and texts after ``after_id``, in id order."""
    rows = conn.execute(
        "SELECT id, text FROM articles WHERE id > %s ORDER BY id LIMIT %s", [after_id, limit]
    ).fetchall()
    return [(int(i), text) for i, text in rows]


def write_signatures(
    conn: psycopg.Connection[Any], signed: Sequence[tuple[int, list[int], int]]
) -> None:
    """Store (article id, signature, shingle count) rows and their band keys."""
    with conn.transaction():
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY article_signatures (article_id, signature, shingles) FROM STDIN"
            ) as copy,
        ):
            copy.set_types(["int8", "int8[]", "int4"])
            for row in signed:
                copy.write_row(row)
        index_signatures(conn, [article_id for article_id, _, _ in signed])


def article_ids(conn: psycopg.Connection[Any], after_id: int, limit: int) -> list[int]:
    """The next ``limit`` article ids after ``after_id``."""
    rows = conn.execute(
        "SELECT id FROM articles WHERE id > %s ORDER BY id LIMIT %s", [after_id, limit]
    ).fetchall()
    return [int(row[0]) for row in rows]


def reassign_stories(conn: psycopg.Connection[Any], ids: Sequence[int]) -> int:
    """assign_stories for one batch of a rebuild, under the store lock."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, STORE_LOCK])
        return assign_stories(conn, ids)
