"""What `seatbridge explain` (and the status page's seat map) costs, beside a plan of the same unit.

On a converged sandbox in this process (no added latency): explaining one standalone performance
and one season performance (its unit is the whole season), against planning that unit
(`plan`'s reconcile without apply), on the sample venue and on a generated portfolio
(``--performances``, default 500: seasons of 60-100 performances; bridge/testing/portfolio.py).
Printed: median wall time of ``--repeats`` runs, vendor calls by endpoint, peak traced memory.
The wall time includes the in-process fakes' own work (building a by-label report of every seat
is most of an explain's time here); against the real APIs it is the vendors' time instead.

    .venv/bin/python benchmarks/bench_explain.py [--repeats 5] [--performances 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bridge.config import load_config
from bridge.logs import configure
from bridge.reconcile.explain_gather import explain_performance
from bridge.runtime import Runtime, connect
from bridge.sandbox import Sandbox
from bridge.store import open_store
from bridge.testing.portfolio import PortfolioShape, write_portfolio
from bridge.testing.sandbox import sandbox_config


def template(path: str) -> str:
    parts = path.removeprefix("/TessituraService").split("/")
    return "/".join("{key}" if any(ch.isdigit() for ch in part) else part for part in parts)


async def measure(
    box: Sandbox, rt: Runtime, what: Callable[[], Awaitable[Any]], repeats: int
) -> tuple[float, Counter[str], float]:
    walls = []
    calls: Counter[str] = Counter()
    for i in range(repeats + 1):  # the last run traces memory only
        for control in (box.seatsio_control, box.tessitura_control):
            control.log.clear()
        if i == repeats:
            tracemalloc.start()
        started = time.perf_counter()
        await what()
        wall = time.perf_counter() - started
        if i == repeats:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            walls.append(wall)
        if i == 0:
            calls = Counter(
                f"{v} {e.method} {template(e.path)}"
                for v, control in (
                    ("seats.io", box.seatsio_control),
                    ("tessitura", box.tessitura_control),
                )
                for e in control.log.entries
            )
    return statistics.median(walls), calls, peak / 2**20


async def venue(name: str, box: Sandbox, config: Path, repeats: int) -> None:
    cfg = load_config(config)
    standalone = next(p for p in box.venue.performances if not p.seatsio_season_key)
    in_season = next(p for p in box.venue.performances if p.seatsio_season_key)
    season_size = sum(
        1 for p in box.venue.performances if p.seatsio_season_key == in_season.seatsio_season_key
    )
    with open_store(config.parent / "state.sqlite3", durable=False) as store:
        async with connect(
            cfg,
            tessitura_transport=httpx.ASGITransport(app=box.tessitura_app),
            seatsio_transport=httpx.ASGITransport(app=box.seatsio_app),
            store=store,
        ) as rt:
            await rt.reconciler().reconcile([p.id for p in box.venue.performances], apply=True)
            print(
                f"\n== {name}: {len(box.venue.performances)} performances, "
                f"{len(box.venue.seats)} seats =="
            )
            print(f"{'':<44} {'median ms':>9} {'calls':>6} {'peak MiB':>9}")
            for label, pid in (
                ("standalone", standalone.id),
                (f"in a season of {season_size}", in_season.id),
            ):
                for kind, run in (
                    ("explain", lambda pid=pid: explain_performance(rt.reconciler(), pid)),
                    (
                        "plan (baseline)",
                        lambda pid=pid: rt.reconciler().reconcile([pid], apply=False),
                    ),
                ):
                    wall, calls, peak = await measure(box, rt, run, repeats)
                    print(
                        f"{kind + ' ' + label:<44} {wall * 1000:9.0f} "
                        f"{sum(calls.values()):6d} {peak:9.1f}"
                    )
                    for endpoint, n in sorted(calls.items()):
                        print(f"    {endpoint:<52} {n:5d}")


async def main(repeats: int, performances: int) -> None:
    configure("error", "console")
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        sample = Path(tmp, "sample")
        await asyncio.to_thread(sample.mkdir)
        box = Sandbox()
        await venue("sample", box, sandbox_config(sample, "http://t", "http://s"), repeats)
        shape = PortfolioShape.scaled(performances)
        folder = Path(tmp, "portfolio")
        big, config = write_portfolio(folder, "http://t", "http://s", shape)
        await venue("portfolio", Sandbox(big), config, repeats)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--performances", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.repeats, args.performances))
