"""The Tessitura side of the plan (two-way write-back), as properties over random and broken
performances: the bridge never lifts a box-office layer, never holds a seat sold at the box office
or one it cannot name, converges, and counts its lifts against the mass-release guard.

The sides are drawn with garbage in them on purpose: labels on no seat or on two, the write-back
code on seats outside the table and anywhere among a seat's layers (twice even), end dates on
either side of ``now``, statuses seats.io or a promoter made up, ledger rows that disagree with the
layers. What a rule means is computed here from the side, never from the planner's own sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import PROPERTY

from bridge.core.findings import EXAMPLES, FindingKind
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.policy import Policy, WritebackPolicy
from bridge.core.writeback import TessituraSide, WritebackPlan, joined, plan_writeback
from bridge.domain import SeatHold, WritebackHold

CODE = 90  # the bridge's write-back hold code
OTHER_CODES = (1, 2, 7, 89, 91)  # box-office and unknown codes, 91 next to the bridge's
NOW = datetime(2025, 3, 1, 19, 30, tzinfo=UTC)
LABELS = tuple(f"A-{i}" for i in range(1, 7))
OFF_TABLE = "Z-99"  # sold online, never on any seat table
ONLINE_STATUSES = (
    "booked",
    "booked",
    "resale",
    "free",
    "free",
    "reservedByToken",
    "held-a",  # a bridge status
    "somebody-else",  # a foreign status
    "",
)


# -- generators ---------------------------------------------------------------------------------


@st.composite
def layers_of(draw: st.DrawFn, seat: int) -> tuple[SeatHold, ...]:
    """One seat's layers, top first: any codes in any order, the bridge's anywhere (or twice)."""
    codes = draw(st.lists(st.sampled_from((CODE, CODE, *OTHER_CODES)), min_size=1, max_size=4))
    ends = st.one_of(
        st.none(), st.integers(-72, 72).map(lambda h: NOW + timedelta(hours=h, minutes=1))
    )
    return tuple(
        SeatHold(seat, code, priority=i + 1, end_date=draw(ends)) for i, code in enumerate(codes)
    )


@st.composite
def sides(draw: st.DrawFn, pid: int) -> TessituraSide:
    """One performance: a seat table where a label names 0, 1 or 2 seats, layers on seats in and
    out of it, box-office sales, seats.io statuses and a ledger that may disagree with them."""
    n = draw(st.integers(1, 8))
    table_seats = draw(st.sets(st.integers(1, n), max_size=n))
    table = {seat: draw(st.sampled_from(LABELS)) for seat in sorted(table_seats)}
    seat_ids = st.integers(1, n + 2)  # n+1, n+2: never in the table
    layered = draw(st.sets(seat_ids, max_size=n + 2))
    layers = {seat: draw(layers_of(seat)) for seat in sorted(layered)}
    online = draw(
        st.dictionaries(st.sampled_from((*LABELS, OFF_TABLE)), st.sampled_from(ONLINE_STATUSES))
    )
    sold = frozenset(draw(st.sets(seat_ids, max_size=n)))
    held = {
        seat: WritebackHold(
            pid,
            seat,
            draw(st.sampled_from(LABELS)),
            f"ev-{pid}",
            draw(st.sampled_from((CODE, 1))),
        )
        for seat in draw(st.sets(seat_ids, max_size=4))
    }
    now = draw(st.sampled_from((NOW, NOW, None)))
    return TessituraSide(pid, f"ev-{pid}", layers, table, online, sold, held, now)


@st.composite
def policies(draw: st.DrawFn, mode: str | None = None) -> Policy:
    foreign = st.sampled_from(("somebody-else", "free", "free"))
    statuses = {"booked", "resale"} | draw(st.sets(foreign))
    return Policy(
        mass_release_share=draw(st.sampled_from((0.0, 0.2, 0.5, 1.0))),
        mass_release_floor=draw(st.sampled_from((0, 1, 3, 50))),
        force=draw(st.booleans()),
        pass_refusal=draw(st.sampled_from(("", "", "the pass freed 20% already"))),
        writeback=WritebackPolicy(
            mode=mode or draw(st.sampled_from(("off", "report", "apply"))),
            hold_code_id=CODE,
            statuses=frozenset(statuses),
            hold_hours=draw(st.sampled_from((None, 1.0, 48.0))),
        ),
    )


@dataclass(frozen=True)
class Case:
    sides: tuple[TessituraSide, ...]
    policy: Policy


@st.composite
def cases(draw: st.DrawFn, mode: str | None = None) -> Case:
    pids = draw(st.sets(st.sampled_from((101, 102, 103)), min_size=1))
    return Case(tuple(draw(sides(pid)) for pid in sorted(pids)), draw(policies(mode)))


def applying(case: Case) -> Case:
    return Case(case.sides, _with_mode(case.policy, "apply"))


def _with_mode(policy: Policy, mode: str) -> Policy:
    return replace(policy, writeback=replace(policy.writeback, mode=mode))


# -- what the rules mean, read from the side ----------------------------------------------------


def written_back(policy: Policy, status: str | None) -> bool:
    """A seats.io status the write-back holds for: configured, and never "free"."""
    return status is not None and status != "free" and status in policy.writeback.statuses


def seats_named(side: TessituraSide, label: str) -> list[int]:
    return [seat for seat, lbl in side.table.items() if lbl == label]


def ops_of(p: WritebackPlan, kind: OpKind, pid: int) -> list[Operation]:
    return [op for op in p.operations if op.kind is kind and op.performance_id == pid]


def seats_of(p: WritebackPlan, kind: OpKind, pid: int) -> list[int]:
    return [seat for op in ops_of(p, kind, pid) for seat in op.seat_ids]


def refused(p: WritebackPlan, pid: int) -> bool:
    return any(
        f.kind is FindingKind.MASS_RELEASE_REFUSED and f.performance_id == pid for f in p.findings
    )


# -- a model of Tessitura and the ledger, as the fake and the shell move them -------------------


def applied(
    sides_: Sequence[TessituraSide], p: WritebackPlan, policy: Policy
) -> list[TessituraSide]:
    """The sides after the pass: ledger upkeep first (the run claims and forgets at read time),
    then each operation. HOLD (ReplaceMode 2, OnlyAffectAvailable): the seat's own layer of the
    code goes, the code goes below every other layer with a new end date, a sold seat is skipped
    and its claim withdrawn. LIFT (HoldCodeId -1): every layer of the seat goes, its row too."""
    hours = policy.writeback.hold_hours
    out = []
    for side in sides_:
        pid = side.performance_id
        layers = {seat: list(held) for seat, held in side.layers.items()}
        held = dict(side.held)
        held.update({c.seat_id: c for c in p.claims if c.performance_id == pid})
        for forgotten_pid, seat in p.forgets:
            if forgotten_pid == pid:
                held.pop(seat, None)
        for op in ops_of(p, OpKind.HOLD_IN_TESSITURA, pid):
            for seat, label in zip(op.seat_ids, op.labels, strict=True):
                if seat in side.sold:
                    held.pop(seat, None)
                    continue
                held[seat] = WritebackHold(pid, seat, label, side.event_key, CODE)
                others = [h for h in layers.get(seat, []) if h.hold_code_id != CODE]
                lowest = max((h.priority for h in others), default=0)
                end = (side.now or NOW) + timedelta(hours=hours) if hours else None
                layers[seat] = [*others, SeatHold(seat, CODE, lowest + 1, end)]
        for seat in seats_of(p, OpKind.LIFT_IN_TESSITURA, pid):
            layers.pop(seat, None)
            held.pop(seat, None)
        kept = {seat: tuple(hs) for seat, hs in layers.items() if hs}
        out.append(replace(side, layers=kept, held=held))
    return out


# -- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_a_lift_only_ever_takes_a_seat_whose_only_layers_are_the_bridges(case: Case) -> None:
    p = plan_writeback(case.sides, case.policy)
    for side in case.sides:
        for seat in seats_of(p, OpKind.LIFT_IN_TESSITURA, side.performance_id):
            codes = {h.hold_code_id for h in side.layers.get(seat, ())}
            assert codes == {CODE}, (seat, side.layers.get(seat), p)


@PROPERTY
@given(cases())
def test_a_hold_is_only_added_on_an_unsold_seat_its_label_alone_names_sold_online(
    case: Case,
) -> None:
    p = plan_writeback(case.sides, case.policy)
    for side in case.sides:
        for op in ops_of(p, OpKind.HOLD_IN_TESSITURA, side.performance_id):
            assert op.target == str(CODE) and op.event_keys == (side.event_key,)
            for seat, label in zip(op.seat_ids, op.labels, strict=True):
                assert seat not in side.sold, (seat, p)
                assert side.table.get(seat) == label, (seat, label, side.table)
                assert seats_named(side, label) == [seat], (label, side.table)
                assert written_back(case.policy, side.online.get(label)), (label, side.online)


@PROPERTY
@given(cases())
def test_a_seat_sold_online_and_not_at_the_box_office_is_never_lifted(case: Case) -> None:
    p = plan_writeback(case.sides, case.policy)
    for side in case.sides:
        for seat in seats_of(p, OpKind.LIFT_IN_TESSITURA, side.performance_id):
            label = side.table.get(seat)
            assert label is not None, (seat, p)  # a stray seat is left alone
            sold_online = written_back(case.policy, side.online.get(label))
            assert not sold_online or seat in side.sold, (seat, label, side, p)


@PROPERTY
@given(cases(mode="apply"))
def test_applying_the_plan_converges_and_planning_again_changes_nothing(case: Case) -> None:
    first = plan_writeback(case.sides, case.policy)
    after = applied(case.sides, first, case.policy)
    second = plan_writeback(after, case.policy)
    if any(refused(first, side.performance_id) for side in case.sides):
        # lifts withheld by the guard may pass once the adds raised the performance's count
        after = applied(after, second, case.policy)
        second = plan_writeback(after, case.policy)
    # nothing left to write: a lift the guard still refuses is a finding, never an operation
    assert second.operations == (), (after, second)
    assert second.claims == () and second.forgets == (), second  # the ledger agrees
    third = plan_writeback(applied(after, second, case.policy), case.policy)
    assert third == second


@PROPERTY
@given(cases())
def test_report_mode_writes_nothing_and_says_each_write_and_off_plans_nothing(
    case: Case,
) -> None:
    apply = plan_writeback(case.sides, _with_mode(case.policy, "apply"))
    report = plan_writeback(case.sides, _with_mode(case.policy, "report"))
    assert report.operations == () and report.released == 0
    planned = sorted(
        (f.performance_id, f.hold_code_id, f.labels, f.count)
        for f in report.findings
        if f.kind is FindingKind.WRITEBACK_PLANNED
    )
    expected = sorted(
        (op.performance_id, int(op.target), op.labels[:EXAMPLES], len(op.labels))
        for op in apply.operations
    )
    assert [(pid, code, count) for pid, code, _, count in planned] == [
        (pid, code, count) for pid, code, _, count in expected
    ]
    for (_, _, said, _), (_, _, labels, _) in zip(planned, expected, strict=True):
        assert set(said) <= set(labels)
    others = [f for f in report.findings if f.kind is not FindingKind.WRITEBACK_PLANNED]
    assert tuple(others) == apply.findings
    assert (report.claims, report.forgets) == (apply.claims, apply.forgets)
    assert plan_writeback(case.sides, _with_mode(case.policy, "off")) == WritebackPlan()


@PROPERTY
@given(cases(mode="apply"))
def test_the_mass_release_guard_holds_back_lifts_unless_forced(case: Case) -> None:
    policy = case.policy
    forced = plan_writeback(case.sides, replace(policy, force=True))
    guarded = plan_writeback(case.sides, replace(policy, force=False))
    assert not any(f.kind is FindingKind.MASS_RELEASE_REFUSED for f in forced.findings)
    for side in case.sides:
        pid = side.performance_id
        lifting = len(seats_of(forced, OpKind.LIFT_IN_TESSITURA, pid))
        holding = sum(any(h.hold_code_id == CODE for h in hs) for hs in side.layers.values())
        over = (
            lifting > policy.mass_release_share * holding and lifting >= policy.mass_release_floor
        )
        hold_back = lifting > 0 and (over or bool(policy.pass_refusal))
        assert ops_of(guarded, OpKind.HOLD_IN_TESSITURA, pid) == ops_of(
            forced, OpKind.HOLD_IN_TESSITURA, pid
        )
        if hold_back:
            assert refused(guarded, pid), (pid, lifting, holding, guarded)
            assert ops_of(guarded, OpKind.LIFT_IN_TESSITURA, pid) == []
            (finding,) = [
                f
                for f in guarded.findings
                if f.kind is FindingKind.MASS_RELEASE_REFUSED and f.performance_id == pid
            ]
            assert finding.count == lifting
        else:
            assert not refused(guarded, pid)
            assert ops_of(guarded, OpKind.LIFT_IN_TESSITURA, pid) == ops_of(
                forced, OpKind.LIFT_IN_TESSITURA, pid
            )


@PROPERTY
@given(cases(mode="apply"))
def test_released_counts_the_seats_the_lifts_free(case: Case) -> None:
    p = plan_writeback(case.sides, case.policy)
    lifted = [
        (op.performance_id, seat)
        for op in p.operations
        if op.kind is OpKind.LIFT_IN_TESSITURA
        for seat in op.seat_ids
    ]
    assert p.released == len(lifted) == len(set(lifted))


SEATSIO_KINDS = [k for k in OpKind if not k.is_tessitura]


@st.composite
def seatsio_plans(draw: st.DrawFn) -> Plan:
    kinds = draw(st.lists(st.sampled_from(SEATSIO_KINDS), max_size=8))
    ops = [Operation(k, ("ev-101",), labels=(f"A-{i}",)) for i, k in enumerate(kinds)]
    return Plan(tuple(sorted(ops, key=Operation.sort_key)), released=draw(st.integers(0, 3)))


@PROPERTY
@given(seatsio_plans(), cases(mode="apply"))
def test_the_write_back_runs_after_every_seatsio_step_and_before_the_ledger_claims(
    p: Plan, case: Case
) -> None:
    wb = plan_writeback(case.sides, case.policy)
    both = joined(p, wb)
    kinds = [op.kind for op in both.operations]
    tess = [i for i, k in enumerate(kinds) if k.is_tessitura]
    claims = [i for i, k in enumerate(kinds) if k is OpKind.LEDGER_CLAIM]
    rest = [i for i, k in enumerate(kinds) if not k.is_tessitura and k is not OpKind.LEDGER_CLAIM]
    assert all(r < t for r in rest for t in tess), kinds
    assert all(t < c for t in tess for c in claims), kinds
    assert [op for op in both.operations if not op.kind.is_tessitura] == list(p.operations)
    assert tuple(op for op in both.operations if op.kind.is_tessitura) == wb.operations
    assert both.released == p.released + wb.released
    assert set(wb.findings) <= set(both.findings)


# -- examples: what the findings say ------------------------------------------------------------

APPLY = Policy(writeback=WritebackPolicy(mode="apply", hold_code_id=CODE))


def side(**fields: object) -> TessituraSide:
    base: dict[str, object] = {"performance_id": 101, "event_key": "ev-101", "layers": {},
                               "table": {}, "online": {}}  # fmt: skip
    base.update(fields)
    return TessituraSide(**base)  # type: ignore[arg-type]


def test_labels_sold_online_on_no_seat_or_on_two_are_named_and_not_held() -> None:
    s = side(
        table={1: "A-1", 2: "A-2", 3: "A-2"},
        online={"A-1": "booked", "A-2": "booked", "Z-99": "resale", "A-3": "free"},
    )
    p = plan_writeback([s], APPLY)
    (unmapped,) = [f for f in p.findings if f.kind is FindingKind.WRITEBACK_UNMAPPED]
    assert unmapped.labels == ("A-2", "Z-99") and unmapped.count == 2
    assert [(op.kind, op.seat_ids, op.labels) for op in p.operations] == [
        (OpKind.HOLD_IN_TESSITURA, (1,), ("A-1",))
    ]


def test_a_lift_waits_while_a_box_office_layer_sits_on_the_seat() -> None:
    s = side(
        table={1: "A-1", 2: "A-2"},
        layers={1: (SeatHold(1, 7, 1), SeatHold(1, CODE, 2)), 2: (SeatHold(2, CODE, 1),)},
        held={seat: WritebackHold(101, seat, f"A-{seat}", "ev-101", CODE) for seat in (1, 2)},
    )
    p = plan_writeback([s], replace(APPLY, force=True))
    (waits,) = [f for f in p.findings if f.kind is FindingKind.WRITEBACK_LIFT_WAITS]
    assert waits.labels == ("A-1",) and waits.hold_code_id == CODE
    assert [(op.kind, op.seat_ids) for op in p.operations] == [(OpKind.LIFT_IN_TESSITURA, (2,))]


def test_the_bridges_code_on_a_seat_outside_the_table_is_reported_and_left_alone() -> None:
    s = side(table={1: "A-1"}, layers={5: (SeatHold(5, CODE, 1),)}, online={"A-1": "booked"})
    p = plan_writeback([s], replace(APPLY, force=True))
    (stray,) = [f for f in p.findings if f.kind is FindingKind.WRITEBACK_STRAY]
    assert (stray.seat_id, stray.hold_code_id, stray.performance_id) == (5, CODE, 101)
    assert all(5 not in op.seat_ids for op in p.operations)
    assert p.claims == tuple(c for c in p.claims if c.seat_id != 5)
