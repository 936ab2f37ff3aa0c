"""The web pages in a real browser: Playwright driving Chromium against a real `newswire
serve` over a crawl of the sample site, hostile article included (``--hostile``).

Every test's tab records console errors, uncaught page errors and dialogs; a test fails if
its pages logged any. The hostile article's payloads would set ``window.__pwned`` or open a
dialog if they ever ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storage.connection import connect
from tests.browser import chromium, missing_browser, warn_missing
from tests.conftest import (
    Corpus,
    SiteProcess,
    crawled_into_database,
    run_newswire,
    start_site_process,
)
from tests.scheduling import Scheduler, wait_for, write_sources
from tests.test_newswire_api import TOKEN, Server, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

HOSTILE_TITLE = "Harbour council delays vote"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = missing_browser()
    if reason is not None:
        warn_missing(reason)
        pytest.skip(reason)
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[SiteProcess]:
    with start_site_process("--hostile") as site:
        yield site


@pytest.fixture(scope="module")
def corpus(
    server_url: str, hostile_site: SiteProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Corpus]:
    """The hostile sample site crawled, revised (POST /__sample/revise: a headline, a text
    edit, a correction, a byline) and crawled again, so articles have versions. Its sources
    have no timetable: only the runs page's trigger starts a run."""
    data_dir = tmp_path_factory.mktemp("web")
    sources = write_sources(
        hostile_site, data_dir / "sources.toml",
        schedules={"planet": None, "meridian": None, "europa": None},
    )  # fmt: skip
    with crawled_into_database(server_url, hostile_site, data_dir, sources) as crawled:
        hostile_site._control("revise", method="POST")
        again = run_newswire(
            "--sources", str(sources), "crawl", "--all",
            database_url=crawled.database_url, data_dir=data_dir,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-3000:]
        yield crawled


@pytest.fixture(scope="module")
def server(corpus: Corpus) -> Iterator[Server]:
    with serving(corpus, NEWSWIRE_API_TOKEN=TOKEN) as running:
        yield running


@dataclass
class Tab:
    """A browser page on the server that remembers what went wrong on it."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, (path, response and response.status)
        return response

    def pwned(self) -> Any:
        return self.page.evaluate("() => window.__pwned")


def _tab(browser: Browser, server: Server, **options: Any) -> Iterator[Tab]:
    context = browser.new_context(**options)
    page = context.new_page()
    tab = Tab(page, server.url)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()
    assert tab.errors == [], "console errors"
    assert tab.dialogs == [], "a payload opened a dialog"


@pytest.fixture
def tab(browser: Browser, server: Server) -> Iterator[Tab]:
    yield from _tab(browser, server, viewport={"width": 1440, "height": 900})


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Tab]:
    yield from _tab(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True)


def _rows(corpus: Corpus, query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connect(corpus.database_url) as conn:
        return conn.execute(query, params).fetchall()


def _hostile_id(corpus: Corpus) -> int:
    rows = _rows(corpus, "SELECT id FROM articles WHERE title LIKE %s", [f"%{HOSTILE_TITLE}%"])
    assert len(rows) == 1
    return int(rows[0][0])


# ---------------------------------------------------------------- search


def test_search_with_a_source_and_a_date_filter_pages_through(tab: Tab, corpus: Corpus) -> None:
    since = (datetime.now(UTC) - timedelta(days=4)).date()
    expected = [
        row[0]
        for row in _rows(
            corpus,
            "SELECT id FROM articles WHERE source = 'planet' AND published_at >= %s"
            " AND story_id = id ORDER BY published_at DESC, id DESC",
            [datetime(since.year, since.month, since.day, tzinfo=UTC)],
        )
    ]
    everything = _rows(corpus, "SELECT count(*) FROM articles WHERE story_id = id", [])[0][0]
    assert 3 < len(expected) < everything
    tab.open("/")
    tab.page.select_option("#source", "planet")
    tab.page.fill("#since", since.isoformat())
    tab.page.select_option("#sort", "date")
    tab.page.click("button[type=submit]")
    tab.page.wait_for_url(re.compile(r"source=planet"))
    shown = [
        int(x) for x in tab.page.eval_on_selector_all(".hit", "h => h.map(e => e.dataset.article)")
    ]
    assert shown == expected
    assert f"{len(expected)} matching articles" in tab.page.inner_text("#results-title")
    tab.open(tab.page.url.removeprefix(tab.base) + "&limit=3")
    paged: list[int] = []
    while True:
        paged += [
            int(x)
            for x in tab.page.eval_on_selector_all(".hit", "h => h.map(e => e.dataset.article)")
        ]
        following = tab.page.query_selector("a[rel=next]")
        if following is None:
            break
        following.click()
        tab.page.wait_for_load_state()
    assert paged == expected


def test_the_chart_counts_what_the_database_counts(tab: Tab, corpus: Corpus) -> None:
    for path, source in (("/", None), ("/?source=meridian&copies=true", "meridian")):
        tab.open(path)
        bars = tab.page.eval_on_selector_all(
            "rect.bar", "r => r.map(e => [e.dataset.day, e.dataset.series, +e.dataset.count])"
        )
        stored = _rows(
            corpus,
            "SELECT (published_at AT TIME ZONE 'UTC')::date::text, source, count(*) FROM articles"
            " WHERE published_at IS NOT NULL AND (%s::text IS NULL OR source = %s)"
            " AND (%s OR story_id = id) GROUP BY 1, 2",
            [source, source, source is not None],
        )
        assert sorted(map(tuple, bars)) == sorted(stored)
        outlets = tab.page.eval_on_selector_all(
            ".top-outlets li", "l => l.map(e => e.querySelector('.count').textContent)"
        )
        assert sum(int(n) for n in outlets) == sum(n for _, _, n in stored)


def test_a_bad_filter_is_one_line_on_the_page(tab: Tab) -> None:
    response = tab.page.goto(tab.base + "/?since=2024-05-40")
    assert response is not None and response.status == 400
    assert "is not a date" in tab.page.inner_text("#search-error")
    tab.errors.clear()  # the 400 itself is logged by the browser as a failed load


def test_download_streams_the_same_query(server: Server, corpus: Corpus) -> None:
    expected = _rows(
        corpus, "SELECT count(*) FROM articles WHERE source = 'europa' AND story_id = id", []
    )[0][0]
    csv = server.client.get("/download", params={"format": "csv", "source": "europa"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = server.client.get("/download", params={"format": "jsonl", "source": "europa"})
    assert len(lines.text.splitlines()) == expected
    parquet = server.client.get("/download", params={"format": "parquet", "source": "europa"})
    assert pq.read_table(pa.BufferReader(parquet.content)).num_rows == expected


# ---------------------------------------------------------------- article


def test_article_shows_its_copies_urls_and_raw_html(tab: Tab, corpus: Corpus) -> None:
    story, members = _rows(
        corpus,
        "SELECT story_id, count(*) FROM articles GROUP BY story_id ORDER BY 2 DESC, 1 LIMIT 1",
        [],
    )[0]
    assert members > 2
    tab.open(f"/article/{story}")
    copies = tab.page.eval_on_selector_all("tr[data-copy]", "r => r.map(e => +e.dataset.copy)")
    others = _rows(
        corpus, "SELECT id FROM articles WHERE story_id = %s AND id <> %s", [story, story]
    )
    assert sorted(copies) == sorted(row[0] for row in others)
    urls = _rows(corpus, "SELECT url FROM article_urls WHERE article_id = %s", [story])
    shown = tab.page.inner_text("section[aria-labelledby=urls-title]")
    assert all(url in shown for (url,) in urls)
    raw = tab.page.goto(f"{tab.base}/article/{story}/raw")
    assert raw is not None and raw.headers["content-type"].startswith("text/plain")
    assert "<html" in tab.page.inner_text("body").lower()


def test_article_shows_a_diff_between_any_two_versions(tab: Tab, corpus: Corpus) -> None:
    edited = _rows(
        corpus,
        "SELECT v.article_id, o.text, v.text FROM article_versions v JOIN article_versions o"
        " ON o.article_id = v.article_id AND o.version = 1"
        " WHERE v.version = 2 AND v.kinds[1] = 'text_edit'",
        [],
    )
    assert len(edited) == 1
    article_id, old_text, new_text = edited[0]
    added = set(new_text.split()) - set(old_text.split())
    tab.open(f"/article/{article_id}")
    versions = tab.page.eval_on_selector_all(
        "tr[data-version]", "r => r.map(e => +e.dataset.version)"
    )
    assert versions == [1, 2]
    inserted = " ".join(
        tab.page.eval_on_selector_all("#diff ins", "i => i.map(e => e.textContent)")
    )
    assert added and added <= set(inserted.replace("added:", " ").split())
    assert tab.page.query_selector("#diff del") is None
    tab.page.select_option("#a", "2")
    tab.page.select_option("#b", "1")
    tab.page.click("form.compare button[type=submit]")
    tab.page.wait_for_url(re.compile(r"a=2&b=1"))
    assert tab.page.get_attribute("#diff", "data-old") == "2"
    removed = " ".join(tab.page.eval_on_selector_all("#diff del", "d => d.map(e => e.textContent)"))
    assert added <= set(removed.replace("removed:", " ").split())
    missing = tab.page.goto(f"{tab.base}/article/{article_id}?a=1&b=9")
    assert missing is not None and missing.status == 404
    tab.errors.clear()  # the 404 itself


# ---------------------------------------------------------------- hostile text


def test_hostile_text_runs_on_no_page(tab: Tab, corpus: Corpus) -> None:
    hostile = _hostile_id(corpus)
    for path in ("/?q=harbour+council", "/?q=ferry&copies=true", f"/article/{hostile}",
                 f"/article/{hostile}?a=2&b=1",
                 f"/article/{hostile}/raw", "/crawls", "/outlets", "/outlets/planet"):  # fmt: skip
        tab.open(path)
        tab.page.wait_for_load_state("networkidle")
        assert tab.pwned() is None, path
        assert tab.page.eval_on_selector_all("a[href^='javascript:' i]", "a => a.length") == 0
        assert tab.page.eval_on_selector_all("body img, body svg[onload]", "i => i.length") == 0
    tab.open(f"/article/{hostile}")
    assert "<script>window.__pwned='title'</script>" in tab.page.inner_text("#title")
    assert "onerror=" in tab.page.inner_text("#byline")
    assert "javascript:alert('body')" in tab.page.inner_text(".text")
    tab.open("/?q=harbour+council")
    assert "<script>" in tab.page.inner_text(".hits")


def test_every_page_sends_a_nonce_policy_and_no_inline_handlers(
    server: Server, corpus: Corpus
) -> None:
    hostile = _hostile_id(corpus)
    for path in ("/", "/?q=harbour", f"/article/{hostile}", "/crawls", "/outlets",
                 "/outlets/planet"):  # fmt: skip
        response = server.client.get(path)
        policy = response.headers["content-security-policy"]
        nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
        assert nonce is not None and "unsafe-inline" not in policy, path
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts and all(f'nonce="{nonce[1]}"' in tag for tag in scripts), path
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", response.text), path
    raw = server.client.get(f"/article/{hostile}/raw")
    assert "sandbox" in raw.headers["content-security-policy"]
    assert raw.headers["x-content-type-options"] == "nosniff"


# ---------------------------------------------------------------- runs


def test_runs_page_cancels_and_triggers_a_run_it_then_shows_finished(
    tab: Tab, corpus: Corpus
) -> None:
    tab.open("/crawls")
    tab.page.fill("#token", TOKEN)
    tab.page.click("#token-form button[type=submit]")
    tab.page.select_option("#trigger-source", "planet")
    tab.page.click("#trigger-form button[type=submit]")
    queued = int(tab.page.wait_for_selector("text=/Queued run \\d+/").inner_text().split()[2])
    tab.page.click(f"button.cancel[data-run='{queued}']")
    tab.page.wait_for_selector(f"tr[data-run='{queued}'][data-status=cancelled]")
    scheduler = Scheduler(corpus.database_url, corpus.data_dir, corpus.sources_path, name="web")
    try:
        tab.page.select_option("#trigger-source", "europa")
        tab.page.click("#trigger-form button[type=submit]")
        line = tab.page.wait_for_selector(f"text=/Queued run (?!{queued}\\b)\\d+ of europa/")
        run_id = int(line.inner_text().split()[2])
        tab.page.wait_for_selector(
            f"tr[data-run='{run_id}'][data-status=succeeded]", timeout=120_000
        )
    finally:
        assert scheduler.stop() == 0
    finished = _rows(corpus, "SELECT status, trigger FROM crawl_runs WHERE id = %s", [run_id])
    assert finished == [("succeeded", "api")]


def test_a_wrong_token_is_said_on_the_page(tab: Tab) -> None:
    tab.open("/crawls")
    tab.page.fill("#token", "not-the-token")
    tab.page.click("#token-form button[type=submit]")
    tab.page.click("#trigger-form button[type=submit]")
    wait_for("the error", lambda: "wrong" in tab.page.inner_text("#status-line"), 10)
    tab.errors[:] = [e for e in tab.errors if "401" not in e]  # the refused POST itself


# ---------------------------------------------------------------- sources


def test_sources_page_lists_a_failing_and_a_silent_source_first(tab: Tab, corpus: Corpus) -> None:
    """meridian fails three runs in a row; planet's runs go on but nothing new came for two
    days (its articles' arrival moved back); europa stays ok."""
    with connect(corpus.database_url) as conn:
        conn.execute(
            "INSERT INTO crawl_runs (source, trigger, status, queued_at, started_at, finished_at,"
            " error) SELECT 'meridian', 'schedule', 'failed', now(), now(), now() + interval '2s',"
            " 'HTTP 503 from the feed, try ' || n FROM generate_series(1, 3) n"
        )
        conn.execute(
            "UPDATE articles SET stored_at = stored_at - interval '2 days' WHERE source = 'planet'"
        )
        conn.execute(
            "INSERT INTO crawl_runs (source, trigger, status, queued_at, started_at, finished_at)"
            " VALUES ('planet', 'schedule', 'succeeded', now(), now(), now() + interval '1s')"
        )
    tab.open("/outlets")
    rows = tab.page.eval_on_selector_all(
        "#sources tbody tr", "r => r.map(e => [e.dataset.source, e.dataset.state])"
    )
    assert rows[:2] == [["meridian", "failing"], ["planet", "silent"]]
    assert ["europa", "ok"] in rows
    tab.page.click("a[href='/outlets/meridian']")
    tab.page.wait_for_url(re.compile("/outlets/meridian$"))
    assert tab.page.inner_text("#state") == "failing"
    errors = tab.page.inner_text("table.errors")
    assert all(f"HTTP 503 from the feed, try {n}" in errors for n in (1, 2, 3))
    runs = _rows(
        corpus,
        "SELECT count(*) FROM crawl_runs WHERE source = 'meridian' AND finished_at IS NOT NULL",
        [],
    )[0][0]
    assert len(tab.page.query_selector_all("rect.bar[data-run]")) == runs
    missing = tab.page.goto(tab.base + "/outlets/no-such-source")
    assert missing is not None and missing.status == 404
    tab.errors.clear()  # the 404 itself


# ---------------------------------------------------------------- people and devices


def _pages(corpus: Corpus) -> list[str]:
    return ["/", "/?q=korea", f"/article/{_hostile_id(corpus)}", "/crawls", "/outlets",
            "/outlets/planet"]  # fmt: skip


def test_every_control_is_labelled_and_reachable_by_keyboard(tab: Tab, corpus: Corpus) -> None:
    for path in _pages(corpus):
        tab.open(path)
        tab.page.wait_for_load_state("networkidle")
        unlabelled = tab.page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, button')]
                .filter(e => e.offsetParent !== null)
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                             && !(e.tagName === 'BUTTON' && e.textContent.trim()))
                .map(e => e.outerHTML)"""
        )
        assert unlabelled == [], path
        controls = tab.page.evaluate(
            """() => [...document.querySelectorAll(
                  'a[href], input:not([type=hidden]), select, button, summary')]
                .filter(e => e.offsetParent !== null)
                .map((e, n) => { e.dataset.kb = String(n); return n; }).length"""
        )
        reached = set()
        for _ in range(controls * 2):  # a date field takes a stop for each of its parts
            tab.page.keyboard.press("Tab")
            reached.add(tab.page.evaluate("() => document.activeElement.dataset.kb"))
        missed = {str(n) for n in range(controls)} - reached
        assert not missed, [tab.page.inner_html(f"[data-kb='{n}']") for n in missed]


def test_phone_width_needs_no_sideways_scrolling(phone: Tab, corpus: Corpus) -> None:
    for path in _pages(corpus):
        phone.open(path)
        width = phone.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


def test_times_are_local_with_utc_on_hover_and_utc_without_javascript(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(server.url + "/")
    first = page.query_selector("time[datetime]")
    assert first is not None
    assert first.get_attribute("title").endswith("UTC")
    assert "UTC" not in first.inner_text() and "GMT+9" in first.inner_text()
    context.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url + "/?q=korea")
    assert page.query_selector_all(".hit") and page.inner_text("time").endswith("UTC")
    context.close()


def test_pages_are_off_when_reads_need_the_token(corpus: Corpus) -> None:
    with serving(corpus, NEWSWIRE_API_TOKEN=TOKEN, NEWSWIRE_API_OPEN_READS="false") as closed:
        response = closed.client.get("/")
        assert response.status_code == 403 and "web pages are off" in response.text
