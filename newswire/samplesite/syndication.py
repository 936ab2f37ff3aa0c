"""The syndication test bed: one wire story, its edited copies, and near-miss traps.

A wire story (a KCNA report of a military meeting in Pyongyang, as an agency moves it) is
republished with the edits outlets make: another headline, a dropped last paragraph, an
inserted dateline, a local intro sentence, an editor's note, other quotes and spacing, a
"Related:" line in the middle, and several of these at once. Each copy is the same story.

The traps must not be linked to anything: two different reports of one event that share two
boilerplate background paragraphs, two editions of a weekly column with the same template and
other text, and two short briefs quoting one long statement.

One edition of the column is much discussed: its comment pages (``?p=2``, ``?p=6``, ``?p=7``,
linked from the outlet's recent-comments box) serve the same article, with that page's
comments and a discussion line whose comment count and page number differ from page to page,
and the page names no canonical URL. A crawler must store it once, with all those URLs.

Every word is generated here from a seeded ``random.Random``: the texts are pure functions of
their key, like the rest of the sample site.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_OFFICIALS = ("Ri Yong Chol", "Pak Song Il", "Kim Tae Hyok", "Jo Myong Su", "Han Kwang Nam")
_BODIES = (
    "the Central Military Commission",
    "the general staff",
    "the defence ministry",
    "the artillery bureau",
    "the navy command",
    "the air defence corps",
)
_ACTS = ("reviewed", "discussed", "approved", "criticised", "examined", "endorsed", "outlined")
_OBJECTS = (
    "readiness plans for the coastal units",
    "a new training schedule for reservists",
    "the supply of fuel to forward bases",
    "drills planned along the eastern coast",
    "the results of the winter exercises",
    "measures against what it called provocations",
    "the repair of radar stations",
    "discipline among frontline officers",
    "the deployment of long-range artillery",
    "a report on the spring harvest brigades",
)
_MANNERS = (
    "in detail",
    "at length",
    "behind closed doors",
    "for the second day",
    "with senior commanders",
    "in a tense session",
    "before a full hall",
)
_PLACES = ("Pyongyang", "Wonsan", "Hamhung", "Kaesong", "Sinpo", "Nampo", "Chongjin")
_CLAIMS = (
    "state media said",
    "the agency reported",
    "the report said",
    "KCNA said",
    "officials were quoted as saying",
    "the statement added",
)
_EXTRAS = (
    "without giving figures",
    "citing unnamed participants",
    "in a dispatch on Sunday",
    "a day after the meeting closed",
    "in language seen as a warning to Seoul",
    "as analysts in the South watched for signs of a test",
    "in a rare level of detail",
)

BOILERPLATE = (
    "North Korea has carried out a series of weapons tests since the start of the year, and "
    "talks on its nuclear programme have been stalled since a summit ended without agreement "
    "in a hotel in the south of Vietnam several years ago.",
    "The country remains under broad international sanctions over its missile and nuclear "
    "programmes, which it says are needed to deter what it calls hostile forces gathered on "
    "the peninsula and in the waters around it.",
)


@dataclass(frozen=True)
class Copy:
    """One page of the test bed: its text and headline, and the story it is a copy of."""

    key: str  # e.g. "wire-dateline": stable, names the edit
    title: str
    paragraphs: tuple[str, ...]
    story: str | None  # the key of the story it copies (the original's own key), None: a trap

    @property
    def text(self) -> str:
        """The body as an extractor should find it: paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


def _sentence(rng: random.Random) -> str:
    subject = rng.choice((rng.choice(_OFFICIALS), rng.choice(_BODIES).capitalize()))
    return (
        f"{subject} {rng.choice(_ACTS)} {rng.choice(_OBJECTS)} {rng.choice(_MANNERS)} in "
        f"{rng.choice(_PLACES)} on day {rng.randint(2, 28)}, {rng.choice(_CLAIMS)}, "
        f"{rng.choice(_EXTRAS)}, with {rng.randint(3, 900)} officers present."
    )


def paragraphs(key: str, count: int, sentences: int = 3) -> tuple[str, ...]:
    """``count`` generated paragraphs of ``sentences`` sentences, a pure function of ``key``."""
    rng = random.Random(f"syndication:{key}")
    return tuple(" ".join(_sentence(rng) for _ in range(sentences)) for _ in range(count))


WIRE_KEY = "wire"
WIRE_TITLE = "North Korea's military leaders meet in Pyongyang to review readiness"
_QUOTE = (
    '"We will answer every provocation with overwhelming force, and those who test our '
    "patience on land, at sea or in the air will learn the price of their arrogance before "
    'the year is out," the commission said in a statement carried by the agency.'
)


def wire_copies() -> tuple[Copy, ...]:
    """The wire story and its copies, one edit kind each, then several together."""
    body = (*paragraphs(WIRE_KEY, 7), _QUOTE)
    local = "Readers in our region have followed the peninsula closely since the autumn drills."
    note = "Editor's note: this story was updated to correct the name of one official."
    related = "Related: Seoul puts border units on alert after the drills"
    spaced = tuple(
        p.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(", ", ",  ") for p in body
    )

    def copy(key: str, paras: tuple[str, ...], title: str = WIRE_TITLE) -> Copy:
        return Copy(f"wire-{key}", title, paras, WIRE_KEY)

    return (
        Copy(WIRE_KEY, WIRE_TITLE, body, WIRE_KEY),
        copy("headline", body, "Pyongyang generals gather as tension rises"),
        copy("dropped-last", body[:-1]),
        copy("dateline", ("SEOUL (Reuters) - " + body[0], *body[1:])),
        copy("local-intro", (local + " " + body[0], *body[1:])),
        copy("editors-note", (*body, note)),
        copy("quotes-spacing", spaced),
        copy("related", (*body[:4], related, *body[4:])),
        copy(
            "combined",
            ("SEOUL (Reuters) - " + local + " " + body[0], *body[1:3], related, *body[3:-1], note),
            "Top brass meet in North Korea's capital",
        ),
    )


def traps() -> tuple[Copy, ...]:
    """Pages that look alike and are not copies: none may be linked to any other page."""
    column_head = (
        "This week in Peninsula Notebook, our correspondent looks at what the week "
        "meant for the region and what to watch in the days ahead."
    )
    column_foot = (
        "Peninsula Notebook appears every Friday. Write to the desk with questions "
        "and we will answer the best of them in next week's edition."
    )
    quote = _QUOTE.replace("commission", "ministry")
    return (
        Copy(
            "event-a",
            "Commission meets as drills end",
            (*paragraphs("event-a", 6), *BOILERPLATE),
            None,
        ),
        Copy(
            "event-b",
            "Generals summoned after the drills",
            (*paragraphs("event-b", 6), *BOILERPLATE),
            None,
        ),
        Copy(
            "column-1",
            "Peninsula Notebook: a week of drills",
            (column_head, *paragraphs("column-1", 5), column_foot),
            None,
        ),
        Copy(
            "column-2",
            "Peninsula Notebook: harvest and hardware",
            (column_head, *paragraphs("column-2", 5), column_foot),
            None,
        ),
        Copy("brief-1", "Ministry warns of force", (*paragraphs("brief-1", 1, 2), quote), None),
        Copy(
            "brief-2", "Pyongyang statement on patrols", (quote, *paragraphs("brief-2", 1, 2)), None
        ),
    )


COMMENTED_KEY = "column-2"
COMMENT_PAGES = (2, 6, 7)  # the comment pages the recent-comments box links to
COMMENT_PAGE_COUNT = 7
_FIRST_COMMENTS = 41  # comments when page 1 was rendered; more have arrived since, by page


def discussion_line(page: int) -> str:
    """The line under the commented column: its count grows as readers keep commenting (each
    page was fetched a little later), and a comment page names its number."""
    count = _FIRST_COMMENTS + (page - 1) * 3
    where = f", page {page} of {COMMENT_PAGE_COUNT}" if page > 1 else ""
    return f"Join the discussion: {count} comments{where}."
