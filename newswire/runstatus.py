"""The states of a crawl run, declared once: storage checks them, the CLI and the API offer them.

A run is queued (waiting for a process), running, then final: succeeded, failed, interrupted
(stopped by a shutdown) or cancelled. Only final runs have a finished_at and never change again.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A crawl_runs.status value; members compare equal to the stored text."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """Whether a run in this state has ended for good (nothing moves it on)."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @classmethod
    def finals(cls) -> tuple[RunStatus, ...]:
        """The states a run can end in, in declaration order."""
        return tuple(status for status in cls if status.final)

    @classmethod
    def is_final(cls, text: str) -> bool:
        """Whether stored status text names a final state (unknown text is not final)."""
        return text in cls.finals()
