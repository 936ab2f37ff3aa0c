"""Date strings as feeds, sitemaps and pages write them -> datetimes: one reader for all.

Discovery dates links from feed and sitemap fields; extraction refines a page's publication
day from its meta tags and JSON-LD. Both read RFC 822 (RSS, HTTP) and ISO 8601 (Atom,
sitemaps, schema.org) with the same forgiveness, so a date reads the same wherever it is found.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_SPACE = re.compile(r"\s+")
_OFFSET_AFTER_SPACE = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$)")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)


def parse_timestamp(text: str | None) -> datetime | None:
    """A date or timestamp in RFC 822 or ISO 8601, in the offset it was written in (naive when
    it names none, so the caller decides what that means); None for anything else."""
    if not text or not text.strip():
        return None
    value = _SPACE.sub(" ", text.strip())
    try:
        return datetime.fromisoformat(_OFFSET_AFTER_SPACE.sub("", _UTC_SUFFIX.sub("Z", value)))
    except ValueError:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None


def as_utc(moment: datetime) -> datetime | None:
    """The same instant in UTC; a naive time is taken as UTC, the best guess that keeps it.
    None when the shift leaves the representable years (a year 9999 date east of UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_date(text: str | None) -> datetime | None:
    """A date or timestamp (RFC 822, ISO 8601, date only) as tz-aware UTC; None if unreadable."""
    parsed = parse_timestamp(text)
    return as_utc(parsed) if parsed is not None else None
