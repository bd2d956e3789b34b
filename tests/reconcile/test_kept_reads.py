"""Kept reads through whole passes against the sandbox: a converged pass reads each event's
newest status change instead of its objects, and anything that could have changed what a full
read finds makes the pass read in full (bridge.core.freshness)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import Clock
from bridge.reconcile import kept_reads
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for
from bridge.sandbox.control import Faults

PID, EVENT = 201, "perf-201"
HOUSE = 1
OBJECTS = "GET /events/{key}/objects"
FEED = "GET /events/{key}/status-changes"
WRITES = ("POST",)


class Steps(Clock):
    """A clock that stands still until told to move."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return (self.at - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()


def keeping(bench: Bench, clock: Clock | None = None) -> Reconciler:
    r = reconciler_for(
        bench.cfg,
        bench.tessitura,
        bench.seatsio,
        bench.store,
        **({"clock": clock} if clock else {}),
    )
    assert r.full_read_every_s == 300  # the shipped config's cadence of full reads
    return r


def statuses(bench: Bench) -> dict[str, str]:
    return {v.object.label: v.status for v in bench.box.seatsio_world.object_views(EVENT)}


def calls(bench: Bench) -> Counter[str]:
    return Counter(e.endpoint for e in bench.box.seatsio_control.log.entries)


async def pass_counted(bench: Bench, r: Reconciler, ids: list[int] | None = None) -> Counter[str]:
    bench.box.seatsio_control.log.clear()
    report = await r.reconcile(ids or [PID], apply=True)
    assert not report.errors, report.errors
    return calls(bench)


def wrote(counted: Counter[str]) -> int:
    return sum(n for endpoint, n in counted.items() if endpoint.startswith(WRITES))


async def converged(bench: Bench, r: Reconciler, ids: list[int] | None = None) -> None:
    """Passes until one writes nothing (the pass after a write reads in full: its own
    status changes are in the feed)."""
    for _ in range(4):
        if not wrote(await pass_counted(bench, r, ids)):
            return
    raise AssertionError("never converged")


async def test_a_converged_pass_reads_the_feed_not_the_objects(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    again = await pass_counted(bench, r)
    assert again[OBJECTS] == 0
    assert again[FEED] == 1
    assert wrote(again) == 0
    assert EVENT in kept_reads.load(bench.store, [EVENT])


async def test_a_kept_read_plans_as_a_full_read_does(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    kept_pass = await r.reconcile([PID], apply=False)
    full = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    full.full_read_every_s = 0
    full_pass = await full.reconcile([PID], apply=False)
    assert kept_pass.plan.is_empty and full_pass.plan.is_empty
    assert [f.kind for f in kept_pass.plan.findings] == [f.kind for f in full_pass.plan.findings]


async def test_a_seat_freed_by_someone_else_is_held_again_next_pass(bench: Bench) -> None:
    """Someone frees a seat the bridge holds (its status set back to free): the feed shows the
    change, the pass reads in full and holds the seat again."""
    r = keeping(bench)
    await converged(bench, r)
    held = next(
        label for label, state in statuses(bench).items() if state not in ("free", "booked")
    )
    bench.box.seatsio_world.release(EVENT, [held])
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1
    assert bench.box.seatsio_world.object_status(EVENT, held) != "free"


async def test_a_new_box_office_hold_is_read_in_full_and_written(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    label = next(
        label
        for label, state in statuses(bench).items()
        if state == "free" and not bench.box.tessitura_world.layers(PID, bench.seat(label))
    )
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], HOUSE)
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1 and wrote(counted) >= 1
    assert kept_reads.load(bench.store, [EVENT]) == {}  # a pass that wrote keeps nothing
    await converged(bench, r)
    assert (await pass_counted(bench, r))[OBJECTS] == 0


async def test_a_changed_for_sale_config_is_read_in_full(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    free = next(label for label, state in statuses(bench).items() if state == "free")
    bench.box.seatsio_world.mark_as_not_for_sale(EVENT, [free])
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1


@pytest.mark.parametrize("step", [timedelta(seconds=301), timedelta(seconds=-1)])
async def test_an_old_or_future_kept_read_is_read_in_full(bench: Bench, step: timedelta) -> None:
    clock = Steps()
    r = keeping(bench, clock)
    await converged(bench, r)
    assert (await pass_counted(bench, r))[OBJECTS] == 0
    clock.at += step
    assert (await pass_counted(bench, r))[OBJECTS] >= 1


async def test_an_unreadable_feed_means_a_full_read_not_an_error(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    bench.box.seatsio_control.set_faults(
        Faults(error_rate=1.0, error_status=500, path_pattern="/status-changes")
    )
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1


async def test_an_unreadable_kept_read_means_a_full_read(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    bench.store.put_note(kept_reads.PREFIX + EVENT, '{"cursor": "x"}')
    assert (await pass_counted(bench, r))[OBJECTS] >= 1


async def test_a_dry_run_keeps_nothing(bench: Bench) -> None:
    r = keeping(bench)
    await r.reconcile([PID], apply=False)
    assert kept_reads.load(bench.store, [EVENT]) == {}
