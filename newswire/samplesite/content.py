"""Generated article text: a story is a pure function of its key, topic and language.

Keys seed a private ``random.Random`` (string seeds are stable across runs and platforms), so
the same site seed always yields the same headlines, bylines and paragraphs.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from newswire.samplesite import stories_en, stories_intl, vocabulary

LANGUAGES = ("en", "fr", "de", "es")
_DECIMAL_COMMA = {"fr", "de", "es"}
_THOUSANDS = {"en": ",", "fr": "\u202f", "de": ".", "es": "."}


@dataclass(frozen=True)
class Story:
    """The words of one article, before any page chrome is put around them."""

    title: str
    dek: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    authors: tuple[str, ...]

    @property
    def word_count(self) -> int:
        """Words in the body, the figure an extractor should roughly reproduce."""
        return sum(len(p.split()) for p in self.paragraphs)


def topics_for(language: str) -> tuple[str, ...]:
    """Topics that have templates in ``language``, in a stable order."""
    if language == "en":
        return tuple(stories_en.TOPICS)
    return tuple(stories_intl.TOPICS[language])


def _templates(topic: str, language: str) -> dict[str, tuple[str, ...]]:
    table = stories_en.TOPICS if language == "en" else stories_intl.TOPICS[language]
    return table[topic]


def _number(value: float, language: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if language in _DECIMAL_COMMA else text


def person_name(rng: random.Random, language: str) -> str:
    """A made-up "First Last" name that sounds right for the language."""
    first = rng.choice(vocabulary.FIRST_NAMES[language])
    return f"{first} {rng.choice(vocabulary.LAST_NAMES[language])}"


def _authors(rng: random.Random, language: str, count: int) -> tuple[str, ...]:
    names: list[str] = []
    while len(names) < count:
        name = person_name(rng, language)
        if name not in names:
            names.append(name)
    return tuple(names)


def _slots(rng: random.Random, language: str, wire: str) -> dict[str, str]:
    c1, c2, c3 = rng.sample(vocabulary.COUNTRIES, 3)
    cap = rng.choice(vocabulary.CAPITALS)
    city1, city2 = rng.sample(vocabulary.CITIES, 2)
    team1, team2 = (
        pattern.format(city=city)
        for pattern, city in zip(
            rng.sample(vocabulary.TEAM_PATTERNS[language], 2),
            rng.sample(vocabulary.CAPITALS, 2),
            strict=True,
        )
    )
    company, company2 = rng.sample(vocabulary.COMPANIES, 2)
    crowd = f"{rng.randint(18, 61)}{_THOUSANDS[language]}{rng.randint(0, 999):03d}"
    return {
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "cap": cap,
        "CAP": cap.upper(),
        "city": city1 if city1 != cap else city2,
        "wire": wire,
        "weekday": rng.choice(vocabulary.WEEKDAYS[language]),
        "month": rng.choice(vocabulary.MONTHS[language]),
        "n": str(rng.randint(3, 11)),
        "n2": str(rng.randint(12, 96)),
        "n3": str(rng.randint(2, 5)),
        "hours": str(rng.randint(3, 7)),
        "year": str(rng.randint(2027, 2031)),
        "person": person_name(rng, language),
        "building": rng.choice(vocabulary.BUILDINGS[language]),
        "river": rng.choice(vocabulary.RIVERS),
        "index": rng.choice(vocabulary.INDEXES),
        "company": company,
        "company2": company2,
        "firm": rng.choice(vocabulary.FIRMS),
        "currency": vocabulary.CURRENCIES[language],
        "pct": _number(rng.uniform(0.3, 4.8), language),
        "pct2": _number(rng.uniform(0.5, 6.5), language),
        "yield": _number(rng.uniform(2.1, 4.9), language),
        "team1": team1,
        "team2": team2,
        "s1": str(rng.randint(2, 4)),
        "s2": str(rng.randint(0, 1)),
        "player": person_name(rng, language),
        "stadium": rng.choice(vocabulary.STADIUMS),
        "crowd": crowd,
    }


def _paragraphs(
    rng: random.Random, sentences: tuple[str, ...], lead: str, slots: dict[str, str], min_words: int
) -> tuple[str, ...]:
    """Lead first, then shuffled sentences two or three to a paragraph until long enough."""
    paragraphs = [lead.format_map(slots)]
    words = len(paragraphs[0].split())
    pool: list[str] = []
    while words < min_words or len(paragraphs) < 5:
        if not pool:
            pool.extend(rng.sample(sentences, len(sentences)))
        size = min(rng.choice((2, 2, 3)), len(pool))
        text = " ".join(pool.pop().format_map(slots) for _ in range(size))
        paragraphs.append(text)
        words += len(text.split())
    return tuple(paragraphs)


def write_story(
    key: str,
    *,
    topic: str,
    language: str,
    wire: str,
    min_words: int = 280,
    authors: int | None = None,
) -> Story:
    """Generate one story; ``wire`` is the agency name in datelines, ``key`` picks the variant."""
    rng = random.Random(f"story:{key}")
    templates = _templates(topic, language)
    slots = _slots(rng, language, wire)
    title = rng.choice(templates["titles"]).format_map(slots)
    dek = rng.choice(templates["deks"]).format_map(slots)
    lead = rng.choice(templates["leads"])
    paragraphs = _paragraphs(rng, templates["sentences"], lead, slots, min_words)
    tags = tuple(dict.fromkeys(tag.format_map(slots) for tag in templates["tags"]))
    count = authors if authors is not None else (2 if rng.random() < 0.3 else 1)
    return Story(title, dek, paragraphs, tags, _authors(rng, language, count))


def comment_lines(key: str, language: str, count: int) -> list[tuple[str, str, int]]:
    """Reader comments as (handle, text, hours ago): page bulk that is not article text."""
    rng = random.Random(f"comments:{key}")
    lines = vocabulary.COMMENT_LINES[language]
    return [
        (rng.choice(vocabulary.COMMENTERS), rng.choice(lines), rng.randint(1, 30))
        for _ in range(count)
    ]


def human_date(moment: datetime, language: str) -> str:
    """The date as a reader sees it on the page, in the article's own time zone."""
    month = vocabulary.MONTHS[language][moment.month - 1]
    clock = moment.strftime("%H:%M")
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("", "+0000") else "UTC"
    if language == "fr":
        return f"Publié le {moment.day} {month} {moment.year} à {clock.replace(':', 'h')}"
    if language == "de":
        return f"Veröffentlicht am {moment.day}. {month} {moment.year}, {clock} Uhr"
    if language == "es":
        return f"Publicado el {moment.day} de {month} de {moment.year}, {clock}"
    weekday = vocabulary.WEEKDAYS["en"][moment.weekday()]
    return f"{weekday} {moment.day} {month} {moment.year}, {clock} {zone}"


def slugify(text: str, limit: int = 72) -> str:
    """ASCII URL slug of a headline, cut at a word boundary."""
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug
