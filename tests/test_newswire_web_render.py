"""Rendering crawled values safely (newswire/web/render.py): links, snippets, times, CSP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newswire.web.render import (
    content_security_policy,
    iso,
    outside_href,
    query_string,
    snippet_markup,
    utc_text,
)
from storage.search import HIGHLIGHT_START, HIGHLIGHT_STOP


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://planet.example/a/1", True),
        ("http://127.0.0.1:8000/x", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//evil.example/", False),
        ("/relative/path", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url: str | None, linked: bool) -> None:
    assert (outside_href(url) is not None) is linked


def test_snippets_are_escaped_before_our_marks_go_in() -> None:
    raw = f"a <script>x</script> {HIGHLIGHT_START}word{HIGHLIGHT_STOP} <mark>fake</mark> &"
    assert str(snippet_markup(raw)) == (
        "a &lt;script&gt;x&lt;/script&gt; <mark>word</mark> &lt;mark&gt;fake&lt;/mark&gt; &amp;"
    )
    assert str(snippet_markup(None)) == ""


def test_times_show_utc_and_carry_iso() -> None:
    seoul = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    assert utc_text(seoul) == "2024-05-01 00:30 UTC"
    assert iso(seoul) == "2024-05-01T00:30:00+00:00"
    assert utc_text(None) == iso(None) == ""
    assert iso(datetime(2024, 5, 1, tzinfo=UTC)) == "2024-05-01T00:00:00+00:00"


def test_the_policy_allows_only_this_nonce_and_this_server() -> None:
    policy = content_security_policy("abc")
    assert "script-src 'nonce-abc'" in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_query_strings_repeat_lists_and_drop_empty_values() -> None:
    params = {"q": "a b", "source": ["x", "y"], "lang": "", "copies": True, "sort": None}
    assert query_string(params) == "q=a+b&source=x&source=y&copies=1"
