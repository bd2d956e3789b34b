"""The daemon's steady-state cost and how fast a box-office change reaches seats.io, beside cron.

For each venue, the sandbox is served on loopback (real TCP, ``--latency-ms`` added to every
vendor call) and ``seatbridge run`` runs as a child process with the config's own cadences
(config/sandbox.toml: 4 s within 24 h, 60 s within 7 days, 300 s beyond; discovery every 60 s).
``--all-at SECONDS`` puts every performance on that one cadence (the config's ``[schedule]``
rewritten: each window and the default); ``--cadence-within-day SECONDS`` then sets the cadence
of the performances within 24 h alone (e.g. ``--all-at 15 --cadence-within-day 4``).

1. cold start: seconds until every performance is converged;
2. steady state, ``--windows`` windows of ``--window-s`` each: vendor calls per minute by endpoint
   (a converged system must make 0 writes), the daemon's CPU (utime + stime from /proc) as seconds
   per hour and as % of one core, the sandbox's CPU apart (this process's own CPU time over the
   window: it serves both fakes), the daemon's resident memory now and at peak (VmRSS, VmHWM), and
   the 1-minute load average sampled every 0.5 s (median and max);
3. ``--changes`` box-office changes, one every ``--change-every-s``: a hold placed on a free seat
   or a bench-placed hold lifted, through the fake Tessitura, on a random performance within
   7 days; the time until seats.io shows it (median and p95, overall and per cadence class: the
   schedule's window the performance falls in, and that window's cadence).

Baseline, in the same run on the same converged sandbox: what cron would cost for the same
freshness, ``seatbridge reconcile --all`` started every shortest cadence of the schedule (15 s
by default), over the same windows: calls per minute, CPU (the children's rusage), peak memory.

Two venues: the sample (12 performances of a 2,000-seat hall) and a generated portfolio
(``--performances``, default 500: five seats.io seasons and standalone performances of a
3,000-seat hall, see bridge/testing/portfolio.py).

    .venv/bin/python benchmarks/bench_daemon.py [--venue sample|portfolio|both] [--window-s 40]

The commit and the date are printed first. The sandbox runs in this process; the daemon's CPU
and memory are its own, and the sandbox's CPU is printed beside them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from machine import LoadSampler, run_header

from bridge.sandbox import SERVED_MAX_DELAY_S, Sandbox
from bridge.sandbox.control import Faults, LogEntry
from bridge.sandbox.serve import serve_in_thread
from bridge.sandbox.venue import Performance, Seat, Venue
from bridge.testing.daemon import converged
from bridge.testing.portfolio import PortfolioShape, write_portfolio
from bridge.testing.sandbox import run, sandbox_config, spawn

TICK = os.sysconf("SC_CLK_TCK")
HOUSE = 1  # the House hold code: a bridge channel on seats.io (a status where a season differs)


@dataclass(frozen=True)
class Schedule:
    """The daemon's cadences by how soon a performance starts (config/sandbox.toml's by default)."""

    within_day_s: float = 4.0
    within_week_s: float = 60.0
    beyond_s: float = 300.0

    def cadence_class(self, p: Performance, now: datetime) -> tuple[str, float]:
        """The schedule's window ``p`` falls in and that window's cadence."""
        hours = (p.start - now).total_seconds() / 3600
        if hours <= 24:
            return "within 24 h", self.within_day_s
        if hours <= 168:
            return "within 7 days", self.within_week_s
        return "beyond 7 days", self.beyond_s

    def toml(self) -> str:
        return (
            f"default_every_s = {self.beyond_s:g}\n"
            "cadences = [\n"
            f"  {{ within_hours = 24, every_s = {self.within_day_s:g} }},\n"
            f"  {{ within_hours = 168, every_s = {self.within_week_s:g} }},\n"
            "]"
        )


def with_schedule(text: str, schedule: Schedule) -> str:
    """The config ``text`` with its ``[schedule]`` cadences replaced by ``schedule``'s."""
    pattern = r"default_every_s = [0-9.]+\ncadences = \[\n.*?\n\]"
    new, n = re.subn(pattern, schedule.toml(), text, count=1, flags=re.DOTALL)
    if n != 1:
        sys.exit("bench_daemon: no [schedule] cadences found in the config to rewrite")
    return new


# -- the sandbox and the daemon -------------------------------------------------------------------


@dataclass
class Site:
    """A served sandbox and the config pointing at it."""

    box: Sandbox
    config: Path

    @property
    def venue(self) -> Venue:
        return self.box.venue

    def log(self) -> list[LogEntry]:
        return [*self.box.seatsio_control.log.entries, *self.box.tessitura_control.log.entries]

    def clear_logs(self) -> None:
        self.box.seatsio_control.log.clear()
        self.box.tessitura_control.log.clear()


@contextmanager
def served(
    name: str,
    tmp: Path,
    performances: int,
    latency_s: float,
    schedule: Schedule | None = None,
) -> Iterator[Site]:
    """The venue ``name`` served on loopback and a config for it; ``schedule`` replaces the
    config's cadences (None: config/sandbox.toml's own)."""
    folder = tmp / name
    folder.mkdir()
    if name == "sample":
        box = Sandbox(seatsio_max_delay_s=SERVED_MAX_DELAY_S)
        make: Callable[[str, str], Path] = lambda t, s: sandbox_config(folder, t, s)  # noqa: E731
    else:
        shape = PortfolioShape.scaled(performances)
        venue, _ = write_portfolio(folder, "http://unused", "http://unused", shape)
        box = Sandbox(venue, seatsio_max_delay_s=SERVED_MAX_DELAY_S)
        make = lambda t, s: write_portfolio(folder, t, s, shape)[1]  # noqa: E731
    for control in (box.seatsio_control, box.tessitura_control):
        control.set_faults(Faults(latency_s=latency_s))
    with ExitStack() as stack:
        tessitura = stack.enter_context(serve_in_thread(box.tessitura_app))
        seatsio = stack.enter_context(serve_in_thread(box.seatsio_app))
        config = make(tessitura, seatsio)
        text = config.read_text(encoding="utf-8")
        if schedule is not None:
            text = with_schedule(text, schedule)
        config.write_text(
            text.replace('listen = "127.0.0.1:9464"', 'listen = "127.0.0.1:0"')
            .replace('level = "info"', 'level = "warning"')
            .replace("horizon_days = 120", "horizon_days = 130"),
            encoding="utf-8",
        )
        yield Site(box, config)


def wait_for(what: str, probe: Callable[[], bool], timeout_s: float, poll_s: float = 0.2) -> float:
    """Seconds until ``probe`` is true; exits the benchmark naming ``what`` after the bound."""
    started = time.monotonic()
    while not probe():
        if time.monotonic() - started > timeout_s:
            sys.exit(f"bench_daemon: not within {timeout_s:g} s: {what}")
        time.sleep(poll_s)
    return time.monotonic() - started


@dataclass(frozen=True)
class Usage:
    cpu_s: float
    rss_mib: float
    peak_rss_mib: float


def usage(pid: int) -> Usage:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    kib = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                kib[key] = int(value.split()[0])
    return Usage(cpu, kib["VmRSS"] / 1024, kib["VmHWM"] / 1024)


# -- what a window costs ------------------------------------------------------------------------


@dataclass
class Window:
    seconds: float
    #: the daemon's (or cron's passes') CPU seconds
    cpu_s: float
    calls: Counter[str] = field(default_factory=Counter)
    peak_rss_mib: float = 0.0
    passes: int = 0
    #: this process's CPU seconds: the sandbox serving both fakes, in-process
    sandbox_cpu_s: float = 0.0
    #: the 1-minute load average over the window, sampled every 0.5 s
    load_median: float = 0.0
    load_max: float = 0.0

    @property
    def writes(self) -> int:
        """seats.io writes (Tessitura's performance search is a POST that only reads)."""
        return sum(
            n
            for k, n in self.calls.items()
            if k.startswith("seats.io ") and k.split(" ", 2)[1] != "GET"
        )

    def per_minute(self, n: float) -> float:
        return n * 60 / self.seconds

    @property
    def cpu_s_per_hour(self) -> float:
        return self.cpu_s * 3600 / self.seconds

    @property
    def cpu_percent(self) -> float:
        """The daemon's CPU as % of one core."""
        return self.cpu_s * 100 / self.seconds

    @property
    def sandbox_cpu_percent(self) -> float:
        return self.sandbox_cpu_s * 100 / self.seconds


def own_cpu_s() -> float:
    """This process's CPU seconds, all threads (the sandbox's servers are most of it)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def template(path: str) -> str:
    """``/events/perf-101/channels`` as ``/events/{key}/channels``: ids and keys folded."""
    parts = path.removeprefix("/TessituraService").split("/")
    return "/".join("{key}" if any(ch.isdigit() for ch in part) else part for part in parts)


def endpoint_counts(entries: list[LogEntry], site: Site) -> Counter[str]:
    """Calls by ``vendor METHOD /path/{key}``."""
    seatsio = set(map(id, site.box.seatsio_control.log.entries))
    return Counter(endpoint_of(e, seatsio) for e in entries)


def endpoint_bytes(entries: list[LogEntry], site: Site) -> Counter[str]:
    """Body bytes of the answers, by the same endpoints as :func:`endpoint_counts`."""
    seatsio = set(map(id, site.box.seatsio_control.log.entries))
    out: Counter[str] = Counter()
    for e in entries:
        out[endpoint_of(e, seatsio)] += e.response_bytes
    return out


def endpoint_of(e: LogEntry, seatsio: set[int]) -> str:
    return f"{'seats.io' if id(e) in seatsio else 'tessitura'} {e.method} {template(e.path)}"


def daemon_windows(site: Site, pid: int, windows: int, window_s: float) -> list[Window]:
    out = []
    for _ in range(windows):
        site.clear_logs()
        with LoadSampler() as load:
            before, started, own = usage(pid), time.monotonic(), own_cpu_s()
            time.sleep(window_s)
            after, seconds = usage(pid), time.monotonic() - started
            sandbox_cpu = own_cpu_s() - own
        w = Window(seconds, after.cpu_s - before.cpu_s, endpoint_counts(site.log(), site))
        w.peak_rss_mib = after.peak_rss_mib
        w.sandbox_cpu_s = sandbox_cpu
        w.load_median, w.load_max = load.median, load.max
        out.append(w)
    return out


def cron_windows(site: Site, windows: int, window_s: float, every_s: float) -> list[Window]:
    """``reconcile --all`` started every ``every_s`` (back to back when a pass is longer)."""
    out = []
    for _ in range(windows):
        site.clear_logs()
        with LoadSampler() as load:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started, own = time.monotonic(), own_cpu_s()
            passes = 0
            while time.monotonic() - started < window_s:
                tick = time.monotonic()
                done = run(site.config, "reconcile", "--all", timeout_s=600)
                if done.returncode not in (0, 3):
                    sys.exit(
                        f"bench_daemon: reconcile --all exited {done.returncode}: {done.stderr}"
                    )
                passes += 1
                time.sleep(max(0.0, every_s - (time.monotonic() - tick)))
            seconds = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            sandbox_cpu = own_cpu_s() - own
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        w = Window(seconds, cpu, endpoint_counts(site.log(), site), after.ru_maxrss / 1024, passes)
        w.sandbox_cpu_s = sandbox_cpu
        w.load_median, w.load_max = load.median, load.max
        out.append(w)
    return out


# -- box-office changes -------------------------------------------------------------------------


State = tuple[str, str | None, bool]
#: a seat no hold touches: free, in no channel, for sale
FREE: State = ("free", None, True)


@dataclass(frozen=True)
class Change:
    performance: Performance
    seat_id: int
    label: str
    #: the schedule's window the performance falls in, and its cadence
    window: str
    cadence_s: float
    placed: bool  # True: a hold placed, False: a bench-placed hold lifted


def seatsio_state(site: Site, event_key: str, label: str) -> State | None:
    """Status, channel and for-sale of one object (None when the read met a concurrent write)."""
    world = site.box.seatsio_world
    try:
        return (
            world.object_status(event_key, label),
            world.channel_of(event_key, label),
            world.is_for_sale(event_key, label),
        )
    except RuntimeError:  # the fake changed under our read (its server thread): look again
        return None


def seen_on_seatsio(site: Site, change: Change) -> bool:
    """A placed hold shows as anything but the free state (a channel, or a held status where a
    season's performances disagree); a lifted one as the free state again."""
    state = seatsio_state(site, change.performance.event_key, change.label)
    return state is not None and (state != FREE) == change.placed


def pick_free_seat(
    site: Site, soon: list[Performance], taken: set[tuple[int, int]], rng: random.Random
) -> tuple[Performance, Seat]:
    """A seat no one holds in Tessitura and seats.io shows free, in no channel, for sale."""
    while True:
        p, seat = rng.choice(soon), rng.choice(site.venue.seats)
        if (p.id, seat.id) not in taken and seatsio_state(site, p.event_key, seat.label) == FREE:
            return p, seat


def box_office(
    site: Site, schedule: Schedule, changes: int, every_s: float, rng: random.Random
) -> list[tuple[float, str, float]]:
    """Make ``changes`` changes, one every ``every_s``; the latency of each, its performance's
    window and cadence, in the order made."""
    now = datetime.now(UTC)
    soon = [p for p in site.venue.performances if now < p.start < now + timedelta(days=7)]
    taken = {(h.performance_id, h.seat_id) for h in site.venue.holds}
    taken |= {(s.performance_id, s.seat_id) for s in site.venue.sales}
    placed: list[Change] = []
    pending: dict[int, tuple[Change, float]] = {}
    latencies: list[tuple[int, float, str, float]] = []
    next_at = time.monotonic()
    made = 0
    while made < changes or pending:
        t = time.monotonic()
        if made < changes and t >= next_at:
            seen = [c for c in placed if all(c is not pc for pc, _ in pending.values())]
            if seen and rng.random() < 0.4:  # only a hold seats.io already shows is lifted
                old = seen[rng.randrange(len(seen))]
                placed.remove(old)
                change = dataclasses.replace(old, placed=False)
                site.box.tessitura_world.release(old.performance.id, [old.seat_id])
            else:
                p, seat = pick_free_seat(site, soon, taken, rng)
                taken.add((p.id, seat.id))
                window, cadence = schedule.cadence_class(p, now)
                change = Change(p, seat.id, seat.label, window, cadence, True)
                site.box.tessitura_world.hold(p.id, [seat.id], HOUSE)
                placed.append(change)
            pending[made] = (change, time.monotonic())
            made += 1
            next_at += every_s
        for n, (change, at) in list(pending.items()):
            if seen_on_seatsio(site, change):
                latencies.append((n, time.monotonic() - at, change.window, change.cadence_s))
                del pending[n]
            elif time.monotonic() - at > 10 * change.cadence_s + 60:
                state = seatsio_state(site, change.performance.event_key, change.label)
                print(f"change {n} not seen; seats.io shows {state}", file=sys.stderr)
                sys.exit(f"bench_daemon: change {n} never reached seats.io: {change}")
        time.sleep(0.05)
    latencies.sort()
    return [(lat, window, cadence) for _, lat, window, cadence in latencies]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- report -------------------------------------------------------------------------------------


def median_window(ws: list[Window]) -> dict[str, Any]:
    keys = sorted({k for w in ws for k in w.calls})
    return {
        "calls_per_min": {k: statistics.median(w.per_minute(w.calls[k]) for w in ws) for k in keys},
        "total_per_min": statistics.median(w.per_minute(sum(w.calls.values())) for w in ws),
        "writes_per_min": statistics.median(w.per_minute(w.writes) for w in ws),
        "cpu_s_per_hour": statistics.median(w.cpu_s_per_hour for w in ws),
        "cpu_range": (min(w.cpu_s_per_hour for w in ws), max(w.cpu_s_per_hour for w in ws)),
        "cpu_percent": statistics.median(w.cpu_percent for w in ws),
        "cpu_percent_range": (min(w.cpu_percent for w in ws), max(w.cpu_percent for w in ws)),
        "sandbox_cpu_percent": statistics.median(w.sandbox_cpu_percent for w in ws),
        "load_median": statistics.median(w.load_median for w in ws),
        "load_max": max(w.load_max for w in ws),
        "peak_rss_mib": max(w.peak_rss_mib for w in ws),
        "passes": [w.passes for w in ws],
    }


def latency_figures(changes: list[tuple[float, str, float]]) -> dict[str, Any]:
    """Median and p95 of the latencies, overall and per cadence class."""
    lat = [x for x, _, _ in changes]
    classes = sorted({(w, c) for _, w, c in changes}, key=lambda wc: (wc[1], wc[0]))
    by_class = {}
    for window, cadence in classes:
        xs = [x for x, w, c in changes if (w, c) == (window, cadence)]
        by_class[f"{window}, {cadence:g} s"] = {
            "n": len(xs),
            "median_s": statistics.median(xs),
            "p95_s": percentile(xs, 0.95),
        }
    return {
        "n": len(lat),
        "median_s": statistics.median(lat),
        "p95_s": percentile(lat, 0.95),
        "by_cadence": by_class,
    }


def bench(name: str, args: argparse.Namespace, schedule: Schedule, tmp: Path) -> dict[str, Any]:
    given = schedule if (args.all_at or args.cadence_within_day) else None
    with served(name, tmp, args.performances, args.latency_ms / 1000, given) as site:
        ids = {p.id for p in site.venue.performances}
        print(f"\n== {name}: {len(ids)} performances, {len(site.venue.seats)} seats each ==")
        now = datetime.now(UTC)
        per_class = Counter(schedule.cadence_class(p, now) for p in site.venue.performances)
        print(
            "cadences: "
            + ", ".join(f"{w} every {c:g} s: {n}" for (w, c), n in sorted(per_class.items()))
        )
        proc = spawn(site.config, "run")
        try:
            cold_s = wait_for(
                "every performance converged",
                lambda: proc.poll() is None and converged(site.config, ids),
                timeout_s=args.cold_timeout_s,
            )
            if proc.poll() is not None:
                sys.exit(f"bench_daemon: the daemon exited: {proc.communicate()[1][-2000:]}")
            cold = usage(proc.pid)
            print(f"cold start to converged: {cold_s:.1f} s, daemon CPU {cold.cpu_s:.1f} s")
            steady = daemon_windows(site, proc.pid, args.windows, args.window_s)
            changes = box_office(
                site, schedule, args.changes, args.change_every_s, random.Random(args.seed)
            )
            wait_for("converged after the changes", lambda: converged(site.config, ids), 600)
            end = usage(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        if code != 0:
            print(f"warning: the daemon exited {code} on SIGTERM", file=sys.stderr)
        cron = cron_windows(site, args.windows, args.window_s, every_s=args.cron_every_s)
    result = {
        "venue": name,
        "performances": len(ids),
        "schedule": dataclasses.asdict(schedule),
        "cold_s": cold_s,
        "daemon": median_window(steady),
        "cron": median_window(cron),
        "rss_mib": end.rss_mib,
        "peak_rss_mib": end.peak_rss_mib,
        "latency": latency_figures(changes),
    }
    show(result, args)
    return result


def show(r: dict[str, Any], args: argparse.Namespace) -> None:
    d, c = r["daemon"], r["cron"]
    cron = f"cron {args.cron_every_s:g} s"
    print(
        f"steady state, median of {args.windows} windows of {args.window_s:g} s "
        f"(sandbox latency {args.latency_ms:g} ms per call):"
    )
    print(f"  {'calls per minute':<58} {'daemon':>9} {cron:>10}")
    for k in sorted(set(d["calls_per_min"]) | set(c["calls_per_min"])):
        print(f"  {k:<58} {d['calls_per_min'].get(k, 0):9.1f} {c['calls_per_min'].get(k, 0):10.1f}")
    print(f"  {'all calls':<58} {d['total_per_min']:9.1f} {c['total_per_min']:10.1f}")
    print(
        f"  {'writes (0 when converged)':<58} {d['writes_per_min']:9.1f} {c['writes_per_min']:10.1f}"
    )
    lo, hi = d["cpu_range"]
    print(
        f"  {'CPU seconds per hour':<58} {d['cpu_s_per_hour']:9.1f} {c['cpu_s_per_hour']:10.1f}"
        f"   (daemon windows {lo:.1f}-{hi:.1f})"
    )
    lo, hi = d["cpu_percent_range"]
    print(
        f"  {'CPU, % of one core':<58} {d['cpu_percent']:9.2f} {c['cpu_percent']:10.2f}"
        f"   (daemon windows {lo:.2f}-{hi:.2f})"
    )
    print(
        f"  {'sandbox CPU (this process, both fakes), % of one core':<58} "
        f"{d['sandbox_cpu_percent']:9.2f} {c['sandbox_cpu_percent']:10.2f}"
    )
    print(
        f"  {'load average (1 min), median of windows':<58} {d['load_median']:9.2f} {c['load_median']:10.2f}"
    )
    print(f"  {'load average (1 min), max':<58} {d['load_max']:9.2f} {c['load_max']:10.2f}")
    print(f"  {'peak resident memory, MiB':<58} {r['peak_rss_mib']:9.1f} {c['peak_rss_mib']:10.1f}")
    print(f"  {'resident memory at the end, MiB':<58} {r['rss_mib']:9.1f}")
    print(f"  cron passes per window: {c['passes']}")
    lat = r["latency"]
    print(
        f"box office -> seats.io over {lat['n']} changes: median {lat['median_s']:.1f} s, "
        f"p95 {lat['p95_s']:.1f} s"
    )
    for name, x in lat["by_cadence"].items():
        print(
            f"  {name + ':':<24} {x['n']:>3} changes, median {x['median_s']:.1f} s, "
            f"p95 {x['p95_s']:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venue", choices=["sample", "portfolio", "both"], default="both")
    parser.add_argument("--performances", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--window-s", type=float, default=40.0)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--change-every-s", type=float, default=1.0)
    parser.add_argument("--cold-timeout-s", type=float, default=900.0)
    parser.add_argument(
        "--all-at", type=float, metavar="SECONDS", help="every performance on this one cadence"
    )
    parser.add_argument(
        "--cadence-within-day",
        type=float,
        metavar="SECONDS",
        help="the cadence of performances within 24 h (after --all-at)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    for option in ("all_at", "cadence_within_day"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            parser.error(f"--{option.replace('_', '-')} must be more than 0")
    schedule = Schedule()
    if args.all_at:
        schedule = Schedule(args.all_at, args.all_at, args.all_at)
    if args.cadence_within_day:
        schedule = dataclasses.replace(schedule, within_day_s=args.cadence_within_day)
    # cron must run as often as the shortest cadence to be as fresh
    args.cron_every_s = min(dataclasses.astuple(schedule))
    header = run_header()
    print(header)
    print(
        f"schedule: {schedule.within_day_s:g} s within 24 h, {schedule.within_week_s:g} s "
        f"within 7 days, {schedule.beyond_s:g} s beyond"
    )
    names = ["sample", "portfolio"] if args.venue == "both" else [args.venue]
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        results = [bench(n, args, schedule, Path(tmp)) for n in names]
    if args.json:
        figures = {"run": header, "venues": results}
        args.json.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
