"""The two-way write-back through a whole pass against the sandbox: what seats.io sold becomes the
bridge's Tessitura hold, below every box-office layer, and goes only when it is alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.core.findings import FindingKind
from bridge.core.plan_model import Operation, OpKind
from bridge.core.policy import WritebackPolicy
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for

WEB = 90  # the sample's write-back code (an ignore row)
HOUSE = 1
PID, EVENT = 201, "perf-201"


def writing_back(bench: Bench, mode: str = "apply", **options: object) -> Reconciler:
    r = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    r.policy = replace(
        r.policy,
        writeback=WritebackPolicy(mode=mode, hold_code_id=WEB, **options),  # type: ignore[arg-type]
    )
    return r


def codes(bench: Bench, label: str, pid: int = PID) -> list[int]:
    """The seat's layers, top first."""
    return [
        layer.hold_code_id for layer in bench.box.tessitura_world.layers(pid, bench.seat(label))
    ]


async def held_then_released(bench: Bench, label: str) -> Reconciler:
    """A write-back reconciler that has held ``label`` in Tessitura (booked online), whose
    online booking is released since: the next pass would lift the hold."""
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [WEB]
    bench.box.seatsio_world.release(EVENT, [label])
    return r


async def test_a_seat_booked_online_is_held_in_tessitura_and_freed_when_released(
    bench: Bench,
) -> None:
    label = "Orchestra-C-5"
    r = writing_back(bench)
    await r.reconcile([PID], apply=True)
    bench.box.seatsio_world.book(EVENT, [label])
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [WEB]
    assert report.ending.value == "converged"
    held = bench.store.writeback_holds([PID])
    assert [(h.label, h.hold_code_id) for h in held.values()] == [(label, WEB)]
    again = await r.reconcile([PID], apply=True)
    assert again.plan.is_empty  # converged: nothing written twice
    bench.box.seatsio_world.release(EVENT, [label])
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []
    assert bench.store.writeback_holds([PID]) == {}


async def test_the_write_back_goes_below_a_box_office_hold_and_waits_for_it(bench: Bench) -> None:
    label = "Orchestra-C-6"
    seat = bench.seat(label)
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    bench.box.tessitura_world.hold(PID, [seat], HOUSE)
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [HOUSE, WEB]  # never above the box office's layer
    bench.box.seatsio_world.release(EVENT, [label])
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label)[0] == HOUSE  # a -1 would have taken the house seat's hold too
    assert WEB in codes(bench, label)
    assert any(f.kind is FindingKind.WRITEBACK_LIFT_WAITS for f in report.plan.findings)
    bench.box.tessitura_world.update(PID, [_line(seat, -1)])  # the box office lifts its hold
    bench.box.tessitura_world.hold(PID, [seat], WEB, mode=2)  # (the -1 took both; put ours back)
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []


async def test_a_seat_sold_at_the_box_office_gets_no_write_back(bench: Bench) -> None:
    label = "Orchestra-C-7"
    r = writing_back(bench)
    bench.box.tessitura_world.sell(PID, bench.seat(label))
    bench.box.seatsio_world.book(EVENT, [label])
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []
    assert not [op for op in report.plan.operations if op.kind.is_tessitura]


async def test_a_box_office_sale_after_the_write_back_lifts_it(bench: Bench) -> None:
    label = "Orchestra-C-8"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [WEB]
    bench.box.tessitura_world.sell(PID, bench.seat(label))  # the online order reached Tessitura
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []


async def test_report_mode_says_what_it_would_write_and_writes_nothing(bench: Bench) -> None:
    label = "Orchestra-C-9"
    r = writing_back(bench, mode="report")
    bench.box.seatsio_world.book(EVENT, [label])
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []
    planned = [f for f in report.plan.findings if f.kind is FindingKind.WRITEBACK_PLANNED]
    assert [f.labels for f in planned] == [(label,)]


async def test_the_dry_run_plan_shows_the_tessitura_side(bench: Bench) -> None:
    label = "Orchestra-C-10"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    report = await r.reconcile([PID], apply=False)
    (op,) = [op for op in report.plan.operations if op.kind is OpKind.HOLD_IN_TESSITURA]
    assert op.labels == (label,) and op.seat_ids == (bench.seat(label),)
    assert op.to_json()["performance_id"] == PID
    assert codes(bench, label) == []


async def test_the_bridge_never_reads_its_own_write_back_as_a_box_office_hold(
    bench: Bench,
) -> None:
    label = "Orchestra-C-11"
    r = await held_then_released(bench, label)
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], HOUSE)  # keeps ours under it
    report = await r.reconcile([PID], apply=True)
    # the house hold is mirrored to seats.io; the write-back layer under it changes nothing
    assert bench.box.seatsio_world.channel_of(EVENT, label) == "house"
    assert not [f for f in report.plan.findings if f.kind is FindingKind.UNKNOWN_HOLD_CODE]


@pytest.mark.parametrize("reading", ["refuse", "skip"])
async def test_a_seat_sold_between_read_and_hold_is_left_and_the_rest_held(
    bench: Bench, reading: str
) -> None:
    sold, other = "Orchestra-D-1", "Orchestra-D-2"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [sold, other])
    world = bench.box.tessitura_world
    world.sold_seat_lines = "skip" if reading == "skip" else world.sold_seat_lines
    reading_now = await r.read_unit((PID,))
    world.sell(PID, bench.seat(sold))  # the box office sells it after the read
    from bridge.reconcile.writeback import TessituraWriter

    (op,) = [o for o in reading_now.plan.operations if o.kind is OpKind.HOLD_IN_TESSITURA]
    report = await TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy).send(op)
    assert codes(bench, sold) == [] and codes(bench, other) == [WEB]
    assert report.note
    assert set(h.label for h in bench.store.writeback_holds([PID]).values()) == {other}


def _line(seat: int, code: int) -> object:
    from bridge.sandbox.tessitura_world import HoldRequest

    return HoldRequest(seat, code)


def _hold_drop(bench: Bench) -> None:
    """The next hold write lands in Tessitura, then its answer is lost (an unknown outcome)."""
    _hold_posts_fail(bench, drop_rate=1.0, count=1)


async def test_an_unknown_hold_keeps_its_claim_and_no_lift_follows_it(bench: Bench) -> None:
    going, coming = "Orchestra-E-1", "Orchestra-E-2"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [going])
    await r.reconcile([PID], apply=True)
    assert codes(bench, going) == [WEB]
    bench.box.seatsio_world.release(EVENT, [going])
    bench.box.seatsio_world.book(EVENT, [coming])
    _hold_drop(bench)
    report = await r.reconcile([PID], apply=True)
    states = {r.op.kind: r.state for r in report.units[0].outcome.results}  # type: ignore[union-attr]
    assert states[OpKind.HOLD_IN_TESSITURA] == "unknown"
    assert states[OpKind.LIFT_IN_TESSITURA] == "skipped"  # never a lift after an unknown
    assert codes(bench, going) == [WEB] and codes(bench, coming) == [WEB]
    assert report.ending.value == "error"
    labels = {h.label for h in bench.store.writeback_holds([PID]).values()}
    assert labels == {going, coming}  # the unknown hold's claim is kept
    await r.reconcile([PID], apply=True)  # read again: the hold is there, the lift goes
    assert codes(bench, going) == [] and codes(bench, coming) == [WEB]
    assert {h.label for h in bench.store.writeback_holds([PID]).values()} == {coming}


async def test_a_layer_that_appears_before_the_lift_keeps_the_bridge_layer(bench: Bench) -> None:
    label = "Orchestra-E-3"
    seat = bench.seat(label)
    r = await held_then_released(bench, label)
    reading = await r.read_unit((PID,))
    (op,) = [o for o in reading.plan.operations if o.kind is OpKind.LIFT_IN_TESSITURA]
    bench.box.tessitura_world.hold(PID, [seat], HOUSE)  # the box office, after the pass read
    from bridge.reconcile.writeback import TessituraWriter

    report = await TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy).send(op)
    assert codes(bench, label) == [HOUSE, WEB]
    assert [f.kind for f in report.findings] == [FindingKind.WRITEBACK_LIFT_WAITS]


async def test_a_layer_that_appears_around_the_lift_is_kept_and_reported(bench: Bench) -> None:
    label = "Orchestra-E-4"
    seat = bench.seat(label)
    r = await held_then_released(bench, label)
    send = bench.tessitura.update_seat_holds

    async def box_office_right_after(*args: object, **kwargs: object) -> object:
        answer = await send(*args, **kwargs)  # type: ignore[arg-type]
        bench.box.tessitura_world.hold(PID, [seat], HOUSE)  # lands just after the -1
        return answer

    bench.tessitura.update_seat_holds = box_office_right_after  # type: ignore[method-assign]
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [HOUSE]
    race = [f for f in report.plan.findings if f.kind is FindingKind.WRITEBACK_RACE]
    assert race and race[0].labels == (label,)
    assert bench.store.writeback_holds([PID]) == {}


async def test_a_lift_refused_for_a_locked_seat_keeps_the_hold_and_its_row(bench: Bench) -> None:
    label = "Orchestra-E-5"
    seat = bench.seat(label)
    r = await held_then_released(bench, label)
    bench.box.tessitura_world.lock(PID, seat)  # someone's pending transaction
    report = await r.reconcile([PID], apply=True)
    assert report.ending.value == "error"
    assert codes(bench, label) == [WEB]
    assert {h.label for h in bench.store.writeback_holds([PID]).values()} == {label}
    bench.box.tessitura_world.unlock(PID)
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []


async def test_a_failed_read_of_the_online_side_is_an_error_not_converged(bench: Bench) -> None:
    from bridge.sandbox.control import Faults

    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, ["Orchestra-E-6"])
    bench.box.seatsio_control.set_faults(
        Faults(method="GET", path_pattern=r"reports/events/.*/byStatus", error_rate=1.0)
    )
    report = await r.reconcile([PID], apply=True)
    assert report.ending.value == "error"
    assert codes(bench, "Orchestra-E-6") == []


async def test_a_lift_past_the_units_lease_is_never_sent(bench: Bench) -> None:
    """A writer paused past its lease must not send a stale -1 after its successor held the
    seat again: the Tessitura lift passes the unit's fence like a seats.io write."""
    from bridge.http import WriteFencedError, fenced
    from bridge.reconcile.apply import apply_plan
    from bridge.reconcile.writeback import TessituraWriter

    label = "Orchestra-E-7"
    r = await held_then_released(bench, label)
    reading = await r.read_unit((PID,))

    def lease_lost(_timeout_s: float) -> None:
        raise WriteFencedError("the unit's lease ran out")

    writer = TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy)
    posts_before = _posts(bench)
    with fenced(lease_lost):
        outcome = await apply_plan(
            reading.plan, bench.seatsio, bench.store, performance_ids=(PID,), tessitura=writer.send
        )
    (lift,) = [x for x in outcome.results if x.op.kind is OpKind.LIFT_IN_TESSITURA]
    assert lift.state == "failed" and "not sent" in (lift.error or "")
    assert _posts(bench) == posts_before  # the -1 never left the process
    assert codes(bench, label) == [WEB]


def _posts(bench: Bench) -> int:
    return sum(
        1
        for e in bench.box.tessitura_control.log.entries
        if e.method == "POST" and e.path.endswith("/Seats/Holds")
    )


async def test_a_lift_refused_with_a_429_is_not_repeated_after_the_wait(bench: Bench) -> None:
    """A repeated -1 would take a box-office layer placed during the wait: one attempt, and the
    next pass reads again."""

    label = "Orchestra-E-8"
    seat = bench.seat(label)
    r = await held_then_released(bench, label)
    _hold_posts_fail(
        bench, error_rate=1.0, error_status=429, error_headers={"Retry-After": "0"}, count=1
    )
    posts = _posts(bench)
    report = await r.reconcile([PID], apply=True)
    assert _posts(bench) == posts + 1  # refused once, never sent again in this pass
    (lift,) = [
        x
        for x in report.units[0].outcome.results  # type: ignore[union-attr]
        if x.op.kind is OpKind.LIFT_IN_TESSITURA
    ]
    assert lift.state == "failed"
    bench.box.tessitura_world.hold(PID, [seat], HOUSE)  # the box office, meanwhile
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [HOUSE, WEB]  # read again: not alone, so kept


async def test_a_seat_sold_under_an_unlisted_status_never_blocks_the_others(bench: Bench) -> None:
    sold, other = "Orchestra-F-1", "Orchestra-F-2"
    r = writing_back(bench, sold_statuses=frozenset({99}))  # the venue's sale status unknown
    bench.box.tessitura_world.sell(PID, bench.seat(sold))
    bench.box.seatsio_world.book(EVENT, [sold, other])
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, other) == [WEB] and codes(bench, sold) == []
    (refused,) = [f for f in report.plan.findings if f.kind is FindingKind.WRITEBACK_REFUSED]
    # perf 201's seeded online sales are ticketed too: all refused, each by itself
    assert sold in refused.labels and other not in refused.labels
    assert report.ending.value == "error"  # visible until someone settles the seat
    assert {h.label for h in bench.store.writeback_holds([PID]).values()} == {other}


async def test_a_seat_booked_online_again_before_the_lift_keeps_its_hold(bench: Bench) -> None:
    from bridge.reconcile.writeback import TessituraWriter

    label = "Orchestra-F-3"
    r = await held_then_released(bench, label)
    reading = await r.read_unit((PID,))
    (op,) = [o for o in reading.plan.operations if o.kind is OpKind.LIFT_IN_TESSITURA]
    bench.box.seatsio_world.book(EVENT, [label])  # someone else bought it meanwhile
    report = await TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy).send(op)
    assert codes(bench, label) == [WEB]
    assert report.note and "sold online again" in report.note


async def test_the_bridges_code_it_has_no_record_of_placing_is_never_lifted(bench: Bench) -> None:
    label = "Orchestra-F-4"
    r = writing_back(bench)
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], WEB)  # by hand, or a store lost
    report = await r.reconcile([PID], apply=True)
    assert codes(bench, label) == [WEB]
    (stray,) = [f for f in report.plan.findings if f.kind is FindingKind.WRITEBACK_STRAY]
    assert stray.labels == (label,)


async def test_a_lost_store_relearns_the_holds_of_seats_still_sold_online(bench: Bench) -> None:
    label = "Orchestra-F-5"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    bench.store.forget_writeback(list(bench.store.writeback_holds([PID])))  # the rows are gone
    await r.reconcile([PID], apply=True)
    assert {h.label for h in bench.store.writeback_holds([PID]).values()} == {label}
    bench.box.seatsio_world.release(EVENT, [label])
    await r.reconcile([PID], apply=True)
    assert codes(bench, label) == []


async def test_holds_that_vanish_but_the_bridges_own_still_count_as_vanished(bench: Bench) -> None:
    """Tessitura answering only the bridge's write-back layers is an empty answer of box-office
    holds: its releases are refused, as for a plain empty answer."""
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, ["Orchestra-F-6"])
    await r.reconcile([PID], apply=True)
    world = bench.box.tessitura_world
    world.release(PID, [s for s in world.held_seats(PID) if s != bench.seat("Orchestra-F-6")])
    report = await r.reconcile([PID], apply=True)
    assert {f.performance_id for f in report.refused} == {PID}


async def test_a_horizon_gives_the_write_back_hold_an_end_date(bench: Bench) -> None:
    from datetime import UTC, datetime, timedelta

    from bridge.clock import ManualClock

    label = "Orchestra-F-7"
    t0 = datetime(2030, 1, 5, 18, 0, tzinfo=UTC)  # the bridge's clock (the fake's is the wall's)
    r = writing_back(bench, hold_hours=48.0)
    r.clock = ManualClock(t0)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    (layer,) = bench.box.tessitura_world.layers(PID, bench.seat(label))
    assert layer.hold_code_id == WEB and layer.end == t0 + timedelta(hours=48)


async def test_a_hold_near_its_end_is_held_again_for_a_new_one(bench: Bench) -> None:
    from datetime import UTC, datetime, timedelta

    from bridge.clock import ManualClock

    label = "Orchestra-F-8"
    clock = ManualClock(datetime(2030, 1, 5, 18, 0, tzinfo=UTC))
    r = writing_back(bench, hold_hours=48.0)
    r.clock = r.seat_maps.clock = bench.tessitura.clock = clock  # one clock, as in a process
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    clock.advance(20 * 3600)  # 28 h left: more than half, nothing to do
    assert not [op for op in (await r.read_unit((PID,))).plan.operations if op.kind.is_tessitura]
    clock.advance(10 * 3600)  # 18 h left
    await r.reconcile([PID], apply=True)
    (layer,) = bench.box.tessitura_world.layers(PID, bench.seat(label))
    assert layer.end == clock.now() + timedelta(hours=48)


def _hold_op(pid: int, seats: dict[int, str]) -> Operation:
    return Operation(
        OpKind.HOLD_IN_TESSITURA,
        (f"perf-{pid}",),
        labels=tuple(seats.values()),
        target=str(WEB),
        performance_id=pid,
        seat_ids=tuple(seats),
    )


async def test_a_seat_the_performance_lacks_never_blocks_the_others(bench: Bench) -> None:
    from bridge.reconcile.writeback import TessituraWriter

    r = writing_back(bench)
    good = bench.seat("Orchestra-F-9")
    op = _hold_op(PID, {good: "Orchestra-F-9", 999_999: "Nowhere-1"})  # a stale table row
    report = await TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy).send(op)
    assert codes(bench, "Orchestra-F-9") == [WEB]
    (refused,) = [f for f in report.findings if f.kind is FindingKind.WRITEBACK_REFUSED]
    assert refused.labels == ("Nowhere-1",)
    assert {h.seat_id for h in bench.store.writeback_holds([PID]).values()} == {good}


async def test_a_refused_refresh_keeps_the_row_of_the_layer_still_there(bench: Bench) -> None:
    from bridge.errors import TerminalError
    from bridge.reconcile.writeback import TessituraWriter

    label = "Orchestra-F-10"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    _hold_posts_fail(
        bench,
        error_rate=1.0,
        error_status=400,
        error_body=[{"Code": "InvalidRequest", "Description": "refused"}],
        count=1,
    )
    writer = TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy)
    with pytest.raises(TerminalError):
        await writer.send(_hold_op(PID, {bench.seat(label): label}))  # a refresh, refused
    assert codes(bench, label) == [WEB]
    assert {h.label for h in bench.store.writeback_holds([PID]).values()} == {label}


async def test_a_hold_refused_by_429s_withdraws_its_new_claims(bench: Bench) -> None:
    from bridge.errors import RateLimitedError
    from bridge.reconcile.writeback import TessituraWriter

    label = "Orchestra-F-11"
    r = writing_back(bench)
    _hold_posts_fail(bench, error_rate=1.0, error_status=429, error_headers={"Retry-After": "0"})
    writer = TessituraWriter(bench.tessitura, bench.seatsio, bench.store, r.policy)
    with pytest.raises(RateLimitedError):
        await writer.send(_hold_op(PID, {bench.seat(label): label}))
    assert bench.store.writeback_holds([PID]) == {}  # a 429 cannot have landed


def test_a_refused_tessitura_hold_holds_back_no_lift_of_another_performance() -> None:
    from bridge.core.apply_rules import ApplyRules, Outcome

    rules = ApplyRules()
    hold = _hold_op(201, {1: "A-1"})
    rules.record([hold], Outcome.REFUSED)
    lift = Operation(
        OpKind.LIFT_IN_TESSITURA,
        ("perf-202",),
        labels=("A-1",),
        target=str(WEB),
        performance_id=202,
        seat_ids=(1,),
    )
    assert rules.decide(lift).run  # the same label, another performance
    same = Operation(
        OpKind.LIFT_IN_TESSITURA,
        ("perf-201",),
        labels=("A-1",),
        target=str(WEB),
        performance_id=201,
        seat_ids=(1,),
    )
    assert not rules.decide(same).run


def _hold_posts_fail(bench: Bench, **faults: Any) -> None:
    """Faults on Tessitura's ``POST Seats/Holds`` only (the write-back's writes)."""
    from bridge.sandbox.control import Faults

    bench.box.tessitura_control.set_faults(
        Faults(method="POST", path_pattern=r"Seats/Holds", **faults)
    )


async def test_a_dry_run_asks_the_breaker_for_each_side_apart_as_apply_does(
    bench: Bench,
) -> None:
    """40 box-office releases and 40 write-back lifts in one pass: each alone is under the
    floor of 50, together they are not. An applying pass asks the pass breaker for the
    seats.io side first, then for the write-back; the dry run must say the same."""
    world, online = bench.box.tessitura_world, bench.box.seatsio_world
    press = [bench.seat(f"Orchestra-H-{n}") for n in range(1, 41)]
    sold = [f"Orchestra-J-{n}" for n in range(1, 41)]
    r = writing_back(bench)
    world.hold(PID, press, HOUSE)
    online.book(EVENT, sold)
    await r.reconcile([PID], apply=True)
    await r.reconcile([PID], apply=True)
    world.release(PID, press)  # the box office lifts 40 holds
    online.release(EVENT, sold)  # and 40 online bookings are cancelled
    report = await r.reconcile([PID], apply=False)
    kinds = {op.kind for op in report.plan.operations}
    assert OpKind.REMOVE_FROM_CHANNEL in kinds  # the seats.io side goes
    assert OpKind.LIFT_IN_TESSITURA not in kinds  # the write-back's lifts wait
    refused = [f for f in report.refused if f.hold_code_id == WEB]
    assert refused and refused[0].count == 40
    applied = await r.reconcile([PID], apply=True)  # and the applying pass does as it said
    assert online.channel_of(EVENT, "Orchestra-H-1") is None
    assert codes(bench, sold[0]) == [WEB]
    assert [f.count for f in applied.refused if f.hold_code_id == WEB] == [40]
