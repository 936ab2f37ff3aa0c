"""A real browser for the web tests and `make screenshots`: Playwright driving the system's
Chromium (Debian's ``chromium`` package), never Playwright's own download, which cannot
reach the internet here. Where no Chromium is found the browser tests are skipped, and say
so loudly: a warning and a skip reason in the summary, never a silent pass."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_NAMES = ("chromium", "chromium-browser")
MISSING = "BROWSER TESTS DID NOT RUN: {}; install it with `apt-get install -y chromium`"


def chromium_path() -> str | None:
    """The system's Chromium, if there is one on PATH."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return MISSING.format("the playwright package is not installed (pip install -e '.[dev]')")
    if chromium_path() is None:
        return MISSING.format("no chromium on PATH")
    return None


def warn_missing(reason: str) -> None:
    """Make the skip visible beyond the skip line: a warning in the summary too."""
    warnings.warn(reason, UserWarning, stacklevel=2)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable is not None, MISSING.format("no chromium on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()
