"""`explain` on the Tessitura side (two-way write-back): the bridge's own layer named as such,
the write-back ledger's row, and what the write-back plans for the seat and why, in the JSON and
in the text an operator reads."""

from __future__ import annotations

from dataclasses import replace

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.commands.explain import header_lines, seat_lines
from bridge.core.explain import PerformanceFacts, SeatFacts
from bridge.core.policy import WritebackPolicy
from bridge.reconcile.explain_gather import explain_performance
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for

WEB = 90  # the sample's write-back code (an ignore row)
HOUSE = 1
PID, EVENT = 201, "perf-201"


def writing_back(bench: Bench, mode: str = "apply") -> Reconciler:
    r = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    r.policy = replace(r.policy, writeback=WritebackPolicy(mode=mode, hold_code_id=WEB))
    return r


def seat(facts: PerformanceFacts, label: str) -> SeatFacts:
    return next(s for s in facts.seats if s.label == label)


async def test_a_seat_sold_online_shows_the_hold_to_come_then_the_layer_and_ledger_row(
    bench: Bench,
) -> None:
    label = "Orchestra-C-5"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    before = seat(await explain_performance(r, PID), label)
    assert before.writeback is not None
    assert (before.writeback.plan, before.writeback.why) == ("hold", "sold online (booked)")
    assert not before.writeback.layer and not before.writeback.in_ledger
    assert "next reconcile holds it in Tessitura: sold online (booked)" in "\n".join(
        seat_lines(before)
    )

    await r.reconcile([PID], apply=True)
    facts = await explain_performance(r, PID)
    after = seat(facts, label)
    assert after.writeback is not None
    assert after.writeback.plan == "keep"
    assert after.writeback.layer and after.writeback.in_ledger and after.writeback.since
    (hold,) = after.holds
    assert hold.code == WEB and hold.writeback
    data = after.to_json()
    assert data["holds"][0]["writeback"] is True
    assert data["writeback"]["ledger"]["since"] == after.writeback.since.isoformat()
    assert data["writeback"]["plan"] == "keep"
    text = "\n".join(seat_lines(after))
    assert "the bridge's write-back" in text
    assert "ledger holds it since" in text
    assert facts.writeback is not None and facts.writeback.held == 1
    assert facts.to_json()["writeback"]["held"] == 1
    assert any("ledger holds 1 seat(s)" in line for line in header_lines(facts))


async def test_a_released_seat_under_a_box_office_hold_says_the_lift_waits(bench: Bench) -> None:
    label = "Orchestra-C-6"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], HOUSE)
    await r.reconcile([PID], apply=True)
    bench.box.seatsio_world.release(EVENT, [label])
    fact = seat(await explain_performance(r, PID), label).writeback
    assert fact is not None and fact.plan == "waits"
    assert fact.why.startswith("not sold online, but under code 1")


async def test_a_released_seat_alone_is_lifted(bench: Bench) -> None:
    label = "Orchestra-C-7"
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, [label])
    await r.reconcile([PID], apply=True)
    bench.box.seatsio_world.release(EVENT, [label])
    fact = seat(await explain_performance(r, PID), label).writeback
    assert fact is not None and (fact.plan, fact.why) == ("lift", "not sold online")


async def test_a_seat_sold_at_the_box_office_gets_nothing_and_says_why(bench: Bench) -> None:
    label, free = "Orchestra-C-8", "Orchestra-C-9"
    r = writing_back(bench)
    bench.box.tessitura_world.sell(PID, bench.seat(label))
    bench.box.seatsio_world.book(EVENT, [label])
    facts = await explain_performance(r, PID)
    sold = seat(facts, label).writeback
    assert sold is not None and sold.plan == "none"
    assert "sold at the box office" in sold.why
    other = seat(facts, free).writeback
    assert other is not None and (other.plan, other.why) == ("none", "not sold online")


async def test_report_mode_says_what_apply_would_write(bench: Bench) -> None:
    label = "Orchestra-C-10"
    r = writing_back(bench, mode="report")
    bench.box.seatsio_world.book(EVENT, [label])
    facts = await explain_performance(r, PID)
    fact = seat(facts, label).writeback
    assert fact is not None and fact.plan == "hold"
    assert fact.phrase().startswith("report mode: apply would hold it in Tessitura")
    assert facts.writeback is not None and facts.writeback.holds == 1


async def test_with_the_write_back_off_nothing_of_it_shows(bench: Bench) -> None:
    r = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    facts = await explain_performance(r, PID)
    assert facts.writeback is None and facts.to_json()["writeback"] is None
    assert all(s.writeback is None for s in facts.seats)
    assert not any("tessitura:" in line for s in facts.seats[:3] for line in seat_lines(s))


async def test_a_layer_the_bridge_has_no_record_of_placing_is_said_to_be_left(
    bench: Bench,
) -> None:
    label = "Orchestra-C-12"
    r = writing_back(bench)
    bench.box.tessitura_world.hold(PID, [bench.seat(label)], WEB)  # by hand, or a store lost
    fact = seat(await explain_performance(r, PID), label).writeback
    assert fact is not None and fact.layer and not fact.in_ledger
    assert fact.plan == "none" and "no record of placing it: left as it is" in fact.why
