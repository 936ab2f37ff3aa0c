"""Metadata quality and cost: newswire's extraction against trafilatura alone, same pages.

Every article page of the sample site (regular and bulk, in all eight metadata styles of
``site.Article.meta_style``) is rendered once, then extracted (1) by trafilatura alone, as
newswire called it before its metadata layer, and (2) by ``pipelines.extract.extract_article``
with each outlet's title template, learned from the titles of all its pages first, as a
crawl learns it from the outlet's stored pages (the learning is timed apart).
Scores against the ground truth: title exact after Unicode/case/punctuation folding, authors
set F1, published date on the same day (in the page's own offset), body bag-of-words F1.
Time is the median per page over ``--repeat`` rounds (CPU time of this one process).

    .venv/bin/python bench/metadata_bench.py [--bulk N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from crawler.encoding import decode_html
from newswire.samplesite.pages import PageContext, render_article
from newswire.samplesite.site import Article, build_site
from pipelines.evidence import PageHints, choose_metadata
from pipelines.extract import _DATE_PARAMS, Extracted, ExtractOptions, extract_article
from pipelines.libmeta import library_metadata, searched_authors
from pipelines.metadata import json_ld_objects
from pipelines.titles import TitleTemplate, fold, head_title
from storage.titles import HEAD_BYTES

_NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    """What one extractor says of one page."""

    title: str
    authors: list[str]
    day: str | None  # the published date as the page's readers see it
    text: str


@dataclass(frozen=True)
class Case:
    """One rendered page and its truth."""

    article: Article
    url: str
    body: bytes
    source: str
    affixes: tuple[str, ...] = ()  # its outlet's title template


def _words(text: str) -> Counter[str]:
    return Counter(fold(text).split())


def bag_f1(got: Counter[str], want: Counter[str]) -> float:
    """F1 of two multisets: 1.0 when equal, and 1.0 when both are empty."""
    if not got and not want:
        return 1.0
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _trafilatura(case: Case) -> Record:
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    text, _ = decode_html(case.body, "text/html")
    doc = bare_extraction(
        load_html(text),
        url=case.url,
        include_comments=False,
        with_metadata=True,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Record(doc.title or "", authors, doc.date, doc.text or "")


def _newswire(case: Case) -> Record:
    hints = PageHints(site_names=(case.source,), fetched_at=_NOW, title_affixes=case.affixes)
    options = ExtractOptions(hints=hints)
    result = extract_article(case.body, case.url, "text/html", options)
    assert isinstance(result, Extracted), result
    offset = case.article.published.tzinfo
    day = result.published_at.astimezone(offset).date().isoformat() if result.published_at else None
    return Record(result.title, result.authors, day, result.text)


def _score(records: list[Record], cases: list[Case]) -> dict[str, float]:
    title = authors = day = body = 0.0
    for record, case in zip(records, cases, strict=True):
        story = case.article.story
        title += fold(record.title) == fold(story.title)
        authors += bag_f1(Counter(map(fold, record.authors)), Counter(map(fold, story.authors)))
        day += record.day == case.article.published.date().isoformat()
        body += bag_f1(_words(record.text), _words("\n".join(story.paragraphs)))
    count = len(cases)
    return {
        "title": title / count,
        "authors": authors / count,
        "published": day / count,
        "body": body / count,
    }


def _timed(
    extract: Callable[[Case], Record], cases: list[Case], repeat: int
) -> tuple[list[Record], float]:
    rounds: list[float] = []
    records: list[Record] = []
    for _ in range(repeat):
        start = time.process_time()
        records = [extract(case) for case in cases]
        rounds.append((time.process_time() - start) / len(cases) * 1000)
    return records, statistics.median(rounds)


def _layer_ms(cases: list[Case], repeat: int) -> float:
    """CPU time per page of choose_metadata alone, on trees trafilatura has already read."""
    from trafilatura.utils import load_html

    prepared = []
    for case in cases:
        tree = load_html(decode_html(case.body, "text/html")[0])
        doc = library_metadata(tree, case.url, dict(_DATE_PARAMS))
        hints = PageHints(site_names=(case.source,), fetched_at=_NOW, title_affixes=case.affixes)
        prepared.append((tree, list(json_ld_objects(tree)), case.url, hints, doc))
    rounds = []
    for _ in range(repeat):
        start = time.process_time()
        for args in prepared:
            choose_metadata(*args, author_search=searched_authors)
        rounds.append((time.process_time() - start) / len(cases) * 1000)
    return statistics.median(rounds)


def build_cases(bulk: int) -> list[Case]:
    """Every article page of a default sample site with ``bulk`` generated articles."""
    site = build_site(now=_NOW, bulk_articles=bulk)
    site.publish_next()
    base_urls = {name: f"http://127.0.0.1:{9100 + i}/" for i, name in enumerate(site.outlets)}
    articles = [a for a in site.articles if not a.disallowed]
    articles += [site.bulk_article(i) for i in range(bulk)]
    cases = []
    for article in articles:
        html = render_article(PageContext(site, site.outlets[article.outlet], base_urls), article)
        body = html.encode(article.legacy_encoding or "utf-8")
        url = base_urls[article.outlet].rstrip("/") + article.path
        cases.append(Case(article, url, body, article.outlet))
    return cases


def learn_templates(cases: list[Case]) -> tuple[list[Case], float]:
    """The cases with their outlet's title template; the CPU ms per page that learning took."""
    start = time.process_time()
    templates: dict[str, TitleTemplate] = {}
    for case in cases:
        head = case.body[:HEAD_BYTES].decode(case.article.legacy_encoding or "utf-8", "replace")
        templates.setdefault(case.source, TitleTemplate()).add(head_title(head))
    learned = [replace(case, affixes=templates[case.source].affixes) for case in cases]
    return learned, (time.process_time() - start) / len(cases) * 1000


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print the side-by-side table; return its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=int, default=120, help="bulk articles besides the regular")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (median)")
    args = parser.parse_args(argv)
    cases, learn_ms = learn_templates(build_cases(args.bulk))
    _newswire(cases[0]), _trafilatura(cases[0])  # imports and caches warm
    plain, plain_ms = _timed(_trafilatura, cases, args.repeat)
    ours, ours_ms = _timed(_newswire, cases, args.repeat)
    layer_ms = _layer_ms(cases, args.repeat)
    scores = {"trafilatura": _score(plain, cases), "newswire": _score(ours, cases)}
    styles = Counter(case.article.meta_style for case in cases)
    print(f"{len(cases)} sample-site article pages; metadata styles {dict(sorted(styles.items()))}")
    print(f"{'field':<34}{'trafilatura':>12}{'newswire':>10}")
    labels = {
        "title": "title, exact after folding",
        "authors": "authors, set F1",
        "published": "published date, same day",
        "body": "body text, bag-of-words F1",
    }
    for key, label in labels.items():
        print(f"{label:<34}{scores['trafilatura'][key]:>12.3f}{scores['newswire'][key]:>10.3f}")
    overhead = (ours_ms / plain_ms - 1) * 100
    print(f"{'ms per page (CPU, median)':<34}{plain_ms:>12.2f}{ours_ms:>10.2f}  ({overhead:+.1f}%)")
    share = layer_ms / plain_ms * 100
    print(f"of which the metadata layer (pipelines.evidence): {layer_ms:.2f} ms ({share:.1f}%)")
    print(f"learning the outlets' title templates: {learn_ms:.3f} ms per page")
    bare = [replace(case, affixes=()) for case in cases]
    untemplated = _score([_newswire(case) for case in bare], bare)["title"]
    print(f"newswire's title score without the templates: {untemplated:.3f}")
    times = {"trafilatura": plain_ms, "newswire": ours_ms, "layer": layer_ms, "learn": learn_ms}
    return {"scores": scores, "ms_per_page": times}


if __name__ == "__main__":
    main()
