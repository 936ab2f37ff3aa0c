"""Every third-party import is a declared dependency, not one that happens to come along.

A package imported only because Scrapy, trafilatura or FastAPI installs it today breaks the
day they stop (lxml >= 6.1 dropping its cleaner did). The package's imports must be in
``[project] dependencies``; the tests' and benchmarks' may also be in the ``dev`` extra. A
dependency with extras (``psycopg[pool]``) declares what those extras install.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterable

import pytest

from tests.imports import PACKAGES, ROOT, import_lines, modules

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = PROJECT["dependencies"]
DEV = [*RUNTIME, *PROJECT["optional-dependencies"]["dev"]]
# bench/ scripts import each other by file name: they run with bench/ on sys.path.
BENCH_SCRIPTS = tuple(path.stem for path in (ROOT / "bench").glob("*.py"))
FIRST_PARTY = {*PACKAGES, "tests", "bench", *BENCH_SCRIPTS}

_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([A-Za-z0-9._-]+)["']""")


def _normalise(name: str) -> str:
    """PEP 503: "Twisted", "prometheus_client" and "psycopg.pool" compare as written on PyPI."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement(text: str) -> tuple[str, set[str]]:
    """A requirement's distribution name as written and its extras, normalised."""
    match = _REQUIREMENT.match(text)
    assert match is not None, f"unreadable requirement {text!r}"
    extras = {_normalise(e.strip()) for e in (match.group(2) or "").split(",") if e.strip()}
    return match.group(1), extras


def _declared(requirements: Iterable[str]) -> set[str]:
    """The distributions a requirement list names, with those its extras pull in."""
    names: set[str] = set()
    for requirement in requirements:
        name, extras = _requirement(requirement)
        names.add(_normalise(name))
        for needed in importlib.metadata.requires(name) or []:
            extra = _EXTRA.search(needed)
            if extra is not None and _normalise(extra.group(1)) in extras:
                names.add(_normalise(_requirement(needed)[0]))
    return names


def _third_party_imports(packages: tuple[str, ...]) -> dict[str, str]:
    """Each imported top-level name that is neither stdlib nor ours, and one place it is."""
    found: dict[str, str] = {}
    for module, path in modules(packages).items():
        for statement in import_lines(path, module):
            top = statement.module.split(".")[0]
            if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                found.setdefault(top, f"{module} line {statement.line}")
    return found


def _undeclared(packages: tuple[str, ...], requirements: list[str]) -> list[str]:
    declared = _declared(requirements)
    providers = importlib.metadata.packages_distributions()
    missing = []
    for name, where in sorted(_third_party_imports(packages).items()):
        distributions = {_normalise(d) for d in providers.get(name, [])}
        if not distributions & declared:
            provided = ", ".join(sorted(distributions)) or "no installed distribution"
            missing.append(f"{name} ({provided}), imported by {where}")
    return missing


@pytest.mark.parametrize(
    ("packages", "requirements"),
    [
        pytest.param(PACKAGES, RUNTIME, id="package"),
        pytest.param(("tests",), DEV, id="tests"),
        pytest.param(("bench",), DEV, id="bench"),
    ],
)
def test_every_third_party_import_is_declared(
    packages: tuple[str, ...], requirements: list[str]
) -> None:
    assert _undeclared(packages, requirements) == []


def test_the_walk_finds_third_party_imports() -> None:
    """Guards the test above from passing because it read nothing."""
    assert {"scrapy", "psycopg", "apscheduler", "trafilatura"} <= set(
        _third_party_imports(PACKAGES)
    )


@pytest.mark.parametrize(
    ("requirements", "included"),
    [
        (["Twisted>=21.7"], {"twisted"}),
        (["prometheus_client>=0.20,<1"], {"prometheus-client"}),
        (["psycopg[binary,pool]>=3.2,<4"], {"psycopg", "psycopg-binary", "psycopg-pool"}),
        (["psycopg>=3.2"], {"psycopg"}),
    ],
)
def test_declared_names_are_normalised_and_follow_extras(
    requirements: list[str], included: set[str]
) -> None:
    declared = _declared(requirements)
    assert included <= declared
    if "[" not in requirements[0]:
        assert "psycopg-pool" not in declared
