"""Where the commands print: results on stdout, messages and progress on stderr.

Tables go through :func:`newswire.display.render`, which folds them to ``column: value`` lines
when stdout is not a terminal; machine formats are chosen here the same way.
"""

from __future__ import annotations

import sys

from rich.console import Console

console = Console()
errors = Console(stderr=True)


def machine_format(fmt: str | None, human: str) -> str:
    """The asked format, else the human one on a terminal and JSON Lines when piped."""
    return fmt or (human if sys.stdout.isatty() else "jsonl")
