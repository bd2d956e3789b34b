"""A season's far performances are read at their own cadence, not at its nearest one's: a unit
run every few seconds reads each performance's holds only when that performance is due."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import ManualClock
from bridge.core.policy import WritebackPolicy
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for

HOUSE = 1
WEB = 90  # the sample's write-back code


def season_unit(r: Reconciler, bench: Bench) -> tuple[int, ...]:
    return max(r.units(bench.ids), key=len)


def holds_reads(bench: Bench) -> Counter[int]:
    out: Counter[int] = Counter()
    for e in bench.box.tessitura_control.log.entries:
        parts = e.path.split("/")
        if e.method == "GET" and parts[-2:] == ["Seats", "Holds"]:
            out[int(parts[-3])] += 1
    return out


def season_reconciler(bench: Bench, clock: ManualClock) -> tuple[Reconciler, tuple[int, ...]]:
    """A reconciler whose season unit's first performance is on a 4 s cadence, the rest 60 s."""
    r = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock)
    unit = season_unit(r, bench)
    r.holds_fresh_s = lambda pid: 4.0 if pid == unit[0] else 60.0
    return r, unit


async def test_far_performances_are_read_at_their_own_cadence(bench: Bench) -> None:
    clock = ManualClock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    r, unit = season_reconciler(bench, clock)
    assert len(unit) > 2
    near = unit[0]
    bench.box.tessitura_control.log.clear()
    for _ in range(14):  # runs every 4 s, the last 52 s after the first
        report = await r.reconcile(list(unit), apply=True)
        assert not report.errors
        clock.advance(4)
    reads = holds_reads(bench)
    assert reads[near] == 14
    assert all(reads[pid] == 1 for pid in unit[1:]), reads
    # 56 s after the first run: the far ones' last read is one run from its cadence
    await r.reconcile(list(unit), apply=True)
    reads = holds_reads(bench)
    assert all(reads[pid] == 2 for pid in unit[1:]), reads


async def test_a_far_performances_new_hold_reaches_seatsio_within_its_cadence(
    bench: Bench,
) -> None:
    clock = ManualClock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    r, unit = season_reconciler(bench, clock)
    far = unit[-1]
    await r.reconcile(list(unit), apply=True)
    seat = next(s for s in bench.box.venue.seats if not bench.box.tessitura_world.layers(far, s.id))
    bench.box.tessitura_world.hold(far, [seat.id], HOUSE)
    event = f"perf-{far}"
    world = bench.box.seatsio_world

    def shown() -> bool:
        view = world.object_view(event, seat.label)
        return view.state.status != "free" or view.channel is not None or not view.for_sale

    clock.advance(4)
    await r.reconcile(list(unit), apply=True)
    assert not shown()  # not due yet: its last read is 4 s old, its cadence 60 s
    clock.advance(57)
    await r.reconcile(list(unit), apply=True)
    assert shown()


async def test_jittered_runs_read_the_near_every_time_and_the_far_about_once_a_cadence(
    bench: Bench,
) -> None:
    """The daemon's runs come a tenth early or late: tonight's performance is still read every
    run, and a far one about once per its own cadence, never later than a tenth of a run."""
    clock = ManualClock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    r, unit = season_reconciler(bench, clock)
    near, far = unit[0], unit[-1]
    bench.box.tessitura_control.log.clear()
    reads_at: list[datetime] = []
    runs = 0
    for step in [3.6, 4.4] * 40:  # five minutes and twenty seconds of runs
        before = holds_reads(bench)[far]
        await r.reconcile(list(unit), apply=True)
        runs += 1
        if holds_reads(bench)[far] > before:
            reads_at.append(clock.now())
        clock.advance(step)
    assert holds_reads(bench)[near] == runs
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(reads_at)]
    assert gaps and all(56.0 <= g <= 60.4 for g in gaps), gaps


async def test_the_write_back_writes_from_holds_read_now_not_kept_ones(bench: Bench) -> None:
    """With the write-back on, a far performance's kept holds read proves only that there is
    nothing to hold or lift: a sale online there has its holds read again before the hold."""
    clock = ManualClock(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    r, unit = season_reconciler(bench, clock)
    r.policy = replace(r.policy, writeback=WritebackPolicy(mode="apply", hold_code_id=WEB))
    far = unit[-1]
    await r.reconcile(list(unit), apply=True)
    clock.advance(4)
    bench.box.tessitura_control.log.clear()
    await r.reconcile(list(unit), apply=True)
    assert holds_reads(bench)[far] == 0  # nothing to write back: the kept read stands
    world = bench.box.seatsio_world
    label = next(
        v.object.label
        for v in world.object_views(f"perf-{far}")
        if v.status == "free" and v.channel is None and v.for_sale
    )
    world.book(f"perf-{far}", [label])
    clock.advance(4)
    bench.box.tessitura_control.log.clear()
    await r.reconcile(list(unit), apply=True)
    assert holds_reads(bench)[far] == 1
    layers = bench.box.tessitura_world.layers(far, bench.seat(label))
    assert [layer.hold_code_id for layer in layers] == [WEB]
