"""Kept reads through whole passes against the sandbox: a converged pass reads each event's
newest status change instead of its objects, and anything that could have changed what a full
read finds makes the pass read in full (bridge.core.freshness)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import Clock, ManualClock
from bridge.http import RetryPolicy
from bridge.reconcile import kept_reads
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.control import Faults
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.seatsio.client import SeatsioClient

PID, EVENT = 201, "perf-201"
T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
HOUSE = 1
OBJECTS = "GET /events/{key}/objects"
FEED = "GET /events/{key}/status-changes"
WRITES = ("POST",)


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
    clock = ManualClock(T0)
    r = keeping(bench, clock)
    await converged(bench, r)
    assert (await pass_counted(bench, r))[OBJECTS] == 0
    clock.step(step)
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


# -- with the feed seconds behind, as seats.io's is -------------------------------------------

DELAY = timedelta(seconds=3)


def delayed(bench: Bench) -> ManualClock:
    """Swap the bench's seats.io for one whose status-change feed lists each change up to
    DELAY late (out of order), on a manual clock the reconciler shares."""
    clock = ManualClock(T0)
    app = create_seatsio_app(bench.box.venue, clock=clock, max_delay=DELAY)
    bench.box.seatsio_app = app
    bench.box.seatsio_world = app.state.world
    bench.box.seatsio_control = app.state.control
    bench.seatsio = SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=app),
        retry=RetryPolicy.seatsio(attempts=2, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0),
    )
    return clock


async def test_a_change_still_in_flight_is_picked_up_once_the_feed_shows_it(
    bench: Bench,
) -> None:
    """A seat someone frees while the feed has not listed it yet: the pass stands on its kept
    read (and writes nothing); once the feed lists the change, the next pass reads in full and
    holds the seat again."""
    clock = delayed(bench)
    r = keeping(bench, clock)
    await converged(bench, r)
    clock.advance(DELAY)  # the bridge's own changes listed: the feed is quiet from here
    await converged(bench, r)
    held = next(label for label, s in statuses(bench).items() if s.startswith("held"))
    world = bench.box.seatsio_world
    world.release(EVENT, [held])
    change = world.status_changes(EVENT)[0]
    assert change not in world.status_changes(EVENT, visible_only=True)
    while change not in world.status_changes(EVENT, visible_only=True):
        counted = await pass_counted(bench, r)
        assert counted[OBJECTS] == 0 and wrote(counted) == 0
        clock.advance(0.5)
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1
    assert statuses(bench)[held].startswith("held")


@pytest.mark.parametrize("seed", range(6))
async def test_others_changes_and_the_box_offices_converge_and_every_write_is_planned_from_a_full_read(
    bench: Bench, seed: int
) -> None:
    """Online buyers, someone freeing the bridge's holds and the box office act between passes
    while the feed lags: a pass that writes has read the objects first, and once the feed has
    caught up two passes leave nothing a full read would change."""
    rng = random.Random(seed)
    clock = delayed(bench)
    r = keeping(bench, clock)
    await converged(bench, r)
    world, tessitura = bench.box.seatsio_world, bench.box.tessitura_world
    for _ in range(25):
        now = statuses(bench)
        move = rng.choice(["book", "free_held", "box_office_hold", "box_office_lift", "wait"])
        free = [label for label, s in now.items() if s == "free"]
        held = [label for label, s in now.items() if s.startswith("held")]
        if move == "book" and free:
            label = rng.choice(free)
            view = world.object_view(EVENT, label)
            if view.channel is None and view.for_sale:
                world.book(EVENT, [label])
        elif move == "free_held" and held:
            world.release(EVENT, [rng.choice(held)])
        elif move == "box_office_hold" and free:
            tessitura.hold(PID, [bench.seat(rng.choice(free))], HOUSE)
        elif move == "box_office_lift":
            layered = [
                (label, layers[0].hold_code_id)
                for label in held
                if (layers := tessitura.layers(PID, bench.seat(label)))
            ]
            if layered:
                label, code = rng.choice(layered)
                tessitura.unhold(PID, [bench.seat(label)], code)
        clock.advance(rng.uniform(0, 2))
        counted = await pass_counted(bench, r)
        if wrote(counted):
            assert counted[OBJECTS] >= 1, "a write planned from a kept read"
    clock.advance(DELAY + timedelta(seconds=1))
    await pass_counted(bench, r)
    await pass_counted(bench, r)
    full = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    full.full_read_every_s = 0
    check = await full.reconcile([PID], apply=False)
    assert check.plan.operations == ()


async def test_kept_reads_too_old_to_stand_are_swept_by_an_applying_pass(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    gone = kept_reads.KeptRead(
        "perf-gone", 1, datetime(2026, 1, 1, tzinfo=UTC), "", frozenset(), {}
    )
    kept_reads.save(bench.store, [gone])
    (note,) = bench.store.notes(kept_reads.PREFIX + "perf-gone")
    bench.store.put_note(  # as written 301 s ago
        note.key,
        note.value,
        now=datetime.now(UTC) - timedelta(seconds=301),  # the bench store's clock is the host's
    )
    await r.reconcile([PID], apply=True)  # this reconciler swept a moment ago: not again yet
    assert kept_reads.load(bench.store, ["perf-gone"]) != {}
    await keeping(bench).reconcile([PID], apply=True)  # the next process's pass
    assert kept_reads.load(bench.store, ["perf-gone"]) == {}
    assert EVENT in kept_reads.load(bench.store, [EVENT])


async def test_a_read_with_a_seat_in_a_cart_is_not_kept_and_the_lapsed_cart_is_seen(
    bench: Bench,
) -> None:
    """A seat the box office holds sits in a buyer's cart (a conflict, nothing to write). The
    cart's token lapses with no feed item to say so: the pass after must read the objects, not
    stand on a read that showed the cart, and hold the seat."""
    clock = delayed(bench)
    r = keeping(bench, clock)
    await converged(bench, r)
    world = bench.box.seatsio_world
    label = next(
        label
        for label, state in statuses(bench).items()
        if state == "free"
        and world.object_view(EVENT, label).channel is None
        and world.object_view(EVENT, label).for_sale
        and not bench.box.tessitura_world.layers(PID, bench.seat(label))
    )
    token = world.create_hold_token(expires_in_minutes=1)
    world.hold(EVENT, [label], token.token)
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], HOUSE)
    clock.advance(DELAY)
    await pass_counted(bench, r)  # the conflict: the seat is in the cart
    assert statuses(bench)[label] == "reservedByToken"
    assert EVENT not in kept_reads.load(bench.store, [EVENT])
    clock.advance(timedelta(minutes=2))  # the cart lapses
    counted = await pass_counted(bench, r)
    assert counted[OBJECTS] >= 1
    assert statuses(bench)[label] != "free" or world.object_view(EVENT, label).channel


async def test_a_dry_run_after_convergence_keeps_nothing_new(bench: Bench) -> None:
    r = keeping(bench)
    await converged(bench, r)
    kept_reads.drop(bench.store, [EVENT])
    report = await r.reconcile([PID], apply=False)
    assert report.plan.operations == ()
    assert kept_reads.load(bench.store, [EVENT]) == {}


# -- seasons ------------------------------------------------------------------------------------


def season_family(bench: Bench, r: Reconciler) -> tuple[list[int], str, list[str]]:
    unit = list(max(r.units(bench.ids), key=len))
    world = bench.box.seatsio_world
    event = world.event(f"perf-{unit[0]}")
    season = world.top_season(event)
    return unit, season.key, [m.key for m in world.members(season)]


async def test_a_change_on_one_performance_of_a_season_reads_the_whole_season_again(
    bench: Bench,
) -> None:
    r = keeping(bench)
    unit, season, members = season_family(bench, r)
    await converged(bench, r, unit)
    quiet = await pass_counted(bench, r, unit)
    assert quiet[OBJECTS] == 0
    assert quiet["GET /events/{key}"] == 1  # the season; its events come with it
    world = bench.box.seatsio_world
    label = next(
        v.object.label
        for v in world.object_views(members[-1])
        if v.status == "free" and v.channel is None and v.for_sale
    )
    world.book(members[-1], [label])  # an online sale in one performance
    counted = await pass_counted(bench, r, unit)
    objects_read = {
        e.path.split("/")[2] for e in bench.box.seatsio_control.log.entries if e.endpoint == OBJECTS
    }
    assert objects_read == {season, *members}
    assert counted[OBJECTS] >= len(members) + 1
