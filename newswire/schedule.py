"""When a source is crawled: the one reading of a schedule, from sources-file text to trigger.

The sources loader (``crawler/``) validates a schedule and the timetable (``scheduler/``) runs
it; both go through :func:`parse_schedule` and :meth:`Schedule.trigger` here, on the ground
floor, so a schedule the loader accepts is exactly one the timetable can run.

Cron times are UTC and the day-of-week field reads like crontab (0 or 7 = Sunday, 1 = Monday).
APScheduler 3 numbers weekdays from 0 = Monday, so the field is rewritten as day names before
it reaches ``CronTrigger``; its own ``from_crontab`` does not do that, which is why it is not
used. As in APScheduler (unlike crontab), a restricted day of month and day of week must both
match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newswire.errors import ConfigError

DURATION_HINT = "write a number and a unit, e.g. 45s, 15m, 2h, 1d or 1h30m"
CRON_HINT = 'use 5 cron fields like "*/30 * * * *" or "every 30m"'

_DURATION = re.compile(
    r"(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*(?:(?P<s>\d+)\s*s)?",
    re.IGNORECASE,
)
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_EVERY = re.compile(r"every\s+(.+)", re.IGNORECASE)
_CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ConfigError):
    """A schedule text that is neither 5 cron fields nor "every <duration>".

    ``problem`` and ``fix`` are kept apart so the sources loader can put the file and source
    between them and still print one line.
    """

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"schedule {problem}: {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class Schedule:
    """A 5-field cron expression (spaces normalised) or a fixed interval, plus jitter."""

    cron: str | None
    interval: timedelta | None
    jitter: timedelta | None

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("a schedule has either a cron expression or an interval")

    def trigger(self) -> BaseTrigger:
        """The APScheduler trigger that runs this schedule, in UTC.

        Raises ``ValueError`` for a cron expression APScheduler or crontab would refuse; a
        :class:`Schedule` from :func:`parse_schedule` has already passed that check.
        """
        jitter = int(self.jitter.total_seconds()) if self.jitter else None
        if self.interval is not None:
            return IntervalTrigger(
                seconds=self.interval.total_seconds(), jitter=jitter, timezone=UTC
            )
        fields = str(self.cron).split()
        if len(fields) != 5:
            raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
        minute, hour, day, month, weekdays = fields
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekdays),
            jitter=jitter,
            timezone=UTC,
        )

    def describe(self) -> str:
        """What users read: the cron as written or "every 1h30m", and ", jitter 30s" if any."""
        when = f"every {format_duration(self.interval)}" if self.interval else str(self.cron)
        return f"{when}, jitter {format_duration(self.jitter)}" if self.jitter else when


def parse_schedule(text: str, jitter: timedelta | None = None) -> Schedule:
    """Read a sources-file schedule ("*/30 * * * *" or "every 15m") and check it by building
    its trigger, so the loader refuses exactly what the timetable could not run."""
    if every := _EVERY.fullmatch(text.strip()):
        interval = _duration(every.group(1))
        if interval is None or interval <= timedelta(0):
            raise ScheduleError(f"has the bad interval {text!r}", DURATION_HINT)
        return Schedule(cron=None, interval=interval, jitter=jitter)
    schedule = Schedule(cron=" ".join(text.split()), interval=None, jitter=jitter)
    try:
        schedule.trigger()
    except ValueError as exc:
        reason = " ".join(str(exc).split())
        raise ScheduleError(f"has the bad cron {text!r} ({reason})", CRON_HINT) from exc
    return schedule


def parse_duration(text: str) -> timedelta:
    """Read "45s", "15m", "2h", "1d" or "1h30m": intervals, jitter and timeouts in the sources
    file read the same way, and :func:`format_duration` writes them back in that form."""
    duration = _duration(text)
    if duration is None:
        raise ConfigError(f"invalid duration {text!r}: {DURATION_HINT}")
    return duration


def format_duration(duration: timedelta) -> str:
    """A duration as the sources file writes it: 90 minutes is "1h30m", not "1:30:00"."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def _duration(text: str) -> timedelta | None:
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        return None
    amounts = {unit: int(value or 0) for unit, value in match.groupdict().items()}
    return timedelta(
        days=amounts["d"], hours=amounts["h"], minutes=amounts["m"], seconds=amounts["s"]
    )


def _crontab_day(text: str, field: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in _CRONTAB_DAYS:
        return _CRONTAB_DAYS.index(text)
    raise ValueError(f"day-of-week {field!r}: {text!r} is not 0-7 or a day name like mon")


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler 3 day names: "1-5" -> "mon,tue,wed,thu,fri"."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, slash, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if slash and step is None:
            raise ValueError(f"day-of-week {field!r}: {part!r} needs a step like */2")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _crontab_day(first, field), _crontab_day(last, field)
        else:
            low = _crontab_day(base, field)
            high = 7 if slash else low
        if low > high:
            raise ValueError(f"day-of-week {field!r}: the range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_CRONTAB_DAYS[day] for day in sorted(days))


# ---------------------------------------------------------------- refetch schedules
# A stored article is fetched again when each of its source's refetch intervals has passed
# since its publication (sources.toml: refetch = ["1h", "6h", "1d", "3d", "7d"]). Its step is
# how many have passed at its last refetch: intervals missed meanwhile are skipped, not made
# up, so an article refetched late is not fetched again at once for each interval it missed.

DEFAULT_REFETCH = (
    timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=3), timedelta(days=7)
)  # fmt: skip


def refetch_step(base: datetime, intervals: Sequence[timedelta], now: datetime) -> int:
    """How many of the (ascending) intervals have passed since ``base`` at ``now``: the step an
    article refetched now is at, so its next refetch is at ``base + intervals[step]``."""
    return sum(1 for interval in intervals if base + interval <= now)


def refetch_due_at(base: datetime, intervals: Sequence[timedelta], step: int) -> datetime | None:
    """When an article at ``step`` is next due; None once every interval is spent."""
    return base + intervals[step] if step < len(intervals) else None
