"""Full-text search over stored articles: web-search syntax in, ranked pages with snippets out.

A query is parsed by ``websearch_to_tsquery`` (quoted phrases, OR, -exclusions; it never fails
on syntax) once per text-search configuration in use, and each article is matched with the
query of its own configuration, so stemming and stop words follow the article's language.
Relevance ranks a bounded set of candidates (the newest RANK_CANDIDATES matches): ranking all
74,000 matches of a common word took 236 ms at 100,000 articles (bench/search_bench.py), the
bounded set 5 ms, while a rare word's matches all fit in the set and rank exactly. Snippets
are computed for the returned page only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from newswire.errors import ConfigError, did_you_mean
from newswire.records import ArticleRow, SearchHit, StoredArticle, field_names

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 1000
RANK_CANDIDATES = 500  # newest matches ranked by relevance; see the module docstring
SORTS = ("relevance", "date")
HIGHLIGHT_START = "\x02"  # ts_headline marks matches with these: callers render them safely
HIGHLIGHT_STOP = "\x03"
_HEADLINE_OPTIONS = (
    f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_STOP}", '
    'MaxWords=35, MinWords=15, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
)
_RANK_NORMALIZATION = 1  # divide by 1 + log(document length): long texts don't win by size
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
_SORT_KEY = sql.SQL("coalesce(a.published_at, '-infinity'::timestamptz)")  # see 0002_search.sql


@dataclass(frozen=True)
class Filters:
    """What to search within; shared by search, export and the API."""

    sources: tuple[str, ...] = ()
    language: str | None = None  # "en" also matches "en-GB"
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before
    author: str | None = None  # a case-insensitive part of one author's name
    copies: bool = False  # every copy of each story; else only its original (storage.stories)


@dataclass(frozen=True)
class PageKey:
    """Where a page ended: the next page starts after this article in the same order."""

    id: int
    rank: float | None = None  # relevance order
    published_at: datetime | None = None  # date order; None sorts last


@dataclass(frozen=True)
class SearchRequest:
    """One page of a search; sort defaults to relevance with a query and date without."""

    query: str | None = None
    filters: Filters = field(default_factory=Filters)
    sort: str | None = None
    limit: int = 20
    after: PageKey | None = None

    @property
    def order(self) -> str:
        """The sort in effect."""
        return self.sort or ("relevance" if self.query else "date")


@dataclass(frozen=True)
class SearchPage:
    """The hits of one page and the key to resume from (None on the last page)."""

    hits: list[SearchHit]
    next_key: PageKey | None


# ---------------------------------------------------------------- checking input (pure)


def snippet_html(raw: str | None) -> str | None:
    """A snippet for machines and browsers: HTML-escaped, with <mark> around matched words."""
    if raw is None:
        return None
    escaped = html.escape(" ".join(raw.split()), quote=False)
    return escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")


def clean_query(text: str) -> str:
    """The query as searched: trimmed, NUL-free, non-empty and of bounded length."""
    query = " ".join(text.replace("\x00", " ").split())
    if not query:
        raise ConfigError("the search query is empty: give at least one word to search for")
    if len(query) > MAX_QUERY_CHARS:
        raise ConfigError(
            f"the search query has {len(query)} characters; shorten it to {MAX_QUERY_CHARS}"
        )
    return query


def check_language(code: str) -> str:
    """A language tag as stored by extraction ("en", "pt-br"), lower-cased."""
    tag = code.strip().lower().replace("_", "-")
    if not _LANGUAGE.fullmatch(tag):
        raise ConfigError(f"language {code!r} is not a language code: use one like en, fr, pt-BR")
    return tag


def parse_when(text: str, *, name: str, end: bool = False) -> datetime:
    """YYYY-MM-DD or an ISO 8601 time (UTC when no offset); a bare date as ``end`` is the
    midnight after it, so --until 2024-05-01 includes that whole day."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ConfigError(
            f"{name} {text!r} is not a date: use YYYY-MM-DD or 2024-05-01T12:00:00+00:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def check_request(request: SearchRequest) -> None:
    """Refuse what cannot be searched, with the fix, before any SQL runs."""
    if request.sort is not None and request.sort not in SORTS:
        raise ConfigError(f"sort {request.sort!r} is not one of: {', '.join(SORTS)}")
    if request.order == "relevance" and not request.query:
        raise ConfigError("sorting by relevance needs a search query: give one or sort by date")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise ConfigError(f"limit {request.limit} is out of range: use 1 to {MAX_LIMIT}")
    since, until = request.filters.since, request.filters.until
    if since is not None and until is not None and since >= until:
        raise ConfigError("since is not before until: swap them or widen the range")
    key = request.after
    if key is not None and (request.order == "relevance") != (key.rank is not None):
        raise ConfigError("the page cursor belongs to another sort order: start without it")


# ---------------------------------------------------------------- composing SQL (pure)


@dataclass(frozen=True)
class QueryPlan:
    """The tsquery for each group of configurations that parse the query alike; ``universal``
    when one group covers every configuration in use, so no article needs a config test."""

    groups: tuple[tuple[tuple[str, ...], str], ...]  # ((configuration, ...), tsquery text)
    universal: bool


def group_queries(parsed: Sequence[tuple[str, str]]) -> QueryPlan:
    """Group (configuration, tsquery) pairs by tsquery; empty tsqueries (stop words only in
    that language) match nothing and drop out."""
    groups: dict[str, list[str]] = {}
    for config, tsquery in parsed:
        if tsquery:
            groups.setdefault(tsquery, []).append(config)
    universal = len(groups) == 1 and len(next(iter(groups.values()))) == len(parsed)
    return QueryPlan(
        tuple((tuple(configs), tsquery) for tsquery, configs in groups.items()), universal
    )


def _row_query(plan: QueryPlan | None) -> tuple[sql.Composable, list[Any]]:
    """The tsquery of the article's own configuration, as an SQL expression."""
    if plan is None or not plan.groups:
        return sql.SQL("NULL::tsquery"), []
    if plan.universal:
        return sql.SQL("%s::tsquery"), [plan.groups[0][1]]
    whens = sql.SQL(" ").join(
        sql.SQL("WHEN a.search_config = ANY(%s::regconfig[]) THEN %s::tsquery") for _ in plan.groups
    )
    params = [value for configs, tsquery in plan.groups for value in (list(configs), tsquery)]
    return sql.SQL("CASE {} END").format(whens), params


def _match(plan: QueryPlan) -> tuple[sql.Composable, list[Any]]:
    """One GIN-indexable @@ per group, each limited to articles of that group's configurations
    (so an exclusion stemmed for one language cannot let through an article of another)."""
    if not plan.groups:  # no article uses any configuration yet: an empty corpus
        return sql.SQL("FALSE"), []
    if plan.universal:
        return sql.SQL("a.search @@ %s::tsquery"), [plan.groups[0][1]]
    branch = sql.SQL("(a.search_config = ANY(%s::regconfig[]) AND a.search @@ %s::tsquery)")
    clause = sql.SQL("(") + sql.SQL(" OR ").join(branch for _ in plan.groups) + sql.SQL(")")
    return clause, [value for configs, tsquery in plan.groups for value in (list(configs), tsquery)]


def where_clause(filters: Filters, plan: QueryPlan | None) -> tuple[sql.Composable, list[Any]]:
    """The WHERE conditions for filters and, when there is a query, its match."""
    conditions: list[sql.Composable] = [sql.SQL("TRUE")]
    params: list[Any] = []
    if plan is not None:
        clause, values = _match(plan)
        conditions.append(clause)
        params += values
    if filters.sources:
        conditions.append(sql.SQL("a.source = ANY(%s)"))
        params.append(list(filters.sources))
    if filters.language:
        conditions.append(sql.SQL("(lower(a.language) = %s OR lower(a.language) LIKE %s)"))
        params += [filters.language, filters.language + "-%"]  # tags hold no LIKE wildcards
    if filters.since is not None:
        conditions.append(sql.SQL("{} >= %s").format(_SORT_KEY))
        params.append(filters.since)
    if filters.until is not None:
        conditions.append(sql.SQL("{} < %s AND a.published_at IS NOT NULL").format(_SORT_KEY))
        params.append(filters.until)
    if filters.author:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", filters.author.strip()) + "%"
        conditions.append(
            sql.SQL("EXISTS (SELECT 1 FROM unnest(a.authors) AS au(name) WHERE au.name ILIKE %s)")
        )
        params.append(pattern)
    if not filters.copies:  # IS TRUE: the form the planner has statistics for (0010)
        conditions.append(sql.SQL("(coalesce(a.story_id, a.id) = a.id) IS TRUE"))
    return sql.SQL(" AND ").join(conditions), params


# A hit's stored columns; rank and snippet are computed per page.
_HIT_COLUMNS = sql.SQL(", ").join(
    sql.SQL("a.") + sql.Identifier(name) for name in field_names(StoredArticle)
)


def search_sql(request: SearchRequest, plan: QueryPlan | None) -> tuple[sql.Composable, list[Any]]:
    """The statement for one page: match and filter, order, cut, then snippets for the page."""
    where, params = where_clause(request.filters, plan)
    row_query, query_params = _row_query(plan)
    snippet = sql.SQL(
        "CASE WHEN page.query IS NULL THEN NULL"
        " ELSE ts_headline(a.search_config, a.text, page.query, %s) END"
    )
    key = request.after
    if request.order == "date":
        if key is not None:
            where += sql.SQL(" AND ({}, a.id) < (%s::timestamptz, %s)").format(_SORT_KEY)
            params += [key.published_at or "-infinity", key.id]
        inner = sql.SQL(
            "SELECT a.id, {row_query} AS query, NULL::real AS rank FROM articles a WHERE {where}"
            " ORDER BY {key} DESC, a.id DESC LIMIT %s"
        ).format(row_query=row_query, where=where, key=_SORT_KEY)
        inner_params = [*query_params, *params, request.limit]
        order = sql.SQL("{} DESC, a.id DESC").format(_SORT_KEY)
    else:
        after = sql.SQL("TRUE")
        after_params: list[Any] = []
        if key is not None:
            after = sql.SQL("(r.rank, r.id) < (%s::real, %s)")
            after_params = [key.rank, key.id]
        # Candidates carry only id and query through their sort; vectors join back for ranking.
        inner = sql.SQL(
            "SELECT r.id, r.query, r.rank FROM ("
            " SELECT c.id, c.query, ts_rank(x.search, c.query, {norm}) AS rank FROM ("
            "  SELECT a.id, {row_query} AS query FROM articles a WHERE {where}"
            "  ORDER BY {key} DESC, a.id DESC LIMIT %s) c"
            " JOIN articles x ON x.id = c.id) r"
            " WHERE {after} ORDER BY r.rank DESC, r.id DESC LIMIT %s"
        ).format(
            norm=sql.Literal(_RANK_NORMALIZATION),
            row_query=row_query,
            where=where,
            key=_SORT_KEY,
            after=after,
        )
        inner_params = [
            *query_params, *params, RANK_CANDIDATES, *after_params, request.limit
        ]  # fmt: skip
        order = sql.SQL("page.rank DESC, a.id DESC")
    statement = sql.SQL(
        "SELECT {columns}, page.rank, {snippet} AS snippet"
        " FROM ({inner}) page JOIN articles a ON a.id = page.id ORDER BY {order}"
    ).format(columns=_HIT_COLUMNS, snippet=snippet, inner=inner, order=order)
    return statement, [_HEADLINE_OPTIONS, *inner_params]


# ---------------------------------------------------------------- running searches

# search_configs lists every configuration articles use (kept by triggers, see 0002_search.sql).
_PLAN = """
SELECT config::text, websearch_to_tsquery(config, %s)::text FROM search_configs ORDER BY config
"""
_PLAN_ONE = (
    "SELECT cfg::text, websearch_to_tsquery(cfg, %s)::text FROM newswire_search_config(%s) cfg"
)


def plan_query(conn: psycopg.Connection[Any], query: str, language: str | None) -> QueryPlan:
    """The tsqueries the search must run, one per group of configurations; an error when no
    configuration finds a searchable word in the query (only stop words or punctuation)."""
    if language:  # the language filter keeps only articles of this one configuration
        rows = conn.execute(_PLAN_ONE, [query, language]).fetchall()
    else:
        rows = conn.execute(_PLAN, [query]).fetchall()
    plan = group_queries(rows)
    if rows and not plan.groups:
        raise ConfigError(
            f"the search query {query[:80]!r} has no searchable words (only stop words or "
            "punctuation): add a more specific word"
        )
    return plan


def search_articles(conn: psycopg.Connection[Any], request: SearchRequest) -> SearchPage:
    """One page of matches in the requested order, with snippets when there is a query."""
    check_request(request)
    plan = plan_query(conn, request.query, request.filters.language) if request.query else None
    statement, params = search_sql(request, plan)
    with conn.cursor(row_factory=class_row(SearchHit)) as cur:
        # Never a generic plan: selectivity of the tsquery decides between GIN and date scans.
        hits = cur.execute(statement, params, prepare=False).fetchall()
    next_key = None
    if len(hits) == request.limit:
        last = hits[-1]
        next_key = PageKey(id=last.id, rank=last.rank, published_at=last.published_at)
    return SearchPage(hits, next_key)


# Every stored field but the text fingerprint, and every URL that leads to the article.
EXPORT_COLUMNS = tuple(
    column
    for name in field_names(ArticleRow)
    if name != "text_hash"
    for column in ((name, "urls") if name == "url" else (name,))
)
_EXPORT_SELECT = sql.SQL(", ").join(
    sql.SQL(
        "ARRAY(SELECT u.url FROM article_urls u WHERE u.article_id = a.id"
        " ORDER BY u.first_seen, u.url)"
    )
    if column == "urls"
    else sql.SQL("a.") + sql.Identifier(column)
    for column in EXPORT_COLUMNS
)


def count_matching(conn: psycopg.Connection[Any], query: str | None, filters: Filters) -> int:
    """How many articles an export will write, for its progress bar."""
    plan = plan_query(conn, query, filters.language) if query else None
    where, params = where_clause(filters, plan)
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM articles a WHERE {}").format(where), params, prepare=False
    ).fetchone()
    return int(row[0]) if row else 0


def stream_articles(
    conn: psycopg.Connection[Any],
    query: str | None,
    filters: Filters,
    *,
    batch_size: int = 2000,
) -> Generator[list[tuple[Any, ...]]]:
    """Every matching article in id order, EXPORT_COLUMNS per row, batch by batch through a
    server-side cursor: memory stays flat whatever the corpus size."""
    plan = plan_query(conn, query, filters.language) if query else None
    where, params = where_clause(filters, plan)
    statement = sql.SQL("SELECT {} FROM articles a WHERE {} ORDER BY a.id").format(
        _EXPORT_SELECT, where
    )
    with conn.transaction(), conn.cursor(name="newswire_export") as cur:
        cur.itersize = batch_size
        cur.execute(statement, params)
        while batch := cur.fetchmany(batch_size):
            yield batch


def known_sources(conn: psycopg.Connection[Any], names: Sequence[str]) -> set[str]:
    """Which of these source names have stored articles (one index probe each)."""
    rows = conn.execute(
        "SELECT n FROM unnest(%s::text[]) n WHERE EXISTS"
        " (SELECT 1 FROM articles a WHERE a.source = n)",
        [list(names)],
    )
    return {row[0] for row in rows}


# ---------------------------------------------------------------- the query front
# One parser for the filters the CLI's options and the API's query parameters carry, so both
# faces refuse the same input with the same one-line error.

SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")  # what sources.toml accepts, bounded
# Distinct sources by skipping through articles_source_newest_idx: one probe per source.
_STORED_SOURCES = """
WITH RECURSIVE s(name) AS (
    SELECT min(source) FROM articles
    UNION ALL
    SELECT (SELECT min(a.source) FROM articles a WHERE a.source > s.name)
    FROM s WHERE s.name IS NOT NULL)
SELECT name FROM s WHERE name IS NOT NULL
"""


def stored_source_names(conn: psycopg.Connection[Any]) -> list[str]:
    """Every source with stored articles, in name order (cheap at any corpus size)."""
    return [row[0] for row in conn.execute(_STORED_SOURCES)]


def parse_filters(
    conn: psycopg.Connection[Any],
    *,
    sources: Sequence[str] = (),
    lang: str | None = None,
    since: str | None = None,
    until: str | None = None,
    author: str | None = None,
    copies: bool = False,
    configured: Callable[[], Iterable[str]] = tuple,
    prefix: str = "",
) -> Filters:
    """The Filters of a search from what the CLI's options and the API's query parameters
    carry, every value checked, so both faces accept and refuse the same input with the same
    one-line ConfigError. ``configured`` returns the sources file's names and is called only
    when sources are named; ``prefix`` spells option names in messages ("--" on the CLI)."""
    names = tuple(dict.fromkeys(sources))
    filters = Filters(
        sources=names,
        language=check_language(lang) if lang is not None else None,
        since=parse_when(since, name=f"{prefix}since") if since is not None else None,
        until=parse_when(until, name=f"{prefix}until", end=True) if until is not None else None,
        author=(author or "").replace("\x00", "").strip() or None,
        copies=copies,
    )
    if names:
        _check_sources(conn, names, configured)
    return filters


def _check_sources(
    conn: psycopg.Connection[Any], names: Sequence[str], configured: Callable[[], Iterable[str]]
) -> None:
    """Refuse a source neither configured nor among stored articles, naming the closest."""
    try:
        known = set(configured())
    except ConfigError:  # a broken sources file: stored articles still name their sources
        known = set()
    wanted = [name for name in names if name not in known]
    if not wanted:
        return
    stored = known_sources(conn, [name for name in wanted if SOURCE_NAME.fullmatch(name)])
    unknown = [name for name in wanted if name not in stored]
    if unknown:
        hint = did_you_mean(unknown[0], known.union(stored_source_names(conn)))
        raise ConfigError(
            f"unknown source {unknown[0]!r}: no configured source or stored article has that "
            f"name{hint or ': list them with `newswire sources` or GET /sources'}"
        )
