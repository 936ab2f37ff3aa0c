"""What trafilatura's fast mode costs in quality, scored on the default sample site's truth.

Every article page the site serves is fetched once and extracted in both modes with the
pipeline's own function; title, authors, date and language are compared exactly, the text by
word-level F1 against the story the site generated (rebuilt from the same seed and date).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newswire.samplesite.site import build_site
from pipelines.extract import Extracted, ExtractOptions, extract_article

_FETCH_TIMEOUT = 30


@dataclass(frozen=True)
class ModeScore:
    """Share of articles a mode got right, field by field, and its extraction time."""

    mode: str
    articles: int
    title: float
    authors: float
    published: float
    language: float
    text_f1: float  # mean word-level F1 of the extracted text against the story
    text_start: float  # share whose text begins with the story's first words
    ms_per_page: float


def _words(text: str) -> Counter[str]:
    return Counter(text.casefold().split())


def text_f1(extracted: str, expected: str) -> float:
    """Word-level F1: 1.0 when the words match exactly, lower for missing or extra ones."""
    got, want = _words(extracted), _words(expected)
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _fetch(url: str) -> tuple[bytes, str | None]:
    for _ in range(3):  # the site answers 500 once on some pages, as real servers do
        try:
            with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT) as response:
                return response.read(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            if exc.code != 500:
                raise
    raise RuntimeError(f"{url} kept failing with 500")


def _stories(truth: dict[str, Any], seed: int) -> dict[str, str]:
    """Absolute article URL -> the full text the site generated for it."""
    site = build_site(seed=seed, now=datetime.fromisoformat(truth["now"]))
    bases = {name: o["base_url"].rstrip("/") for name, o in truth["outlets"].items()}
    return {
        bases[a.outlet] + a.path: "\n".join(a.story.paragraphs)
        for a in site.articles
        if a.outlet in bases
    }


def score_modes(truth: dict[str, Any], seed: int = 7) -> list[ModeScore]:
    """Extract every served article page in default and fast mode and score both."""
    stories = _stories(truth, seed)
    entries = [a for a in truth["articles"] if not a["held_back"]]
    pages = [(entry, *_fetch(entry["url"])) for entry in entries]
    scores = []
    for mode, fast in (("default", False), ("fast", True)):
        hits: Counter[str] = Counter()
        f1_total = 0.0
        started = time.process_time()
        results = [
            extract_article(
                body,
                entry["url"],
                content_type,
                ExtractOptions(
                    fast=fast, language_hint=truth["outlets"][entry["outlet"]]["language"]
                ),
            )
            for entry, body, content_type in pages
        ]
        seconds = time.process_time() - started
        for (entry, _, _), result in zip(pages, results, strict=True):
            if not isinstance(result, Extracted):
                continue
            hits["title"] += result.title == entry["title"]
            hits["authors"] += result.authors == entry["authors"]
            published = datetime.fromisoformat(entry["published"])
            hits["published"] += result.published_at == published
            hits["language"] += result.language == entry["language"]
            hits["text_start"] += result.text.startswith(entry["text_start"])
            f1_total += text_f1(result.text, stories.get(entry["url"], ""))
        count = len(pages)
        scores.append(
            ModeScore(
                mode=mode,
                articles=count,
                title=hits["title"] / count,
                authors=hits["authors"] / count,
                published=hits["published"] / count,
                language=hits["language"] / count,
                text_f1=f1_total / count,
                text_start=hits["text_start"] / count,
                ms_per_page=1000 * seconds / count,
            )
        )
    return scores
