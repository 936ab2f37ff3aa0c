"""Bylines -> people and credits: "By A and B", "Von A und B, dpa", "Por A | Reuters".

Pure functions over strings. Names are cleaned of the byline word, role words, e-mail
addresses and trailing datelines, split on "and"/"und"/"y"/"et", commas and semicolons, and
merged case-insensitively; agencies and publishers go to the credits, people to the authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.titles import fold, site_key

_BY_WORD = re.compile(
    r"^\s*(?:by|von|vom|por|par|door|przez|written by|text:|texte:)\s+",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_SPLIT = re.compile(r"\s*(?:[,;|/&•·]|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b)\s*", re.I)
# Words that name a job, not a person: dropped wherever they stand in a name.
_ROLE_WORDS = frozenset(
    {
        "reporter", "correspondent", "editor", "writer", "contributor", "columnist",
        "redakteur", "redakteurin", "korrespondent", "korrespondentin", "autor", "autorin",
        "redactor", "redactora", "corresponsal", "journaliste", "envoyé", "envoyée",
        "spécial", "spéciale", "senior", "chief", "political", "business", "sports",
        "foreign", "staff", "special", "freelance", "photographer",
    }
)  # fmt: skip
# Agencies and bylines that credit an institution, not a person (folded).
_AGENCIES = frozenset(
    {
        "ap", "the associated press", "associated press", "reuters", "afp", "agence france presse",
        "dpa", "epd", "kna", "apa", "sda", "efe", "europa press", "ansa", "anp", "belga", "pa",
        "pa media", "upi", "bloomberg", "xinhua", "kyodo", "yonhap", "tass", "ria novosti",
        "staff", "newsroom", "redaktion", "rédaction", "redacción", "agencies", "agenturen",
        "agences", "agencias", "wire services", "staff and agencies", "editorial board",
    }
)  # fmt: skip
_DATELINE = re.compile(r"\s*(?:,\s*|\s+in\s+|\s+aus\s+|\s+en\s+|\s+à\s+)[A-Z][\w .'-]*$")
_INSTITUTION_WORDS = frozenset(
    {
        "news",
        "newsroom",
        "redaktion",
        "press",
        "media",
        "agency",
        "agentur",
        "agence",
        "agencia",
        "team",
        "desk",
    }
)


def is_credit(name: str, site_names: Iterable[str] = ()) -> bool:
    """An agency, a newsroom or the publisher itself, not a person."""
    folded = fold(name)
    if folded in _AGENCIES or any(word in _INSTITUTION_WORDS for word in folded.split()):
        return True
    key = site_key(name)
    return any(key and (key == site_key(site)) for site in site_names if site)


def clean_name(raw: str) -> str:
    """One name without byline word, e-mail, role words and dateline; "" if nothing is left."""
    text = _EMAIL.sub(" ", " ".join(raw.split()))
    text = text.strip(" .,;:-–—|()[]")
    while True:
        stripped = _BY_WORD.sub("", text)
        if stripped == text:
            break
        text = stripped
    if "," not in raw:
        text = _DATELINE.sub("", text) if len(text.split()) > 3 else text
    words = [w for w in text.split() if w.casefold().strip(".,") not in _ROLE_WORDS]
    name = " ".join(words).strip(" .,;:-–—|()[]")
    if any(ch.isdigit() for ch in name) or len(name) > 60:
        return ""
    return name


def split_byline(text: str) -> list[str]:
    """A byline's names, cleaned, in order: "By A and B, dpa" -> ["A", "B", "dpa"]."""
    text = _EMAIL.sub(" ", " ".join(text.split()))
    text = _BY_WORD.sub("", text)
    names = (clean_name(part) for part in _SPLIT.split(text))
    return merge_names(name for name in names if name)


def merge_names(names: Iterable[str]) -> list[str]:
    """Names in first-seen order, repeats dropped case-insensitively."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold(name), name)
    return [name for key, name in seen.items() if key]


def sort_names(names: Iterable[str], site_names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(people, credits) from cleaned names."""
    sites = list(site_names)
    people, credits = [], []
    for name in merge_names(names):
        (credits if is_credit(name, sites) else people).append(name)
    return people, credits
