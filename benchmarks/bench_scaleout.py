"""Several instances on one PostgreSQL store, beside one instance on SQLite: what scale-out buys.

For each setup, a fresh sandbox serves the generated portfolio (``--performances``, default 500:
five seats.io seasons and standalone performances, bridge/testing/portfolio.py) on loopback with
``--latency-ms`` (default 20) added to every vendor call, and ``seatbridge run`` starts as N child
processes on one fresh store:

- ``sqlite x1``: the embedded default, one instance (the baseline);
- ``postgres x1``, ``x2``, ``x3``: one PostgreSQL database (127.0.0.1:5432), N instances that split
  the units and share the account's lane budget (``regular_lane_limit`` for all of them).

Printed per setup, median of ``--repeat`` cold starts: seconds until every performance is
converged, units per minute over that cold start, vendor calls per unit (seats.io and Tessitura),
the instances' CPU seconds together, the largest peak RSS. (A steady state is bounded by the
cadences, not by capacity: bench_daemon.py measures it.) Last, the store's own overhead per unit
run, measured in this process on both backends: a unit's lease cycle (take, renew, release for
each performance, the lease checks before its writes) and a lane slot (take and give) per vendor
request.

    .venv/bin/python benchmarks/bench_scaleout.py [--performances 500] [--repeat 3]

Needs PostgreSQL on 127.0.0.1:5432 (``SEATBRIDGE_TEST_PG_URL`` for another admin URL); without
it only the SQLite baseline runs, and the script says so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_daemon import Site, endpoint_counts, served, usage, wait_for

from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.store.postgres import open_postgres
from bridge.testing import postgres
from bridge.testing.daemon import converged
from bridge.testing.sandbox import config_store, spawn, with_shared_store


@dataclass
class Cold:
    seconds: float
    units: int
    calls: Counter[str]
    cpu_s: float
    peak_rss_mib: float


@contextmanager
def store_for(site: Site, backend: str) -> Iterator[None]:
    if backend == "postgres":
        with postgres.fresh_database("seatbridge_bench") as url:
            with_shared_store(site.config, url, "bench")
            yield
    else:
        yield


def units_run(site: Site) -> int:
    """The distinct units the store's journal shows runs of."""
    with config_store(site.config) as store:
        return len({r.performance_ids for r in store.runs(limit=1_000_000)})


def cold_start(args: argparse.Namespace, backend: str, instances: int, tmp: Path) -> Cold:
    with (
        served("portfolio", tmp, args.performances, args.latency_ms / 1000) as site,
        store_for(site, backend),
    ):
        ids = {p.id for p in site.venue.performances}
        procs = [spawn(site.config, "run", log=tmp / f"instance-{n}.log") for n in range(instances)]
        try:
            seconds = wait_for(
                "every performance converged",
                lambda: all(p.poll() is None for p in procs) and converged(site.config, ids),
                timeout_s=args.cold_timeout_s,
            )
            calls = endpoint_counts(site.log(), site)
            units = units_run(site)
            used = [usage(p.pid) for p in procs]
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=120)
    return Cold(
        seconds,
        units,
        calls,
        sum(u.cpu_s for u in used),
        max(u.peak_rss_mib for u in used),
    )


def lease_cycle_ms(store: StateStore, performances: int, writes: int, cycles: int) -> float:
    """Milliseconds of store time a unit run spends on its leases: take, one renewal, a check
    before each write, release, for each of its ``performances``."""
    started = time.perf_counter()
    for c in range(cycles):
        pids = range(10_000 + c * performances, 10_000 + (c + 1) * performances)
        for pid in pids:
            assert store.acquire_lease(pid, "bench:1:x", 300)
        for pid in pids:
            store.renew_lease(pid, "bench:1:x", 300)
        for _ in range(writes):
            for pid in pids:
                store.lease_holder(pid)
        for pid in pids:
            store.release_lease(pid, "bench:1:x")
    return (time.perf_counter() - started) * 1000 / cycles


def lane_slot_ms(store: StateStore, n: int) -> float | None:
    budget = store.lane_budget("bench-account", "regular", 5)
    if budget is None:
        return None
    started = time.perf_counter()
    for _ in range(n):
        slot = budget.try_take()
        assert slot is not None
        budget.give(slot)
    return (time.perf_counter() - started) * 1000 / n


def overhead(args: argparse.Namespace, tmp: Path, pg: bool) -> dict[str, Any]:
    """Per unit run (a season unit of 80 performances with 3 write steps, and a standalone one),
    and per vendor request; medians of 5 measurements."""
    out: dict[str, Any] = {}
    with ExitStack() as stack:
        stores: dict[str, StateStore] = {
            "sqlite": stack.enter_context(open_store(tmp / "overhead.sqlite3"))
        }
        if pg:
            url = stack.enter_context(postgres.fresh_database("seatbridge_bench"))
            stores["postgres"] = stack.enter_context(open_postgres(url, venue="bench"))
        for name, store in stores.items():
            out[name] = {
                "season unit (80 perfs) ms": statistics.median(
                    lease_cycle_ms(store, 80, 3, 3) for _ in range(5)
                ),
                "standalone unit ms": statistics.median(
                    lease_cycle_ms(store, 1, 3, 50) for _ in range(5)
                ),
                "lane slot per request ms": (
                    None
                    if (m := [lane_slot_ms(store, 500) for _ in range(5)])[0] is None
                    else statistics.median(x for x in m if x is not None)
                ),
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--performances", type=int, default=500)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold-timeout-s", type=float, default=600.0)
    ap.add_argument("--instances", default="1,2,3", help="PostgreSQL instance counts to run")
    args = ap.parse_args()
    reason = postgres.unavailable()
    setups = [("sqlite", 1)]
    if reason:
        print(f"bench_scaleout: no PostgreSQL ({reason}); only the SQLite baseline runs")
    else:
        setups += [("postgres", int(n)) for n in args.instances.split(",")]
    print(
        f"portfolio of {args.performances} performances, {args.latency_ms:g} ms per vendor call, "
        f"median of {args.repeat} cold starts per setup"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp_name:
        tmp = Path(tmp_name)
        for backend, n in setups:
            runs = []
            for r in range(args.repeat):
                folder = tmp / f"{backend}-{n}-{r}"
                folder.mkdir()
                runs.append(cold_start(args, backend, n, folder))
            rows.append((f"{backend} x{n}", runs))
            med = statistics.median(c.seconds for c in runs)
            print(
                f"  {backend} x{n}: cold {med:.1f} s ({', '.join(f'{c.seconds:.1f}' for c in runs)})"
            )
        print()
        head = (
            f"{'setup':<12} {'cold s':>7} {'spread':>11} {'units/min':>9} {'seats.io/unit':>13} "
            f"{'tess/unit':>9} {'CPU s':>6} {'peak MiB':>8}"
        )
        print(head)
        for name, runs in rows:
            secs = [c.seconds for c in runs]
            units = statistics.median(c.units for c in runs)
            sio = statistics.median(
                sum(v for k, v in c.calls.items() if k.startswith("seats.io")) / c.units
                for c in runs
            )
            tess = statistics.median(
                sum(v for k, v in c.calls.items() if k.startswith("tessitura")) / c.units
                for c in runs
            )
            print(
                f"{name:<12} {statistics.median(secs):7.1f} {min(secs):5.1f}-{max(secs):<5.1f} "
                f"{units * 60 / statistics.median(secs):9.1f} {sio:13.1f} {tess:9.1f} "
                f"{statistics.median(c.cpu_s for c in runs):6.1f} "
                f"{statistics.median(c.peak_rss_mib for c in runs):8.1f}"
            )
        print("\nstore overhead per unit run and per vendor request (this process, no latency):")
        for backend, figures in overhead(args, tmp, not reason).items():
            shown = ", ".join(
                f"{k} {v:.2f}" if v is not None else f"{k} n/a" for k, v in figures.items()
            )
            print(f"  {backend}: {shown}")


if __name__ == "__main__":
    main()
