"""Fail closed, as properties: whatever goes wrong between two runs, no seat Tessitura holds becomes
buyable online unnoticed, and no run frees more than the mass-release guard allows.

Two runs over a random venue. The first converges on what Tessitura holds then. Between the runs
the world breaks: reads of random performances fail (a malformed or failed answer reaches the core
as a missing snapshot), the seat table loses random rows, hold codes change action or target,
buyers book seats; the second run's writes are refused at random. What is buyable is computed here
from the seats.io state before and after, never from the planner's own counting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import (
    PROPERTY,
    SEAT_MAP,
    UNKNOWN_CODE,
    _draw_ledger,
    _draw_observed,
    buyable,
    freed_beyond_guard,
    hold_rules,
    snapshot,
    tables,
)

from bridge.core.desired import desired_state
from bridge.core.findings import FindingKind, Severity
from bridge.core.observed import ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import Plan
from bridge.core.policy import Policy
from bridge.core.simulate import simulate
from bridge.domain import HoldSnapshot, LedgerEntry, SeasonPolicy
from bridge.mapping.model import Action, MappingTables, PerformanceTarget, SeatTable

Observed = Mapping[str, ObservedEvent]
Ledger = Mapping[tuple[str, str], LedgerEntry]


@dataclass(frozen=True)
class TwoRuns:
    """The second run's inputs, and what Tessitura really holds then."""

    targets: tuple[PerformanceTarget, ...]
    truth: dict[int, HoldSnapshot]  # what Tessitura holds in run 2, per performance
    read: tuple[HoldSnapshot, ...]  # what run 2 could read (failed reads left out)
    tables: MappingTables
    policy: Policy
    observed: dict[str, ObservedEvent]  # seats.io before run 2 (after run 1, bookings)
    ledger: dict[tuple[str, str], LedgerEntry]
    refuse: frozenset[int]


def _holds(draw: st.DrawFn, pid: int, seat_ids: list[int]) -> HoldSnapshot:
    codes = st.sampled_from([1, 2, 3, 4, 5, 6, UNKNOWN_CODE])
    held = draw(st.dictionaries(st.sampled_from(seat_ids), st.lists(codes, min_size=1, max_size=3)))
    return snapshot(pid, held)


@st.composite
def two_runs(draw: st.DrawFn) -> TwoRuns:
    n = draw(st.integers(3, 16))
    labels = tuple(f"A-{i}" for i in range(1, n + 1))
    seat_labels = {i: labels[i - 1] for i in range(1, n + 1)}
    seat_ids = list(range(1, n + 2))  # one held seat may be missing from the table
    targets: list[PerformanceTarget] = [PerformanceTarget(1, "ev-1")]
    if draw(st.booleans()):
        targets.append(PerformanceTarget(2, "ev-2"))
    if draw(st.booleans()):
        for pid in range(11, 11 + draw(st.integers(2, 4))):
            targets.append(PerformanceTarget(pid, f"ev-{pid}", "season-1"))
    rules = draw(hold_rules())
    mapped = tables(rules, seat_labels, targets)
    keys = sorted({t.event_key for t in targets} | {t.season_key for t in targets if t.season_key})

    # Run 1: converge (forced) on what Tessitura holds then, from a random seats.io state.
    observed = _draw_observed(draw, keys, targets, labels)
    led = _draw_ledger(draw, keys, labels, observed) if draw(st.booleans()) else {}
    first = [_holds(draw, t.performance_id, seat_ids) for t in targets]
    policy1 = Policy(force=True, bridge_statuses=mapped.bridge_statuses())
    p1 = plan(desired_state(first, mapped, policy1), observed, led, policy1, mapped.channels)
    observed, led = simulate(p1, observed, led)

    # Between the runs: Tessitura changes, codes are edited, rows are lost, buyers book.
    truth = {
        t.performance_id: (
            _holds(draw, t.performance_id, seat_ids)
            if draw(st.booleans())
            else next(s for s in first if s.performance_id == t.performance_id)
        )
        for t in targets
    }
    if draw(st.booleans()):
        mapped = replace(mapped, hold_rules={r.hold_code_id: r for r in draw(hold_rules())})
    lost = draw(st.sets(st.sampled_from(sorted(seat_labels)), max_size=n // 2))
    rows = {s: lbl for s, lbl in seat_labels.items() if s not in lost}
    if draw(st.integers(0, 9)) == 0:
        rows = {}  # a table regenerated with a wrong template: no rows at all
    mapped = replace(mapped, seat_tables={SEAT_MAP: SeatTable(SEAT_MAP, rows)})
    failed = draw(st.sets(st.sampled_from([t.performance_id for t in targets])))
    read = tuple(s for pid, s in sorted(truth.items()) if pid not in failed)
    for key in sorted(observed):
        seen = observed[key]
        sold = draw(st.sets(st.sampled_from(sorted(seen.objects) or ["-"]), max_size=2))
        objects = {
            lbl: replace(o, status="booked") if lbl in sold else o
            for lbl, o in seen.objects.items()
        }
        observed[key] = replace(seen, objects=objects)

    policy = Policy(
        mass_release_share=draw(st.sampled_from([0.2, 0.5])),
        mass_release_floor=draw(st.sampled_from([1, 3])),
        season_policy=draw(st.sampled_from(list(SeasonPolicy))),
        owns_all_channels=frozenset(draw(st.sets(st.sampled_from(keys)))),
        bridge_statuses=mapped.bridge_statuses(),
    )
    refuse = frozenset(draw(st.sets(st.integers(0, 30), max_size=2)))
    return TwoRuns(tuple(targets), truth, read, mapped, policy, observed, dict(led), refuse)


def _second(run: TwoRuns) -> tuple[Plan, dict[str, ObservedEvent], Ledger]:
    desired = desired_state(run.read, run.tables, run.policy)
    p = plan(desired, run.observed, run.ledger, run.policy, run.tables.channels)
    api = {i for i, op in enumerate(p.operations) if op.is_api}
    after, led = simulate(p, run.observed, run.ledger, refuse=run.refuse & api)
    return p, after, led


def _buyable(observed: Observed, target: PerformanceTarget, label: str) -> bool:
    return buyable(observed, target.event_key, target.season_key, label)


def _visible(p: Plan, refused: frozenset[int], target: PerformanceTarget) -> bool:
    """Whether the run says, loudly, that this performance's event is not as it should be."""
    keys = {target.event_key, target.season_key} - {None}
    for finding in p.findings:
        if finding.severity in (Severity.ERROR, Severity.CONFLICT) and (
            finding.event_key in keys or finding.performance_id == target.performance_id
        ):
            return True
    return any(keys & set(p.operations[i].event_keys) for i in refused if i < len(p.operations))


def _wanted_held(run: TwoRuns, target: PerformanceTarget) -> tuple[set[str], set[str]]:
    """(labels Tessitura holds with a mapped, non-ignore code; labels whose state is unknown)."""
    rows = run.tables.seat_tables[SEAT_MAP].labels
    all_labels = {f"A-{s}" for s in range(1, 40)}
    if target.performance_id not in {s.performance_id for s in run.read}:
        return set(), all_labels  # failed read: nothing about it is known
    held: set[str] = set()
    unknown = all_labels - set(rows.values())  # rows lost from the table
    layers: dict[int, list[int]] = {}
    for hold in run.truth[target.performance_id].holds:
        layers.setdefault(hold.seat_id, []).append(hold.hold_code_id)
    for seat, codes in layers.items():
        label = rows.get(seat)
        if label is None:
            continue
        rules = [run.tables.hold_rules[c] for c in codes if c in run.tables.hold_rules]
        if not rules:
            unknown.add(label)  # only unknown codes: what they mean is unknown
            continue
        best = min(rules, key=lambda r: (r.precedence, r.hold_code_id))
        if best.action is not Action.IGNORE:
            held.add(label)
    return held, unknown


@PROPERTY
@given(two_runs())
def test_a_held_or_unknown_seat_is_never_left_buyable_unnoticed(run: TwoRuns) -> None:
    p, after, _ = _second(run)
    refused = run.refuse & {i for i, op in enumerate(p.operations) if op.is_api}
    for target in run.targets:
        held, unknown = _wanted_held(run, target)
        event = run.observed.get(target.event_key)
        for label in sorted(held):
            if _buyable(after, target, label):
                assert _visible(p, refused, target), (target, label, p)
        for label in sorted(unknown):
            if (
                event is not None
                and label in event.objects
                and not _buyable(run.observed, target, label)
            ):
                assert not _buyable(after, target, label), (target, label, p)


@PROPERTY
@given(two_runs())
def test_no_run_frees_more_than_the_guard_allows_counted_on_every_event(run: TwoRuns) -> None:
    p, after, _ = _second(run)
    targets = [(t.event_key, t.season_key) for t in run.targets]
    assert freed_beyond_guard(run.observed, after, run.ledger, targets, run.policy) == [], p


@PROPERTY
@given(two_runs())
def test_a_run_that_could_not_read_or_trust_a_performance_is_never_quiet(run: TwoRuns) -> None:
    p, _, _ = _second(run)
    read = {s.performance_id for s in run.read}
    rows = run.tables.seat_tables[SEAT_MAP].labels
    for target in run.targets:
        if target.performance_id not in read:
            continue  # the run's own error names it (run.py); the core never sees the read
        if not rows:
            kinds = {f.kind for f in p.findings if f.performance_id == target.performance_id}
            assert FindingKind.SEAT_TABLE_UNUSABLE in kinds
