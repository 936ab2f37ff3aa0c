"""One error type for everything a user can fix: a one-line message and an exit code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NewswireError(Exception):
    """A mistake in input or environment, reported as one line that says what to fix."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(NewswireError):
    """Bad sources file, bad flag or unknown source: a usage error (exit 2)."""

    exit_code = 2


class DatabaseError(NewswireError):
    """The database cannot be reached or is not in a usable state."""

    exit_code = 1


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A "; did you mean 'a' or 'b'?" tail for up to three names close to name, else "": a
    message names the likely fix, never the whole list (a sources file may hold hundreds)."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.6)
    if not close:
        return ""
    quoted = [repr(candidate) for candidate in close]
    alternatives = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {alternatives}?"
