"""storage.search: query checks and SQL composition (pure), then searches over a crawled corpus."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from newswire.errors import ConfigError
from newswire.records import Article
from storage.connection import connect
from storage.queries import articles_per_day, language_counts, store_articles
from storage.search import (
    HIGHLIGHT_START,
    HIGHLIGHT_STOP,
    MAX_QUERY_CHARS,
    Filters,
    PageKey,
    QueryPlan,
    SearchHit,
    SearchRequest,
    check_language,
    check_request,
    clean_query,
    count_matching,
    group_queries,
    parse_filters,
    parse_when,
    search_articles,
    search_sql,
    snippet_html,
    stream_articles,
    where_clause,
)
from tests.conftest import Corpus

Conn = psycopg.Connection[Any]
EARLIER, LATER = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)

# ---------------------------------------------------------------- pure: checking input


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Kim   Jong\tUn ", "Kim Jong Un"),
        ('"unbalanced quote', '"unbalanced quote'),
        ("a\x00b", "a b"),
        ("x" * MAX_QUERY_CHARS, "x" * MAX_QUERY_CHARS),
    ],
)
def test_clean_query_keeps_words(text: str, expected: str) -> None:
    assert clean_query(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   \n\t", "empty"), ("\x00", "empty"), ("x" * 10_000, "shorten it")],
)
def test_clean_query_refuses(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        clean_query(text)


@pytest.mark.parametrize(
    ("code", "expected"), [("en", "en"), ("EN", "en"), ("pt_BR", "pt-br"), ("de-AT", "de-at")]
)
def test_check_language_accepts_tags(code: str, expected: str) -> None:
    assert check_language(code) == expected


@pytest.mark.parametrize("code", ["", "e", "english!", "en-", "'; drop", "en us", "x" * 40])
def test_check_language_refuses_others(code: str) -> None:
    with pytest.raises(ConfigError, match="not a language code"):
        check_language(code)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2024-05-01", False, datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01", True, datetime(2024, 5, 2, tzinfo=UTC)),
        ("2024-05-01T12:30:00", False, datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00+02:00", True, datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00Z", False, datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, end: bool, expected: datetime) -> None:
    assert parse_when(text, name="since", end=end) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-02-30", "", "01/05/2024"])
def test_parse_when_refuses_bad_dates(text: str) -> None:
    with pytest.raises(ConfigError, match=r"since .* is not a date"):
        parse_when(text, name="since")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SearchRequest(None, sort="relevance"), "needs a search query"),
        (SearchRequest("x", sort="random"), "not one of"),
        (SearchRequest("x", limit=0), "out of range"),
        (SearchRequest("x", limit=-5), "out of range"),
        (SearchRequest("x", Filters(since=LATER, until=EARLIER)), "not before until"),
        (SearchRequest("x", sort="date", after=PageKey(id=3, rank=0.5)), "another sort order"),
    ],
)
def test_check_request_refuses(request_: SearchRequest, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_request(request_)


# ---------------------------------------------------------------- pure: composing SQL


def test_group_queries_merges_configurations_that_agree() -> None:
    plan = group_queries([("english", "'talk'"), ("french", "'talk'"), ("simple", "'talks'")])
    assert plan == QueryPlan(((("english", "french"), "'talk'"), (("simple",), "'talks'")), False)
    assert group_queries([("english", "'x'"), ("german", "'x'")]).universal
    # a configuration that finds only stop words drops out, and the rest are no longer universal
    assert group_queries([("english", ""), ("german", "'die'")]) == QueryPlan(
        ((("german",), "'die'"),), False
    )


def test_values_never_enter_the_sql_text() -> None:
    hostile = "x'); DROP TABLE articles; --"
    filters = Filters(sources=(hostile,), language="en", author=hostile)
    plan = group_queries([("english", "'x'"), ("french", "'y'")])
    statement, params = search_sql(SearchRequest(hostile, filters), plan)
    text = statement.as_string(None)
    assert "DROP TABLE" not in text
    assert [hostile] in params and "%x'); DROP TABLE articles; --%" in params
    where, where_params = where_clause(Filters(author="50%_off\\"), None)
    assert where_params == ["%50\\%\\_off\\\\%"]  # LIKE wildcards in a name match literally
    assert "50" not in where.as_string(None)


def test_snippet_html_escapes_text_and_marks_matches() -> None:
    raw = f"a <b>&  {HIGHLIGHT_START}talks{HIGHLIGHT_STOP}\n end"
    assert snippet_html(raw) == "a &lt;b&gt;&amp; <mark>talks</mark> end"
    assert snippet_html(None) is None


# ---------------------------------------------------------------- searching the crawled corpus


@pytest.fixture(scope="module")
def conn(crawled_corpus: Corpus) -> Iterator[Conn]:
    with connect(crawled_corpus.database_url) as connection:
        yield connection


@pytest.fixture(scope="module")
def stored(conn: Conn) -> list[dict[str, Any]]:
    """Every stored article, to compute expected results independently of the search."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            "SELECT id, source, title, coalesce(description, '') AS description, text, language,"
            " authors, published_at, duplicate_of, story_id FROM articles ORDER BY id"
        ).fetchall()


def _search(conn: Conn, query: str | None, **kw: Any) -> list[SearchHit]:
    return search_articles(conn, SearchRequest(query, **kw)).hits


def _words(article: dict[str, Any]) -> str:
    return f"{article['title']}\n{article['description']}\n{article['text']}"


def _ids(hits: list[SearchHit]) -> set[int]:
    return {hit.id for hit in hits}


def _matching(stored: list[dict[str, Any]], pattern: str) -> set[int]:
    found = re.compile(pattern, re.IGNORECASE)
    return {a["id"] for a in stored if a["story_id"] == a["id"] and found.search(_words(a))}


def test_corpus_has_what_these_tests_rely_on(stored: list[dict[str, Any]]) -> None:
    assert len(stored) >= 20
    assert {"en", "fr", "de", "es"} <= {a["language"] for a in stored}
    assert any(a["duplicate_of"] for a in stored)


def test_a_phrase_query_finds_only_the_phrase(conn: Conn, stored: list[dict[str, Any]]) -> None:
    phrase = _ids(_search(conn, '"border crossing"', limit=100))
    words = _ids(_search(conn, "border crossing", limit=100))
    assert phrase == _matching(stored, r"\bborder crossings?\b")
    assert phrase and phrase < words  # the words alone also match articles without the phrase


def test_an_exclusion_excludes(conn: Conn, stored: list[dict[str, Any]]) -> None:
    with_border = _ids(_search(conn, "talks", limit=100))
    without = _ids(_search(conn, "talks -border", limit=100))
    assert without == with_border - _matching(stored, r"\bborders?\b")
    assert without and without < with_border


def test_or_finds_either(conn: Conn) -> None:
    either = _ids(_search(conn, "embassies OR Botschaft", limit=100))
    assert either == _ids(_search(conn, "embassies", limit=100)) | _ids(
        _search(conn, "Botschaft", limit=100)
    )
    assert either


def test_a_title_search_ranks_its_article_first(conn: Conn, stored: list[dict[str, Any]]) -> None:
    for article in stored:
        if article["story_id"] == article["id"]:  # a story's copies show as its original
            hits = _search(conn, article["title"], limit=3)
            assert hits and hits[0].id == article["id"], article["title"]
            assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_snippets_highlight_the_terms(conn: Conn) -> None:
    hits = _search(conn, "border", limit=10)
    assert hits
    for hit in hits:
        assert hit.snippet is not None
        marked = re.findall(f"{HIGHLIGHT_START}(.*?){HIGHLIGHT_STOP}", hit.snippet)
        assert marked and all(word.lower().startswith("border") for word in marked)


@pytest.mark.parametrize(
    ("query", "lang", "pattern"),
    [
        ("Botschaft", "de", r"\bBotschaft(en)?\b"),  # German stemming: the plural is found
        ("prévision", "fr", r"\bprévisions?\b"),
        ("acuerdo", "es", r"\bacuerdos?\b"),
    ],
)
def test_non_english_articles_are_found_in_their_language(
    conn: Conn, stored: list[dict[str, Any]], query: str, lang: str, pattern: str
) -> None:
    expected = _matching(stored, pattern)
    assert expected
    filtered = _search(conn, query, filters=Filters(language=lang), limit=100)
    assert _ids(filtered) == expected
    assert {hit.language for hit in filtered} == {lang}
    assert expected <= _ids(_search(conn, query, limit=100))  # without the filter too


def test_stop_words_only_is_an_error(conn: Conn) -> None:
    with pytest.raises(ConfigError, match="no searchable words"):
        _search(conn, "the of and", filters=Filters(language="en"))


def test_filters_filter(conn: Conn, stored: list[dict[str, Any]]) -> None:
    originals = [a for a in stored if a["story_id"] == a["id"]]
    hits = _search(conn, None, filters=Filters(sources=("europa",)), limit=100)
    assert _ids(hits) == {a["id"] for a in originals if a["source"] == "europa"}
    dates = sorted(a["published_at"] for a in originals)
    middle = dates[len(dates) // 2]
    since = _ids(_search(conn, None, filters=Filters(since=middle), limit=100))
    until = _ids(_search(conn, None, filters=Filters(until=middle), limit=100))
    assert since == {a["id"] for a in originals if a["published_at"] >= middle}
    assert until == {a["id"] for a in originals if a["published_at"] < middle}
    author = originals[0]["authors"][0]
    by_author = _search(conn, None, filters=Filters(author=author.split()[-1].upper()), limit=100)
    assert originals[0]["id"] in _ids(by_author)
    assert all(any(author.split()[-1] in name for name in h.authors) for h in by_author)


def test_copies_are_hidden_unless_asked_for(conn: Conn, stored: list[dict[str, Any]]) -> None:
    copy = next(a for a in stored if a["duplicate_of"])
    shown = _search(conn, copy["title"], filters=Filters(copies=True), limit=10)
    assert {copy["id"], copy["duplicate_of"]} <= _ids(shown)
    assert next(h for h in shown if h.id == copy["id"]).duplicate_of == copy["duplicate_of"]
    assert copy["id"] not in _ids(_search(conn, copy["title"], limit=10))


@pytest.mark.parametrize(("query", "sort"), [(None, "date"), ("Halstad OR Corsaval", None)])
def test_pages_follow_on_without_gaps_or_repeats(conn: Conn, query: str | None, sort: str) -> None:
    everything = _search(conn, query, sort=sort, limit=100)
    assert len(everything) > 6
    pages: list[SearchHit] = []
    request = SearchRequest(query, sort=sort, limit=4)
    while True:
        page = search_articles(conn, request)
        pages += page.hits
        if page.next_key is None:
            break
        request = replace(request, after=page.next_key)
    assert [h.id for h in pages] == [h.id for h in everything]
    if sort == "date":
        keys = [h.published_at for h in pages]
        assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE articles; --",
        '"unbalanced phrase',
        "a & b | !c <-> d:* (e",
        "OR OR -",
        "\\x00 %s %(name)s {}",
        "x" * MAX_QUERY_CHARS,
    ],
)
def test_hostile_queries_are_harmless(conn: Conn, query: str) -> None:
    for sort in ("relevance", "date"):
        try:
            hits = _search(conn, query, sort=sort)
        except ConfigError as exc:
            assert "no searchable words" in str(exc)
        else:
            assert isinstance(hits, list)
    assert conn.execute("SELECT count(*) > 0 FROM articles").fetchone() == (True,)


def test_export_stream_and_count_agree(conn: Conn, stored: list[dict[str, Any]]) -> None:
    rows = [row for batch in stream_articles(conn, None, Filters(), batch_size=7) for row in batch]
    assert [row[0] for row in rows] == [a["id"] for a in stored if a["story_id"] == a["id"]]
    assert count_matching(conn, None, Filters()) == len(rows)
    found = [r for b in stream_articles(conn, "border", Filters(sources=("planet",))) for r in b]
    assert len(found) == count_matching(conn, "border", Filters(sources=("planet",))) > 0


def test_stats_queries(conn: Conn, stored: list[dict[str, Any]]) -> None:
    days = articles_per_day(conn, days=3650, now=datetime.now(UTC) + timedelta(days=1))
    assert sum(d.articles + d.duplicates for d in days) == len(stored)
    languages = {c.language: c for c in language_counts(conn)}
    assert languages["de"].articles == sum(a["language"] == "de" for a in stored)


# ---------------------------------------------------------------- vectors are filled on write


def _article(key: str, language: str, text: str) -> Article:
    now = datetime.now(UTC)
    url = f"http://127.0.0.1:9/{key}"
    return Article(
        source="alpha", url=url, urls=[url], title=f"Titel {key}", authors=[],
        published_at=now, language=language, site_name=None, description=None,
        categories=[], tags=[], text=text, html_zlib=zlib.compress(b"<html></html>"),
        encoding="utf-8", fetched_at=now, text_hash=hashlib.sha256(text.encode()).digest(),
    )  # fmt: skip


def test_store_and_trigger_fill_search_vectors(db: Conn) -> None:
    store_articles(db, None, [_article("a", "de-AT", "Die Botschaften öffnen wieder.")])
    row = db.execute(
        "SELECT search_config::text, search @@ to_tsquery('german', 'botschaft') FROM articles"
    ).fetchone()
    assert row == ("german", True)
    db.execute(
        "INSERT INTO articles (source, url, title, text, text_hash, fetched_at, language)"
        " VALUES ('alpha', 'http://127.0.0.1:9/b', 'Mot', 'Les ambassades rouvrent', 'x', now(),"
        " 'xx')"
    )
    row = db.execute(
        "SELECT search_config::text, search @@ 'ambassades'::tsquery, search @@ 'mot:A'::tsquery"
        " FROM articles WHERE url LIKE '%/b'"
    ).fetchone()
    assert row == ("simple", True, True)  # no configuration for "xx": simple, title weighs A
    db.execute("UPDATE articles SET text = 'Neue Gespräche', language = 'de' WHERE url LIKE '%/b'")
    hits = _search(db, "Gespräch", filters=Filters(language="de"))
    assert [h.title for h in hits] == ["Mot"]
    configs = {r[0] for r in db.execute("SELECT config::text FROM search_configs")}
    assert {"german", "simple"} <= configs


# ---------------------------------------------------------------- parse_filters, the query front


def test_parse_filters_reads_every_value(conn: Conn) -> None:
    filters = parse_filters(
        conn, sources=["planet", "europa", "planet"], lang="EN", since="2024-05-01",
        until="2024-05-31", author=" reyes\x00 ", copies=True, configured=lambda: ["planet"],
    )  # fmt: skip
    assert filters == Filters(
        sources=("planet", "europa"),  # europa is not configured here, but has stored articles
        language="en",
        since=datetime(2024, 5, 1, tzinfo=UTC),
        until=datetime(2024, 6, 1, tzinfo=UTC),  # a bare --until date includes that day
        author="reyes",
        copies=True,
    )
    assert parse_filters(conn) == Filters()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"since": "last week"}, "--since 'last week' is not a date"),
        ({"until": "2024-02-30"}, "--until '2024-02-30' is not a date"),
        ({"lang": "english please"}, "not a language code"),
        ({"sources": ["plnet"]}, "unknown source 'plnet': no configured source or stored article "
         "has that name; did you mean 'planet'?"),
        ({"sources": ["qqqqq"]}, "has that name: list them with `newswire sources`"),
        ({"sources": ["planet\x00'; DROP TABLE articles"]}, "unknown source"),
    ],
)  # fmt: skip
def test_parse_filters_refuses_in_one_line(conn: Conn, given: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_filters(conn, **given, configured=lambda: ["meridian"], prefix="--")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_an_unknown_source_names_the_closest_not_all(conn: Conn) -> None:
    many = [f"outlet-{n:03}" for n in range(307)]
    with pytest.raises(ConfigError) as info:
        parse_filters(conn, sources=["outlte-042"], configured=lambda: many)
    message = str(info.value)
    assert "did you mean 'outlet-042'" in message and message.count("outlet-") <= 3


def test_a_broken_sources_file_still_allows_stored_sources(conn: Conn) -> None:
    def broken() -> list[str]:
        raise ConfigError("sources.toml is not valid TOML")

    assert parse_filters(conn, sources=["planet"], configured=broken).sources == ("planet",)
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        parse_filters(conn, sources=["nope"], configured=broken)
