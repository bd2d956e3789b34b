"""The daemon's steady-state cost and how fast a box-office change reaches seats.io, beside cron.

For each venue, the sandbox is served on loopback (real TCP, ``--latency-ms`` added to every
vendor call) and ``seatbridge run`` runs as a child process with the config's own cadences
(config/sandbox.toml: 15 s within 24 h, 60 s within 7 days, 300 s beyond; discovery every 60 s):

1. cold start: seconds until every performance is converged;
2. steady state, ``--windows`` windows of ``--window-s`` each: vendor calls per minute by endpoint
   (a converged system must make 0 writes), the daemon's CPU seconds per hour (utime + stime from
   /proc), its resident memory now and at peak (VmRSS, VmHWM);
3. ``--changes`` box-office changes, one every ``--change-every-s``: a hold placed on a free seat
   or a bench-placed hold lifted, through the fake Tessitura, on a random performance within
   7 days; the time until seats.io shows it (median and p95, by the performance's cadence).

Baseline, in the same run on the same converged sandbox: what cron would cost for the same
freshness, ``seatbridge reconcile --all`` started every shortest cadence (15 s), over the same
windows: calls per minute, CPU seconds per hour (the children's rusage), peak memory.

Two venues: the sample (12 performances of a 2,000-seat hall) and a generated portfolio
(``--performances``, default 500: five seats.io seasons and standalone performances of a
3,000-seat hall, see bridge/testing/portfolio.py).

    .venv/bin/python benchmarks/bench_daemon.py [--venue sample|portfolio|both] [--window-s 40]

The sandbox runs in this process; only the daemon's own CPU and memory are reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
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

from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults, LogEntry
from bridge.sandbox.serve import serve_in_thread
from bridge.sandbox.venue import Performance, Seat, Venue
from bridge.testing.daemon import converged
from bridge.testing.portfolio import PortfolioShape, write_portfolio
from bridge.testing.sandbox import run, sandbox_config, spawn

TICK = os.sysconf("SC_CLK_TCK")
HOUSE = 1  # the House hold code: a bridge channel on seats.io (a status where a season differs)


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
def served(name: str, tmp: Path, performances: int, latency_s: float) -> Iterator[Site]:
    folder = tmp / name
    folder.mkdir()
    if name == "sample":
        box = Sandbox()
        make: Callable[[str, str], Path] = lambda t, s: sandbox_config(folder, t, s)  # noqa: E731
    else:
        shape = PortfolioShape.scaled(performances)
        venue, _ = write_portfolio(folder, "http://unused", "http://unused", shape)
        box = Sandbox(venue)
        make = lambda t, s: write_portfolio(folder, t, s, shape)[1]  # noqa: E731
    for control in (box.seatsio_control, box.tessitura_control):
        control.set_faults(Faults(latency_s=latency_s))
    with ExitStack() as stack:
        tessitura = stack.enter_context(serve_in_thread(box.tessitura_app))
        seatsio = stack.enter_context(serve_in_thread(box.seatsio_app))
        config = make(tessitura, seatsio)
        text = config.read_text(encoding="utf-8")
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
    cpu_s: float
    calls: Counter[str] = field(default_factory=Counter)
    peak_rss_mib: float = 0.0
    passes: int = 0

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


def template(path: str) -> str:
    """``/events/perf-101/channels`` as ``/events/{key}/channels``: ids and keys folded."""
    parts = path.removeprefix("/TessituraService").split("/")
    return "/".join("{key}" if any(ch.isdigit() for ch in part) else part for part in parts)


def endpoint_counts(entries: list[LogEntry], site: Site) -> Counter[str]:
    seatsio = set(map(id, site.box.seatsio_control.log.entries))
    return Counter(
        f"{'seats.io' if id(e) in seatsio else 'tessitura'} {e.method} {template(e.path)}"
        for e in entries
    )


def daemon_windows(site: Site, pid: int, windows: int, window_s: float) -> list[Window]:
    out = []
    for _ in range(windows):
        site.clear_logs()
        before, started = usage(pid), time.monotonic()
        time.sleep(window_s)
        after, seconds = usage(pid), time.monotonic() - started
        w = Window(seconds, after.cpu_s - before.cpu_s, endpoint_counts(site.log(), site))
        w.peak_rss_mib = after.peak_rss_mib
        out.append(w)
    return out


def cron_windows(site: Site, windows: int, window_s: float, every_s: float) -> list[Window]:
    """``reconcile --all`` started every ``every_s`` (back to back when a pass is longer)."""
    out = []
    for _ in range(windows):
        site.clear_logs()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        passes = 0
        while time.monotonic() - started < window_s:
            tick = time.monotonic()
            done = run(site.config, "reconcile", "--all", timeout_s=600)
            if done.returncode not in (0, 3):
                sys.exit(f"bench_daemon: reconcile --all exited {done.returncode}: {done.stderr}")
            passes += 1
            time.sleep(max(0.0, every_s - (time.monotonic() - tick)))
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        w = Window(seconds, cpu, endpoint_counts(site.log(), site), after.ru_maxrss / 1024, passes)
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
    cadence_s: float
    placed: bool  # True: a hold placed, False: a bench-placed hold lifted


def cadence_of(p: Performance, now: datetime) -> float:
    hours = (p.start - now).total_seconds() / 3600
    return 15.0 if hours <= 24 else 60.0 if hours <= 168 else 300.0


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
    site: Site, changes: int, every_s: float, rng: random.Random
) -> tuple[list[float], list[float]]:
    """Make ``changes`` changes, one every ``every_s``; the latency of each and its performance's
    cadence, in the order made."""
    now = datetime.now(UTC)
    soon = [
        p
        for p in site.venue.performances
        if now < p.start < now + timedelta(days=7) and cadence_of(p, now) <= 60
    ]
    taken = {(h.performance_id, h.seat_id) for h in site.venue.holds}
    taken |= {(s.performance_id, s.seat_id) for s in site.venue.sales}
    placed: list[Change] = []
    pending: dict[int, tuple[Change, float]] = {}
    latencies: list[tuple[int, float, float]] = []
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
                change = Change(p, seat.id, seat.label, cadence_of(p, now), True)
                site.box.tessitura_world.hold(p.id, [seat.id], HOUSE)
                placed.append(change)
            pending[made] = (change, time.monotonic())
            made += 1
            next_at += every_s
        for n, (change, at) in list(pending.items()):
            if seen_on_seatsio(site, change):
                latencies.append((n, time.monotonic() - at, change.cadence_s))
                del pending[n]
            elif time.monotonic() - at > 10 * change.cadence_s + 60:
                state = seatsio_state(site, change.performance.event_key, change.label)
                print(f"change {n} not seen; seats.io shows {state}", file=sys.stderr)
                sys.exit(f"bench_daemon: change {n} never reached seats.io: {change}")
        time.sleep(0.05)
    latencies.sort()
    return [lat for _, lat, _ in latencies], [c for _, _, c in latencies]


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
        "peak_rss_mib": max(w.peak_rss_mib for w in ws),
        "passes": [w.passes for w in ws],
    }


def bench(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    with served(name, tmp, args.performances, args.latency_ms / 1000) as site:
        ids = {p.id for p in site.venue.performances}
        print(f"\n== {name}: {len(ids)} performances, {len(site.venue.seats)} seats each ==")
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
            lat, cadences = box_office(
                site, args.changes, args.change_every_s, random.Random(args.seed)
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
        cron = cron_windows(site, args.windows, args.window_s, every_s=15.0)
    result = {
        "venue": name,
        "performances": len(ids),
        "cold_s": cold_s,
        "daemon": median_window(steady),
        "cron": median_window(cron),
        "rss_mib": end.rss_mib,
        "peak_rss_mib": end.peak_rss_mib,
        "latency": {
            "n": len(lat),
            "median_s": statistics.median(lat),
            "p95_s": percentile(lat, 0.95),
            "by_cadence": {
                str(int(c)): (
                    len(xs := [x for x, cc in zip(lat, cadences, strict=True) if cc == c]),
                    statistics.median(xs),
                    percentile(xs, 0.95),
                )
                for c in sorted(set(cadences))
            },
        },
    }
    show(result, args)
    return result


def show(r: dict[str, Any], args: argparse.Namespace) -> None:
    d, c = r["daemon"], r["cron"]
    print(
        f"steady state, median of {args.windows} windows of {args.window_s:g} s "
        f"(sandbox latency {args.latency_ms:g} ms per call):"
    )
    print(f"  {'calls per minute':<58} {'daemon':>9} {'cron 15 s':>10}")
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
    print(f"  {'peak resident memory, MiB':<58} {r['peak_rss_mib']:9.1f} {c['peak_rss_mib']:10.1f}")
    print(f"  {'resident memory at the end, MiB':<58} {r['rss_mib']:9.1f}")
    print(f"  cron passes per window: {c['passes']}")
    lat = r["latency"]
    print(
        f"box office -> seats.io over {lat['n']} changes: median {lat['median_s']:.1f} s, "
        f"p95 {lat['p95_s']:.1f} s"
    )
    for cad, (n, med, p95) in lat["by_cadence"].items():
        print(
            f"  performances on a {cad} s cadence: {n} changes, median {med:.1f} s, p95 {p95:.1f} s"
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
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    names = ["sample", "portfolio"] if args.venue == "both" else [args.venue]
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        results = [bench(n, args, Path(tmp)) for n in names]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
