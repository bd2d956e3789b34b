"""The write-back chaos machinery (issue 26), without a bridge: its schedules, its actors, and
invariants that catch a lost box-office layer, a write-back on a sold seat and a write-back not
done (a checker that cannot fail would prove nothing)."""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from bridge.sandbox import Sandbox
from bridge.sandbox.tessitura_world import HoldConflictError, HoldRequest, ReplaceMode
from bridge.testing.chaos import invariants as inv
from bridge.testing.chaos.runner import (
    TIMEOUT_S,
    Traffic,
    Writeback,
    chaos_config,
)
from bridge.testing.chaos.schedule import (
    PROFILES,
    SAMPLE_PERFORMANCES,
    TESSITURA_WRITE_FAULT,
    WRITE_FAULT_VARIANTS,
    WRITEBACK_CODE,
    WRITEBACK_KINDS,
    Schedule,
    Step,
    fault_settings,
    generate,
)
from bridge.testing.sandbox import sandbox_config

GALA = 201
WB = WRITEBACK_CODE


def _box() -> tuple[Sandbox, inv.Seen]:
    box = Sandbox()
    assert box.tessitura_world.hold_code(WB) is not None  # the sample's "Sold Online"
    seen = inv.Seen.start(box)
    seen.writeback_code = WB
    return box, seen


def _free_seats(box: Sandbox, pid: int, n: int) -> list[int]:
    tess, world = box.tessitura_world, box.seatsio_world
    key = box.venue.performance(pid).event_key
    held = tess.held_seats(pid)
    return [
        s.id
        for s in box.venue.seats
        if s.id not in held
        and not tess.is_sold(pid, s.id)
        and inv.open_to_public(world.object_view(key, s.label))
    ][:n]


def test_writeback_schedules_have_both_actors_on_shared_seats_and_every_write_fault() -> None:
    schedules = [generate(seed, "writeback") for seed in range(1, 61)]
    variants = set()
    for g in schedules:
        assert generate(g.seed, "writeback") == g and Schedule.from_json(g.to_json()) == g
        steps = g.writeback_steps()
        assert {s.kind for s in steps} == set(WRITEBACK_KINDS)
        assert len({s.performances for s in steps}) == 1  # the actors meet on the same seats
        assert set(steps[0].performances) <= set(SAMPLE_PERFORMANCES)
        assert all(s.at_s + s.duration_s <= g.chaos_s + 0.01 and s.moves > 0 for s in steps)
        tess = sorted(
            (f.at_s, f.at_s + f.duration_s) for f in g.faults() if f.vendor == "tessitura"
        )
        assert all(a[1] <= b[0] + 0.01 for a, b in pairwise(tess))
        for f in g.faults():
            if f.fault == TESSITURA_WRITE_FAULT:
                variants.add(f.variant)
                assert f.describe().startswith(f"{f.at_s:5.2f}s tessitura POST Seats/Holds")
    assert variants == set(WRITE_FAULT_VARIANTS)
    for name in set(PROFILES) - {"writeback"}:
        assert not any(generate(seed, name).writeback_steps() for seed in range(1, 41))


def test_a_write_fault_hits_the_holds_posts_only_and_a_hang_outlasts_the_timeout() -> None:
    def step(variant: str) -> Step:
        return Step(1.0, "fault", vendor="tessitura", fault=TESSITURA_WRITE_FAULT, variant=variant)

    failed = fault_settings(step("500_after_apply"), TIMEOUT_S)
    assert failed["method"] == "POST" and failed["error_after_apply_rate"] == 1.0
    hung = fault_settings(step("hang_after_apply"), TIMEOUT_S)
    assert hung["method"] == "POST" and hung["hang_after_apply_s"] > TIMEOUT_S
    locked = fault_settings(step("409_locked"), TIMEOUT_S)
    assert not {k for k in locked if k.endswith(("_rate", "_s"))}  # the runner locks seats


def test_a_box_office_layer_lifted_by_someone_else_is_caught_and_one_it_took_off_is_not() -> None:
    box, seen = _box()
    tess = box.tessitura_world
    a, b = _free_seats(box, GALA, 2)
    for s in (a, b):
        tess.hold(GALA, [s], 3)
        seen.office_put(GALA, s, 3)
        tess.update(GALA, [HoldRequest(s, WB)], mode=ReplaceMode.BELOW_EXISTING)
    tess.unhold(GALA, [b], 3)  # the box office's own move
    seen.office_took_off(GALA, b, 3)
    tess.release(GALA, [a])  # a -1 the box office did not send: what a write-back must not do
    assert seen.lost_office_layers(box, 10.0) == []  # within the allowance: may come back
    late = seen.lost_office_layers(box, 10.0 + inv.BASE_ALLOWANCE_S + 0.5)
    (lost,) = late
    assert box.venue.seat(a).label in lost and "hold code 3" in lost and "no layer" in lost
    assert seen.lost_office_layers(box, 100.0, final=True) == []  # said once


def test_a_layer_put_back_within_the_allowance_is_counted_not_a_violation() -> None:
    box, seen = _box()
    tess = box.tessitura_world
    (a,) = _free_seats(box, GALA, 1)
    tess.hold(GALA, [a], 2)
    seen.office_put(GALA, a, 2)
    tess.release(GALA, [a])
    assert seen.lost_office_layers(box, 1.0) == []
    tess.hold(GALA, [a], 2)  # the race reported and the layer re-applied
    assert seen.lost_office_layers(box, 2.0) == [] and seen.office_restored == 1
    # the sample's own layers are owed too, and a final look allows nothing
    pid, seat = next((p, s) for (p, s), codes in seen.office.items() if codes and s != a)
    tess.release(pid, [seat])
    assert any(
        box.venue.seat(seat).label in v for v in seen.lost_office_layers(box, 3.0, final=True)
    )


def test_a_writeback_hold_landed_on_a_sold_seat_is_caught_once() -> None:
    box, seen = _box()
    tess = box.tessitura_world
    (a,) = _free_seats(box, GALA, 1)
    tess.sell(GALA, a)
    with pytest.raises(ValueError):  # OnlyAffectAvailable: refused, nothing lands
        tess.update(GALA, [HoldRequest(a, WB)], mode=ReplaceMode.BELOW_EXISTING)
    assert seen.writeback_on_sold(box) == []
    tess.update(GALA, [HoldRequest(a, WB)], only_available=False)
    (found,) = seen.writeback_on_sold(box)
    assert found.startswith(f"1 write-back line(s) of hold code {WB}")
    assert seen.writeback_on_sold(box) == []


def test_the_writeback_is_pending_while_a_booked_seat_lacks_it_or_a_free_one_keeps_it_alone() -> (
    None
):
    box, seen = _box()
    tess, world = box.tessitura_world, box.seatsio_world
    key = box.venue.performance(GALA).event_key
    a, b = _free_seats(box, GALA, 2)
    la, lb = box.venue.seat(a).label, box.venue.seat(b).label
    assert inv.writeback_pending(box, WB) == []
    world.book(key, [la, lb])
    assert {la, lb} <= {v.split(": ")[1].split(" ")[0] for v in inv.pending(box, seen)}
    tess.update(GALA, [HoldRequest(a, WB)], mode=ReplaceMode.BELOW_EXISTING)
    tess.sell(GALA, b)  # sold at the box office: no write-back owed
    assert inv.writeback_pending(box, WB) == []
    world.release(key, [la])
    (alone,) = inv.writeback_pending(box, WB)
    assert la in alone and "only layer" in alone
    tess.hold(GALA, [a], 4)  # a box-office layer above it: the write-back stays until alone
    assert inv.writeback_pending(box, WB) == []


def test_the_actors_own_moves_never_look_like_a_lost_layer_nor_a_bridge_change() -> None:
    box, seen = _box()
    traffic = Traffic(box, random.Random(3), seen)
    actors = Writeback(box, random.Random(4), seen, traffic, WB)
    pids = (GALA, 101)
    rng = random.Random(5)
    for i in range(400):
        if i % 40 == 0:  # the write-back, played by hand: every booked seat gets its code
            for pid in pids:
                key = box.venue.performance(pid).event_key
                for v in box.seatsio_world.object_views(key):
                    s = box.venue.seat_by_label(v.object.label).id
                    if v.status in ("booked", "resale") and not box.tessitura_world.is_sold(pid, s):
                        with contextlib.suppress(HoldConflictError):  # locked: next time
                            box.tessitura_world.update(
                                pid, [HoldRequest(s, WB)], mode=ReplaceMode.BELOW_EXISTING
                            )
        if i % 50 == 10:
            actors.lock_writes(pids)
        if i % 50 == 30:
            actors.unlock()
        (actors.office if rng.random() < 0.5 else actors.buyer)(pids)
    assert seen.lost_office_layers(box, 1e6, final=True) == []
    assert actors.counts["office_layers_put"] > 20 and actors.counts["online_bookings"] > 20
    assert actors.counts["office_layers_put_on_writeback"] > 0
    assert actors.counts["office_layers_taken_off"] > 0 and actors.counts["office_sales"] > 0
    assert actors.counts["seats_locked"] > 0 and actors.counts["office_moves_locked_out"] >= 0
    for pid in pids:  # every status change online was a buyer's: none is blamed on a bridge
        key = box.venue.performance(pid).event_key
        ids = {c.id for c in box.seatsio_world.status_changes(key)}
        assert ids <= seen.initial_ids[key] | seen.buyer_ids[key]
    assert box.tessitura_world.sold_seat_layers[WB] == 0


def test_the_writeback_config_is_written_only_when_the_profile_asks(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = sandbox_config(tmp_path / "a", "http://127.0.0.1:1", "http://127.0.0.1:2")
    config, table = chaos_config(plain, tmp_path / "a", None)
    assert '\nmode = "apply"' not in config.read_text()
    other = sandbox_config(tmp_path / "b", "http://127.0.0.1:1", "http://127.0.0.1:2")
    config, table = chaos_config(other, tmp_path / "b", None, writeback=True)
    text = config.read_text()
    assert text.count("[writeback]") == 1
    assert '[writeback]\nmode = "apply"\nhold_code = 90\n' in text
    rows = [r for r in table.read_text().splitlines() if r.startswith(f"{WB},")]
    assert len(rows) == 1 and rows[0].split(",")[1] == "ignore"
    check = subprocess.run(
        [sys.executable, "-m", "bridge", "config", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "write-back: apply, hold code 90" in check.stdout, check.stdout + check.stderr


def test_under_a_409_fault_a_seat_booked_online_is_locked_at_once_and_freed_after() -> None:
    box, seen = _box()
    actors = Writeback(box, random.Random(8), seen, Traffic(box, random.Random(9), seen), WB)
    actors.lock_writes((GALA,))
    before = set(box.tessitura_world.locked[GALA])
    while actors.counts["online_bookings"] == 0:
        actors.buyer((GALA,))
    label = actors.booked[-1][1]
    seat = box.venue.seat_by_label(label).id
    assert seat not in before and box.tessitura_world.is_locked(GALA, seat)
    with pytest.raises(HoldConflictError):  # the write-back's hold for it meets the lock
        box.tessitura_world.update(GALA, [HoldRequest(seat, WB)], mode=ReplaceMode.BELOW_EXISTING)
    actors.unlock()
    assert not box.tessitura_world.locked[GALA] and not actors.locking


@pytest.mark.slow
def test_a_writeback_schedule_end_to_end_loses_no_layer_and_converges(tmp_path: Path) -> None:
    """One schedule of the writeback profile through `seatbridge run` (one instance, SQLite):
    the bridge writes back while the box office and buyers act and its calls fail."""
    from bridge.testing.chaos.runner import run_schedule
    from bridge.testing.chaos.soak import report_failure

    outcome = run_schedule(generate(8, "writeback", scaled=False), tmp_path / "run")
    if outcome.violations:
        pytest.fail(report_failure(outcome, tmp_path), pytrace=False)
    assert outcome.converged_after_s is not None
    assert outcome.hit["writeback_posts"] > 0 and outcome.hit["office_layers_put"] > 0
