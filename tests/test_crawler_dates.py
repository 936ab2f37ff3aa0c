"""crawler.dates: the one reader of date strings, for discovery and extraction alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.dates import as_utc, parse_date, parse_timestamp


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 24 Nov 2026 10:00:00 GMT", utc(2026, 11, 24, 10)),
        ("Tue, 24 Nov 2026 10:00:00 +0100", utc(2026, 11, 24, 9)),
        ("24 Nov 2026 10:00 EST", utc(2026, 11, 24, 15)),
        ("Tue, 24 Nov 2026 10:00:00", utc(2026, 11, 24, 10)),
        ("2026-11-24T10:00:00Z", utc(2026, 11, 24, 10)),
        ("2026-11-24T10:00:00+02:00", utc(2026, 11, 24, 8)),
        ("2026-11-24T10:00:00-0500", utc(2026, 11, 24, 15)),
        ("2026-11-24T10:00:00.250Z", datetime(2026, 11, 24, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-24T10:00:00", utc(2026, 11, 24, 10)),
        ("2026-11-24 10:00:00 +01:00", utc(2026, 11, 24, 9)),
        ("2026-11-24 10:00:00 UTC", utc(2026, 11, 24, 10)),
        ("2026-11-24", utc(2026, 11, 24)),
        ("  2026-11-24\n", utc(2026, 11, 24)),
        ("", None),
        ("   ", None),
        (None, None),
        ("yesterday", None),
        ("2026-13-45", None),
        ("Tue, 31 Feb 2026 10:00:00 +0000", None),
        ("Tue, 24 Nov 99999 10:00:00 GMT", None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the offset as written: a page's publication day is the one its readers see
        (
            "2026-11-24T23:30:00-05:00",
            datetime(2026, 11, 24, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "Tue, 24 Nov 2026 10:00:00 +0100",
            datetime(2026, 11, 24, 10, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-11-24T10:00:00", datetime(2026, 11, 24, 10)),  # naive: the caller decides
        ("2026-11-24 10:00:00 UTC", utc(2026, 11, 24, 10)),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_timestamp_keeps_the_written_offset(
    text: str | None, expected: datetime | None
) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert (parsed.utcoffset() if parsed else None) == (expected.utcoffset() if expected else None)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 10), utc(2026, 11, 24, 10)),
        (datetime(2026, 11, 24, 10, tzinfo=timezone(timedelta(hours=2))), utc(2026, 11, 24, 8)),
        (datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), None),
    ],
)
def test_as_utc(moment: datetime, expected: datetime | None) -> None:
    assert as_utc(moment) == expected
