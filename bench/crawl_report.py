"""The benchmark's printed table and the targets it is judged by; returns the figures as data."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawl_bench import CrawlFigures
    from fast_quality import ModeScore

MB = 1024 * 1024
TARGET_LIMIT_SHARE = 0.85
TARGET_NAIVE_FACTOR = 2.0
TARGET_RECRAWL_SHARE = 0.10
TARGET_PEAK_MB = 400
TARGET_FLATNESS = 0.20
TARGET_NEAR_DUP_COST = 0.10  # near-dup detection may cost at most this share of throughput


def _row(figures: CrawlFigures, *, crawl: bool = True) -> str:
    usage = figures.usage
    groups = usage.groups()
    rows_per_s = f"{figures.rows / figures.seconds:8.0f}" if figures.rows else "       -"
    return (
        f"{figures.name:<20} {figures.articles:>8} {figures.pages:>6} {figures.seconds:>7.2f}"
        f" {figures.rate:>8.1f} {rows_per_s}"
        f" {groups.get('crawl', 0.0):>7.2f} {groups.get('site', 0.0):>6.2f}"
        f" {groups.get('postgres', 0.0):>6.2f} {usage.cpu():>7.2f}"
        f" {usage.peak_rss / MB:>7.0f} {usage.peak_pss / MB:>7.0f} {usage.others:>6.2f}"
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _by_role(figures: CrawlFigures) -> dict[str, tuple[int, int]]:
    """Peak RSS and PSS per process group (crawl, site, postgres), in bytes."""
    roles: dict[str, tuple[int, int]] = {}
    for p in figures.usage.processes:
        rss, pss = roles.get(p.group, (0, 0))
        roles[p.group] = (rss + p.rss_peak, pss + p.pss_peak)
    return roles


def _processes(figures: CrawlFigures) -> list[str]:
    lines = [f"CPU seconds per process, {figures.name}:"]
    for p in sorted(figures.usage.processes, key=lambda p: (p.group, -p.cpu_seconds)):
        if p.cpu_seconds < 0.05 and p.group == "postgres":
            continue  # idle background processes
        lines.append(
            f"  {p.group:<9} {p.name:<42.42} pid {p.pid:<8} {p.cpu_seconds:>7.2f} s"
            f"  peak RSS {p.rss_peak / MB:>5.0f} MB, PSS {p.pss_peak / MB:>5.0f} MB"
        )
    return lines


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _near_dup(pairs: dict[str, list[CrawlFigures]]) -> tuple[list[str], dict[str, Any]]:
    """End to end with near-dup detection off and on, side by side: its cost in throughput
    (wall, which the machine's drift moves) and in CPU an article (steadier)."""
    lines = [
        f"near-dup detection (NEWSWIRE_DEDUP_NEAR), end to end, {len(pairs['on'])} crawl(s) each:",
        f"  {'setting':<8} {'articles':>8} {'art/s (each)':>24} {'median':>7}"
        f" {'crawl CPU ms/art':>17} {'pg CPU ms/art':>14} {'all CPU ms/art':>15}",
    ]
    figures: dict[str, Any] = {}
    for mode in ("off", "on"):
        runs = pairs[mode]
        rate = _median([f.rate for f in runs])
        crawl_ms = _median([f.usage.groups().get("crawl", 0.0) / f.articles * 1000 for f in runs])
        pg_ms = _median([f.usage.groups().get("postgres", 0.0) / f.articles * 1000 for f in runs])
        cpu_ms = _median([f.usage.cpu() / f.articles * 1000 for f in runs])  # crawl, site, pg
        each = ", ".join(f"{f.rate:.1f}" for f in runs)
        lines.append(
            f"  {mode:<8} {runs[0].articles:>8} {each:>24} {rate:>7.1f} {crawl_ms:>17.2f}"
            f" {pg_ms:>14.2f} {cpu_ms:>15.2f}"
        )
        figures[mode] = {"rate": rate, "crawl_cpu_ms": crawl_ms, "pg_cpu_ms": pg_ms,
                         "cpu_ms": cpu_ms, "runs": [_figures(f) for f in runs]}  # fmt: skip
    off = figures["off"]["rate"]
    figures["cost"] = cost = 1 - figures["on"]["rate"] / off if off else 0.0
    lines.append(
        f"  near-dup cost in end-to-end throughput {cost:6.1%}   (<= {TARGET_NEAR_DUP_COST:.0%})"
        f"  {_verdict(cost <= TARGET_NEAR_DUP_COST)}"
    )
    figures["cpu_cost"] = cpu_cost = figures["on"]["cpu_ms"] / figures["off"]["cpu_ms"] - 1
    lines.append(
        f"  near-dup cost in CPU an article          {cpu_cost:+6.1%}   (steadier than wall time"
        " on a shared machine; on cores kept busy, throughput falls by about as much)"
    )
    return lines, figures


def print_report(
    articles: int,
    main_run: dict[str, Any],
    scores: list[ModeScore],
    large: dict[str, Any] | None,
) -> dict[str, Any]:
    """Print the tables and target verdicts; return every figure for --json."""
    e2e: CrawlFigures = main_run["e2e"]
    recrawl: CrawlFigures = main_run["recrawl"]
    naive: CrawlFigures | None = main_run.get("naive")
    limit: CrawlFigures = main_run["limit"]
    limit_fast: CrawlFigures = main_run["limit_fast"]
    floor: CrawlFigures | None = main_run.get("floor")
    print()
    print(
        f"newswire crawl benchmark: {articles} generated articles (60-120 KB, gzip without"
        f" charset), {os.cpu_count()} cores"
    )
    outcomes = main_run["e2e_outcomes"]
    print(
        f"expected articles: {main_run['expected']}, stored end to end: {e2e.articles}"
        f" ({outcomes['runs']} runs, {outcomes['failed']} failed, {outcomes['errors']} errors,"
        f" {outcomes['retries']} retries, dropped {outcomes['dropped'] or 'none'})"
    )
    if e2e.articles < main_run["expected"]:
        for line in main_run["e2e_problems"][:20]:
            print(f"  log: {line[:160]}")
    print()
    print(
        f"{'run':<20} {'articles':>8} {'pages':>6} {'wall s':>7} {'art/s':>8} {'rows/s':>8}"
        f" {'crawl':>7} {'site':>6} {'pg':>6} {'CPU s':>7} {'RSS MB':>7} {'PSS MB':>7}"
        f" {'other':>6}"
    )
    runs = [
        e2e,
        recrawl,
        *([naive] if naive else []),
        limit,
        limit_fast,
        *([floor] if floor else []),
    ]
    for figures in runs:
        print(_row(figures))
    print(
        "  (crawl/site/pg/CPU s: CPU seconds of the crawl process with its workers, the site"
        " server, PostgreSQL, all; RSS/PSS: peak of all processes together; other: CPU"
        " seconds of unrelated processes on the machine meanwhile, which skew the run)"
    )
    near_dup = _near_dup(main_run["near_dup"]) if main_run.get("near_dup") else None
    if near_dup is not None:
        print()
        print("\n".join(near_dup[0]))
    ceiling = _ceiling(e2e, limit, floor) if floor is not None else None
    if ceiling is not None:
        print()
        parts = (
            "CPU a page: extraction {extraction:.2f} ms (limit's workers), Scrapy alone"
            " {scrapy:.2f} ms (scrapy_floor.py), site {site:.2f} ms and PostgreSQL {pg:.2f} ms"
            " (end to end); newswire's crawl process beyond extraction {crawl:.2f} ms"
        )
        print(parts.format(**ceiling))
        print(
            f"  so a Scrapy pipeline on these cores reaches at most {ceiling['share']:.1%}"
            " of the limit: extraction / (extraction + Scrapy + site + PostgreSQL)"
        )
    print()
    for line in _processes(e2e):
        print(line)
    print()
    share = e2e.rate / limit.rate if limit.rate else 0.0
    recrawl_share = recrawl.seconds / e2e.seconds
    print("targets:")
    print(
        f"  end to end / extraction limit   {share:6.1%}   (>= {TARGET_LIMIT_SHARE:.0%})"
        f"  {_verdict(share >= TARGET_LIMIT_SHARE)}"
    )
    figures: dict[str, Any] = {
        "articles": articles,
        "runs": {f.name: _figures(f) for f in runs},
        "e2e_over_limit": share,
        "recrawl_over_first": recrawl_share,
    }
    if ceiling is not None:
        figures["ceiling"] = ceiling
    if near_dup is not None:
        figures["near_dup"] = near_dup[1]
    if naive:
        factor = e2e.rate / naive.rate if naive.rate else 0.0
        figures["e2e_over_naive"] = factor
        print(
            f"  end to end / naive baseline     {factor:6.2f}x   (>= {TARGET_NAIVE_FACTOR:.0f}x)"
            f"   {_verdict(factor >= TARGET_NAIVE_FACTOR)}"
        )
    print(
        f"  re-crawl / first crawl (wall)   {recrawl_share:6.1%}   (< {TARGET_RECRAWL_SHARE:.0%})"
        f"   {_verdict(recrawl_share < TARGET_RECRAWL_SHARE)}"
    )
    peak = e2e.usage.peak_rss / MB
    print(
        f"  peak RSS, all processes         {peak:6.0f} MB (< {TARGET_PEAK_MB} MB)"
        f"  {_verdict(peak < TARGET_PEAK_MB)}   (PSS {e2e.usage.peak_pss / MB:.0f} MB)"
    )
    if large is not None:
        big: CrawlFigures = large["e2e"]
        growth = big.usage.peak_rss / e2e.usage.peak_rss - 1
        figures["large"] = _figures(big)
        figures["large_expected"] = large["expected"]
        figures["memory_growth"] = growth
        print(
            f"  peak RSS {big.articles} vs {e2e.articles} articles   {growth:+6.1%}   "
            f"(within {TARGET_FLATNESS:.0%})  {_verdict(abs(growth) <= TARGET_FLATNESS)}"
            f"   ({big.usage.peak_rss / MB:.0f} MB vs {peak:.0f} MB;"
            f" {big.rate:.1f} articles/s; stored {big.articles} of {large['expected']})"
        )
        print("  peak memory by role, RSS / PSS MB (each process's own peak, summed):")
        small_roles, big_roles = _by_role(e2e), _by_role(big)
        for role in sorted(big_roles):
            (rss, pss), (big_rss, big_pss) = small_roles.get(role, (0, 0)), big_roles[role]
            change = f"{big_pss / pss - 1:+.0%} PSS" if pss else ""
            print(
                f"    {role:<9} {e2e.articles:>6}: {rss / MB:5.0f} / {pss / MB:4.0f}"
                f"   {big.articles:>6}: {big_rss / MB:5.0f} / {big_pss / MB:4.0f}   {change}"
            )
    print()
    print(
        f"fast mode: extraction-only {limit_fast.rate:.0f} pages/s vs {limit.rate:.0f}"
        f" ({limit_fast.rate / limit.rate - 1:+.0%}); quality on the default sample site:"
    )
    print(
        f"  {'mode':<8} {'articles':>8} {'title':>7} {'authors':>8} {'date':>7} {'lang':>7}"
        f" {'text F1':>8} {'start':>7} {'ms/page':>8}"
    )
    for s in scores:
        print(
            f"  {s.mode:<8} {s.articles:>8} {s.title:>7.1%} {s.authors:>8.1%} {s.published:>7.1%}"
            f" {s.language:>7.1%} {s.text_f1:>8.3f} {s.text_start:>7.1%} {s.ms_per_page:>8.2f}"
        )
    figures["fast_quality"] = [s.__dict__ for s in scores]
    return figures


def _ceiling(e2e: CrawlFigures, limit: CrawlFigures, floor: CrawlFigures) -> dict[str, float]:
    """Per-page CPU (ms) of each part, and the share of the limit a Scrapy pipeline can reach."""
    groups = e2e.usage.groups()
    extraction = (limit.cpu_seconds or limit.usage.cpu()) / limit.pages * 1000
    scrapy = (floor.cpu_seconds or floor.usage.cpu("crawl")) / floor.pages * 1000
    site = groups.get("site", 0.0) / e2e.pages * 1000
    pg = groups.get("postgres", 0.0) / e2e.articles * 1000
    crawl = (groups.get("crawl", 0.0) / e2e.articles * 1000) - extraction
    share = extraction / (extraction + scrapy + site + pg)
    return {"extraction": extraction, "scrapy": scrapy, "site": site, "pg": pg, "crawl": crawl,
            "share": share}  # fmt: skip


def _figures(f: CrawlFigures) -> dict[str, Any]:
    return {
        "articles": f.articles,
        "pages": f.pages,
        "rows": f.rows,
        "seconds": round(f.seconds, 3),
        "rate": round(f.rate, 2),
        "cpu_by_group": {k: round(v, 2) for k, v in f.usage.groups().items()},
        "other_cpu": round(f.usage.others, 2),
        "peak_rss_mb": round(f.usage.peak_rss / MB, 1),
        "peak_pss_mb": round(f.usage.peak_pss / MB, 1),
        "processes": [p.__dict__ for p in f.usage.processes],
    }
