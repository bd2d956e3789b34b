"""The seats.io model the properties rely on: it must refuse what seats.io refuses."""

from __future__ import annotations

import pytest
from reconcile_world import SPECS, VIP, entry, event, ledger, obj

from bridge.core.ledger_rules import LedgerWrites, ledger_writes
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.simulate import SimulationError, simulate
from bridge.domain import Ownership


def test_a_multi_event_status_change_is_all_or_nothing() -> None:
    seen = {"a": event("a", [obj("A-1")]), "b": event("b", [obj("A-1", "booked")])}
    op = Operation(OpKind.CHANGE_STATUS, ("a", "b"), ("A-1",), "held", allowed_previous=("free",))
    after, _ = simulate(Plan((op,)), seen, {})
    assert after["a"].objects["A-1"].status == "free"
    with pytest.raises(SimulationError):
        simulate(Plan((op,)), seen, {}, strict=True)


def test_adding_to_a_channel_moves_the_object_out_of_its_old_channel() -> None:
    seen = {"a": event("a", [obj("A-1", channel="press")], channels=SPECS)}
    after, _ = simulate(
        Plan((Operation(OpKind.ADD_TO_CHANNEL, ("a",), ("A-1",), "vip"),)), seen, {}
    )
    assert after["a"].objects["A-1"].channel == "vip"
    assert {c.key: c.objects for c in after["a"].channels} == {
        "vip": frozenset({"A-1"}),
        "press": frozenset(),
    }


def test_a_restricting_for_sale_edit_spends_one_call_of_the_budget() -> None:
    seen = {"a": event("a", [obj("A-1")], calls_left=3)}
    after, _ = simulate(Plan((Operation(OpKind.MARK_NOT_FOR_SALE, ("a",), ("A-1",)),)), seen, {})
    assert after["a"].for_sale_calls_left == 2
    assert after["a"].not_for_sale == frozenset({"A-1"})
    assert not after["a"].objects["A-1"].for_sale


def test_an_add_claims_ahead_only_into_an_empty_ledger_slot() -> None:
    led = ledger(entry("a", "A-1", Ownership.STATUS, "held"))
    op = Operation(OpKind.ADD_TO_CHANNEL, ("a",), ("A-1", "A-2"), "vip")
    assert ledger_writes(op, led) == LedgerWrites(
        claim_before=(entry("a", "A-2", Ownership.CHANNEL, "vip"),)
    )


def test_a_lift_forgets_only_an_entry_that_still_names_what_it_lifted() -> None:
    led = ledger(entry("a", "A-1", Ownership.CHANNEL, "vip"))
    seen = {"a": event("a", [obj("A-1", "held")])}
    release = Operation(OpKind.RELEASE_STATUS, ("a",), ("A-1",), "held", allowed_previous=("held",))
    _, after = simulate(Plan((release,)), seen, led)
    assert after == led


def test_a_crash_before_the_call_keeps_the_write_ahead_claim_and_changes_nothing() -> None:
    seen = {"a": event("a", [obj("A-1")], channels=[VIP])}
    op = Operation(OpKind.ADD_TO_CHANNEL, ("a",), ("A-1",), "vip")
    after, led = simulate(Plan((op,)), seen, {}, crash_at=0, crash_after_call=False)
    assert after["a"].objects["A-1"].channel is None
    assert led == ledger(entry("a", "A-1", Ownership.CHANNEL, "vip"))
