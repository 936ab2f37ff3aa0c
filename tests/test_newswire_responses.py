"""newswire.responses: page cursors survive a round trip and refuse anything else."""

from __future__ import annotations

import base64
import json
from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest

from newswire.errors import ConfigError
from newswire.responses import decode_cursor, encode_cursor, hit_body
from storage.search import (
    HIGHLIGHT_START,
    HIGHLIGHT_STOP,
    Filters,
    PageKey,
    SearchHit,
    SearchRequest,
)


def test_cursor_round_trip() -> None:
    request = SearchRequest("border talks", Filters(sources=("planet",)), "date", 5)
    key = PageKey(id=42, published_at=datetime(2024, 5, 1, 8, tzinfo=UTC))
    assert decode_cursor(request, encode_cursor(request, key)) == key
    ranked = SearchRequest("border talks")
    assert decode_cursor(ranked, encode_cursor(ranked, PageKey(id=7, rank=0.25))).rank == 0.25


def _forge(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_cursor_is_refused_by_another_search_and_when_tampered() -> None:
    request = SearchRequest("border", sort="date")
    token = encode_cursor(request, PageKey(id=9, published_at=None))
    other = SearchRequest("border", Filters(sources=("planet",)), "date")
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    forged = [
        {**payload, "id": "9; DROP TABLE articles"},
        {**payload, "id": -1},
        {**payload, "id": True},
        {**payload, "p": "not a time"},
        {**payload, "p": "2024-01-01T00:00:00"},  # no offset
        {**payload, "r": float("nan")},
        {**payload, "extra": 1},
        [payload],
    ]
    for bad in [
        "",
        "!!!",
        "a" * 500,
        token + "x",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        *map(_forge, forged),
    ]:
        with pytest.raises(ConfigError, match="cursor is not valid"):
            decode_cursor(request, bad)
    with pytest.raises(ConfigError, match="cursor is not valid"):
        decode_cursor(other, token)


def test_hit_body_makes_the_snippet_safe_html() -> None:
    hit = SearchHit(
        id=1, source="planet", url="http://127.0.0.1:9/a", title="<b>Title</b>", authors=[],
        published_at=None, language="en", site_name=None, description=None, categories=[],
        tags=[], duplicate_of=None, story_id=None, rank=0.5,
        snippet=f"x < y {HIGHLIGHT_START}talks{HIGHLIGHT_STOP}",
    )  # fmt: skip
    body = hit_body(hit).model_dump(mode="json")
    assert body["snippet"] == "x &lt; y <mark>talks</mark>"
    assert body["title"] == "<b>Title</b>"  # fields other than the snippet are data, not HTML


# Each Filters field with a value other than its default: the fingerprint must see every one.
OTHER_VALUES = {
    "sources": ("planet",),
    "language": "de",
    "since": datetime(2024, 5, 1, tzinfo=UTC),
    "until": datetime(2024, 6, 1, tzinfo=UTC),
    "author": "reyes",
    "copies": True,
}


def test_a_cursor_is_refused_when_any_filter_differs() -> None:
    assert set(OTHER_VALUES) == {f.name for f in fields(Filters)}, "a new filter needs a value"
    request = SearchRequest("border", sort="date")
    token = encode_cursor(request, PageKey(id=9))
    for name, value in OTHER_VALUES.items():
        other = SearchRequest("border", replace(Filters(), **{name: value}), "date")
        with pytest.raises(ConfigError, match="cursor is not valid"):
            decode_cursor(other, token)
    same_sources = SearchRequest("border", Filters(sources=("b", "a")), "date")
    reordered = SearchRequest("border", Filters(sources=("a", "b")), "date")
    assert decode_cursor(reordered, encode_cursor(same_sources, PageKey(id=9))) == PageKey(id=9)
