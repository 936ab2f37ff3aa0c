"""`newswire search/show/export/stats/serve` as real subprocesses over the crawled sample site."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from storage.connection import connect
from tests.conftest import Corpus, run_newswire


def newswire(corpus: Corpus, *args: str) -> subprocess.CompletedProcess[str]:
    return run_newswire(
        "--sources", str(corpus.sources_path), *args,
        database_url=corpus.database_url, data_dir=corpus.data_dir, timeout=120,
    )  # fmt: skip


def ok(corpus: Corpus, *args: str) -> str:
    done = newswire(corpus, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def fails(corpus: Corpus, *args: str, code: int = 2) -> str:
    """The one stderr line a refused command prints (never a traceback)."""
    done = newswire(corpus, *args)
    assert done.returncode == code, (done.stdout[-500:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.fixture(scope="module")
def originals(crawled_corpus: Corpus) -> dict[int, dict[str, Any]]:
    with connect(crawled_corpus.database_url) as conn:
        rows = conn.execute(
            "SELECT id, source, language, title FROM articles WHERE duplicate_of IS NULL"
        ).fetchall()
    return {r[0]: {"source": r[1], "language": r[2], "title": r[3]} for r in rows}


@pytest.fixture(scope="module")
def story_originals(crawled_corpus: Corpus) -> dict[int, str]:
    """The original of each story (search and export show only these by default): source."""
    with connect(crawled_corpus.database_url) as conn:
        rows = conn.execute("SELECT id, source FROM articles WHERE story_id = id").fetchall()
    return dict(rows)


def test_search_piped_is_json_lines(crawled_corpus: Corpus) -> None:
    lines = ok(crawled_corpus, "search", '"border crossing"').splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all("border crossing" in r["title"].lower() for r in records)
    assert all("<mark>" in r["snippet"] for r in records if "border" in r["snippet"].lower())


def test_search_formats_and_filters(crawled_corpus: Corpus, originals: dict[int, Any]) -> None:
    args = ("search", "Corsaval OR Halstad", "--source", "europa", "--limit", "50")
    as_json = json.loads(ok(crawled_corpus, *args, "--format", "json"))
    assert as_json and {r["source"] for r in as_json} == {"europa"}
    rows = list(csv.DictReader(io.StringIO(ok(crawled_corpus, *args, "--format", "csv"))))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in as_json]
    table = ok(crawled_corpus, *args, "--format", "table")
    assert f"{len(as_json)} results for 'Corsaval OR Halstad'" in table
    german = json.loads(
        ok(crawled_corpus, "search", "Botschaft", "--lang", "de", "--format", "json")
    )
    assert german and {r["language"] for r in german} == {"de"}
    by_date = json.loads(
        ok(
            crawled_corpus,
            "search",
            "Halstad",
            "--sort",
            "date",
            "--limit",
            "5",
            "--format",
            "json",
        )
    )
    dates = [r["published_at"] for r in by_date]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5


def test_show_by_id_and_by_any_url(crawled_corpus: Corpus) -> None:
    with connect(crawled_corpus.database_url) as conn:
        row = conn.execute(
            "SELECT u.article_id, u.url FROM article_urls u JOIN articles a ON a.id = u.article_id"
            " WHERE u.url <> a.url LIMIT 1"
        ).fetchone()
    assert row is not None, "the sample site has articles reached by several URLs"
    article_id, alternate = row
    by_url = json.loads(ok(crawled_corpus, "show", alternate, "--format", "json"))
    assert len(by_url) == 1 and by_url[0]["id"] == article_id
    assert alternate in by_url[0]["urls"] and by_url[0]["text"]
    text = ok(crawled_corpus, "show", str(article_id), "--format", "text")
    assert by_url[0]["title"][:30] in " ".join(text.split())
    assert "does not exist" in fails(crawled_corpus, "show", "999999", code=1)
    assert "no stored article" in fails(crawled_corpus, "show", "http://127.0.0.1:9/x", code=1)
    assert "neither an article id" in fails(crawled_corpus, "show", "abc")


def test_show_lists_the_other_copies_of_the_story(crawled_corpus: Corpus) -> None:
    with connect(crawled_corpus.database_url) as conn:
        row = conn.execute(
            "SELECT a.id, o.id, o.source FROM articles a JOIN articles o ON o.id = a.story_id"
            " WHERE a.story_id <> a.id ORDER BY a.id LIMIT 1"
        ).fetchone()
    assert row is not None, "the sample site syndicates a story"
    copy_id, original_id, outlet = row
    text = " ".join(ok(crawled_corpus, "show", str(copy_id), "--format", "text").split())
    assert f"original: {original_id} {outlet} " in text and "% similar" in text
    detail = json.loads(ok(crawled_corpus, "show", str(original_id), "--format", "json"))[0]
    assert copy_id in [c["id"] for c in detail["copies"]]
    assert all(0 <= c["similarity"] <= 1 for c in detail["copies"])


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_streams_every_matching_article(
    crawled_corpus: Corpus, story_originals: dict[int, str], tmp_path: Path, fmt: str
) -> None:
    output = tmp_path / f"planet.{fmt}"
    done = newswire(crawled_corpus, "export", "--source", "planet", "--output", str(output))
    assert done.returncode == 0, done.stderr
    expected = sorted(i for i, source in story_originals.items() if source == "planet")
    assert f"exported {len(expected)} articles" in done.stderr
    if fmt == "jsonl":
        records = [json.loads(line) for line in output.read_text().splitlines()]
    elif fmt == "csv":
        records = list(csv.DictReader(output.open(newline="")))
        records = [{**r, "id": int(r["id"]), "urls": json.loads(r["urls"])} for r in records]
    else:
        records = pq.read_table(output).to_pylist()
    assert [r["id"] for r in records] == expected
    assert all(r["urls"] and r["text"] and r["source"] == "planet" for r in records)
    assert all(str(r["story_id"]) == str(r["id"]) for r in records)  # csv: text
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_export_with_a_query_to_stdout(crawled_corpus: Corpus) -> None:
    lines = ok(crawled_corpus, "export", "-q", "Botschaft", "--format", "jsonl", "-o", "-")
    records = [json.loads(line) for line in lines.splitlines()]
    assert records and all(r["language"] == "de" for r in records)


def test_stats(
    crawled_corpus: Corpus, originals: dict[int, Any], story_originals: dict[int, str]
) -> None:
    figures = json.loads(ok(crawled_corpus, "stats", "--days", "365", "--format", "json"))
    with connect(crawled_corpus.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM articles").fetchone()
    assert row is not None
    assert (figures["stories"], figures["articles"]) == (len(story_originals), row[0])
    sources = {s["source"]: s for s in figures["sources"]}
    assert sum(s["articles"] for s in sources.values()) == len(originals)
    assert sum(d["articles"] for d in figures["per_day"]) == len(originals)
    assert {lang["language"] for lang in figures["languages"]} >= {"en", "fr", "de", "es"}
    assert figures["last_runs"]
    table = " ".join(ok(crawled_corpus, "stats", "--format", "table").split())
    assert "languages" in table and f"{len(story_originals)} stories in {row[0]} articles" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", ""), "query is empty"),
        (("search", "x" * 10_000), "shorten it"),
        (("search", "the of", "--lang", "en"), "no searchable words"),
        (("search", "x", "--since", "last week"), "--since 'last week' is not a date"),
        (("search", "x", "--until", "2024-02-30"), "is not a date"),
        (("search", "x", "--limit", "-3"), "-3 is not in the range"),
        (("search", "x", "--source", "nope"), "unknown source 'nope'"),
        (("search", "x", "--lang", "'; drop"), "not a language code"),
        (("export", "-o", "out.xlsx"), "cannot tell the format"),
        (("export", "--format", "parquet", "-o", "-"), "parquet cannot go to standard output"),
    ],
)
def test_bad_input_is_one_clear_error(
    crawled_corpus: Corpus, args: tuple[str, ...], message: str
) -> None:
    assert message in fails(crawled_corpus, *args)


@pytest.mark.parametrize("query", ["'; DROP TABLE articles; --", '"unbalanced', "a & !b <-> c:*"])
def test_hostile_queries_are_harmless(crawled_corpus: Corpus, query: str) -> None:
    ok(crawled_corpus, "search", query, "--format", "json")
    assert ok(crawled_corpus, "search", "Halstad", "--limit", "1")


def test_serve_refuses_a_busy_port(crawled_corpus: Corpus) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        message = fails(crawled_corpus, "serve", "--port", str(port))
    assert message.strip().splitlines() == [
        f"newswire: error: cannot listen on 127.0.0.1:{port} (Address already in use): pick "
        "another --host or --port"
    ]
