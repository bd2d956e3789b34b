"""What the two-way write-back (issue 26, ``[writeback]``) costs a pass, and whether its writes
are the fewest that do the job.

Against the in-process sample sandbox (12 performances, 2,000 seats), on ``--repeat`` fresh
sandboxes (and one more whose passes only trace memory):

1. **converged**: after a cold pass and a write-back pass that leave nothing to do, one pass with
   the write-back ``off`` (the baseline), one in ``report`` mode and one in ``apply`` mode, on the
   same sandbox state, in an order that rotates per repeat. Calls by endpoint per vendor, wall
   and CPU time, peak traced memory; what the write-back adds per performance.
2. **holds**: the online buyer books ``--bookings`` seats (default 200) spread over every
   performance, on seats free in seats.io (for sale, in no channel) and with no Tessitura layer
   and no box-office sale; one write-back pass. Tessitura writes beside the minimum: one
   ``POST Seats/Holds`` (ReplaceMode 2) per performance with new sales.
3. **lifts**: those bookings released in seats.io; one write-back pass. Each performance's lift
   is a read of its seats' layers, one ``-1`` POST and a read after: the minimum of writes is one
   POST per performance.

After 2, every booked seat must carry the write-back code (90 in the sample) and nothing else may
have changed; after 3, none may, and each is followed by a pass that must write nothing to
Tessitura. The script stops with an error if not. The CPU time is the process's: the fakes
answer in the same process, so it includes their work (building reports and seat lists).

    .venv/bin/python benchmarks/bench_writeback.py [--repeat 5] [--bookings 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bridge.config import BridgeConfig, load_config
from bridge.core.findings import FindingKind
from bridge.core.outcome import RunReport
from bridge.logs import configure
from bridge.runtime import reconciler_for, seatsio_client, tessitura_client
from bridge.sandbox import Sandbox
from bridge.sandbox.venue import Performance
from bridge.seatsio.client import SeatsioClient
from bridge.store import open_store

sys.path.insert(0, str(Path(__file__).parent))
from machine import commit

from bridge.store.base import StateStore
from bridge.tessitura.client import TessituraClient

REPO = Path(__file__).resolve().parents[1]
CONVERGED_MODES = ("off", "report", "apply")
HOLDS_PATH = "/TXN/Performances/{key}/Seats/Holds"


class BenchFailed(Exception):
    """The write-back left Tessitura in a state other than the one it must."""


@dataclass
class Pass:
    wall_s: float
    cpu_s: float
    calls: Counter[str]  # "seats.io GET /events/{key}" -> count
    peak_mib: float = 0.0

    def count(self, vendor: str, method: str | None = None, path: str | None = None) -> int:
        return sum(
            n
            for key, n in self.calls.items()
            if key.startswith(vendor + " ")
            and (method is None or key.split(" ")[1] == method)
            and (path is None or key.split(" ")[2] == path)
        )


@dataclass
class Repeat:
    """One fresh sandbox's passes, by name."""

    passes: dict[str, Pass] = field(default_factory=dict)
    performances_booked: int = 0
    performances_lifted: int = 0
    #: lifts the pass-wide mass-release guard holds back without ``force``
    refused_lifts: int = 0


def template(path: str) -> str:
    """``/events/perf-101/objects`` as ``/events/{key}/objects``: ids and keys folded, the
    report's status (``byStatus/booked``) kept."""
    parts = path.removeprefix("/TessituraService").split("/")
    return "/".join("{key}" if any(ch.isdigit() for ch in part) else part for part in parts)


class Bridge:
    """A fresh sample sandbox, clients wired to it in-process, a fresh store."""

    def __init__(self, cfg: BridgeConfig, store: StateStore) -> None:
        self.cfg = cfg
        self.box = Sandbox()
        self.store = store
        self.ids = [p.id for p in self.box.venue.performances]
        self.tessitura: TessituraClient = tessitura_client(
            cfg, transport=httpx.ASGITransport(app=self.box.tessitura_app)
        )
        self.seatsio: SeatsioClient = seatsio_client(
            cfg, transport=httpx.ASGITransport(app=self.box.seatsio_app)
        )
        self.code = cfg.writeback.hold_code or 0

    async def run(
        self, mode: str, *, trace: bool = False, force: bool = False, apply: bool = True
    ) -> tuple[Pass, RunReport]:
        """One pass over every performance with the write-back in ``mode`` (the config's other
        settings kept), timed; memory traced only when asked, since tracing slows Python down."""
        r = reconciler_for(self.cfg, self.tessitura, self.seatsio, self.store, force=force)
        r.policy = replace(r.policy, writeback=replace(r.policy.writeback, mode=mode))
        for control in (self.box.seatsio_control, self.box.tessitura_control):
            control.log.clear()
        gc.collect()
        if trace:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        report = await r.reconcile(self.ids, apply=apply)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = 0.0
        if trace:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        calls = Counter(
            f"{vendor} {e.method} {template(e.path)}"
            for vendor, control in (
                ("seats.io", self.box.seatsio_control),
                ("tessitura", self.box.tessitura_control),
            )
            for e in control.log.entries
        )
        return Pass(wall, cpu, calls, peak), report

    def carrying_code(self) -> set[tuple[int, int]]:
        """Every (performance, seat) with a layer of the write-back code."""
        world = self.box.tessitura_world
        return {
            (pid, seat)
            for pid in self.ids
            for seat, layers in world.held_seats(pid).items()
            if any(layer.hold_code_id == self.code for layer in layers)
        }

    def free_seats(self, performance: Performance) -> list[str]:
        """Labels a buyer could book online that hold nothing on either side: free in seats.io,
        for sale, in no channel; no Tessitura layer, not sold at the box office."""
        world, sio = self.box.tessitura_world, self.box.seatsio_world
        pid = performance.id
        held = world.held_seats(pid)
        by_label = {s.label: s.id for s in self.box.venue.seats}
        return [
            v.object.label
            for v in sio.object_views(performance.event_key)
            if v.status == "free"
            and v.for_sale
            and v.channel is None
            and (seat := by_label.get(v.object.label)) is not None
            and seat not in held
            and not world.is_sold(pid, seat)
        ]

    def book(self, bookings: int, seed: int) -> dict[Performance, list[str]]:
        """``bookings`` online sales spread evenly over the performances, seats drawn at random."""
        performances = list(self.box.venue.performances)
        rng = random.Random(seed)
        booked: dict[Performance, list[str]] = {}
        for i, performance in enumerate(performances):
            n = bookings // len(performances) + (1 if i < bookings % len(performances) else 0)
            if n:
                labels = rng.sample(self.free_seats(performance), n)
                self.box.seatsio_world.book(performance.event_key, labels)
                booked[performance] = labels
        return booked

    def release(self, booked: dict[Performance, list[str]]) -> None:
        for performance, labels in booked.items():
            self.box.seatsio_world.release(performance.event_key, labels)

    def seat_keys(self, booked: dict[Performance, list[str]]) -> set[tuple[int, int]]:
        venue = self.box.venue
        return {
            (p.id, venue.seat_by_label(label).id)
            for p, labels in booked.items()
            for label in labels
        }

    async def aclose(self) -> None:
        await self.tessitura.aclose()
        await self.seatsio.aclose()


async def converge(bridge: Bridge) -> None:
    """Cold pass, then write-back passes until one plans nothing."""
    await bridge.run("off")
    for _ in range(3):
        _, report = await bridge.run("apply")
        if report.plan.is_empty:
            return
    raise BenchFailed("the sample sandbox did not converge in three write-back passes")


async def must_rest(bridge: Bridge, after: str) -> None:
    """The pass after ``after`` writes nothing to Tessitura (and nothing to seats.io)."""
    again, report = await bridge.run("apply")
    writes = {k: n for k, n in again.calls.items() if k.split(" ")[1] != "GET"}
    if writes or not report.plan.is_empty:
        raise BenchFailed(f"the pass after {after} wrote again: {writes or report.plan}")


async def one_repeat(cfg: BridgeConfig, db: Path, i: int, bookings: int, trace: bool) -> Repeat:
    out = Repeat()
    with open_store(db, durable=False) as store:
        bridge = Bridge(cfg, store)
        try:
            await converge(bridge)
            before = bridge.carrying_code()
            modes = CONVERGED_MODES[i % 3 :] + CONVERGED_MODES[: i % 3]
            for mode in modes:
                out.passes[mode], report = await bridge.run(mode, trace=trace)
                if not report.plan.is_empty:
                    raise BenchFailed(f"the converged {mode} pass planned {report.plan}")

            booked = bridge.book(bookings, seed=26 + i)
            out.performances_booked = len(booked)
            wanted = bridge.seat_keys(booked)
            out.passes["holds"], _ = await bridge.run("apply", trace=trace)
            carrying = bridge.carrying_code()
            missing = wanted - carrying
            if missing or carrying != before | wanted:
                raise BenchFailed(
                    f"after the holds pass {len(missing)} of {len(wanted)} booked seats lack code "
                    f"{bridge.code} (e.g. {sorted(missing)[:5]}); "
                    f"{len(carrying - before - wanted)} other seats gained it, "
                    f"{len(before - carrying)} lost it"
                )
            await must_rest(bridge, "the holds")

            bridge.release(booked)
            out.performances_lifted = len(booked)
            # freeing every booked seat at once is a mass release: the pass-wide guard holds
            # back the units past its share. A dry run counts them; the timed pass is forced,
            # as the refusal tells the operator to do.
            _, dry = await bridge.run("apply", apply=False)
            out.refused_lifts = sum(
                f.count or 0
                for f in dry.plan.findings
                if f.kind is FindingKind.MASS_RELEASE_REFUSED
            )
            out.passes["lifts"], _ = await bridge.run("apply", trace=trace, force=True)
            carrying = bridge.carrying_code()
            if carrying & wanted or carrying != before:
                raise BenchFailed(
                    f"after the lifts pass {len(carrying & wanted)} of {len(wanted)} released "
                    f"seats still carry code {bridge.code}; {len(before - carrying)} seats held "
                    "before the bookings lost it"
                )
            await must_rest(bridge, "the lifts")
        finally:
            await bridge.aclose()
    return out


def med(values: Sequence[float], digits: int = 0, scale: float = 1.0) -> str:
    """Median with the min-max spread."""
    v = [x * scale for x in values]
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{statistics.median(v):.{digits}f} ({min(v):.{digits}f}-{max(v):.{digits}f})"


def show(runs: list[Repeat], traced: Repeat, performances: int, bookings: int) -> None:
    names = (*CONVERGED_MODES, "holds", "lifts")
    first = runs[0].passes
    print(
        f"\nmedians of {len(runs)} repeats, min-max in brackets; CPU is the whole process's (the "
        "fakes' too); peak MiB: tracemalloc's peak in the traced repeat"
    )
    print(
        f"{'pass':<16} {'wall ms':>18} {'CPU ms':>18} {'peak MiB':>8} {'sio calls':>9} "
        f"{'tess calls':>10} {'tess writes':>11} {'minimum':>7}"
    )
    minimum = {
        "holds": statistics.median(r.performances_booked for r in runs),
        "lifts": statistics.median(r.performances_lifted for r in runs),
    }
    for name in names:
        ps = [r.passes[name] for r in runs]
        writes = [p.count("tessitura") - p.count("tessitura", "GET") for p in ps]
        label = f"converged {name}" if name in CONVERGED_MODES else f"{name} (K={bookings})"
        print(
            f"{label:<16} {med([p.wall_s for p in ps], 0, 1000):>18} "
            f"{med([p.cpu_s for p in ps], 0, 1000):>18} {traced.passes[name].peak_mib:8.1f} "
            f"{statistics.median(p.count('seats.io') for p in ps):9.0f} "
            f"{statistics.median(p.count('tessitura') for p in ps):10.0f} "
            f"{statistics.median(writes):11.0f} {minimum.get(name, 0):7.0f}"
        )
    off = first["off"]
    print("\ncalls by endpoint (first repeat):")
    endpoints = sorted({k for p in first.values() for k in p.calls})
    print(f"  {'endpoint':<58}" + "".join(f"{n:>8}" for n in names))
    for key in endpoints:
        print(f"  {key:<58}" + "".join(f"{first[n].calls.get(key, 0):8d}" for n in names))
    print(f"\nwhat the write-back adds to a converged pass, per performance ({performances}):")
    for mode in ("report", "apply"):
        p = first[mode]
        extra = {
            vendor: (p.count(vendor) - off.count(vendor)) / performances
            for vendor in ("seats.io", "tessitura")
        }
        walls = [r.passes[mode].wall_s - r.passes["off"].wall_s for r in runs]
        cpus = [r.passes[mode].cpu_s - r.passes["off"].cpu_s for r in runs]
        print(
            f"  {mode:<7} seats.io {extra['seats.io']:+.2f} calls, Tessitura "
            f"{extra['tessitura']:+.2f} calls; wall {med(walls, 1, 1000 / performances)} ms, "
            f"CPU {med(cpus, 1, 1000 / performances)} ms"
        )
    for name in ("holds", "lifts"):
        ps = [r.passes[name] for r in runs]
        writes = [p.count("tessitura") - p.count("tessitura", "GET") for p in ps]
        ratio = statistics.median(w / minimum[name] for w in writes)
        line = (
            f"  {name}: Tessitura writes {statistics.median(writes):.0f} against a minimum of "
            f"{minimum[name]:.0f} ({ratio:.2f}x)"
        )
        if name == "lifts":
            # the pass's hold snapshot reads each performance once; the rest are the lifts' own
            reads = [p.count("tessitura", "GET", HOLDS_PATH) - performances for p in ps]
            line += (
                f"; layer reads around the lifts {statistics.median(reads):.0f} (one before "
                f"and one after per lifted performance: {2 * minimum[name]:.0f})"
            )
        print(line)


def show_guard(runs: list[Repeat], bookings: int) -> None:
    refused = [r.refused_lifts for r in runs]
    print(
        f"  without force, the pass-wide mass-release guard held back {med(refused)} of the "
        f"{bookings} lifts (the units past its share); the lifts pass above ran with force"
    )


def load_sampler(loads: list[float], stop: threading.Event) -> None:
    loads.append(os.getloadavg()[0])
    while not stop.wait(1.0):
        loads.append(os.getloadavg()[0])


async def main(repeats: int, bookings: int, commit: str) -> None:
    configure("error", "console")
    cfg = load_config(REPO / "config" / "sandbox.toml")
    print(
        f"bench_writeback: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
        f"write-back code {cfg.writeback.hold_code}, {bookings} bookings",
        flush=True,
    )
    loads: list[float] = []
    stop = threading.Event()
    threading.Thread(target=load_sampler, args=(loads, stop), daemon=True).start()
    began = time.monotonic()
    runs: list[Repeat] = []
    with tempfile.TemporaryDirectory(prefix="bench-writeback-") as tmp:
        for i in range(repeats + 1):  # the last one traces memory only
            trace = i == repeats
            t = time.monotonic()
            runs.append(await one_repeat(cfg, Path(tmp, f"{i}.sqlite3"), i, bookings, trace))
            print(
                f"  repeat {i + 1}{' (memory traced)' if trace else ''}: "
                f"{time.monotonic() - t:.1f} s",
                flush=True,
            )
    stop.set()
    performances = len(Sandbox().venue.performances)
    show(runs[:-1], runs[-1], performances, bookings)
    show_guard(runs[:-1], bookings)
    print(
        f"\nload average (1 min) during the run: median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
        f"MiB; {time.monotonic() - began:.0f} s in all"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh sandboxes (default 5)")
    parser.add_argument("--bookings", type=int, default=200, help="seats booked online (K)")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.repeat, args.bookings, commit()))
    except BenchFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        sys.exit(1)
