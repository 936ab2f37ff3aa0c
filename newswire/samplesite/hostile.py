"""A hostile article (``--hostile``): crawled text that tries to run script in a reader.

Anyone can write the pages newswire crawls, so its faces must show every crawled value as
text. This article's title, byline, standfirst and body carry the usual payloads (a
``<script>`` element, an ``onerror=`` attribute, a ``javascript:`` URL, a closing tag that
tries to leave an attribute), escaped on the page as a real site would print them, so the
extracted text holds them verbatim. Each payload, if it ever ran, would set
``window.__pwned`` or open a dialog; the browser tests look for both on every page.
"""

from __future__ import annotations

from newswire.samplesite.content import Story

SCRIPT = "<script>window.__pwned='title'</script>"
ONERROR = "<img src=x onerror=\"window.__pwned='byline'\">"
JAVASCRIPT_URL = "javascript:alert('body')"

TITLE = f"Harbour council delays vote {SCRIPT} on ferry fares"
AUTHOR = f"Nadia Orrell {ONERROR}"
DEK = f"\"><svg onload=alert('dek')> The council's vote moves to next week {SCRIPT}"
PARAGRAPHS = (
    "The harbour council postponed its vote on ferry fares on Tuesday after a long session "
    f"in which members argued over the timetable {SCRIPT} and the cost of new boats.",
    f"Residents who want to comment can write to the council at {JAVASCRIPT_URL} or come to "
    "the public meeting next week, the chair said, adding that the fares would not change "
    "before the summer season begins.",
    f"A member who asked not to be named said {ONERROR} the delay would give the operators "
    "time to publish their own figures, which the council has asked for twice this year.",
    "The ferry operators said they would study the proposal and answer within a month. "
    "Passenger numbers rose last year for the first time since the bridge opened, the "
    "council's own report showed, and the operators want the fares to follow their costs.",
)


def hostile_story() -> Story:
    """The hostile article's words (English, planet's world section)."""
    return Story(TITLE, DEK, PARAGRAPHS, ("Harbour", "Ferries"), (AUTHOR,))
