"""pipelines.changes: change kinds and word diffs, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from newswire.records import ChangeKind, Version, VersionContent
from pipelines.changes import (
    DiffChunk,
    classify_change,
    diff_counts,
    diff_versions,
    render_word_diff,
    word_diff,
)

BASE = VersionContent(
    title="Council approves new budget",
    authors=["Ana Lopez"],
    credits=["Reuters"],
    published_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    modified_at=None,
    text="The council voted on Monday.\nThe budget grows by 3 percent.",
)
LATER = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "kinds"),
    [
        ({}, []),
        ({"text": "The  council voted on Monday.\n\nThe budget grows by 3 percent. "}, []),
        ({"title": "COUNCIL APPROVES NEW BUDGET"}, []),
        ({"title": "Council passes budget after long night"}, [ChangeKind.HEADLINE]),
        ({"text": BASE.text + "\nProtesters gathered outside."}, [ChangeKind.TEXT_EDIT]),
        ({"text": "The council voted on Monday."}, [ChangeKind.TEXT_EDIT]),
        (
            {"text": BASE.text + "\nCorrection: an earlier version misstated the vote."},
            [ChangeKind.CORRECTION],
        ),
        ({"text": BASE.text + "\nUpdate, 14:00: the mayor signed it."}, [ChangeKind.CORRECTION]),
        ({"text": BASE.text + "\nBerichtigung: Der Betrag war falsch."}, [ChangeKind.CORRECTION]),
        (
            {"text": "The council voted on Tuesday.\nThe budget grows by 3 percent.\n"
             "Correction: the vote was on Tuesday, not Monday."},
            [ChangeKind.CORRECTION, ChangeKind.TEXT_EDIT],
        ),
        ({"authors": ["Ben Okafor"]}, [ChangeKind.BYLINE]),
        ({"authors": ["ana lopez"]}, []),
        ({"credits": []}, [ChangeKind.BYLINE]),
        ({"published_at": LATER}, [ChangeKind.DATE]),
        ({"modified_at": LATER}, [ChangeKind.DATE]),
        (
            {"modified_at": LATER, "text": BASE.text + "\nMore to come."},
            [ChangeKind.TEXT_EDIT],
        ),
        (
            {"title": "Budget passes", "authors": ["Ben Okafor"]},
            [ChangeKind.HEADLINE, ChangeKind.BYLINE],
        ),
    ],
)  # fmt: skip
def test_classify_change(changes: dict[str, object], kinds: list[ChangeKind]) -> None:
    assert classify_change(BASE, replace(BASE, **changes)) == kinds


@pytest.mark.parametrize(
    ("old", "new", "chunks", "counts"),
    [
        ("a b c", "a b c", [DiffChunk("same", "a b c")], (0, 0)),
        ("a b c", "a x c", [DiffChunk("same", "a"), DiffChunk("removed", "b"),
                            DiffChunk("added", "x"), DiffChunk("same", "c")], (1, 1)),
        ("a b", "a b c d", [DiffChunk("same", "a b"), DiffChunk("added", "c d")], (2, 0)),
        ("", "new text", [DiffChunk("added", "new text")], (2, 0)),
        ("gone now", "", [DiffChunk("removed", "gone now")], (0, 2)),
        ("the the the", "the the", [DiffChunk("same", "the the"), DiffChunk("removed", "the")],
         (0, 1)),
    ],
)  # fmt: skip
def test_word_diff(old: str, new: str, chunks: list[DiffChunk], counts: tuple[int, int]) -> None:
    diff = word_diff(old, new)
    assert diff == chunks
    assert diff_counts(diff) == counts
    assert " ".join(c.text for c in diff if c.op != "added").split() == old.split()
    assert " ".join(c.text for c in diff if c.op != "removed").split() == new.split()


def test_render_word_diff_marks_changes_and_cuts_long_unchanged_runs() -> None:
    old = " ".join(f"w{i}" for i in range(40))
    new = old.replace("w20", "W20") + " tail"
    line = render_word_diff(word_diff(old, new), context=3)
    assert line == "... w17 w18 w19 [-w20-] {+W20+} w21 w22 w23 ... w37 w38 w39 {+tail+}"
    assert render_word_diff(word_diff("a b", "a b")) == ""


def _version(number: int, kinds: list[str], **content: object) -> Version:
    values = {
        "title": BASE.title, "authors": BASE.authors, "credits": BASE.credits,
        "published_at": BASE.published_at, "modified_at": None, "text": BASE.text, **content,
    }  # fmt: skip
    return Version(
        **values, article_id=1, version=number, fetched_at=LATER, kinds=kinds, status=200,
        words_added=0, words_removed=0, url=None, etag=None, last_modified=None, has_html=False,
    )  # fmt: skip


def test_diff_versions_diffs_each_version_against_the_one_before() -> None:
    first = _version(1, ["first"])
    headline = _version(2, ["headline"], title="Council passes budget")
    edited = _version(3, ["text_edit"], title="Council passes budget", text=BASE.text + " More.")
    removed = _version(4, ["removed"], title="Council passes budget", text=BASE.text + " More.")
    diffs = diff_versions([first, headline, edited, removed])
    assert [(d.title_diff, d.text_diff) for d in (diffs[0], diffs[3])] == [([], []), ([], [])]
    assert render_word_diff(diffs[1].title_diff) == ("Council [-approves new-] {+passes+} budget")
    assert diffs[1].text_diff == []
    assert (diffs[2].title_diff, render_word_diff(diffs[2].text_diff)) == (
        [], "... The budget grows by 3 percent. {+More.+}"
    )  # fmt: skip
    assert diff_versions([]) == []
