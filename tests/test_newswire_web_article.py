"""The article page's diff helpers (newswire/web/article.py): any two versions, elided."""

from __future__ import annotations

from datetime import UTC, datetime

from newswire.records import Version
from newswire.web.article import compare, elide, paragraphs
from pipelines.changes import DiffChunk, word_diff


def _version(number: int, title: str, text: str) -> Version:
    return Version(
        article_id=1, version=number, fetched_at=datetime(2024, 5, number, tzinfo=UTC),
        kinds=["first"], status=200, words_added=0, words_removed=0, url=None, etag=None,
        last_modified=None, has_html=False, title=title, authors=[], credits=[],
        published_at=None, modified_at=None, text=text,
    )  # fmt: skip


LONG = " ".join(f"w{n}" for n in range(100))


def test_long_unchanged_runs_are_cut_beside_each_change() -> None:
    chunks = word_diff(LONG + " old " + LONG, LONG + " new " + LONG)
    shown = elide(chunks, context=3)
    assert [c.op for c in shown] == ["same", "removed", "added", "same"]
    assert shown[0].text == "… w97 w98 w99" and shown[-1].text == "w0 w1 w2 …"
    middle = [DiffChunk("added", "x"), DiffChunk("same", LONG), DiffChunk("removed", "y")]
    assert elide(middle, context=2)[1].text == "w0 w1 … w98 w99"
    short = [DiffChunk("same", "a b c"), DiffChunk("added", "d")]
    assert elide(short, context=3) == short


def test_any_two_versions_compare_and_the_default_is_the_latest_change() -> None:
    versions = [_version(1, "T", "a b c"), _version(2, "T", "a b c d"), _version(3, "U", "a c d")]
    latest = compare(versions, None, None)
    assert latest is not None and (latest.old.version, latest.new.version) == (2, 3)
    assert (latest.added, latest.removed) == (0, 1) and latest.title
    backwards = compare(versions, 3, 1)
    assert backwards is not None and (backwards.added, backwards.removed) == (1, 1)
    same = compare(versions, 1, 1)
    assert same is not None and same.title == [] and same.text == []
    assert compare(versions, 1, 9) is None
    assert compare(versions[:1], None, None) is None


def test_paragraphs_drop_blank_lines() -> None:
    assert paragraphs("one\n\n  two  \n") == ["one", "two"]
