"""pipelines.titles: the site's affixes out of titles, in the styles and scripts real sites use."""

from __future__ import annotations

import pytest

from pipelines.titles import fold, host_names, strip_site_affix

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
