"""The explanation agrees with the planner, as properties over random worlds (garbage and partial
failures included: unknown codes, seats missing from the table, unreadable performances, sales,
foreign channels, a lost ledger), plus the rules an operator reads, by example."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import (
    PROPERTY,
    UNKNOWN_CODE,
    World,
    entry,
    event,
    ledger,
    obj,
    rule,
    snapshot,
    tables,
    worlds,
)

from bridge.core.desired import desired_state
from bridge.core.explain import (
    ExplainInputs,
    PerformanceFacts,
    SeatPlace,
    SeatState,
    explain,
)
from bridge.core.findings import FindingKind
from bridge.core.plan import plan
from bridge.core.policy import Policy
from bridge.domain import Ownership
from bridge.mapping.model import Action, PerformanceTarget

ADDS = {"create_channel", "add_to_channel", "change_status", "mark_not_for_sale"}


def _inputs(world: World, pid: int, failed: frozenset[int]) -> ExplainInputs:
    return ExplainInputs(
        performance_id=pid,
        tables=replace(world.tables, channels=world.specs),
        policy=world.policy,
        snapshots=tuple(s for s in world.snapshots if s.performance_id not in failed),
        read_errors={p: "HTTP 500" for p in failed},
        observed=world.observed,
        ledger=world.ledger,
    )


@st.composite
def explained(draw: st.DrawFn) -> tuple[World, frozenset[int], list[PerformanceFacts]]:
    world = draw(worlds())
    pids = sorted({s.performance_id for s in world.snapshots} | set(world.tables.performances))
    failed = frozenset(draw(st.sets(st.sampled_from(pids), max_size=2)))
    return world, failed, [explain(_inputs(world, pid, failed)) for pid in pids]


@PROPERTY
@given(explained())
def test_every_seat_agrees_with_the_plan(
    case: tuple[World, frozenset[int], list[PerformanceFacts]],
) -> None:
    world, failed, all_facts = case
    snaps = [s for s in world.snapshots if s.performance_id not in failed]
    p = plan(
        desired_state(snaps, world.tables, world.policy),
        world.observed,
        world.ledger,
        world.policy,
        world.specs,
    )
    for facts in all_facts:
        keys = set(facts.event_keys)
        conflicts = {
            f.label
            for f in p.findings
            if f.kind is FindingKind.CONFLICT and f.event_key in keys and f.label
        }
        for seat in facts.seats:
            touching = [
                op
                for op in p.api_operations
                if seat.label is not None and seat.label in op.labels and keys & set(op.event_keys)
            ]
            # the seat lists exactly what the plan would do to it
            assert [op for op in seat.planned if op.is_api] == touching
            if seat.state is SeatState.UNKNOWN:
                assert not touching, (seat.rule, facts.event_keys, touching)  # kept as is
            if any(op.kind.value in ADDS for op in touching):
                assert seat.desired.kind not in ("free", "as_is"), seat
            if seat.label in conflicts:
                assert seat.state is SeatState.CONFLICT, seat
            assert seat.rule


@PROPERTY
@given(explained())
def test_an_unmapped_or_unknown_seat_is_never_explained_as_free(
    case: tuple[World, frozenset[int], list[PerformanceFacts]],
) -> None:
    _, failed, all_facts = case
    for facts in all_facts:
        for seat in facts.seats:
            unreadable = facts.performance_id in failed or facts.target is None
            only_unknown_codes = bool(seat.holds) and all(h.rule is None for h in seat.holds)
            if seat.label is None or unreadable or only_unknown_codes:
                assert seat.state is SeatState.UNKNOWN, seat
                assert seat.state is not SeatState.FREE


@PROPERTY
@given(explained())
def test_the_json_names_every_seat_once(
    case: tuple[World, frozenset[int], list[PerformanceFacts]],
) -> None:
    _, _, all_facts = case
    for facts in all_facts:
        data = facts.to_json()
        assert sum(data["counts"].values()) == len(data["seats"]) == len(facts.seats)
        ids = [(s["seat_id"], s["label"]) for s in data["seats"]]
        assert len(ids) == len(set(ids))


# -- by example ---------------------------------------------------------------------------------


def _one(**kw: object) -> PerformanceFacts:
    rules = (
        rule(1, Action.CHANNEL, "vip", 1),
        rule(2, Action.STATUS, "held-a", 2),
        rule(3, Action.IGNORE, None, 3),
    )
    mapped = tables(rules, {1: "A-1", 2: "A-2", 3: "A-3"}, [PerformanceTarget(1, "ev-1")])
    base: dict[str, object] = {
        "performance_id": 1,
        "tables": mapped,
        "policy": Policy(bridge_statuses=mapped.bridge_statuses()),
        "snapshots": (snapshot(1, {1: [2, 1], 3: [3], 7: [1]}),),
        "observed": {"ev-1": event("ev-1", [obj("A-1", channel="vip"), obj("A-2"), obj("A-3")])},
        "ledger": ledger(entry("ev-1", "A-1", Ownership.CHANNEL, "vip")),
        "places": {1: SeatPlace(1, "Orchestra", "A", "1", 10, 20)},
        "code_names": {1: "House Seats"},
    }
    base.update(kw)
    return explain(ExplainInputs(**base))  # type: ignore[arg-type]


def test_the_winning_layer_decides_and_every_layer_is_listed() -> None:
    facts = _one()
    seat = next(s for s in facts.seats if s.seat_id == 1)
    assert seat.state is SeatState.CHANNEL and seat.owned
    assert seat.rule == "held by code 1 (House Seats) (+1 more) -> channel vip"
    assert [(h.code, h.priority, h.wins) for h in seat.holds] == [(2, 1, False), (1, 2, True)]
    assert (seat.x, seat.y, seat.section) == (10, 20, "Orchestra")


def test_an_ignored_code_is_a_tessitura_matter() -> None:
    seat = next(s for s in _one().seats if s.seat_id == 3)
    assert seat.state is SeatState.FREE
    assert "-> ignore" in seat.rule


def test_a_held_seat_outside_the_table_is_unknown() -> None:
    seat = next(s for s in _one().seats if s.seat_id == 7)
    assert seat.label is None and seat.state is SeatState.UNKNOWN
    assert seat.rule.startswith("unknown seat: seat 7")


def test_an_unknown_code_keeps_the_seat_as_is() -> None:
    facts = _one(snapshots=(snapshot(1, {1: [UNKNOWN_CODE]}),))
    seat = next(s for s in facts.seats if s.seat_id == 1)
    assert seat.state is SeatState.UNKNOWN
    assert seat.rule == f"unknown hold code {UNKNOWN_CODE}: no rule, kept as is"
    assert not seat.planned  # the bridge's channel hold stays


def test_a_sale_on_a_held_seat_is_a_conflict() -> None:
    observed = {"ev-1": event("ev-1", [obj("A-1", status="booked"), obj("A-2")])}
    seat = next(s for s in _one(observed=observed, ledger={}).seats if s.seat_id == 1)
    assert seat.state is SeatState.CONFLICT
    assert seat.rule.startswith("conflict: sold online (booked) while Tessitura holds it")
