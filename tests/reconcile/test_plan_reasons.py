"""The planner records why, per object: every seat the plan makes unbuyable or keeps held has a
reason, whose winning layer is the seat's top mapped hold layer, and explain says exactly the
plan's reason. As properties over random worlds, plus the rules an operator reads, by example."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import (
    PROPERTY,
    SEAT_MAP,
    SOLD_STATUSES,
    UNKNOWN_CODE,
    World,
    buyable,
    entry,
    event,
    ledger,
    obj,
    rule,
    snapshot,
    tables,
    worlds,
)

from bridge.core.desired import DesiredState, desired_state
from bridge.core.explain import ExplainInputs, SeatState, explain
from bridge.core.findings import FindingKind
from bridge.core.observed import ObservedEvent
from bridge.core.plan import plan, reason_of
from bridge.core.plan_model import Plan
from bridge.core.policy import Policy
from bridge.core.reasons import KEPT, WANTED, Reason, Rule
from bridge.core.simulate import simulate
from bridge.domain import HoldSnapshot, LedgerEntry, Ownership, SeatHold
from bridge.mapping.model import Action, HoldRule, PerformanceTarget

ADDS = {"create_channel", "add_to_channel", "change_status", "mark_not_for_sale"}
CONFLICTS = {
    FindingKind.CONFLICT,
    FindingKind.FOREIGN_CHANNEL,
    FindingKind.CHANNEL_NOT_CONFIGURED,
    FindingKind.CHANNEL_ON_SEASON_EVENT,
}
#: Rules under which the plan leaves the object exactly as it is on its event.
AS_IS = {
    Rule.UNKNOWN_CODE,
    Rule.UNDECIDED,
    Rule.UNKNOWN_SEAT,
    Rule.CONFLICT,
    Rule.CHANNEL_CONFLICT,
    Rule.NOT_ON_CHART,
}


def top_layer(holds: list[SeatHold], rules: dict[int, HoldRule]) -> SeatHold | None:
    """The seat's top mapped layer, ranked here from scratch: the mapped code with the lowest
    precedence (then the lowest code id), at its lowest priority."""
    mapped = [h for h in holds if h.hold_code_id in rules]
    if not mapped:
        return None
    return min(
        mapped,
        key=lambda h: (rules[h.hold_code_id].precedence, h.hold_code_id, h.priority),
    )


def held_after(after: Mapping[str, ObservedEvent], world: World, key: str, season: str | None,
               label: str) -> bool:  # fmt: skip
    """Not buyable once the plan ran, and not because someone bought it."""
    seen = world.observed.get(key)
    if seen is None or label not in seen.objects:
        return False
    sold = seen.objects[label].status in (*SOLD_STATUSES, "somebody-else")
    return not sold and not buyable(after, key, season, label)


@st.composite
def planned(draw: st.DrawFn) -> tuple[World, frozenset[int], DesiredState, Plan]:
    world = draw(worlds())
    pids = sorted({s.performance_id for s in world.snapshots} | set(world.tables.performances))
    failed = frozenset(draw(st.sets(st.sampled_from(pids), max_size=2)))
    snaps = [s for s in world.snapshots if s.performance_id not in failed]
    desired = desired_state(snaps, world.tables, world.policy)
    the_plan = plan(desired, world.observed, world.ledger, world.policy, world.specs)
    return replace(world, snapshots=tuple(snaps)), failed, desired, the_plan


def seats(world: World) -> list[tuple[HoldSnapshot, PerformanceTarget, int, str, list[SeatHold]]]:
    """Every labelled seat of every mapped performance read: (snapshot, target, seat, label,
    its hold layers in that performance)."""
    out = []
    labels = world.tables.seat_tables[SEAT_MAP].labels
    for snap in world.snapshots:
        target = world.tables.target_for(snap.performance_id)
        if target is None:
            continue
        for seat_id, label in labels.items():
            layers = [h for h in snap.holds if h.seat_id == seat_id]
            out.append((snap, target, seat_id, label, layers))
    return out


@PROPERTY
@given(planned())
def test_every_seat_the_plan_holds_has_a_reason_with_its_top_mapped_layer(
    case: tuple[World, frozenset[int], DesiredState, Plan],
) -> None:
    world, _, desired, the_plan = case
    after, _ = simulate(the_plan, world.observed, world.ledger)
    rules = dict(world.tables.hold_rules)
    for _, target, _, label, layers in seats(world):
        key = target.event_key
        if key not in desired.events:
            continue  # out of the plan: an event that cannot be planned
        reason = reason_of(desired, the_plan, key, label)
        assert reason is not None
        adds = [
            op
            for op in the_plan.api_operations
            if key in op.event_keys and label in op.labels and op.kind.value in ADDS
        ]
        if adds or held_after(after, world, key, target.season_key, label):
            # the layer that decides is the top mapped one, whatever the rule
            assert reason.layer == top_layer(layers, rules), (label, reason, layers)
        if adds:  # the plan makes it unbuyable: because the holds want it so
            assert reason.rule in WANTED, (label, reason, adds)
        if reason.rule in AS_IS:  # kept as is: no call touches it on its event
            touching = [
                op for op in the_plan.api_operations if key in op.event_keys and label in op.labels
            ]
            assert not touching, (label, reason, touching)
        if reason.rule is Rule.UNKNOWN_CODE:  # an unknown code, and no mapped one that holds
            assert any(h.hold_code_id not in rules for h in layers), (label, layers)
            top = top_layer(layers, rules)
            assert top is None or rules[top.hold_code_id].action is Action.IGNORE, (label, top)
        # what the planner reports about the object on its event is its reason
        reported = {f.kind for f in the_plan.findings if f.event_key == key and f.label == label}
        if reported & CONFLICTS:
            assert reason.rule in (
                Rule.CONFLICT,
                Rule.CHANNEL_CONFLICT,
                Rule.PARTNER_CHANNEL,
            ), (label, reason)
        if FindingKind.NOT_ON_CHART in reported:
            assert reason.rule is Rule.NOT_ON_CHART, (label, reason)


@PROPERTY
@given(planned())
def test_explain_names_exactly_the_plans_reason(
    case: tuple[World, frozenset[int], DesiredState, Plan],
) -> None:
    world, failed, desired, the_plan = case
    for pid in sorted({s.performance_id for s in world.snapshots} | set(world.tables.performances)):
        inputs = ExplainInputs(
            performance_id=pid,
            tables=replace(world.tables, channels=world.specs),
            policy=world.policy,
            snapshots=world.snapshots,
            read_errors={p: "HTTP 500" for p in failed},
            observed=world.observed,
            ledger=world.ledger,
            desired=desired,
            plan=the_plan,
        )
        facts = explain(inputs)
        for seat in facts.seats:
            assert seat.reason is not None
            t = facts.target
            plans_it = (
                t is not None
                and pid not in failed
                and seat.label is not None
                and t.event_key in desired.events
                and (t.event_key in world.observed or (t.season_key or "") in world.observed)
            )
            if plans_it:
                assert t is not None and seat.label is not None
                assert seat.reason == reason_of(desired, the_plan, t.event_key, seat.label)
            else:  # no plan reaches it: a fail-closed reason, never a decision
                assert seat.state is SeatState.UNKNOWN, seat
            code = seat.reason.code
            assert [h.code for h in seat.holds if h.wins] == [
                h.code for h in seat.holds if h.code == code
            ]
            if seat.reason.rule in KEPT - {Rule.RELEASE_REFUSED, Rule.RELEASE_WAITS}:
                assert seat.state in (SeatState.UNKNOWN, SeatState.CONFLICT), seat
            # the same answer as explain computing the plan itself (ExplainInputs without it)
        again = explain(replace(inputs, desired=None, plan=None))
        assert [s.reason for s in again.seats] == [s.reason for s in facts.seats]
        assert again.to_json() == facts.to_json()


# -- by example ---------------------------------------------------------------------------------

RULES = (
    rule(1, Action.CHANNEL, "vip", 1),
    rule(2, Action.STATUS, "held-a", 2),
    rule(3, Action.IGNORE, None, 3),
)
MAPPED = tables(RULES, {1: "A-1", 2: "A-2", 3: "A-3"}, [PerformanceTarget(1, "ev-1")])
POLICY = Policy(bridge_statuses=MAPPED.bridge_statuses())


def _reasons(
    holds: dict[int, list[int]],
    observed: Mapping[str, ObservedEvent] | None = None,
    led: Mapping[tuple[str, str], LedgerEntry] | None = None,
    policy: Policy = POLICY,
) -> tuple[DesiredState, Plan]:
    seen = observed or {"ev-1": event("ev-1", [obj("A-1"), obj("A-2"), obj("A-3")])}
    desired = desired_state([snapshot(1, holds)], MAPPED, policy)
    return desired, plan(desired, seen, led or {}, policy, MAPPED.channels)


def test_the_lowest_precedence_mapped_code_decides_not_the_top_layer() -> None:
    # seat 1: status code 2 on top (priority 1), channel code 1 below it (priority 2)
    desired, p = _reasons({1: [2, 1], 2: [UNKNOWN_CODE, 2], 3: [3]})
    assert reason_of(desired, p, "ev-1", "A-1") == Reason(Rule.HELD, SeatHold(1, 1, priority=2))
    assert reason_of(desired, p, "ev-1", "A-2") == Reason(Rule.HELD, SeatHold(2, 2, priority=2))
    assert reason_of(desired, p, "ev-1", "A-3") == Reason(Rule.IGNORED, SeatHold(3, 3))


def test_unknown_codes_alone_keep_the_seat_and_no_layer_decides() -> None:
    desired, p = _reasons({1: [UNKNOWN_CODE]})
    assert reason_of(desired, p, "ev-1", "A-1") == Reason(Rule.UNKNOWN_CODE, None)
    assert reason_of(desired, p, "ev-1", "A-2") == Reason(Rule.FREE, None)


def test_the_planners_own_decisions_are_its_reasons() -> None:
    observed = {
        "ev-1": event(
            "ev-1", [obj("A-1", status="booked"), obj("A-2", status="held-a"), obj("A-3")]
        )
    }
    led = ledger(entry("ev-1", "A-2", Ownership.STATUS, "held-a"))
    desired, p = _reasons({1: [1]}, observed, led)
    assert reason_of(desired, p, "ev-1", "A-1") == Reason(Rule.CONFLICT, SeatHold(1, 1))
    assert p.reasons[("ev-1", "A-2")] == Reason(Rule.RELEASED)  # no hold any more: released
    refused = replace(POLICY, mass_release_share=0.0, mass_release_floor=1)
    desired, p = _reasons({1: [1]}, observed, led, refused)
    assert reason_of(desired, p, "ev-1", "A-2") == Reason(Rule.RELEASE_REFUSED)
    # why is not what: reasons take no part in a plan's value or its saved form
    assert Plan.from_json(p.to_json()) == p and not Plan.from_json(p.to_json()).reasons
