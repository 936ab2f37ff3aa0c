"""Text normalisation and fingerprints, and DedupPipeline's one-article-per-URL rule."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from newswire.records import Article, Page
from pipelines.dedup import DedupPipeline, fingerprint_text, normalize_text

BASE = 'The mayor said: "It\'s done" - the harbour gate opens in 2027.'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Hello\n\n  World\t! ", "hello world !"),
        ("\u201cQuoted\u201d and \u2018single\u2019", "\"quoted\" and 'single'"),
        ("a\u2013b\u2014c\u2212d\u2010e", "a-b-c-d-e"),
        ("non\u00a0breaking\u2003space", "non breaking space"),
        ("soft\u00adhyphen and zero\u200bwidth", "softhyphen and zerowidth"),
        ("\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48", "fullwidth"),  # NFKC
        ("Wait\u2026", "wait..."),
        ("STRASSE Stra\u00dfe", "strasse strasse"),  # casefold
        ("\u2033inches\u2033 and \u00b4acute\u00b4", "\"inches\" and 'acute'"),
        ("", ""),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "variant",
    [
        BASE,
        BASE.upper(),
        "  " + BASE.replace(" ", "  \n") + "\n",
        BASE.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace("'", "\u2019"),
        BASE.replace(" - ", " \u2014 "),
        BASE.replace(" - ", " \u2013 ").replace("harbour", "har\u00adbour"),
    ],
)
def test_same_text_modulo_style_has_one_fingerprint(variant: str) -> None:
    assert fingerprint_text(variant) == fingerprint_text(BASE)


@pytest.mark.parametrize(
    "changed",
    [
        BASE.replace("2027", "2028"),
        BASE.replace("mayor", "major"),
        BASE.replace("It's done", "It's not done"),
        BASE.replace("opens", "closes"),
        BASE + " More.",
        BASE.replace("gate opens", "gateopens"),
    ],
)
def test_any_word_change_changes_the_fingerprint(changed: str) -> None:
    assert fingerprint_text(changed) != fingerprint_text(BASE)


def test_fingerprint_is_sha256_of_the_normal_form() -> None:
    expected = hashlib.sha256(normalize_text(BASE).encode("utf-8")).digest()
    assert fingerprint_text(BASE) == expected
    assert len(fingerprint_text(BASE)) == 32


def article(url: str, text: str = BASE) -> Article:
    return Article(
        source="harbour",
        url=url,
        urls=[url],
        title="Gate",
        authors=[],
        published_at=None,
        language="en",
        site_name=None,
        description=None,
        categories=[],
        tags=[],
        text=text,
        html_zlib=b"",
        encoding="utf-8",
        fetched_at=datetime(2024, 3, 6, tzinfo=UTC),
    )


def run(
    items: list[object], settings: dict[str, object] | None = None
) -> tuple[list[object], dict[str, int]]:
    crawler = get_crawler(Spider, settings)
    pipeline = DedupPipeline.from_crawler(crawler)
    out = [pipeline.process_item(item) for item in items]
    stats = {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("newswire/")}
    return out, stats


def test_sets_text_hash_and_passes_other_items() -> None:
    page = Page("harbour", "https://h.test/a", "https://h.test/a", b"", None, 200,
                datetime(2024, 3, 6, tzinfo=UTC), "feed")  # fmt: skip
    first = article("https://h.test/a")
    (out_article, out_page), stats = run([first, page])
    assert out_article is first and out_page is page
    assert first.text_hash == fingerprint_text(BASE)
    assert stats == {"newswire/dedup/unique_url": 1}


def test_second_emission_of_a_canonical_url_goes_on_to_the_store() -> None:
    items = [
        article("https://h.test/a"),
        article("https://h.test/a", text=BASE + " Updated."),
        article("https://h.test/b"),
    ]
    out, stats = run(items)
    assert out == items, "the store attaches the repeat's URLs to the stored article"
    assert stats["newswire/dedup/same_url_in_run"] == 1
    assert stats["newswire/dedup/unique_url"] == 2


def test_same_text_under_another_url_is_kept_and_counted() -> None:
    a = article("https://h.test/a")
    b = replace(article("https://h.test/syndicated"), text=BASE.upper())
    (out_a, out_b), stats = run([a, b])
    assert out_a is a and out_b is b
    assert a.text_hash == b.text_hash
    assert stats == {"newswire/dedup/unique_url": 2, "newswire/dedup/same_text_in_run": 1}


@pytest.mark.parametrize(("near", "signed"), [(None, True), (True, True), (False, False)])
def test_near_duplicate_signing_follows_its_setting(near: bool | None, signed: bool) -> None:
    settings = {} if near is None else {"NEWSWIRE_DEDUP_NEAR": near}
    (out,), _ = run([article("https://h.test/a")], settings)
    assert isinstance(out, Article)
    assert (len(out.signature), out.shingles > 0) == ((128, True) if signed else (0, False))
    assert out.text_hash == fingerprint_text(BASE), "exact copies are linked either way"
