"""A sources.toml for a running sample site, in the format newswire's crawler reads.

One outlet leaves out ``feeds`` and another ``sitemaps`` on purpose: the crawler must find
them on the home page and in robots.txt.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from newswire.errors import ConfigError
from newswire.samplesite.site import SampleSite
from newswire.samplesite.truth import absolute

DEFAULT_LIMITS: dict[str, object] = {"max_pages": 500, "max_age_days": 30}
SCHEDULE = "every 30m"


def toml_value(value: object) -> str:
    """A TOML literal for a string, number, boolean or list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ConfigError(f"sample site sources: cannot write {value!r} to TOML; use str/int/bool")


def render_sources_toml(site: SampleSite, urls: dict[str, str], **limits: object) -> str:
    """One ``[sources.NAME]`` table per outlet; ``limits`` override max_pages/max_age_days."""
    merged = {k: v for k, v in {**DEFAULT_LIMITS, **limits}.items() if v is not None}
    lines: list[str] = []
    for name, outlet in site.outlets.items():
        base = urls[name]
        table: dict[str, object] = {
            "home": base,
            "start_urls": [absolute(base, s.path) for s in outlet.sections if not s.disallowed],
        }
        if outlet.list_feeds:
            table["feeds"] = [absolute(base, outlet.rss_path), absolute(base, outlet.atom_path)]
        if outlet.list_sitemaps:
            table["sitemaps"] = [absolute(base, outlet.sitemap_index_path)]
        table["allowed_domains"] = [urlsplit(base).netloc]
        table["language"] = outlet.language
        table["schedule"] = SCHEDULE
        lines.append(f"[sources.{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
        lines.append(f"[sources.{name}.limits]")
        lines += [f"{key} = {toml_value(value)}" for key, value in merged.items()]
        lines.append("")
    return "\n".join(lines)
