"""crawler.sources: sources.toml -> Source records, and one clear line for every mistake."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.sources import DEFAULT_TIMEOUT, load_sources, parse_sources, select_sources
from newswire.errors import ConfigError
from newswire.records import Limits
from newswire.schedule import DEFAULT_REFETCH, Schedule

COMPLETE = r"""
# Every key, on a local sample site.
[sources.planet]
home = "http://127.0.0.1:8001/"
start_urls = ["http://127.0.0.1:8001/world/", "http://127.0.0.1:8001/science/"]
feeds = ["http://127.0.0.1:8001/rss.xml"]
sitemaps = ["http://127.0.0.1:8001/sitemap.xml"]
allowed_domains = ["127.0.0.1:8001"]
article_allow = ['/\d{4}/\d{2}/\d{2}/']
article_deny = ['/live/']
language = "en"
schedule = "*/30 * * * *"
jitter = "30s"
enabled = true

[sources.planet.limits]
max_pages = 500
max_age_days = 30
max_depth = 3
min_text_chars = 400
timeout = "30m"

[sources.planet.settings]
DOWNLOAD_DELAY = 0.25
CONCURRENT_REQUESTS_PER_DOMAIN = 4

[sources.minimal]
home = "https://news.example.com"

[sources.every-2h]
home = "https://example.org/"
allowed_domains = ["example.org", "cdn.example.net"]
feeds = []
schedule = "every 2h"
enabled = false
"""


def test_complete_file() -> None:
    sources = parse_sources(COMPLETE, "sources.toml")
    assert list(sources) == ["planet", "minimal", "every-2h"]

    planet = sources["planet"]
    assert planet.name == "planet"
    assert planet.home == "http://127.0.0.1:8001/"
    assert planet.start_urls == (
        "http://127.0.0.1:8001/world/",
        "http://127.0.0.1:8001/science/",
    )
    assert planet.feeds == ("http://127.0.0.1:8001/rss.xml",)
    assert planet.sitemaps == ("http://127.0.0.1:8001/sitemap.xml",)
    assert planet.allowed_domains == ("127.0.0.1:8001",)
    assert [p.pattern for p in planet.article_allow] == [r"/\d{4}/\d{2}/\d{2}/"]
    assert planet.article_allow[0].search("/2026/11/24/x")
    assert [p.pattern for p in planet.article_deny] == ["/live/"]
    assert planet.language == "en"
    assert planet.schedule == Schedule(
        cron="*/30 * * * *", interval=None, jitter=timedelta(seconds=30)
    )
    assert planet.limits == Limits(
        max_pages=500,
        max_age=timedelta(days=30),
        max_depth=3,
        min_text_chars=400,
        timeout=timedelta(minutes=30),
    )
    assert dict(planet.settings) == {
        "DOWNLOAD_DELAY": 0.25,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    }
    assert planet.enabled is True


def test_defaults() -> None:
    minimal = parse_sources(COMPLETE, "sources.toml")["minimal"]
    assert minimal.start_urls == ("https://news.example.com",)
    assert minimal.feeds is None
    assert minimal.sitemaps is None
    assert minimal.allowed_domains == ("news.example.com",)
    assert minimal.article_allow == ()
    assert minimal.article_deny == ()
    assert minimal.language is None
    assert minimal.schedule is None
    assert minimal.limits == Limits(
        max_pages=1000, max_age=None, max_depth=2, min_text_chars=250, timeout=DEFAULT_TIMEOUT
    )
    assert dict(minimal.settings) == {}
    assert minimal.enabled is True
    assert minimal.refetch == DEFAULT_REFETCH


@pytest.mark.parametrize(
    ("value", "delays"),
    [
        ("false", ()),
        ('["30m", "2h", "2d"]', (timedelta(minutes=30), timedelta(hours=2), timedelta(days=2))),
    ],
)
def test_refetch_delays(value: str, delays: tuple[timedelta, ...]) -> None:
    assert parse_sources(_one(f"refetch = {value}"), "s.toml")["planet"].refetch == delays


def test_interval_schedule_empty_feeds_and_disabled() -> None:
    source = parse_sources(COMPLETE, "sources.toml")["every-2h"]
    assert source.schedule == Schedule(cron=None, interval=timedelta(hours=2), jitter=None)
    assert source.feeds == ()  # explicitly none: do not discover
    assert source.allowed_domains == ("example.org", "cdn.example.net")
    assert source.enabled is False


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("0 6 * * 7", "0 6 * * 7"),  # crontab's other Sunday: APScheduler alone refuses it
        ("0 6 * * 0", "0 6 * * 0"),
        ("0  6 * *   mon-fri", "0 6 * * mon-fri"),
        ("*/10 8-18 * * 1-5/2", "*/10 8-18 * * 1-5/2"),
    ],
)
def test_cron_schedules_read_like_crontab(text: str, cron: str) -> None:
    source = parse_sources(_one(f'schedule = "{text}"'), "sources.toml")["planet"]
    assert source.schedule == Schedule(cron=cron, interval=None, jitter=None)


def test_records_are_frozen_and_settings_read_only() -> None:
    planet = parse_sources(COMPLETE, "sources.toml")["planet"]
    with pytest.raises(AttributeError):
        planet.home = "http://elsewhere/"  # type: ignore[misc]
    with pytest.raises(TypeError):
        planet.settings["DOWNLOAD_DELAY"] = 5  # type: ignore[index]


def _one(body: str, name: str = "planet") -> str:
    return f'[sources.{name}]\nhome = "http://127.0.0.1:8001/"\n{body}\n'


ERRORS = [
    pytest.param(
        _one('refetch = ["6h", "1h"]'),
        "'refetch' in source 'planet' of sources.toml has '1h' after a longer delay: list them"
        " ascending",
        id="refetch-descending",
    ),
    pytest.param(
        _one('refetch = ["1h", "soon"]'),
        "'refetch' in source 'planet' of sources.toml has the bad duration 'soon': write a number",
        id="refetch-bad-duration",
    ),
    pytest.param(
        _one("refetch = []"),
        "'refetch' in source 'planet' of sources.toml is empty",
        id="refetch-empty",
    ),
    pytest.param(
        _one("refetch = true"), "is true: list the delays, e.g. refetch = [", id="refetch-true"
    ),
    pytest.param(
        _one('refetch = "1h"'), "is a string: write it like refetch = [", id="refetch-string"
    ),
    pytest.param(_one('refetch = ["0s"]'), "has the bad duration '0s'", id="refetch-zero"),
    pytest.param(
        _one("refetchs = false"),
        "unknown key 'refetchs' in source 'planet' of sources.toml: did you mean 'refetch'?",
        id="refetch-typo",
    ),
    pytest.param("", "sources.toml defines no sources: add a [sources.NAME] table", id="empty"),
    pytest.param("[sources]\n", "sources.toml defines no sources", id="empty-table"),
    pytest.param(
        "[sources.planet\nhome = 1",
        "sources.toml is not valid TOML: ",
        id="toml-syntax",
    ),
    pytest.param('[sources.a]\nhome = "x"\nhome = "y"\n', "(at line 3", id="toml-line"),
    pytest.param(
        _one("feed = []"),
        "unknown key 'feed' in source 'planet' of sources.toml: did you mean 'feeds'?",
        id="typo-key",
    ),
    pytest.param(
        _one("wibble = 1"),
        "unknown key 'wibble' in source 'planet' of sources.toml: known keys: home, start_urls",
        id="unknown-key-no-match",
    ),
    pytest.param(
        '[source.planet]\nhome = "http://x/"\n',
        "unknown key 'source' in sources.toml: did you mean 'sources'?",
        id="top-level-typo",
    ),
    pytest.param(
        _one("[sources.planet.limits]\nmax_page = 3"),
        "unknown key 'max_page' in [limits] of source 'planet' of sources.toml: "
        "did you mean 'max_pages'?",
        id="limits-typo",
    ),
    pytest.param(
        "[sources.planet]\nfeeds = []\n",
        "missing key 'home' in source 'planet' of sources.toml: add home =",
        id="missing-home",
    ),
    pytest.param(
        "[sources.planet]\nhome = 42\n",
        "'home' in source 'planet' of sources.toml is an integer: write it like home = ",
        id="home-type",
    ),
    pytest.param(
        '[sources.planet]\nhome = "ftp://127.0.0.1/"\n',
        "'home' in source 'planet' of sources.toml has 'ftp://127.0.0.1/', not an http(s) URL",
        id="home-scheme",
    ),
    pytest.param(
        '[sources.planet]\nhome = "127.0.0.1:8001"\n',
        "not an http(s) URL",
        id="home-no-scheme",
    ),
    pytest.param(
        '[sources.planet]\nhome = "http://127.0.0.1:99999/"\n',
        "not an http(s) URL",
        id="home-bad-port",
    ),
    pytest.param(
        _one('feeds = "http://127.0.0.1:8001/rss.xml"'),
        "'feeds' in source 'planet' of sources.toml is a string: write it like feeds = [",
        id="feeds-not-array",
    ),
    pytest.param(
        _one("sitemaps = [1]"),
        "'sitemaps' in source 'planet' of sources.toml holds an integer: use strings",
        id="sitemaps-item-type",
    ),
    pytest.param(
        _one('feeds = ["/rss.xml"]'),
        "'feeds' in source 'planet' of sources.toml has '/rss.xml', not an http(s) URL",
        id="feed-relative",
    ),
    pytest.param(
        _one('start_urls = ["http://127.0.0.1:8002/world/"]'),
        "'http://127.0.0.1:8002/world/' in source 'planet' of sources.toml is outside "
        "allowed_domains ['127.0.0.1:8001']: add '127.0.0.1:8002' to allowed_domains",
        id="start-url-offsite",
    ),
    pytest.param(
        _one('allowed_domains = ["example.com"]'),
        "'http://127.0.0.1:8001/' in source 'planet' of sources.toml is outside allowed_domains",
        id="home-offsite",
    ),
    pytest.param(
        _one('allowed_domains = ["https://127.0.0.1:8001/"]'),
        "'allowed_domains' in source 'planet' of sources.toml has 'https://127.0.0.1:8001/': "
        "write a host or host:port",
        id="domain-with-scheme",
    ),
    pytest.param(
        _one('allowed_domains = ["127.0.0.1:70000"]'),
        "write a host or host:port",
        id="domain-bad-port",
    ),
    pytest.param(
        _one("article_allow = ['/(unclosed/']"),
        "'article_allow' in source 'planet' of sources.toml has a bad regex '/(unclosed/'",
        id="bad-regex",
    ),
    pytest.param(
        _one("article_deny = ['[z-a]']"),
        "'article_deny' in source 'planet' of sources.toml has a bad regex",
        id="bad-regex-range",
    ),
    pytest.param(
        _one('language = "english language"'),
        "'language' in source 'planet' of sources.toml has 'english language': use a language",
        id="bad-language",
    ),
    pytest.param(
        _one('schedule = "*/30 * * *"'),
        "'schedule' in source 'planet' of sources.toml has the bad cron '*/30 * * *' "
        "(Wrong number of fields; got 4, expected 5): use 5 cron fields",
        id="cron-fields",
    ),
    pytest.param(
        _one('schedule = "61 * * * *"'),
        "has the bad cron '61 * * * *'",
        id="cron-range",
    ),
    pytest.param(
        _one('schedule = "every 15 minutes"'),
        "'schedule' in source 'planet' of sources.toml has the bad interval 'every 15 minutes'",
        id="every-bad",
    ),
    pytest.param(
        _one('schedule = "0 6 * * 8"'),
        "'schedule' in source 'planet' of sources.toml has the bad cron '0 6 * * 8' "
        "(day-of-week '8': '8' is not 0-7 or a day name like mon): use 5 cron fields",
        id="cron-weekday",
    ),
    pytest.param(_one('schedule = "every 0m"'), "has the bad interval", id="every-zero"),
    pytest.param(_one("schedule = 30"), "'schedule' in source 'planet'", id="schedule-type"),
    pytest.param(
        _one('schedule = "every 1h"\njitter = "soon"'),
        "'jitter' in source 'planet' of sources.toml has the bad duration 'soon': write a number",
        id="jitter-bad",
    ),
    pytest.param(
        _one('jitter = "30s"'),
        "'jitter' in source 'planet' of sources.toml is set without a schedule",
        id="jitter-alone",
    ),
    pytest.param(
        _one('enabled = "yes"'),
        "'enabled' in source 'planet' of sources.toml is a string: write it like enabled = true",
        id="enabled-type",
    ),
    pytest.param(
        _one('limits = "lots"'),
        "'limits' in source 'planet' of sources.toml is a string: make it a table",
        id="limits-type",
    ),
    pytest.param(
        _one("[sources.planet.limits]\nmax_pages = 0"),
        "'max_pages' in [limits] of source 'planet' of sources.toml is 0: "
        "use a whole number of at least 1",
        id="max-pages-zero",
    ),
    pytest.param(
        _one("[sources.planet.limits]\nmax_pages = true"),
        "'max_pages' in [limits] of source 'planet' of sources.toml is a boolean",
        id="max-pages-bool",
    ),
    pytest.param(
        _one("[sources.planet.limits]\nmax_depth = 1.5"),
        "'max_depth' in [limits] of source 'planet' of sources.toml is a float",
        id="max-depth-float",
    ),
    pytest.param(
        _one("[sources.planet.limits]\nmax_age_days = 0"),
        "'max_age_days' in [limits] of source 'planet' of sources.toml is 0",
        id="max-age-zero",
    ),
    pytest.param(
        _one('[sources.planet.limits]\ntimeout = "0s"'),
        "'timeout' in [limits] of source 'planet' of sources.toml has the bad duration '0s'",
        id="timeout-zero",
    ),
    pytest.param(
        _one('[sources.planet.limits]\ntimeout = "30 minutes"'),
        "has the bad duration '30 minutes'",
        id="timeout-words",
    ),
    pytest.param(
        _one("[sources.planet.settings]\ndownload_delay = 1"),
        "setting 'download_delay' in source 'planet' of sources.toml is not UPPER_CASE",
        id="settings-case",
    ),
    pytest.param(
        _one("settings = [1]"),
        "'settings' in source 'planet' of sources.toml is an array: make it a table",
        id="settings-type",
    ),
    pytest.param(
        _one("", name="Planet"),
        "invalid source name 'Planet' in sources.toml: use lowercase letters",
        id="name-case",
    ),
    pytest.param(
        _one("", name='"-planet"'),
        "invalid source name '-planet' in sources.toml",
        id="name-leading-dash",
    ),
    pytest.param(
        _one("", name='"my site"'),
        "invalid source name 'my site' in sources.toml",
        id="name-space",
    ),
    pytest.param(
        "[sources]\nplanet = 'http://127.0.0.1:8001/'\n",
        "source 'planet' of sources.toml is a string: make it a [sources.planet] table",
        id="source-not-table",
    ),
    pytest.param(
        "sources = ['planet']\n",
        "'sources' in sources.toml is an array: write one [sources.NAME] table a site",
        id="sources-not-table",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, "sources.toml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_load_sources_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(COMPLETE, encoding="utf-8")
    assert list(load_sources(path)) == ["planet", "minimal", "every-2h"]


def test_load_sources_errors_name_the_path(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(_one("feed = []"), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"source 'planet' of {path}: did you")):
        load_sources(path)


def _missing(directory: Path) -> Path:
    return directory / "missing.toml"


def _latin1(directory: Path) -> Path:
    path = directory / "latin.toml"
    path.write_bytes(b"# caf\xe9\n")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            _missing,
            "missing.toml not found: create it (see README) or pass --sources / NEWSWIRE_SOURCES",
            id="missing",
        ),
        pytest.param(lambda directory: directory, "cannot read", id="directory"),
        pytest.param(_latin1, "latin.toml is not UTF-8 text: save it as UTF-8", id="not-utf8"),
    ],
)
def test_load_sources_file_errors(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_sources(make(tmp_path))
    assert message in str(caught.value)


def test_select_sources() -> None:
    sources = parse_sources(COMPLETE, "sources.toml")
    assert [s.name for s in select_sources(sources, [])] == ["planet", "minimal"]
    assert [s.name for s in select_sources(sources, ["every-2h", "planet", "every-2h"])] == [
        "every-2h",
        "planet",
    ]


def test_select_sources_unknown() -> None:
    sources = parse_sources(COMPLETE, "sources.toml")
    with pytest.raises(ConfigError) as caught:
        select_sources(sources, ["planet", "x"])
    assert str(caught.value) == (
        "unknown source 'x' in sources.toml; known: planet, minimal, every-2h"
    )
