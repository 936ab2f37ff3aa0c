"""Helpers for the import-graph tests: every import statement of our modules, read with ast.

Parsing the source, not importing it, sees every import the code can make: top-level ones,
lazy ones inside functions and ``if TYPE_CHECKING:`` ones alike.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "pipelines", "storage", "scheduler", "newswire")


@dataclass(frozen=True)
class ImportLine:
    """One import statement: ``import a.b`` is ("a.b", ()), ``from a import b, c`` ("a", (b, c))."""

    module: str
    names: tuple[str, ...]
    line: int

    @property
    def targets(self) -> tuple[str, ...]:
        """The dotted names it may load: the module, and ``a.b`` for ``from a import b``
        (a submodule, or an attribute; a prefix check treats both alike)."""
        return (self.module, *(f"{self.module}.{name}" for name in self.names if name != "*"))


def module_name(path: Path, root: Path = ROOT) -> str:
    """``crawler/spiders/news.py`` -> ``crawler.spiders.news``; a package is its ``__init__``."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(packages: tuple[str, ...] = PACKAGES, root: Path = ROOT) -> dict[str, Path]:
    """Every module under the given top-level folders, by dotted name."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def import_lines(path: Path, module: str) -> Iterator[ImportLine]:
    """Every import statement anywhere in the file, relative ones made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportLine(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield ImportLine(base, tuple(alias.name for alias in node.names), node.lineno)


def is_within(name: str, prefix: str) -> bool:
    """Whether a dotted name is the module ``prefix`` or something inside it."""
    return name == prefix or name.startswith(prefix + ".")
