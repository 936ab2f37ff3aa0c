"""newswire.schedule: one reading of a schedule, crontab's weekdays, and what users see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from newswire.errors import ConfigError
from newswire.schedule import (
    DEFAULT_REFETCH,
    Schedule,
    ScheduleError,
    format_duration,
    parse_duration,
    parse_schedule,
    refetch_due_at,
    refetch_step,
)

ALL_DAYS = "sun,mon,tue,wed,thu,fri,sat"
SUNDAY = datetime(2025, 3, 2, tzinfo=UTC)


def _fire_days(weekdays: str) -> str:
    """The days "0 6 * * <weekdays>" fires on in the week from Sunday 2 March 2025."""
    trigger = parse_schedule(f"0 6 * * {weekdays}").trigger()
    days = []
    fire = trigger.get_next_fire_time(None, SUNDAY)
    while fire is not None and fire < SUNDAY + timedelta(days=7):
        days.append(fire.strftime("%a").lower())
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return ",".join(days)


@pytest.mark.parametrize(
    ("weekdays", "days"),
    [
        ("*", ALL_DAYS),
        ("0", "sun"),
        ("7", "sun"),
        ("0,7", "sun"),
        ("1", "mon"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("0-6", ALL_DAYS),
        ("0-7", ALL_DAYS),
        ("*/2", "sun,tue,thu,sat"),
        ("1/3", "sun,mon,thu"),
        ("sat,sun", "sun,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("mon-fri/2", "mon,wed,fri"),
        ("SUN", "sun"),
    ],
)
def test_weekdays_are_numbered_like_crontab(weekdays: str, days: str) -> None:
    assert _fire_days(weekdays) == days


@pytest.mark.parametrize(
    ("cron", "now", "expected"),
    [
        ("0 6 * * 7", datetime(2025, 3, 5, 12, tzinfo=UTC), datetime(2025, 3, 9, 6, tzinfo=UTC)),
        ("0 6 * * 0", datetime(2025, 3, 5, 12, tzinfo=UTC), datetime(2025, 3, 9, 6, tzinfo=UTC)),
        ("0 9 * * 1", datetime(2025, 3, 2, 12, tzinfo=UTC), datetime(2025, 3, 3, 9, tzinfo=UTC)),
        ("30 6 * * 0", datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 9, 6, 30, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2025, 3, 3, 10, 1, tzinfo=UTC),
         datetime(2025, 3, 3, 10, 15, tzinfo=UTC)),
        ("0 0 1 jan *", datetime(2025, 3, 3, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_cron_schedules_fire_in_utc(cron: str, now: datetime, expected: datetime) -> None:
    assert parse_schedule(cron).trigger().get_next_fire_time(None, now) == expected


def test_interval_schedules_carry_their_jitter() -> None:
    trigger = parse_schedule("every 90m", timedelta(seconds=30)).trigger()
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(minutes=90)
    assert trigger.jitter == 30


@pytest.mark.parametrize(
    ("text", "schedule"),
    [
        ("*/30 * * * *", Schedule(cron="*/30 * * * *", interval=None, jitter=None)),
        ("  0   6 * * 7 ", Schedule(cron="0 6 * * 7", interval=None, jitter=None)),
        ("every 15m", Schedule(cron=None, interval=timedelta(minutes=15), jitter=None)),
        ("Every 1h 30m", Schedule(cron=None, interval=timedelta(minutes=90), jitter=None)),
    ],
)
def test_parse_schedule(text: str, schedule: Schedule) -> None:
    assert parse_schedule(text) == schedule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*/30 * * *", "schedule has the bad cron '*/30 * * *' "
         "(Wrong number of fields; got 4, expected 5): use 5 cron fields"),
        ("61 * * * *", "has the bad cron '61 * * * *' (Error validating expression '61'"),
        ("0 25 * * *", "has the bad cron '0 25 * * *'"),
        ("0 6 32 * *", "has the bad cron '0 6 32 * *'"),
        ("0 6 * 13 *", "has the bad cron '0 6 * 13 *'"),
        ("0 6 * * 8", "(day-of-week '8': '8' is not 0-7 or a day name like mon)"),
        ("0 6 * * funday", "'funday' is not 0-7 or a day name"),
        ("0 6 * * 5-1", "the range '5-1' runs backwards"),
        ("0 6 * * */0", "'*/0' needs a step like */2"),
        ("0 6 * * 1/x", "'1/x' needs a step like */2"),
        ("", "Wrong number of fields; got 0"),
        ("every 15 minutes", "schedule has the bad interval 'every 15 minutes': write a number"),
        ("every 0m", "has the bad interval 'every 0m'"),
    ],
)  # fmt: skip
def test_parse_schedule_refuses(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.exit_code == 2


def test_a_schedule_is_cron_or_interval() -> None:
    with pytest.raises(ValueError, match="either a cron expression or an interval"):
        Schedule(cron=None, interval=None, jitter=None)
    with pytest.raises(ValueError, match="either a cron expression or an interval"):
        Schedule(cron="* * * * *", interval=timedelta(hours=1), jitter=None)


@pytest.mark.parametrize(
    ("text", "jitter", "described"),
    [
        ("*/30  * * *  *", None, "*/30 * * * *"),
        ("0 6 * * 7", timedelta(minutes=5), "0 6 * * 7, jitter 5m"),
        ("every 15m", None, "every 15m"),
        ("every 120m", None, "every 2h"),
        ("every 90m", timedelta(seconds=30), "every 1h30m, jitter 30s"),
        ("every 3600s", None, "every 1h"),
        ("every 1d 2h", timedelta(seconds=90), "every 1d2h, jitter 1m30s"),
        ("every 45s", timedelta(0), "every 45s"),
    ],
)
def test_describe(text: str, jitter: timedelta | None, described: str) -> None:
    assert parse_schedule(text, jitter).describe() == described


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 90S ", timedelta(seconds=90)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "15 minutes", "1.5h", "30m1h", "-5m", "1w"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(days=2, seconds=5), "2d5s"),
    ],
)
def test_format_duration_writes_what_parse_duration_reads(duration: timedelta, text: str) -> None:
    assert format_duration(duration) == text
    assert parse_duration(text) == duration


# ---------------------------------------------------------------- refetch schedules

_BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "step", "due"),
    [
        (timedelta(0), 0, timedelta(hours=1)),
        (timedelta(minutes=59), 0, timedelta(hours=1)),
        (timedelta(hours=1), 1, timedelta(hours=6)),
        (timedelta(days=2), 3, timedelta(days=3)),  # missed delays are skipped, not made up
        (timedelta(days=7), 5, None),  # every delay spent: no more refetches
        (timedelta(days=400), 5, None),
    ],
)
def test_refetch_step_and_due_at(after: timedelta, step: int, due: timedelta | None) -> None:
    assert refetch_step(_BASE, DEFAULT_REFETCH, _BASE + after) == step
    expected = _BASE + due if due is not None else None
    assert refetch_due_at(_BASE, DEFAULT_REFETCH, step) == expected
    assert refetch_due_at(_BASE, (), 0) is None
