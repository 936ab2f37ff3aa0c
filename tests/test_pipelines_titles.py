"""pipelines.titles: the site's affixes out of titles, in the styles and scripts real sites use."""

from __future__ import annotations

import pytest

from pipelines.titles import TitleTemplate, fold, head_title, host_names, site_key, strip_site_affix

HEADLINE = "Council approves the tide barrier"


@pytest.mark.parametrize(
    ("title", "sites", "h1", "expected"),
    [
        (f"{HEADLINE} | MDR.DE", ["MDR"], None, HEADLINE),
        (f"{HEADLINE} - WELT", ["WELT"], None, HEADLINE),
        (f"{HEADLINE} – DW – 30.01.2024", ["DW"], None, HEADLINE),
        ("堤防の建設を承認：東京新聞デジタル", ["東京新聞"], None, "堤防の建設を承認"),
        ("방조제 건설 승인-정치ㅣ한국일보", ["한국일보"], None, "방조제 건설 승인"),
        (f"{HEADLINE} - National | Globalnews.ca", ["globalnews"], None, HEADLINE),
        (f"The Planet Herald: {HEADLINE}", ["The Planet Herald"], None, HEADLINE),
        # A colon inside the headline stays; a prefix ends at the site's name.
        ("Planet Herald: Brexit: the deal", ["The Planet Herald"], None, "Brexit: the deal"),
        ("Brexit: why now | Planet Herald", ["The Planet Herald"], None, "Brexit: why now"),
        # Nothing names the site: unchanged, separators and all.
        (f"{HEADLINE} - an update", ["WELT"], None, f"{HEADLINE} - an update"),
        # The whole headline is never cut, nor a part the <h1> holds.
        ("Planet Herald", ["The Planet Herald"], None, "Planet Herald"),
        ("Herald wins | Herald", ["Herald"], "Herald wins", "Herald wins"),
        ("WELT - WELT Rekord", ["WELT"], "WELT - WELT Rekord", "WELT - WELT Rekord"),
        ("Vote - WELT", ["WELT"], "Vote - WELT", "Vote - WELT"),
    ],
)
def test_strip_site_affix(title: str, sites: list[str], h1: str | None, expected: str) -> None:
    assert strip_site_affix(title, sites, h1) == expected


def test_fold_ignores_unicode_form_case_and_punctuation() -> None:
    assert fold("Ｃouncil  APPROVES: the “barrier”!") == fold("council approves the barrier")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.globalnews.ca/news/1", ["globalnews"]),
        ("https://www.mdr.de/x", ["mdr"]),
        ("http://127.0.0.1:9100/", []),
        ("not a url", []),
    ],
)
def test_host_names(url: str, expected: list[str]) -> None:
    assert host_names(url) == expected


# --- the source's template ---------------------------------------------------------------------

STORIES = [
    "Council approves the tide barrier",
    "Ferry timetable changes from Monday",
    "Harbour wall repairs start in May",
    "Lowmere school wins the robotics cup",
    "New bus line links the old quarter",
]
TAGLINE = "Independent news since 1921"


def test_the_template_is_what_many_titles_share() -> None:
    titles = [f"{story} — {TAGLINE}" for story in STORIES[:3]]
    titles += ["Morning Brief: " + STORIES[3], "Morning Brief: " + STORIES[4]]
    template = TitleTemplate(titles)
    assert template.affixes == (site_key(TAGLINE),)  # three titles share it; two are not many
    template.add("Morning Brief: Tide barrier vote goes to a second round")
    assert template.affixes == tuple(sorted([site_key(TAGLINE), "morningbrief"]))


def test_a_story_repeated_on_many_pages_is_not_the_template() -> None:
    # The headline is the longest part: never a candidate, however many titles carry it.
    titles = [f"{STORIES[0]} - {suffix}" for suffix in ("PLANET", "Herald", "Updates", "News")]
    assert site_key(STORIES[0]) not in TitleTemplate(titles).affixes


def test_the_same_title_counts_once_and_dates_never_count() -> None:
    assert TitleTemplate([f"{STORIES[0]} — {TAGLINE}"] * 5).affixes == ()
    dated = [f"{story} – 30.01.2024" for story in STORIES]
    assert TitleTemplate(dated).affixes == ()
    assert TitleTemplate([None, "", "   "]).affixes == ()


def test_the_share_grows_with_the_titles() -> None:
    tagged = [f"{story} — {TAGLINE}" for story in STORIES[:3]]
    plain = [f"Story number {n} about the harbour" for n in range(100)]
    assert TitleTemplate([*tagged, *plain]).affixes == ()  # 3 of 103 is under 5 %


@pytest.mark.parametrize(
    ("title", "h1", "expected"),
    [
        (f"{HEADLINE} — {TAGLINE}", None, HEADLINE),
        (f"{HEADLINE} — {TAGLINE} | Harbour Times", None, HEADLINE),
        (f"{TAGLINE}: {HEADLINE}", None, HEADLINE),
        # A template part the <h1> holds stays, and a whole title is never cut.
        (f"{HEADLINE} — {TAGLINE}", f"{HEADLINE} — {TAGLINE}", f"{HEADLINE} — {TAGLINE}"),
        (f"{TAGLINE} — {HEADLINE}", f"{TAGLINE} and more", f"{TAGLINE} — {HEADLINE}"),
        (TAGLINE, None, TAGLINE),
        # Matched whole, never inside a part.
        (f"{HEADLINE} — {TAGLINE} for all", None, f"{HEADLINE} — {TAGLINE} for all"),
    ],
)
def test_strip_the_template(title: str, h1: str | None, expected: str) -> None:
    affixes = (site_key(TAGLINE),)
    assert strip_site_affix(title, ["Harbour Times"], h1, affixes=affixes) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<html><head><title>Tide &amp; barrier\n — Herald</title>", "Tide & barrier — Herald"),
        ('<HEAD><TITLE lang="en">One</TITLE><title>Two</title>', "One"),
        ("<head><title></title>", None),
        ("<head><meta charset=utf-8><title>cut off by the head's end", None),
        ("", None),
    ],
)
def test_head_title(head: str, expected: str | None) -> None:
    assert head_title(head) == expected
