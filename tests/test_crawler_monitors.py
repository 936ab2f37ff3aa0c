"""crawler.monitors: newswire's per-run checks as Spidermon monitors, run by Spidermon's runner
over a crawl's stats and a real Scrapy crawler's settings; a user's own suite beside them."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.spiders import Spider
from spidermon import Monitor, MonitorSuite, monitors

from crawler import settings as newswire_settings
from crawler.monitors import RunChecks, load_suites, run_checks

GOOD = {
    "finish_reason": "finished",
    "downloader/response_count": 40,
    "newswire/pages/article": 20,
    "newswire/store/stored": 18,
    "newswire/store/duplicates": 2,
    "newswire/store/with_title": 20,
    "newswire/store/with_authors": 15,
    "newswire/store/with_date": 19,
}


def _crawler(**overrides: Any) -> Crawler:
    settings = Settings()
    settings.setmodule(newswire_settings)
    settings.setdict(overrides, priority="spider")
    return Crawler(Spider, settings)


def _outcomes(stats: dict[str, Any], **overrides: Any) -> dict[str, tuple[bool, str]]:
    result = run_checks(_crawler(**overrides), [RunChecks], stats)
    return {check["name"]: (check["passed"], check["message"]) for check in result["checks"]}


def test_a_good_run_passes_every_check_and_says_what_it_measured() -> None:
    result = run_checks(_crawler(), [RunChecks], GOOD)
    assert result["passed"] is True
    outcomes = {c["name"]: c["message"] for c in result["checks"]}
    assert outcomes == {
        "items stored": "20 new articles from 20 article pages",
        "titles": "100% of 20 new articles have a title (at least 90%)",
        "authors": "75% of 20 new articles have an author (at least 50%)",
        "dates": "95% of 20 new articles have a date (at least 80%)",
        "errors": "0 errors for 40 pages fetched",
        "finish reason": "closed: finished",
    }


@pytest.mark.parametrize(
    ("changes", "failed", "message"),
    [
        ({"newswire/store/stored": 0, "newswire/store/duplicates": 0}, "items stored",
         "0 new articles from 20 article pages"),
        ({"newswire/store/with_title": 10}, "titles",
         "50% of 20 new articles have a title (at least 90%)"),
        ({"newswire/store/with_authors": 0}, "authors",
         "0% of 20 new articles have an author (at least 50%)"),
        ({"newswire/store/with_date": 1}, "dates",
         "5% of 20 new articles have a date (at least 80%)"),
        ({"downloader/exception_type_count/twisted.internet.error.TimeoutError": 4,
          "log_count/ERROR": 1}, "errors", "5 errors for 40 pages fetched"),
        ({"finish_reason": "closespider_timeout"}, "finish reason",
         "closed: closespider_timeout"),
    ],
)  # fmt: skip
def test_each_check_fails_on_its_own_with_the_figure(
    changes: dict[str, Any], failed: str, message: str
) -> None:
    outcomes = _outcomes({**GOOD, **changes})
    assert {name for name, (passed, _) in outcomes.items() if not passed} == {failed}
    assert outcomes[failed][1] == message


def test_a_quiet_run_and_robots_refusals_are_not_failures() -> None:
    quiet = {
        "finish_reason": "finished",
        "downloader/response_count": 5,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 3,
    }
    outcomes = _outcomes(quiet)
    assert all(passed for passed, _ in outcomes.values())
    assert outcomes["titles"][1] == "no new article to check for a title"


def test_thresholds_are_settings_a_source_may_change() -> None:
    outcomes = _outcomes(GOOD, NEWSWIRE_CHECK_MIN_AUTHORS_SHARE=0.8)
    assert outcomes["authors"] == (False, "75% of 20 new articles have an author (at least 80%)")
    shutdown = {**GOOD, "finish_reason": "shutdown"}
    reasons = ["finished", "shutdown"]
    assert _outcomes(shutdown, NEWSWIRE_CHECK_FINISH_REASONS=reasons)["finish reason"][0]


class _Pages(Monitor):
    __test__ = False  # a Spidermon monitor is a unittest.TestCase: not one for pytest to run

    @monitors.name("enough pages")
    def test_pages(self) -> None:
        pages = self.data.stats.get("downloader/response_count", 0)
        self.assertGreaterEqual(pages, 100, msg="fewer than 100 pages")

    @monitors.name("broken")
    def test_broken(self) -> None:
        raise KeyError("no such stat")


class UserChecks(MonitorSuite):
    monitors = [_Pages]  # noqa: RUF012 (Spidermon's declarative style)


def test_a_users_suite_runs_beside_newswires_and_its_errors_are_failures() -> None:
    suites = load_suites(["crawler.monitors.RunChecks", f"{__name__}.UserChecks"])
    result = run_checks(_crawler(), suites, GOOD)
    names = [check["name"] for check in result["checks"]]
    assert names[-2:] == ["broken", "enough pages"]
    by_name = {check["name"]: check for check in result["checks"]}
    assert result["passed"] is False
    assert by_name["enough pages"]["passed"] is False
    assert "fewer than 100 pages" in by_name["enough pages"]["message"]
    assert by_name["broken"]["message"] == "the check raised KeyError: 'no such stat'"


def test_only_monitor_suites_are_loaded() -> None:
    with pytest.raises(TypeError, match=r"tests\.test_crawler_monitors\._Pages is not a spidermon"):
        load_suites([f"{__name__}._Pages"])
    with pytest.raises(ModuleNotFoundError):
        load_suites(["nowhere.Checks"])
