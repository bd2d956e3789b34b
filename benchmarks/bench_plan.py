"""How fast the functional core is: desired_state + plan on a large house and a 20-event season.

Prints figures, never asserts them. Each scenario is timed cold (first sync: everything to write)
and against its own baseline, the converged state reached by applying that plan (nothing to write),
so the cost of producing operations shows apart from the cost of comparing.

    .venv/bin/python benchmarks/bench_plan.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bridge.core.desired import DesiredState, desired_state
from bridge.core.observed import ObjectState, ObservedChannel, ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import Plan
from bridge.core.policy import Policy
from bridge.core.simulate import simulate
from bridge.domain import HoldSnapshot, LedgerEntry, SeatHold
from bridge.mapping.model import (
    Action,
    ChannelSpec,
    HoldRule,
    MappingTables,
    PerformanceTarget,
    SeatTable,
)

SEATS = 3000
HOLDS = 500
SEASON_EVENTS = 20
SPECS = (ChannelSpec("vip", "VIP", "#aa0000", 1), ChannelSpec("press", "Press", "#00aa00", 2))
RULES = {
    1: HoldRule(1, Action.CHANNEL, "vip", 5, fallback_status="held-vip"),
    2: HoldRule(2, Action.CHANNEL, "press", 4),
    3: HoldRule(3, Action.STATUS, "held-house", 3),
    4: HoldRule(4, Action.NOT_FOR_SALE, None, 2),
    5: HoldRule(5, Action.IGNORE, None, 9),
}
CODES = (1, 1, 2, 3, 3, 4, 5)


@dataclass(frozen=True)
class Scenario:
    name: str
    seats_per_key: int
    snapshots: tuple[HoldSnapshot, ...]
    tables: MappingTables
    observed: dict[str, ObservedEvent]
    ledger: dict[tuple[str, str], LedgerEntry]
    policy: Policy


def _labels() -> dict[int, str]:
    return {i: f"S{i // 100}-R{(i // 20) % 5}-{i % 20 + 1}" for i in range(1, SEATS + 1)}


def _holds(rng: random.Random, seats: list[int], layered: int = 40) -> tuple[SeatHold, ...]:
    out = [SeatHold(s, rng.choice(CODES)) for s in seats]
    out += [SeatHold(s, rng.choice(CODES), priority=2) for s in rng.sample(seats, layered)]
    return tuple(out)


def _observed(key: str, labels: Mapping[int, str], **kw: object) -> ObservedEvent:
    objects = {lbl: ObjectState(lbl, "free") for lbl in labels.values()}
    channels = (ObservedChannel("promoter", "Promoter", "#000000", 9, frozenset()),)
    return ObservedEvent(key, channels=channels, objects=objects, **kw)  # type: ignore[arg-type]


def single_event() -> Scenario:
    rng = random.Random(1)
    labels = _labels()
    target = PerformanceTarget(1, "ev-1")
    tables = MappingTables(RULES, {1: SeatTable(1, labels)}, {1: target}, channels=SPECS)
    seats = rng.sample(sorted(labels), HOLDS)
    snap = HoldSnapshot(1, 1, _holds(rng, seats))
    return Scenario(
        "event: 3,000 seats, 500 holds",
        SEATS,
        (snap,),
        tables,
        {"ev-1": _observed("ev-1", labels)},
        {},
        Policy(force=True),
    )


def season() -> Scenario:
    rng = random.Random(2)
    labels = _labels()
    targets = {p: PerformanceTarget(p, f"ev-{p}", "season-1") for p in range(1, SEASON_EVENTS + 1)}
    tables = MappingTables(RULES, {1: SeatTable(1, labels)}, targets, channels=SPECS)
    common = rng.sample(sorted(labels), HOLDS - 100)
    rest = sorted(set(labels) - set(common))
    snaps = tuple(
        HoldSnapshot(p, 1, _holds(random.Random(p), common + rng.sample(rest, 100)))
        for p in targets
    )
    observed = {f"ev-{p}": _observed(f"ev-{p}", labels, season_key="season-1") for p in targets}
    observed["season-1"] = _observed("season-1", labels, is_season=True)
    return Scenario(
        f"season: {SEASON_EVENTS} events x 3,000 seats, 500 holds each",
        SEATS * (SEASON_EVENTS + 1),
        snaps,
        tables,
        observed,
        {},
        Policy(force=True),
    )


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _report(label: str, sc: Scenario, observed: dict[str, ObservedEvent],
            ledger: dict[tuple[str, str], LedgerEntry], runs: int) -> Plan:  # fmt: skip
    def desired() -> DesiredState:
        return desired_state(sc.snapshots, sc.tables, sc.policy)

    want = desired()

    def planned() -> Plan:
        return plan(want, observed, ledger, sc.policy, SPECS)

    def both() -> Plan:
        return plan(desired(), observed, ledger, sc.policy, SPECS)

    d_ms = statistics.median(_time(desired, runs)) * 1e3
    p_ms = statistics.median(_time(planned, runs)) * 1e3
    total = statistics.median(_time(both, runs))
    result = both()
    peak = _peak(both)
    calls = len(result.api_operations)
    objects = sum(len(op.labels) * len(op.event_keys) for op in result.api_operations)
    print(
        f"  {label:<10} desired {d_ms:7.2f} ms   plan {p_ms:7.2f} ms   total {total * 1e3:7.2f} ms"
        f"   {sc.seats_per_key / total:>11,.0f} seats/s   {calls:3d} calls ({objects:,} objects)"
        f"   {len(result.findings):3d} findings   peak {peak / 2**20:5.1f} MiB"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per figure (median)")
    args = parser.parse_args()
    print(f"median of {args.runs} runs; seats/s counts every seat of every key compared")
    for sc in (single_event(), season()):
        print(sc.name)
        first = _report("first sync", sc, sc.observed, sc.ledger, args.runs)
        observed, ledger = simulate(first, sc.observed, sc.ledger, strict=True)
        again = _report("converged", sc, observed, ledger, args.runs)
        assert again.is_empty, "the converged plan should write nothing"


if __name__ == "__main__":
    main()
