"""Reconcile passes against the in-process sandbox: calls made, wall time, seats per second, memory.

Two venues: the sample (2,000 seats, 12 performances) and the generated hall of
bridge/testing/portfolio.py (3,000 seats,
a 40-performance season plus 10 standalone performances, a few hundred holds each). For each, a
cold pass (everything to create) and a converged pass (nothing to do), each the median of several
runs on fresh sandboxes. Baseline in the same run: observing by object-info reads against observing
by one whole-event report (``observe.REPORT_THRESHOLD``).

    .venv/bin/python benchmarks/bench_reconcile.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

import bridge.reconcile.observe as observe_module
from bridge.config import BridgeConfig, load_config
from bridge.logs import configure
from bridge.runtime import reconciler_for, seatsio_client, tessitura_client
from bridge.sandbox import Sandbox
from bridge.sandbox.venue import Venue, load_venue
from bridge.store import open_store
from bridge.testing.portfolio import PortfolioShape, write_portfolio

REPO = Path(__file__).resolve().parents[1]
LARGE = PortfolioShape(season_sizes=(40,), standalone=10)


@dataclass
class Pass:
    wall_s: float
    seatsio_calls: int
    seatsio_writes: int
    tessitura_calls: int
    peak_kib: float
    operations: int


async def one_pass(
    cfg: BridgeConfig, box: Sandbox, store_path: Path, *, converged: bool, trace_memory: bool
) -> Pass:
    """One timed pass; memory is traced only when asked, since tracing slows Python down."""
    with open_store(store_path, durable=False) as store:
        t = tessitura_client(cfg, transport=httpx.ASGITransport(app=box.tessitura_app))
        s = seatsio_client(cfg, transport=httpx.ASGITransport(app=box.seatsio_app))
        async with t, s:
            ids = [p.id for p in box.venue.performances]
            if converged:
                await reconciler_for(cfg, t, s, store).reconcile(ids, apply=True)
            box.seatsio_control.log.clear()
            box.tessitura_control.log.clear()
            if trace_memory:
                tracemalloc.start()
            started = time.perf_counter()
            report = await reconciler_for(cfg, t, s, store).reconcile(ids, apply=True)
            wall = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
            tracemalloc.stop()
    entries = box.seatsio_control.log.entries
    return Pass(
        wall_s=wall,
        seatsio_calls=len(entries),
        seatsio_writes=sum(1 for e in entries if e.method != "GET"),
        tessitura_calls=len(box.tessitura_control.log.entries),
        peak_kib=peak / 1024,
        operations=len(report.plan.api_operations),
    )


@contextmanager
def report_threshold(value: int) -> Iterator[None]:
    old = observe_module.REPORT_THRESHOLD
    observe_module.REPORT_THRESHOLD = value
    try:
        yield
    finally:
        observe_module.REPORT_THRESHOLD = old


def median_pass(passes: list[Pass]) -> Pass:
    return Pass(
        wall_s=statistics.median(p.wall_s for p in passes),
        seatsio_calls=int(statistics.median(p.seatsio_calls for p in passes)),
        seatsio_writes=int(statistics.median(p.seatsio_writes for p in passes)),
        tessitura_calls=int(statistics.median(p.tessitura_calls for p in passes)),
        peak_kib=statistics.median(p.peak_kib for p in passes),
        operations=int(statistics.median(p.operations for p in passes)),
    )


async def measure(
    name: str, cfg: BridgeConfig, venue_file: Path | None, repeats: int, tmp: Path
) -> None:
    venue: Venue = load_venue(venue_file)
    seat_performances = len(venue.seats) * len(venue.performances)
    for label, threshold in (("object infos", 10**9), ("whole-event report", 0)):
        for converged in (False, True):
            passes = []
            for i in range(repeats + 1):  # the last run only traces memory
                box = Sandbox(venue)
                db = tmp / f"{name}-{threshold}-{converged}-{i}.sqlite3"
                with report_threshold(threshold):
                    passes.append(
                        await one_pass(cfg, box, db, converged=converged, trace_memory=i == repeats)
                    )
            m = median_pass(passes[:-1])
            m.peak_kib = passes[-1].peak_kib
            print(
                f"{name:<7} {label:<18} {'converged' if converged else 'cold':<9} "
                f"{m.wall_s * 1000:8.0f} ms {m.seatsio_calls:6d} {m.seatsio_writes:6d} "
                f"{m.tessitura_calls:6d} {m.operations:5d} "
                f"{seat_performances / m.wall_s:12,.0f} {m.peak_kib / 1024:8.1f}"
            )


async def main(repeats: int) -> None:
    configure("error", "console")
    print(f"median of {repeats} runs each; in-process ASGI sandbox (no network latency)")
    print(
        f"{'venue':<7} {'observe by':<18} {'pass':<9} {'wall':>11} {'sio':>6} {'writes':>6} "
        f"{'tess':>6} {'ops':>5} {'seat-perf/s':>12} {'peak MiB':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="seatbridge-bench-") as tmp_name:
        tmp = Path(tmp_name)
        await measure("sample", load_config(REPO / "config" / "sandbox.toml"), None, repeats, tmp)
        # the generated hall of bridge.testing.portfolio: a 40-performance season, 10 standalone
        _, config_file = write_portfolio(tmp / "large", "http://t", "http://s", LARGE)
        await measure(
            "large", load_config(config_file), config_file.parent / "portfolio.toml", repeats, tmp
        )
    print("sio = seats.io requests, tess = Tessitura requests, ops = planned seats.io operations;")
    print("seat-perf/s = seats x performances reconciled per second of wall time.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeats))
