"""Desired state: layered holds, mapping misses reported by name, where each action lands."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import PROPERTY, World, rule, snapshot, tables, worlds

from bridge.core.desired import desired_state
from bridge.core.findings import FindingKind
from bridge.core.policy import Policy
from bridge.mapping.model import Action, MappingTables, PerformanceTarget

LABELS = {1: "A-1", 2: "A-2", 3: "A-3", 4: "A-4"}
EVENT = PerformanceTarget(1, "ev-1")
POLICY = Policy()

RULES = (
    rule(1, Action.CHANNEL, "vip", precedence=5),
    rule(2, Action.STATUS, "held-press", precedence=2),
    rule(3, Action.NOT_FOR_SALE, precedence=8),
    rule(4, Action.IGNORE, precedence=1),
    rule(5, Action.IGNORE, precedence=9),
)


def _one(holds: dict[int, list[int]], rules: tuple = RULES) -> tuple:  # type: ignore[type-arg]
    state = desired_state([snapshot(1, holds)], tables(rules, LABELS, [EVENT]), POLICY)
    return state.events.get("ev-1"), state.findings


def test_each_action_lands_on_the_performances_event() -> None:
    ev, findings = _one({1: [1], 2: [2], 3: [3]})
    assert ev is not None
    assert ev.channels == {"vip": frozenset({"A-1"})}
    assert ev.statuses == {"held-press": frozenset({"A-2"})}
    assert ev.not_for_sale == frozenset({"A-3"})
    assert ev.performance_ids == (1,)
    assert not ev.is_season
    assert findings == ()


def test_the_layer_with_the_lowest_precedence_wins_whatever_tessitura_priority() -> None:
    # seat 1: channel (5) on top, status (2) underneath -> status wins
    ev, _ = _one({1: [1, 2]})
    assert ev is not None
    assert ev.statuses == {"held-press": frozenset({"A-1"})}
    assert ev.channels == {}


def test_an_ignore_rule_with_the_lowest_precedence_means_no_effect() -> None:
    ev, _ = _one({1: [1, 4]})
    assert ev is not None and ev.labels == frozenset()


def test_an_ignore_rule_with_a_higher_precedence_loses_to_a_real_hold() -> None:
    ev, _ = _one({1: [5, 3]})
    assert ev is not None and ev.not_for_sale == frozenset({"A-1"})


def test_an_unknown_hold_code_is_reported_once_per_performance_with_its_seat_count() -> None:
    ev, findings = _one({1: [77, 1], 2: [77], 3: [77]})
    unknown = [f for f in findings if f.kind is FindingKind.UNKNOWN_HOLD_CODE]
    assert len(unknown) == 1
    assert unknown[0].hold_code_id == 77 and unknown[0].count == 3
    assert unknown[0].performance_id == 1
    assert ev is not None
    assert ev.channels == {"vip": frozenset({"A-1"})}  # resolved with the remaining layer


def test_a_seat_held_only_by_unknown_codes_is_left_undecided() -> None:
    ev, _ = _one({2: [77]})
    assert ev is not None
    assert ev.undecided == frozenset({"A-2"})
    assert "A-2" not in ev.labels


def test_a_held_seat_missing_from_the_seat_table_is_reported_by_seat_id() -> None:
    ev, findings = _one({1: [1], 42: [2]})
    assert [(f.kind, f.seat_id) for f in findings] == [(FindingKind.UNMAPPED_SEAT, 42)]
    assert ev is not None and ev.labels == frozenset({"A-1"})


def test_a_missing_seat_held_only_by_an_ignore_code_is_not_reported() -> None:
    _, findings = _one({42: [4]})
    assert findings == ()


def test_a_seat_map_without_a_seat_table_is_one_finding_and_no_event() -> None:
    state = desired_state(
        [snapshot(1, {1: [1], 2: [2]}, seat_map_id=7)], tables(RULES, LABELS, [EVENT]), POLICY
    )
    assert [f.kind for f in state.findings] == [FindingKind.NO_SEAT_TABLE]
    assert state.events == {}


def test_a_performance_without_an_event_is_reported_and_produces_nothing() -> None:
    state = desired_state([snapshot(5, {1: [1]})], tables(RULES, LABELS, [EVENT]), POLICY)
    assert [(f.kind, f.performance_id) for f in state.findings] == [
        (FindingKind.UNMAPPED_PERFORMANCE, 5)
    ]
    assert state.events == {}


def test_a_performance_with_no_holds_wants_nothing_held() -> None:
    ev, findings = _one({})
    assert ev is not None and ev.labels == frozenset() and findings == ()


def test_the_event_key_template_maps_unlisted_performances() -> None:
    base = tables(RULES, LABELS, [])
    mapped = MappingTables(
        base.hold_rules, base.seat_tables, {}, event_key_template="perf-{performance_id}"
    )
    state = desired_state([snapshot(8, {1: [2]})], mapped, POLICY)
    assert set(state.events) == {"perf-8"}


def test_two_seats_with_the_same_label_resolve_to_the_stronger_hold() -> None:
    labels = {1: "A-1", 2: "A-1"}
    state = desired_state([snapshot(1, {1: [1], 2: [2]})], tables(RULES, labels, [EVENT]), POLICY)
    assert state.events["ev-1"].statuses == {"held-press": frozenset({"A-1"})}


def _reference(world: World) -> dict[tuple[str, str], tuple[str, str]]:
    """Brute force for standalone events: min precedence per seat, then what it means."""
    out = {}
    table = world.tables.seat_tables[1].labels
    for snap in world.snapshots:
        target = world.tables.target_for(snap.performance_id)
        if target is None or target.season_key:
            continue
        per_seat: dict[int, list[int]] = {}
        for hold in snap.holds:
            per_seat.setdefault(hold.seat_id, []).append(hold.hold_code_id)
        for seat, codes in per_seat.items():
            known = [world.tables.hold_rules[c] for c in codes if c in world.tables.hold_rules]
            if not known or seat not in table:
                continue
            best = min(known, key=lambda r: (r.precedence, r.hold_code_id))
            if best.action is not Action.IGNORE:
                out[(target.event_key, table[seat])] = (best.action.value, best.target or "")
    return out


@PROPERTY
@given(worlds())
def test_standalone_events_match_a_brute_force_resolution(world: World) -> None:
    state = world.desired()
    got = {}
    for key, ev in state.events.items():
        if ev.is_season or ev.season_key:
            continue
        for channel, labels in ev.channels.items():
            got.update({(key, lbl): ("channel", channel) for lbl in labels})
        for status, labels in ev.statuses.items():
            got.update({(key, lbl): ("status", status) for lbl in labels})
        got.update({(key, lbl): ("not_for_sale", "") for lbl in ev.not_for_sale})
    expected = {
        k: v
        for k, v in _reference(world).items()
        if k[0] in state.events and k[1] not in state.events[k[0]].undecided
    }
    assert got == expected


@PROPERTY
@given(worlds(), st.integers(0, 2**32))
def test_desired_state_does_not_depend_on_snapshot_or_layer_order(world: World, seed: int) -> None:
    rng = random.Random(seed)
    snaps = list(world.snapshots)
    rng.shuffle(snaps)
    shuffled = [
        type(s)(s.performance_id, s.seat_map_id, tuple(rng.sample(s.holds, len(s.holds))))
        for s in snaps
    ]
    assert desired_state(shuffled, world.tables, world.policy) == world.desired()
