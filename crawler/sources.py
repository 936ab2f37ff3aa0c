"""sources.toml -> validated, frozen Source records (declared in newswire.records).

Sources are data checked on load: every mistake fails loudly as one ConfigError line that
names the file, the source and the fix, before any crawl or schedule starts.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from crawler.urls import host_key, is_allowed, is_http_url
from newswire.errors import ConfigError
from newswire.records import Limits, Source
from newswire.schedule import (
    DEFAULT_REFETCH,
    DURATION_HINT,
    Schedule,
    ScheduleError,
    parse_duration,
    parse_schedule,
)

T = TypeVar("T")

DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_DEPTH = 2
DEFAULT_MIN_TEXT_CHARS = 250
DEFAULT_TIMEOUT = timedelta(hours=1)

_SOURCE_KEYS = (
    "home", "start_urls", "feeds", "sitemaps", "allowed_domains", "article_allow",
    "article_deny", "language", "schedule", "jitter", "enabled", "refetch", "limits",
    "settings",
)  # fmt: skip
_LIMIT_KEYS = ("max_pages", "max_age_days", "max_depth", "min_text_chars", "timeout")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_DOMAIN = re.compile(
    r"(?:(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_-]+|\[[0-9a-f:.]+\])(?::(?P<port>\d{1,5}))?"
)


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return "a date/time"
    return type(value).__name__


def _unknown_key(key: str, known: Sequence[str], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(known)
    return ConfigError(f"unknown key {key!r} in {where}: {fix}")


class _Table:
    """Typed reads from one TOML table; every error names the key, the place and the fix."""

    def __init__(self, data: dict[str, object], where: str, known: Sequence[str]) -> None:
        for key in data:
            if key not in known:
                raise _unknown_key(key, known, where)
        self.data = data
        self.where = where

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{key!r} in {self.where} {problem}: {fix}")

    def typed(self, key: str, kind: type[T], example: str) -> T | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"is {_toml_type(value)}", f"write it like {key} = {example}")
        return value

    def strings(self, key: str, example: str) -> list[str] | None:
        values = self.typed(key, list, f"[{example}]")
        if values is None:
            return None
        for value in values:
            if not isinstance(value, str):
                raise self.fail(
                    key, f"holds {_toml_type(value)}", f"use strings, e.g. {key} = [{example}]"
                )
        return values

    def each(self, key: str, example: str, check: Callable[[str, str], T]) -> tuple[T, ...] | None:
        values = self.strings(key, example)
        return None if values is None else tuple(check(key, value) for value in values)

    def url(self, key: str, value: str) -> str:
        url = value.strip()
        if not is_http_url(url):
            raise self.fail(key, f"has {value!r}, not an http(s) URL", 'write "https://host/path"')
        return url

    def domain(self, key: str, value: str) -> str:
        entry = value.strip().lower()
        match = _DOMAIN.fullmatch(entry)
        if match is None or not 0 < int(match["port"] or 80) < 65536:
            raise self.fail(key, f"has {value!r}", 'write a host or host:port, e.g. "example.com"')
        return entry

    def pattern(self, key: str, value: str) -> re.Pattern[str]:
        try:
            return re.compile(value)
        except re.error as exc:
            raise self.fail(key, f"has a bad regex {value!r} ({exc})", "fix the pattern") from exc

    def duration(self, key: str, *, positive: bool) -> timedelta | None:
        text = self.typed(key, str, '"30m"')
        if text is None:
            return None
        bad = self.fail(key, f"has the bad duration {text!r}", DURATION_HINT)
        try:
            duration = parse_duration(text)
        except ConfigError:
            raise bad from None
        if positive and duration <= timedelta(0):
            raise bad
        return duration

    def number(self, key: str, default: int, minimum: int) -> int:
        value = self.typed(key, int, str(max(default, minimum)))
        if value is None:
            return default
        if value < minimum:
            raise self.fail(key, f"is {value}", f"use a whole number of at least {minimum}")
        return value


def _schedule(table: _Table) -> Schedule | None:
    text = table.typed("schedule", str, '"*/30 * * * *"')
    jitter = table.duration("jitter", positive=False)
    if text is None:
        if jitter is not None:
            raise table.fail("jitter", "is set without a schedule", "add schedule or drop jitter")
        return None
    try:
        return parse_schedule(text, jitter)
    except ScheduleError as exc:
        raise table.fail("schedule", exc.problem, exc.fix) from exc


def _refetch(table: _Table) -> tuple[timedelta, ...]:
    """refetch = ["1h", "6h", "1d"]: ascending delays after publication; false: never;
    absent: DEFAULT_REFETCH."""
    value = table.data.get("refetch")
    if value is None:
        return DEFAULT_REFETCH
    if value is False:
        return ()
    example = '["1h", "6h", "1d", "3d", "7d"] or refetch = false'
    if value is True:
        raise table.fail("refetch", "is true", f"list the delays, e.g. refetch = {example}")
    texts = table.strings("refetch", '"1h", "6h", "1d"') or []
    intervals = []
    for text in texts:
        bad = table.fail("refetch", f"has the bad duration {text!r}", DURATION_HINT)
        try:
            interval = parse_duration(text)
        except ConfigError:
            raise bad from None
        if interval <= timedelta(0):
            raise bad
        if intervals and interval <= intervals[-1]:
            raise table.fail(
                "refetch", f"has {text!r} after a longer delay", f"list them ascending: {example}"
            )
        intervals.append(interval)
    if not intervals:
        raise table.fail("refetch", "is empty", f"write refetch = {example}")
    return tuple(intervals)


def _limits(data: object, where: str) -> Limits:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"'limits' in {where} is {_toml_type(data)}: make it a table")
    table = _Table(data, f"[limits] of {where}", _LIMIT_KEYS)
    max_age_days = table.number("max_age_days", 0, 1) if "max_age_days" in data else None
    return Limits(
        max_pages=table.number("max_pages", DEFAULT_MAX_PAGES, 1),
        max_age=timedelta(days=max_age_days) if max_age_days is not None else None,
        max_depth=table.number("max_depth", DEFAULT_MAX_DEPTH, 0),
        min_text_chars=table.number("min_text_chars", DEFAULT_MIN_TEXT_CHARS, 0),
        timeout=table.duration("timeout", positive=True) or DEFAULT_TIMEOUT,
    )


def _settings(data: object, where: str) -> Mapping[str, object]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"'settings' in {where} is {_toml_type(data)}: make it a table")
    for key in data:
        if not _SETTING_NAME.fullmatch(key):
            raise ConfigError(
                f"setting {key!r} in {where} is not UPPER_CASE: "
                f"write Scrapy settings like DOWNLOAD_DELAY"
            )
    return MappingProxyType(dict(data))


def _source(name: str, data: object, origin: str) -> Source:
    where = f"source {name!r} of {origin}"
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"invalid source name {name!r} in {origin}: use lowercase letters, digits, "
            f"'-' and '_', starting with a letter or digit (e.g. [sources.my-site])"
        )
    if not isinstance(data, dict):
        raise ConfigError(f"{where} is {_toml_type(data)}: make it a [sources.{name}] table")
    table = _Table(data, where, _SOURCE_KEYS)
    home = table.typed("home", str, '"https://example.com/"')
    if home is None:
        raise ConfigError(f"missing key 'home' in {where}: add home = \"https://example.com/\"")
    home = table.url("home", home)
    allowed = table.each("allowed_domains", '"example.com"', table.domain) or (host_key(home),)
    start_urls = table.each("start_urls", '"https://example.com/world/"', table.url) or (home,)
    for url in (home, *start_urls):
        if not is_allowed(url, allowed):
            raise ConfigError(
                f"{url!r} in {where} is outside allowed_domains {list(allowed)}: "
                f"add {host_key(url)!r} to allowed_domains"
            )
    language = table.typed("language", str, '"en"')
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise table.fail("language", f"has {language!r}", 'use a language code like "en"')
    return Source(
        name=name,
        home=home,
        start_urls=start_urls,
        feeds=table.each("feeds", '"https://example.com/rss.xml"', table.url),
        sitemaps=table.each("sitemaps", '"https://example.com/sitemap.xml"', table.url),
        allowed_domains=allowed,
        article_allow=table.each("article_allow", "'/news/'", table.pattern) or (),
        article_deny=table.each("article_deny", "'/live/'", table.pattern) or (),
        language=language,
        schedule=_schedule(table),
        limits=_limits(data.get("limits"), where),
        settings=_settings(data.get("settings"), where),
        enabled=table.typed("enabled", bool, "true") is not False,
        refetch=_refetch(table),
    )


def parse_sources(text: str, origin: str) -> dict[str, Source]:
    """Validate sources.toml text; origin (usually the path) names the file in error messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin} is not valid TOML: {exc}: fix the syntax there") from exc
    for key in document:
        if key != "sources":
            raise _unknown_key(key, ["sources"], origin)
    tables = document.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError(
            f"'sources' in {origin} is {_toml_type(tables)}: write one [sources.NAME] table a site"
        )
    if not tables:
        raise ConfigError(
            f"{origin} defines no sources: add a [sources.NAME] table with "
            f'home = "https://example.com/"'
        )
    return {name: _source(name, data, origin) for name, data in tables.items()}


def load_sources(path: Path) -> dict[str, Source]:
    """Read and validate the sources file, in file order, failing before any crawl starts."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path} not found: create it (see README) or pass --sources / NEWSWIRE_SOURCES"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path} ({exc.strerror}): pass a readable file with --sources "
            f"or NEWSWIRE_SOURCES"
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: save it as UTF-8") from exc
    return parse_sources(text, str(path))


def select_sources(
    sources: Mapping[str, Source], names: Sequence[str], *, origin: str = "sources.toml"
) -> list[Source]:
    """The named sources in the order given (even disabled ones: asking by name wins);
    with no names, every enabled source in file order."""
    if not names:
        return [source for source in sources.values() if source.enabled]
    for name in names:
        if name not in sources:
            raise ConfigError(
                f"unknown source {name!r} in {origin}; known: {', '.join(sources) or '(none)'}"
            )
    return [sources[name] for name in dict.fromkeys(names)]
