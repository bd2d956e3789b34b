"""Fail closed at the vendor edge, end to end over the in-process sandbox: a Tessitura answer of the
wrong type makes that performance unreadable (its holds stay), and only seats.io's identified daily
for-sale limit is remembered as a spent budget; a concurrency 429 is a failed call that the next
run repeats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_bench import Bench, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.core.findings import FindingKind
from bridge.sandbox.control import Faults, Override
from bridge.sandbox.seatsio_forsale import ForSaleItem

EVENT, KILL, HOUSE = "perf-201", 5, "house"
#: The fake seats.io's own answer past the regular lane's limit (bridge/sandbox/seatsio_app.py).
LANE_REFUSAL = {
    "status": 429,
    "messages": ["Too many concurrent requests on the regular lane (at most 10)"],
    "errors": [
        {
            "code": "TOO_MANY_CONCURRENT_REQUESTS",
            "message": "Too many concurrent requests on the regular lane (at most 10)",
            "data": {},
        }
    ],
    "warnings": [],
    "requestId": "sandbox",
}


@pytest.fixture(params=["json", "xml"])
async def bench(cfg: BridgeConfig, request: pytest.FixtureRequest) -> AsyncIterator[Bench]:
    b = Bench(cfg, request.param)
    yield b
    await b.close()


def outcomes(bench: Bench) -> dict[int, str]:
    return {s.performance_id: s.outcome.value for s in bench.store.performance_statuses()}


async def test_seat_id_true_makes_the_performance_unreadable_and_its_holds_stay(
    bench: Bench,
) -> None:
    await bench.sync()
    world = bench.box.seatsio_world
    seat = bench.seat("Orchestra-A-1")
    assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE
    # Tessitura answers tonight's house hold on Orchestra-A-1 with "SeatId": true. Read laxly that
    # is seat 1 (in no seat table), so Orchestra-A-1 would look unheld and be released.
    bench.box.tessitura_control.add_override(
        Override(r"Performances/201/Seats/Holds$", {"SeatId": True}, where={"SeatId": seat})
    )
    bench.box.tessitura_world.release(202, [seat])  # meanwhile, another performance changes
    report = await bench.sync()

    assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE  # still held
    (error,) = [e for e in report.errors if "201" in e]
    assert "cannot read holds" in error and "SeatId" in error and "\n" not in error
    assert world.channel_of("perf-202", "Orchestra-A-1") is None  # the others still sync
    statuses = outcomes(bench)
    assert statuses[201] == "error" and statuses[202] == "converged"

    bench.box.tessitura_control.clear_overrides()
    assert not (await bench.sync()).errors
    assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE


async def test_a_lane_429_on_the_for_sale_edit_records_no_budget_and_the_next_run_marks(
    bench: Bench,
) -> None:
    await bench.sync()
    world = bench.box.seatsio_world
    left = bench.store.for_sale_calls_left(EVENT)
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-J-1")], KILL)
    bench.box.seatsio_control.set_faults(  # every attempt of the bench's retry policy refused
        Faults(
            error_rate=1.0,
            error_status=429,
            error_body=LANE_REFUSAL,
            path_pattern="edit-for-sale-config",
            count=2,
        )
    )
    report = await bench.sync()
    assert world.is_for_sale(EVENT, "Orchestra-J-1")
    assert any("mark_not_for_sale" in e and "concurrent" in e for e in report.errors)
    assert bench.store.for_sale_calls_left(EVENT) == left  # no "0 left today"
    assert outcomes(bench)[201] == "error"

    again = await bench.sync()
    assert not world.is_for_sale(EVENT, "Orchestra-J-1")  # the kill is marked next run
    assert not again.errors and outcomes(bench)[201] == "converged"


async def test_the_daily_limit_429_records_the_budget_until_it_resets(bench: Bench) -> None:
    await bench.sync()
    world = bench.box.seatsio_world
    for i in range(20):  # someone else spends today's restricting edits in the Event Manager
        try:
            world.edit_for_sale_config(EVENT, not_for_sale=[ForSaleItem(f"Balcony-A-{i + 1}")])
        except Exception:
            break
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-J-1")], KILL)
    report = await bench.sync()
    assert world.is_for_sale(EVENT, "Orchestra-J-1")
    # the refused mark gave way, in the same run, to the fallback status: never buyable
    assert world.object_status(EVENT, "Orchestra-J-1") == "held-by-bridge"
    assert not report.errors
    assert FindingKind.HELD_BY_FALLBACK in {f.kind for f in report.plan.findings}
    assert bench.store.for_sale_calls_left(EVENT) == 0
    tomorrow = datetime.now(UTC) + timedelta(hours=24, minutes=5)
    assert bench.store.for_sale_calls_left(EVENT, now=tomorrow) > 0


async def test_a_spent_daily_limit_does_not_hold_back_the_units_other_holds(bench: Bench) -> None:
    """Regression (chaos soak): the daily limit's 429 carries a Retry-After to the next reset,
    hours away; the unit used to wait it out, so a hold placed meanwhile stayed buyable."""
    await bench.sync()
    world = bench.box.seatsio_world
    for i in range(20):  # today's restricting edits are spent
        try:
            world.edit_for_sale_config(EVENT, not_for_sale=[ForSaleItem(f"Balcony-A-{i + 1}")])
        except Exception:
            break
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-J-1")], KILL)
    refused = await bench.sync()
    (unit,) = [u for u in refused.units if 201 in u.performance_ids]
    assert unit.requeue.after_s is None  # back on its cadence, not at tomorrow's reset
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-J-2")], 1)  # a House hold
    await bench.sync()
    assert world.channel_of(EVENT, "Orchestra-J-2") == HOUSE
    assert world.is_for_sale(EVENT, "Orchestra-J-1")  # the kill still waits for the reset


async def test_a_seat_id_given_twice_makes_the_performance_unreadable_and_its_hold_stays(
    cfg: BridgeConfig,
) -> None:
    bench = Bench(cfg, "json")  # XML cannot say it twice unnoticed: its reader refuses it too
    try:
        await bench.sync()
        world = bench.box.seatsio_world
        seat, other = bench.seat("Orchestra-A-1"), bench.seat("Orchestra-K-30")
        assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE
        assert world.channel_of(EVENT, "Orchestra-K-30") != HOUSE
        # Tessitura answers tonight's house hold on Orchestra-A-1 with a second "SeatId" naming
        # Orchestra-K-30. Read last-wins, the hold moved: A-1 released and on sale, K-30 held.
        bench.box.tessitura_control.add_override(
            Override(
                r"Performances/201/Seats/Holds$",
                {"SeatId": other},
                where={"SeatId": seat},
                repeat=True,
            )
        )
        report = await bench.sync()

        assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE  # still held
        assert world.channel_of(EVENT, "Orchestra-K-30") != HOUSE  # nothing moved onto K-30
        (error,) = [e for e in report.errors if "201" in e]
        assert "member 'SeatId' given twice" in error and "\n" not in error
        assert outcomes(bench)[201] == "error"
    finally:
        await bench.close()


async def test_a_holds_answer_over_the_cap_makes_the_performance_unreadable_and_its_holds_stay(
    bench: Bench,
) -> None:
    await bench.sync()
    world = bench.box.seatsio_world
    assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE
    bench.tessitura.max_answer_bytes = 256 * 1024  # as [tessitura] max_answer_mib = 0.25
    # tonight's holds answer grows past the cap (an unknown member of 300 KB on one hold)
    bench.box.tessitura_control.add_override(
        Override(
            r"Performances/201/Seats/Holds$",
            {"Notes": "x" * 300_000},
            where={"SeatId": bench.seat("Orchestra-A-1")},
        )
    )
    report = await bench.sync()

    assert world.channel_of(EVENT, "Orchestra-A-1") == HOUSE  # nothing released
    (error,) = [e for e in report.errors if "201" in e]
    assert "an answer over 0.25 MiB" in error and "[tessitura] max_answer_mib" in error
    statuses = outcomes(bench)
    assert statuses[201] == "error" and statuses[202] == "converged"
