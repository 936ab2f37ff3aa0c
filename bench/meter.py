"""CPU seconds per process and peak memory of a group of process trees, sampled by a thread.

A benchmark watches the crawl, its extraction workers, the sample site and the PostgreSQL
server at once. CPU is the last reading of each process minus its reading when the
measurement began; memory is the largest sum over all watched processes at one instant, as
RSS (what `ps` shows, shared pages counted in every process) and PSS (shared pages split).

The meter shares the machine with what it measures, so it keeps its own CPU small: CPU and RSS
are cheap reads every 0.1 s; finding new descendants scans every process on the machine and
PSS walks each process's page tables (about 5 ms and 1.6 ms here), so those run once a second.
Sampled all at once every 0.1 s, they took 40% of a core: a tenth of a two-core run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.1
SLOW_SAMPLE_EVERY = 10  # samples between process scans and PSS reads: once a second


@dataclass
class _Seen:
    group: str
    name: str
    cpu_start: float
    cpu_last: float
    rss_peak: int = 0
    pss_peak: int = 0


@dataclass(frozen=True)
class ProcessCpu:
    """One process's share of a measurement."""

    group: str  # "crawl", "site", "postgres", ...
    name: str  # e.g. "newswire", "python (worker)", "postgres: walwriter"
    pid: int
    cpu_seconds: float
    rss_peak: int
    pss_peak: int


@dataclass(frozen=True)
class Usage:
    """What a measurement found: per-process CPU and the peak of all processes together."""

    wall_seconds: float
    processes: list[ProcessCpu]
    peak_rss: int  # bytes, largest sum of RSS over every watched process at one sample
    peak_pss: int  # bytes, the same with shared pages divided among their users
    samples: int
    machine_busy: float  # CPU seconds the whole machine spent busy, watched or not

    @property
    def others(self) -> float:
        """CPU seconds of processes not watched (other work on the machine skews the run)."""
        return max(0.0, self.machine_busy - self.cpu())

    def cpu(self, group: str | None = None) -> float:
        """CPU seconds of one group (or of everything watched)."""
        return sum(p.cpu_seconds for p in self.processes if group in (None, p.group))

    def groups(self) -> dict[str, float]:
        """CPU seconds by group, in the order groups were watched."""
        totals: dict[str, float] = {}
        for p in self.processes:
            totals[p.group] = totals.get(p.group, 0.0) + p.cpu_seconds
        return totals


def _machine_busy() -> float:
    times = psutil.cpu_times()._asdict()
    return sum(times.get(k, 0.0) for k in ("user", "nice", "system", "irq", "softirq"))


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _label(process: psutil.Process) -> str:
    try:
        cmdline = process.cmdline()
    except (psutil.Error, OSError):
        cmdline = []
    name = process.name()
    if name == "postgres" and cmdline:
        return cmdline[0][:40]  # "postgres: walwriter", "postgres: user db [local] idle"
    if "forkserver" in " ".join(cmdline[:4]) or "from multiprocessing" in " ".join(cmdline):
        return f"{name} (worker)"
    return name


@dataclass
class Meter:
    """Samples the watched process trees until stopped; use as a context manager."""

    interval: float = SAMPLE_SECONDS
    _roots: list[tuple[str, psutil.Process]] = field(default_factory=list)
    _members: list[tuple[str, psutil.Process]] = field(default_factory=list)
    _seen: dict[int, _Seen] = field(default_factory=dict)
    _peak_rss: int = 0
    _peak_pss: int = 0
    _samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0
    _wall: float = 0.0
    _busy_start: float = 0.0
    _busy: float = 0.0

    def watch(self, group: str, pid: int) -> None:
        """Count the process ``pid`` and every descendant it has now or later under ``group``."""
        self._roots.append((group, psutil.Process(pid)))
        if self._thread is not None:
            self._sample(baseline=False, slow=True)

    def __enter__(self) -> Meter:
        self._started = time.perf_counter()
        self._busy_start = _machine_busy()
        self._sample(baseline=True, slow=True)
        self._thread = threading.Thread(target=self._run, name="bench-meter", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(baseline=False, slow=True)
        self._wall = time.perf_counter() - self._started
        self._busy = _machine_busy() - self._busy_start

    def usage(self) -> Usage:
        """The figures so far (final once the ``with`` block has exited)."""
        processes = [
            ProcessCpu(
                s.group, s.name, pid, round(s.cpu_last - s.cpu_start, 3), s.rss_peak, s.pss_peak
            )
            for pid, s in self._seen.items()
        ]
        return Usage(
            self._wall, processes, self._peak_rss, self._peak_pss, self._samples, self._busy
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(baseline=False, slow=self._samples % SLOW_SAMPLE_EVERY == 0)

    def _find_members(self) -> None:
        """Every watched root and its descendants, from one scan of the machine's processes."""
        children: dict[int, list[int]] = {}
        for process in psutil.process_iter(["ppid"]):
            children.setdefault(process.info["ppid"], []).append(process.pid)
        known = {process.pid: process for _, process in self._members}
        members: list[tuple[str, psutil.Process]] = []
        for group, root in self._roots:
            pending = [root.pid]
            while pending:
                pid = pending.pop()
                try:
                    process = known.get(pid) or (root if pid == root.pid else psutil.Process(pid))
                except psutil.NoSuchProcess:
                    continue
                members.append((group, process))
                pending.extend(children.get(pid, ()))
        self._members = members

    def _sample(self, *, baseline: bool, slow: bool) -> None:
        if slow:
            self._find_members()
        rss_total = pss_total = 0
        for group, process in self._members:
            try:
                with process.oneshot():
                    cpu = _cpu(process)
                    rss = process.memory_info().rss
                    pss = process.memory_full_info().pss if slow else 0
                    seen = self._seen.get(process.pid)
                    if seen is None:
                        start = cpu if baseline else 0.0
                        seen = self._seen[process.pid] = _Seen(group, _label(process), start, cpu)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            seen.cpu_last = cpu
            seen.rss_peak = max(seen.rss_peak, rss)
            seen.pss_peak = max(seen.pss_peak, pss)
            rss_total += rss
            pss_total += pss
        self._peak_rss = max(self._peak_rss, rss_total)
        self._peak_pss = max(self._peak_pss, pss_total)
        self._samples += 1
