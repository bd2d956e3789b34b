"""The planner, one behaviour per test: product.md's rules that protect data, by example."""

from __future__ import annotations

from dataclasses import replace

import pytest
from reconcile_world import PRESS, SPECS, VIP, desired_for, entry, event, ledger, obj

from bridge.core.desired import DesiredEvent, DesiredState
from bridge.core.findings import FindingKind
from bridge.core.observed import ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.policy import Policy
from bridge.core.reasons import Rule
from bridge.core.simulate import simulate
from bridge.domain import LedgerEntry, Ownership
from bridge.mapping.model import Action, ChannelSpec, HoldRule

CH = Ownership.CHANNEL
ST = Ownership.STATUS
NFS = Ownership.NOT_FOR_SALE
POLICY = Policy()


def _plan(
    desired: DesiredState,
    *events: ObservedEvent,
    led: dict[tuple[str, str], LedgerEntry] | None = None,
    policy: Policy = POLICY,
) -> Plan:
    return plan(desired, {e.key: e for e in events}, led or {}, policy, SPECS)


def _kinds(p: Plan) -> list[OpKind]:
    return [op.kind for op in p.operations]


def _findings(p: Plan, kind: FindingKind) -> list[str | None]:
    return [f.label for f in p.findings if f.kind is kind]


# -- a. never overwrite a sale ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["booked", "reservedByToken", "resale", "someone-elses"])
def test_a_sold_or_foreign_status_object_the_bridge_wants_is_a_conflict_not_a_change(
    status: str,
) -> None:
    p = _plan(
        desired_for("ev", statuses={"held": ["A-1"]}),
        event("ev", [obj("A-1", status)], channels=SPECS),
    )
    assert p.operations == ()
    (conflict,) = p.findings
    assert (conflict.kind, conflict.label, conflict.event_key) == (
        FindingKind.CONFLICT,
        "A-1",
        "ev",
    )
    assert status in conflict.detail


def test_a_sold_object_in_a_bridge_channel_stays_there_and_keeps_its_ledger_entry() -> None:
    led = ledger(entry("ev", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev"), event("ev", [obj("A-1", "booked", "vip")], channels=SPECS), led=led
    )
    assert p.operations == ()
    assert _findings(p, FindingKind.SOLD_WHILE_HELD) == ["A-1"]


def test_a_sold_object_the_bridge_still_wants_in_its_channel_is_reported_as_a_conflict() -> None:
    led = ledger(entry("ev", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}),
        event("ev", [obj("A-1", "booked", "vip")], channels=SPECS),
        led=led,
    )
    assert p.operations == ()
    assert _findings(p, FindingKind.CONFLICT) == ["A-1"]


def test_a_status_someone_else_replaced_is_forgotten_without_a_call() -> None:
    led = ledger(entry("ev", "A-1", ST, "held"))
    p = _plan(desired_for("ev"), event("ev", [obj("A-1", "booked")]), led=led)
    assert p.operations == (
        Operation(OpKind.LEDGER_FORGET, ("ev",), ("A-1",), "held", ownership=ST),
    )
    assert p.is_empty


# -- b. touch only what it owns -----------------------------------------------------------------


def test_only_objects_the_ledger_owns_are_removed_from_a_bridge_channel() -> None:
    led = ledger(entry("ev", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev"),
        event("ev", [obj("A-1", channel="vip"), obj("A-2", channel="vip")], channels=SPECS),
        led=led,
        policy=Policy(force=True),
    )
    assert p.operations == (Operation(OpKind.REMOVE_FROM_CHANNEL, ("ev",), ("A-1",), "vip"),)
    assert _findings(p, FindingKind.UNOWNED_IN_BRIDGE_CHANNEL) == ["A-2"]


def test_a_held_object_in_a_partners_channel_is_held_by_a_status_the_channel_left_alone() -> None:
    foreign = ChannelSpec("promoter", "Promoter", "#000", 5)
    in_partner_channel = event(
        "ev",
        [obj("A-1", channel="promoter"), obj("A-2", channel="promoter")],
        channels=(*SPECS, foreign),
    )
    desired = desired_for("ev", channels={"vip": ["A-1"]}, statuses={"held": ["A-2"]})
    p = _plan(desired, in_partner_channel, policy=Policy(fallback_status="held-by-bridge"))
    assert p.operations == (  # no channel call: the partner's channel is never touched
        Operation(OpKind.CHANGE_STATUS, ("ev",), ("A-2",), "held", ("free",)),
        Operation(OpKind.CHANGE_STATUS, ("ev",), ("A-1",), "held-by-bridge", ("free",)),
    )
    assert _findings(p, FindingKind.FOREIGN_CHANNEL) == ["A-1", "A-2"]
    assert all(f.severity.value == "conflict" for f in p.findings)  # never converged-silent
    # with no fallback status configured the channel hold stays buyable there, and says so
    bare = _plan(desired, in_partner_channel)
    assert [op.labels for op in bare.operations] == [("A-2",)]
    (a1,) = [f for f in bare.findings if f.label == "A-1"]
    assert "no fallback status" in a1.detail


def test_a_channel_seatsio_refused_in_this_run_is_replaced_by_the_fallback_status() -> None:
    refused = replace(FALLBACK, refused_channels=frozenset({("ev", "vip")}))
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}), event("ev", [obj("A-1")]), policy=refused
    )
    assert p.api_operations == (
        Operation(OpKind.CHANGE_STATUS, ("ev",), ("A-1",), "held-by-bridge", ("free",)),
    )
    (finding,) = p.findings
    assert (finding.kind, finding.severity.value) == (FindingKind.CHANNEL_REFUSED, "error")
    assert p.reasons[("ev", "A-1")].rule is Rule.FALLBACK


def test_a_partners_channel_hold_keeps_its_fallback_until_the_partner_lets_go() -> None:
    foreign = ChannelSpec("promoter", "Promoter", "#000", 5)
    policy = Policy(fallback_status="held-by-bridge", bridge_statuses=frozenset({"held-by-bridge"}))
    led = ledger(entry("ev", "A-1", ST, "held-by-bridge"))
    desired = desired_for("ev", channels={"vip": ["A-1"]})
    still = event(
        "ev", [obj("A-1", "held-by-bridge", channel="promoter")], channels=(*SPECS, foreign)
    )
    assert _plan(desired, still, led=led, policy=policy).operations == ()
    # the partner took it out of their channel: the planned channel, then the status goes
    freed = event("ev", [obj("A-1", "held-by-bridge")], channels=(*SPECS, foreign))
    p = _plan(desired, freed, led=led, policy=policy)
    assert _kinds(p) == [OpKind.ADD_TO_CHANNEL, OpKind.RELEASE_STATUS, OpKind.LEDGER_CLAIM]


def test_an_object_in_an_unowned_bridge_channel_is_not_moved_to_another() -> None:
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}),
        event("ev", [obj("A-1", channel="press")], channels=SPECS),
    )
    assert p.operations == ()
    assert _findings(p, FindingKind.UNOWNED_IN_BRIDGE_CHANNEL) == ["A-1"]


def test_a_status_is_released_only_when_the_ledger_names_that_status() -> None:
    led = ledger(entry("ev", "A-1", ST, "held-a"))
    p = _plan(desired_for("ev"), event("ev", [obj("A-1", "held-b")]), led=led)
    assert not p.api_operations  # held-b was set by someone else: only the stale claim goes
    assert _kinds(p) == [OpKind.LEDGER_FORGET]


def test_a_status_the_bridge_set_is_released_with_that_status_as_allowed_previous() -> None:
    led = ledger(entry("ev", "A-1", ST, "held"))
    p = _plan(
        desired_for("ev"), event("ev", [obj("A-1", "held")]), led=led, policy=Policy(force=True)
    )
    assert p.operations == (
        Operation(OpKind.RELEASE_STATUS, ("ev",), ("A-1",), "held", allowed_previous=("held",)),
    )


def test_an_object_already_as_wanted_is_claimed_in_the_ledger_without_a_call() -> None:
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}, statuses={"held": ["A-2"]}),
        event("ev", [obj("A-1", channel="vip"), obj("A-2", "held")], channels=SPECS),
    )
    assert p.is_empty
    assert p.operations == (
        Operation(OpKind.LEDGER_CLAIM, ("ev",), ("A-2",), "held", ownership=ST),
        Operation(OpKind.LEDGER_CLAIM, ("ev",), ("A-1",), "vip", ownership=CH),
    )


def test_a_write_ahead_claim_whose_call_never_happened_is_forgotten_then_redone() -> None:
    led = ledger(entry("ev", "A-1", CH, "press"))
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}),
        event("ev", [obj("A-1")], channels=SPECS),
        led=led,
    )
    assert _kinds(p) == [OpKind.LEDGER_FORGET, OpKind.ADD_TO_CHANNEL]


def test_keys_outside_the_desired_state_are_never_touched() -> None:
    led = ledger(entry("other", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev"),
        event("ev", [obj("A-1")], channels=SPECS),
        event("other", [obj("A-1", channel="vip")], channels=SPECS),
        led=led,
    )
    assert p.operations == () and p.findings == ()


def test_undecided_labels_are_left_exactly_as_they_are() -> None:
    want = DesiredEvent("ev", {}, {}, frozenset(), (1,), undecided=frozenset({"A-1"}))
    led = ledger(entry("ev", "A-1", ST, "held"))
    p = _plan(DesiredState({"ev": want}), event("ev", [obj("A-1", "held")]), led=led)
    assert p.operations == ()


def test_a_label_missing_from_the_chart_is_reported_and_not_written() -> None:
    p = _plan(desired_for("ev", statuses={"held": ["Z-9"]}), event("ev", [obj("A-1")]))
    assert p.operations == ()
    assert _findings(p, FindingKind.NOT_ON_CHART) == ["Z-9"]


def test_a_missing_event_is_reported_and_planned_for_no_further() -> None:
    p = _plan(desired_for("ev", statuses={"held": ["A-1"]}))
    assert p.operations == ()
    assert [f.kind for f in p.findings] == [FindingKind.EVENT_NOT_FOUND]


def test_a_wanted_channel_without_configuration_is_reported() -> None:
    p = _plan(desired_for("ev", channels={"ghost": ["A-1"]}), event("ev", [obj("A-1")]))
    assert p.operations == ()
    assert _findings(p, FindingKind.CHANNEL_NOT_CONFIGURED) == ["A-1"]


# -- c. conditional writes ----------------------------------------------------------------------


def test_a_free_object_gets_its_status_only_if_still_free() -> None:
    p = _plan(
        desired_for("ev", statuses={"held": ["A-1", "A-2"]}), event("ev", [obj("A-1"), obj("A-2")])
    )
    assert p.operations == (
        Operation(
            OpKind.CHANGE_STATUS, ("ev",), ("A-1", "A-2"), "held", allowed_previous=("free",)
        ),
    )


def test_moving_between_bridge_statuses_is_one_call_guarded_by_the_old_status() -> None:
    led = ledger(entry("ev", "A-1", ST, "held-a"))
    p = _plan(
        desired_for("ev", statuses={"held-b": ["A-1"]}),
        event("ev", [obj("A-1", "held-a")]),
        led=led,
    )
    assert p.operations == (
        Operation(OpKind.CHANGE_STATUS, ("ev",), ("A-1",), "held-b", allowed_previous=("held-a",)),
        Operation(OpKind.LEDGER_CLAIM, ("ev",), ("A-1",), "held-b", ownership=ST),
    )


# -- d. transitions without a gap ---------------------------------------------------------------


def test_a_status_hold_becoming_a_channel_hold_is_added_to_the_channel_before_release() -> None:
    led = ledger(entry("ev", "A-1", ST, "held"))
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}),
        event("ev", [obj("A-1", "held")], channels=SPECS),
        led=led,
    )
    assert _kinds(p) == [OpKind.ADD_TO_CHANNEL, OpKind.RELEASE_STATUS, OpKind.LEDGER_CLAIM]


def test_a_channel_hold_becoming_a_status_hold_gets_the_status_before_leaving_the_channel() -> None:
    led = ledger(entry("ev", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev", statuses={"held": ["A-1"]}),
        event("ev", [obj("A-1", channel="vip")], channels=SPECS),
        led=led,
    )
    assert _kinds(p) == [OpKind.CHANGE_STATUS, OpKind.REMOVE_FROM_CHANNEL, OpKind.LEDGER_CLAIM]


def test_moving_between_bridge_channels_is_a_single_add() -> None:
    led = ledger(entry("ev", "A-1", CH, "vip"))
    p = _plan(
        desired_for("ev", channels={"press": ["A-1"]}),
        event("ev", [obj("A-1", channel="vip")], channels=SPECS),
        led=led,
    )
    assert _kinds(p) == [OpKind.ADD_TO_CHANNEL, OpKind.LEDGER_CLAIM]


def test_a_crash_between_add_and_release_is_finished_by_the_next_run() -> None:
    led = ledger(entry("ev", "A-1", ST, "held"))
    want = desired_for("ev", channels={"vip": ["A-1"]})
    seen = {"ev": event("ev", [obj("A-1", "held")], channels=SPECS)}
    first = plan(want, seen, led, POLICY, SPECS)
    seen2, led2 = simulate(first, seen, led, crash_at=0)  # ADD_TO_CHANNEL done, then crash
    assert led2 == led  # the status entry was not overwritten by a write-ahead claim
    second = plan(want, seen2, led2, POLICY, SPECS)
    assert _kinds(second) == [OpKind.RELEASE_STATUS, OpKind.LEDGER_CLAIM]
    seen3, led3 = simulate(second, seen2, led2)
    assert led3 == ledger(entry("ev", "A-1", CH, "vip"))
    assert seen3["ev"].objects["A-1"] == obj("A-1", "free", "vip")


# -- e. no mass release by accident -------------------------------------------------------------


def _many_held(n: int) -> tuple[ObservedEvent, dict[tuple[str, str], LedgerEntry]]:
    labels = [f"A-{i}" for i in range(n)]
    seen = event("ev", [obj(lbl, "held") for lbl in labels])
    return seen, ledger(*(entry("ev", lbl, ST, "held") for lbl in labels))


def test_lifting_most_holds_at_once_is_refused_with_the_figures() -> None:
    seen, led = _many_held(60)
    p = _plan(desired_for("ev", statuses={"held-new": ["A-0"]}), seen, led=led)
    assert not any(op.kind is OpKind.RELEASE_STATUS for op in p.operations)
    (refusal,) = [f for f in p.findings if f.kind is FindingKind.MASS_RELEASE_REFUSED]
    assert refusal.count == 59 and "59 of 60" in refusal.detail
    # the add (a transition of A-0) stays, and A-0's old ownership stays in the ledger
    assert [op.kind for op in p.api_operations] == [OpKind.CHANGE_STATUS]


def test_forcing_a_mass_release_lets_it_through() -> None:
    seen, led = _many_held(60)
    p = _plan(desired_for("ev"), seen, led=led, policy=Policy(force=True))
    assert [(op.kind, len(op.labels)) for op in p.operations] == [(OpKind.RELEASE_STATUS, 60)]


def test_a_release_below_the_floor_is_allowed_whatever_the_share() -> None:
    seen, led = _many_held(40)
    p = _plan(desired_for("ev"), seen, led=led)
    assert [(op.kind, len(op.labels)) for op in p.operations] == [(OpKind.RELEASE_STATUS, 40)]


def test_moving_many_holds_from_a_status_to_a_channel_is_not_a_mass_release() -> None:
    seen, led = _many_held(60)
    labels = [f"A-{i}" for i in range(60)]
    seen = event("ev", seen.objects.values(), channels=SPECS)
    p = _plan(desired_for("ev", channels={"vip": labels}), seen, led=led)
    assert _kinds(p) == [OpKind.ADD_TO_CHANNEL, OpKind.RELEASE_STATUS, OpKind.LEDGER_CLAIM]
    assert not _findings(p, FindingKind.MASS_RELEASE_REFUSED)


# -- f. idempotent ------------------------------------------------------------------------------


def test_planning_after_applying_a_plan_finds_nothing_to_do() -> None:
    want = desired_for(
        "ev", channels={"vip": ["A-1"]}, statuses={"held": ["A-2"]}, not_for_sale=["A-3"]
    )
    seen = {"ev": event("ev", [obj("A-1"), obj("A-2"), obj("A-3")])}
    first = plan(want, seen, {}, POLICY, SPECS)
    assert _kinds(first) == [OpKind.CREATE_CHANNEL, OpKind.CHANGE_STATUS, OpKind.MARK_NOT_FOR_SALE]
    seen2, led2 = simulate(first, seen, {}, strict=True)
    assert plan(want, seen2, led2, POLICY, SPECS).operations == ()
    assert {(e.label, e.ownership, e.target) for e in led2.values()} == {
        ("A-1", CH, "vip"),
        ("A-2", ST, "held"),
        ("A-3", NFS, ""),
    }


# -- g. merge -----------------------------------------------------------------------------------


def test_the_same_status_change_on_several_events_is_one_multi_event_operation() -> None:
    events = {
        k: DesiredEvent(k, {}, {"held": frozenset({"A-1"})}, frozenset(), (i,))
        for i, k in enumerate(["ev-2", "ev-1", "ev-3"])
    }
    p = _plan(
        DesiredState(events),
        event("ev-1", [obj("A-1")]),
        event("ev-2", [obj("A-1")]),
        event("ev-3", [obj("A-1", "booked")]),
    )
    assert p.api_operations == (
        Operation(
            OpKind.CHANGE_STATUS, ("ev-1", "ev-2"), ("A-1",), "held", allowed_previous=("free",)
        ),
    )


def test_status_changes_with_different_objects_stay_separate_per_event() -> None:
    events = {
        "ev-1": DesiredEvent("ev-1", {}, {"held": frozenset({"A-1"})}, frozenset(), (1,)),
        "ev-2": DesiredEvent("ev-2", {}, {"held": frozenset({"A-2"})}, frozenset(), (2,)),
    }
    p = _plan(
        DesiredState(events),
        event("ev-1", [obj("A-1"), obj("A-2")]),
        event("ev-2", [obj("A-1"), obj("A-2")]),
    )
    assert [op.event_keys for op in p.operations] == [("ev-1",), ("ev-2",)]


# -- h. not for sale ----------------------------------------------------------------------------


def test_objects_to_restrict_go_out_in_one_coalesced_for_sale_edit() -> None:
    p = _plan(
        desired_for("ev", not_for_sale=["A-1", "A-2"]),
        event("ev", [obj("A-1"), obj("A-2"), obj("A-3")], calls_left=5),
    )
    assert p.operations == (Operation(OpKind.MARK_NOT_FOR_SALE, ("ev",), ("A-1", "A-2")),)


def test_no_restricting_edit_is_planned_once_only_the_reserve_is_left() -> None:
    led = ledger(entry("ev", "A-1", ST, "held"))
    p = _plan(
        desired_for("ev", not_for_sale=["A-1", "A-2"]),
        event("ev", [obj("A-1", "held"), obj("A-2")], calls_left=2),
        led=led,
    )
    assert p.operations == ()  # and A-1 keeps its status until it can be marked
    budget, held = p.findings
    assert (held.kind, held.labels) == (FindingKind.HELD_BY_FALLBACK, ("A-1",))
    assert budget.kind is FindingKind.FOR_SALE_BUDGET_EXHAUSTED  # no fallback: buyable, error
    assert budget.labels == ("A-2",)


FALLBACK = Policy(fallback_status="held-by-bridge", bridge_statuses=frozenset({"held-by-bridge"}))


def test_a_spent_for_sale_budget_holds_new_kills_by_the_fallback_status() -> None:
    p = _plan(
        desired_for("ev", not_for_sale=["A-1", "A-2"]),
        event("ev", [obj("A-1"), obj("A-2")], calls_left=2),
        policy=FALLBACK,
    )
    assert p.operations[0] == Operation(
        OpKind.CHANGE_STATUS, ("ev",), ("A-1", "A-2"), "held-by-bridge", ("free",)
    )
    (held,) = p.findings
    assert (held.kind, held.labels, held.severity.value) == (
        FindingKind.HELD_BY_FALLBACK,
        ("A-1", "A-2"),
        "warning",
    )
    assert p.reasons[("ev", "A-1")].rule is Rule.FALLBACK


def test_the_last_edit_above_the_reserve_is_kept_for_kills_without_a_fallback() -> None:
    code_fallback = HoldRule(5, Action.NOT_FOR_SALE, None, 1, fallback_status="held-kill")
    desired = desired_for("ev", not_for_sale=["A-1", "A-2"])
    ev = desired.events["ev"]
    desired = DesiredState({"ev": replace(ev, rules={"A-1": code_fallback})})
    p = _plan(desired, event("ev", [obj("A-1"), obj("A-2")], calls_left=3))
    assert p.api_operations == (
        Operation(OpKind.CHANGE_STATUS, ("ev",), ("A-1",), "held-kill", ("free",)),
        Operation(OpKind.MARK_NOT_FOR_SALE, ("ev",), ("A-2",)),
    )


def test_a_fallback_hold_moves_to_not_for_sale_once_the_budget_resets() -> None:
    led = ledger(entry("ev", "A-1", ST, "held-by-bridge"))
    desired = desired_for("ev", not_for_sale=["A-1"])
    held = event("ev", [obj("A-1", "held-by-bridge")], calls_left=2)
    assert _plan(desired, held, led=led, policy=FALLBACK).operations == ()  # still spent
    reset = event("ev", [obj("A-1", "held-by-bridge")], calls_left=10)
    p = _plan(desired, reset, led=led, policy=FALLBACK)
    assert p.api_operations == (  # marked first, the status lifted after: never buyable between
        Operation(OpKind.MARK_NOT_FOR_SALE, ("ev",), ("A-1",)),
        Operation(OpKind.RELEASE_STATUS, ("ev",), ("A-1",), "held-by-bridge", ("held-by-bridge",)),
    )
    after, led_after = simulate(p, {"ev": reset}, led)
    assert not _plan(desired, after["ev"], led=dict(led_after), policy=FALLBACK).operations


def test_lifting_a_not_for_sale_hold_costs_no_budget() -> None:
    led = ledger(entry("ev", "A-1", NFS))
    p = _plan(
        desired_for("ev"),
        event("ev", [obj("A-1")], not_for_sale=["A-1"], calls_left=0),
        led=led,
    )
    assert p.operations == (Operation(OpKind.MARK_FOR_SALE, ("ev",), ("A-1",)),)


def test_not_for_sale_marks_by_someone_else_are_never_lifted() -> None:
    p = _plan(desired_for("ev"), event("ev", [obj("A-1")], not_for_sale=["A-1"]))
    assert p.operations == ()


# -- channels -----------------------------------------------------------------------------------


def test_a_missing_bridge_channel_is_created_with_its_first_objects() -> None:
    p = _plan(
        desired_for("ev", channels={"vip": ["A-2", "A-1"]}), event("ev", [obj("A-1"), obj("A-2")])
    )
    assert p.operations == (
        Operation(OpKind.CREATE_CHANNEL, ("ev",), ("A-1", "A-2"), "vip", channel=VIP),
    )


def test_a_renamed_bridge_channel_is_put_back_to_its_configured_name_and_colour() -> None:
    old = ChannelSpec("vip", "V.I.P.", "#ffffff", 1)
    p = _plan(desired_for("ev"), event("ev", [], channels=[old, PRESS]))
    assert p.operations == (Operation(OpKind.UPDATE_CHANNEL, ("ev",), (), "vip", channel=VIP),)


def test_where_the_bridge_owns_every_channel_one_replace_carries_all_lists() -> None:
    foreign = ChannelSpec("promoter", "Promoter", "#000", 5)
    led = ledger(entry("ev", "A-3", CH, "press"))
    p = _plan(
        desired_for("ev", channels={"vip": ["A-1"]}),
        event(
            "ev",
            [obj("A-1"), obj("A-2", channel="promoter"), obj("A-3", channel="press")],
            channels=[PRESS, foreign],
        ),
        led=led,
        policy=Policy(owns_all_channels=frozenset({"ev"})),
    )
    assert p.operations == (
        Operation(
            OpKind.REPLACE_CHANNELS,
            ("ev",),
            ("A-1", "A-3"),
            channels=((VIP, ("A-1",)), (PRESS, ()), (foreign, ("A-2",))),
        ),
    )


# -- seasons ------------------------------------------------------------------------------------


def _season_state() -> DesiredState:
    season = DesiredEvent(
        "season", {"vip": frozenset({"A-1"})}, {}, frozenset(), (1, 2), is_season=True
    )
    ev1 = DesiredEvent(
        "ev-1", {}, {"held-f": frozenset({"A-2"})}, frozenset(), (1,), season_key="season"
    )
    ev2 = DesiredEvent("ev-2", {}, {}, frozenset(), (2,), season_key="season")
    return DesiredState({"season": season, "ev-1": ev1, "ev-2": ev2})


def test_season_channel_work_goes_to_the_season_and_status_work_to_the_event() -> None:
    p = _plan(
        _season_state(),
        event("season", [obj("A-1"), obj("A-2")], channels=SPECS, is_season=True),
        event("ev-1", [obj("A-1"), obj("A-2")], season_key="season"),
        event("ev-2", [obj("A-1"), obj("A-2")], season_key="season"),
    )
    assert [(op.kind, op.event_keys, op.labels) for op in p.operations] == [
        (OpKind.ADD_TO_CHANNEL, ("season",), ("A-1",)),
        (OpKind.CHANGE_STATUS, ("ev-1",), ("A-2",)),
    ]


def test_a_season_seat_showing_an_events_bridge_status_is_not_a_conflict() -> None:
    led = ledger(entry("ev-1", "A-1", ST, "held-f"))
    p = _plan(
        _season_state(),
        event("season", [obj("A-1", "held-f"), obj("A-2")], channels=SPECS, is_season=True),
        event("ev-1", [obj("A-1", "held-f"), obj("A-2", "held-f")], season_key="season"),
        event("ev-2", [obj("A-1"), obj("A-2")], season_key="season"),
        led=led,
    )
    assert not _findings(p, FindingKind.CONFLICT)
    assert (OpKind.ADD_TO_CHANNEL, ("season",)) in [(op.kind, op.event_keys) for op in p.operations]


def test_a_season_seat_booked_for_one_performance_cannot_join_the_season_channel() -> None:
    p = _plan(
        _season_state(),
        event("season", [obj("A-1", "booked"), obj("A-2")], channels=SPECS, is_season=True),
        event("ev-1", [obj("A-1"), obj("A-2", "held-f")], season_key="season"),
        event("ev-2", [obj("A-1", "booked"), obj("A-2")], season_key="season"),
    )
    assert _findings(p, FindingKind.CONFLICT) == ["A-1"]
    assert all(op.event_keys != ("season",) for op in p.api_operations)


def test_a_channel_wanted_on_an_event_seats_io_puts_in_a_season_is_reported_not_written() -> None:
    led = ledger(entry("ev-1", "A-1", ST, "held"))
    p = _plan(
        desired_for("ev-1", channels={"vip": ["A-1"]}),
        event("ev-1", [obj("A-1", "held")], season_key="season"),
        led=led,
    )
    assert p.operations == ()  # and the status it had stays until the mapping is fixed
    assert _findings(p, FindingKind.CHANNEL_ON_SEASON_EVENT) == ["A-1"]
