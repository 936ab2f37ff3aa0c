"""One error type for everything a user can fix: a one-line message and an exit code."""


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
