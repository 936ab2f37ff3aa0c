"""Per-run checks as Spidermon monitors: what a finished crawl stored, and how well.

Each check is a Spidermon ``Monitor`` (a ``unittest.TestCase``: one ``test_*`` method a check)
reading the crawl's Scrapy stats, with its threshold in a ``NEWSWIRE_CHECK_*`` setting (a
source's ``settings`` table may change it). ``NEWSWIRE_RUN_MONITORS`` lists the
``MonitorSuite`` classes to run at the end of every run, ``RunChecks`` by default: add your
own there (``crawler.settings`` or a source's settings table) to check more. The runner is
Spidermon's own ``MonitorRunner``, called by :mod:`crawler.runstats` when it records the
outcome, so every crawl checks itself whoever runs it, a ``scrapy crawl`` process or one of
the many crawls of a long-lived worker, and the results are stored with the run
(``crawl_runs.checks``) rather than only logged. Spidermon's own Scrapy extension is not used:
it only logs and runs actions, and it would run after the run row is closed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from spidermon import Monitor, MonitorRunner, MonitorSuite, monitors
from spidermon.results.monitor import MonitorResult

logger = logging.getLogger(__name__)

DEFAULT_SUITES = ("crawler.monitors.RunChecks",)


class RunCheck(Monitor):
    """A newswire check: reads the run's stats and settings, and says what it measured."""

    message = ""  # what the check found, stored with the run whether it passed or not

    def stat(self, key: str) -> int:
        """A counter from the run's Scrapy stats (0 when the run never counted it)."""
        return int(self.data.stats.get(key, 0) or 0)

    def setting(self, name: str) -> float:
        """A threshold from the crawl's settings (a source's settings table overrides it)."""
        return float(self.data.crawler.settings.getfloat(name))

    def report(self, passed: bool, message: str) -> None:
        """Record what was measured; fail the check with that message when it did not pass."""
        self.message = message
        if not passed:
            self.fail(message)

    def new_articles(self) -> int:
        """Articles rows this run stored: new texts and copies of other sources' texts."""
        return self.stat("newswire/store/stored") + self.stat("newswire/store/duplicates")


@monitors.name("items stored")
class ItemsStoredMonitor(RunCheck):
    @monitors.name("items stored")
    def test_items_stored(self) -> None:
        """A run that fetched article pages stored some (a quiet run that found no new URL
        passes: that is the source going silent, which source health watches)."""
        stored, pages = self.new_articles(), self.stat("newswire/pages/article")
        minimum = self.setting("NEWSWIRE_CHECK_MIN_ITEMS")
        passed = pages == 0 or stored >= minimum
        self.report(passed, f"{stored} new articles from {pages} article pages")


@monitors.name("metadata")
class MetadataMonitor(RunCheck):
    def _share(self, counter: str, field: str, threshold: str) -> None:
        stored = self.new_articles()
        if stored == 0:
            self.report(True, f"no new article to check for {field}")
            return
        share = self.stat(f"newswire/store/{counter}") / stored
        minimum = self.setting(threshold)
        self.report(
            share >= minimum,
            f"{share:.0%} of {stored} new articles have {field} (at least {minimum:.0%})",
        )

    @monitors.name("titles")
    def test_titles(self) -> None:
        """The share of new articles with a title."""
        self._share("with_title", "a title", "NEWSWIRE_CHECK_MIN_TITLE_SHARE")

    @monitors.name("authors")
    def test_authors(self) -> None:
        """The share of new articles with an author."""
        self._share("with_authors", "an author", "NEWSWIRE_CHECK_MIN_AUTHORS_SHARE")

    @monitors.name("dates")
    def test_dates(self) -> None:
        """The share of new articles with a publication date."""
        self._share("with_date", "a date", "NEWSWIRE_CHECK_MIN_DATE_SHARE")


@monitors.name("errors")
class ErrorsMonitor(RunCheck):
    @monitors.name("errors")
    def test_errors(self) -> None:
        """Download errors and logged errors, against the pages fetched."""
        errors = sum(
            int(value or 0)
            for key, value in self.data.stats.items()
            if key.startswith("downloader/exception_type_count/")
            and not key.endswith("IgnoreRequest")  # robots.txt refusals are counted apart
        ) + self.stat("log_count/ERROR")
        pages = self.stat("downloader/response_count")
        allowed = max(1.0, self.setting("NEWSWIRE_CHECK_MAX_ERROR_SHARE") * pages)
        self.report(errors <= allowed, f"{errors} errors for {pages} pages fetched")


@monitors.name("finish reason")
class FinishReasonMonitor(RunCheck):
    @monitors.name("finish reason")
    def test_finish_reason(self) -> None:
        """The crawl ended by finishing its work, not by a timeout, an error or a stop."""
        reason = str(self.data.stats.get("finish_reason") or "unknown")
        expected = self.data.crawler.settings.getlist("NEWSWIRE_CHECK_FINISH_REASONS")
        self.report(reason in expected, f"closed: {reason}")


class RunChecks(MonitorSuite):
    """newswire's checks of every run; list more suites in NEWSWIRE_RUN_MONITORS."""

    monitors: ClassVar[list[type[Monitor]]] = [
        ItemsStoredMonitor,
        MetadataMonitor,
        ErrorsMonitor,
        FinishReasonMonitor,
    ]


class _CollectingResult(MonitorResult):
    """Spidermon's result, also keeping each check's outcome and message in order."""

    def __init__(self) -> None:
        super().__init__()
        self.checks: list[dict[str, Any]] = []

    def _keep(self, test: Monitor, passed: bool, message: str) -> None:
        self.checks.append({"name": test.method_name, "passed": passed, "message": message})

    def addSuccess(self, test: Monitor) -> None:
        super().addSuccess(test)
        self._keep(test, True, getattr(test, "message", ""))

    def addFailure(self, test: Monitor, error: Any) -> None:
        super().addFailure(test, error)
        self._keep(test, False, str(error[1]).splitlines()[0] if str(error[1]) else "failed")

    def addError(self, test: Monitor, error: Any) -> None:
        super().addError(test, error)
        self._keep(test, False, f"the check raised {error[0].__name__}: {error[1]}")

    def addSkip(self, test: Monitor, reason: str) -> None:
        super().addSkip(test, reason)
        self._keep(test, True, f"skipped: {reason}")


class _Runner(MonitorRunner):
    def create_result(self) -> _CollectingResult:
        return _CollectingResult()


def load_suites(paths: Sequence[str]) -> list[type[MonitorSuite]]:
    """The suite classes named in NEWSWIRE_RUN_MONITORS; a wrong name fails the crawl's start
    with the name in the message, not at its end."""
    suites = []
    for path in paths:
        suite = load_object(path)
        if not (isinstance(suite, type) and issubclass(suite, MonitorSuite)):
            raise TypeError(f"NEWSWIRE_RUN_MONITORS: {path} is not a spidermon MonitorSuite")
        suites.append(suite)
    return suites


def run_checks(
    crawler: Crawler, suites: Sequence[type[MonitorSuite]], stats: Mapping[str, Any]
) -> dict[str, Any]:
    """Run the suites over a finished crawl's stats: ``{"passed": bool, "checks": [...]}``,
    each check ``{"name", "passed", "message"}`` in the suites' order."""
    checks: list[dict[str, Any]] = []
    for suite_class in suites:
        runner = _Runner()
        runner.run(suite_class(crawler=crawler), stats=dict(stats), crawler=crawler)
        checks.extend(runner.result.checks)
    failed = [check["name"] for check in checks if not check["passed"]]
    if failed:
        logger.warning("checks failed: %s", ", ".join(failed))
    return {"passed": not failed, "checks": checks}
