"""The floors of the tree (STYLE.md): each imports only from floors below it.

Ground first: ``newswire``'s ground modules, ``storage``, ``crawler``, ``pipelines``,
``scheduler``, then the faces (every other ``newswire`` module: CLI, API, web pages, display,
exports, the sample site). Every import statement counts, lazy and ``TYPE_CHECKING`` ones too:
a lazy import of a later floor is still a dependency on it. Scrapy's dotted-string settings
(``ITEM_PIPELINES``) are configuration, not imports, and are not read here.
"""

from __future__ import annotations

from tests.imports import PACKAGES, import_lines, is_within, modules

# Ground modules may import each other and nothing else of ours; add a new one here.
GROUND = (
    "newswire.errors",
    "newswire.config",
    "newswire.schedule",
    "newswire.records",
)
FLOORS = ("storage", "crawler", "pipelines", "scheduler")  # in order, above the ground
NAMES = ("ground", *FLOORS, "faces")


def _floor(module: str) -> int:
    """0 for ground, 1-4 for the floors in order, 5 for the faces."""
    if any(is_within(module, ground) for ground in GROUND) or module == "newswire":
        return 0
    for number, floor in enumerate(FLOORS, start=1):
        if is_within(module, floor):
            return number
    return len(FLOORS) + 1


def _first_party(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _violations() -> list[str]:
    found = []
    for module, path in modules().items():
        floor = _floor(module)
        for statement in import_lines(path, module):
            above = [
                target
                for target in statement.targets
                if _first_party(target) and _floor(target) > floor
            ]
            if above:
                found.append(
                    f"{module} ({NAMES[floor]}) imports {above[0]} ({NAMES[_floor(above[0])]})"
                    f" on line {statement.line}"
                )
    return found


def test_every_module_imports_only_from_floors_below() -> None:
    assert _violations() == []


def test_the_walk_sees_every_floor() -> None:
    """Guards the test above from passing because it read nothing."""
    seen = {NAMES[_floor(module)] for module in modules()}
    assert seen == set(NAMES)


def test_first_party_imports_name_modules_that_exist() -> None:
    """A moved module leaves no import of its old name behind, even under TYPE_CHECKING."""
    ours = modules()
    missing = [
        f"{module} imports {statement.module} on line {statement.line}"
        for module, path in ours.items()
        for statement in import_lines(path, module)
        if _first_party(statement.module) and statement.module not in ours
    ]
    assert missing == []
