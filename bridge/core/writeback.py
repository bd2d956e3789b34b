"""The Tessitura side of the plan (two-way write-back): what seats.io shows sold online becomes a
Tessitura hold of the bridge's own code, so the box office cannot sell the seat again.

Pure: the shell (:mod:`bridge.reconcile.writeback`) reads each performance into a
:class:`TessituraSide` and applies what :func:`plan_writeback` returns. The rules, per seat:

- **add** the bridge's layer where seats.io shows the seat's label in a written-back status and
  the seat is not sold at the box office; it goes *below* every existing layer (ReplaceMode 2),
  so it never hides a box-office hold, and never onto a sold seat (OnlyAffectAvailable);
- **lift** it where the label is no longer sold online, or the seat is now sold at the box
  office, and only where the bridge's layer is the seat's *only* layer: Tessitura's lift
  (HoldCodeId -1) takes every layer off a seat, so a seat with another layer keeps the bridge's
  layer until it is alone (said by a ``writeback_lift_waits`` finding);
- a label that maps to no seat, or to several, is reported and skipped; the bridge's code on a
  seat outside the seat table, or on a seat not sold online that the write-back ledger does not
  say the bridge held (a store lost, the code used by hand), is reported and left alone: only
  what the bridge placed is ever lifted.

Lifts make seats sellable at the box office, so they count as releases: the mass-release guard
(share and floor of the performance's write-back holds) and the pass-wide refusal hold them back
like any other lift. The shell re-reads a seat's layers right before its lift and again after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bridge.core.findings import EXAMPLES, Finding, FindingKind, sorted_findings
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.policy import Policy
from bridge.domain import SeatHold, WritebackHold

#: The seats.io statuses that never mean sold online, whatever the config says.
NEVER_WRITTEN_BACK = frozenset({"free"})


@dataclass(frozen=True, slots=True)
class TessituraSide:
    """What the planner knows of one performance's Tessitura side, read in one pass.

    ``layers``: seat id -> every live hold layer of the seat (``includeAllHolds``), seats
    without layers left out. ``table``: the performance's seat table (seat id -> seats.io
    label). ``online``: label -> seats.io status, for every object of the event in a
    written-back status (a label left out is not sold online). ``sold``: the seats sold at the
    box office (Tessitura seat statuses in :attr:`WritebackPolicy.sold_statuses`).
    ``held``: the write-back ledger's rows of this performance, by seat id. ``now``: when the
    layers were read (dates a refresh of a layer with an end date)."""

    performance_id: int
    event_key: str
    layers: Mapping[int, tuple[SeatHold, ...]]
    table: Mapping[int, str]
    online: Mapping[str, str]
    sold: frozenset[int] = frozenset()
    held: Mapping[int, WritebackHold] = field(default_factory=dict)
    now: datetime | None = None

    def label_of(self, seat_id: int) -> str | None:
        return self.table.get(seat_id)


@dataclass(frozen=True, slots=True)
class WritebackPlan:
    """The Tessitura side's operations (HOLD_IN_TESSITURA / LIFT_IN_TESSITURA, one of each at
    most per performance), its findings, the ledger upkeep (rows to claim for layers the bridge
    finds in place, keys to forget for layers gone) and how many seats its lifts free."""

    operations: tuple[Operation, ...] = ()
    findings: tuple[Finding, ...] = ()
    claims: tuple[WritebackHold, ...] = ()
    forgets: tuple[tuple[int, int], ...] = ()
    released: int = 0

    @property
    def is_idle(self) -> bool:
        """Nothing to send, to keep in the ledger, or (report mode) to say would be sent."""
        planned = any(f.kind is FindingKind.WRITEBACK_PLANNED for f in self.findings)
        return not (self.operations or self.claims or self.forgets or planned)


def plan_writeback(sides: Sequence[TessituraSide], policy: Policy) -> WritebackPlan:
    """The write-back plan of a unit's performances; empty when the write-back is off.

    In report mode the operations are not returned: each becomes a ``writeback_planned``
    finding that says what apply would write."""
    wb = policy.writeback
    if not wb.on:
        return WritebackPlan()
    ops: list[Operation] = []
    findings: list[Finding] = []
    claims: list[WritebackHold] = []
    forgets: list[tuple[int, int]] = []
    released = 0
    for side in sorted(sides, key=lambda s: s.performance_id):
        planned = _plan_one(side, policy)
        findings.extend(planned.findings)
        claims.extend(planned.claims)
        forgets.extend(planned.forgets)
        released += planned.released
        if wb.applies:
            ops.extend(planned.operations)
        else:
            findings.extend(_reported(side, op) for op in planned.operations)
    return WritebackPlan(
        tuple(sorted(ops, key=Operation.sort_key)),
        sorted_findings(findings),
        tuple(claims),
        tuple(sorted(forgets)),
        released if wb.applies else 0,
    )


def _plan_one(side: TessituraSide, policy: Policy) -> WritebackPlan:
    wb = policy.writeback
    code = wb.hold_code_id
    ours = {
        seat for seat, layers in side.layers.items() if any(h.hold_code_id == code for h in layers)
    }
    findings: list[Finding] = []
    add: dict[int, str] = {}
    wanted: set[int] = set()
    unmapped: list[str] = []
    sold_online = {
        label: status
        for label, status in side.online.items()
        if status in wb.statuses and status not in NEVER_WRITTEN_BACK
    }
    seat_of = reversed_table(side.table, sold_online) if sold_online else {}
    for label in sorted(sold_online):
        seats = seat_of.get(label, ())
        if len(seats) != 1:
            unmapped.append(label)
            continue
        (seat,) = seats
        if seat in side.sold:
            continue  # sold at the box office too: the order is there, nothing to block
        wanted.add(seat)
        if seat not in ours or _needs_refresh(side, seat, code, wb.hold_hours):
            add[seat] = label
    if unmapped:
        findings.append(
            grouped(
                FindingKind.WRITEBACK_UNMAPPED,
                side,
                code,
                unmapped,
                "objects sold online map to no single Tessitura seat (none, or several, in the "
                "seat table): not held in Tessitura",
            )
        )
    # a seat whose label is sold online is never lifted, even where the table is in doubt
    wanted |= {
        seat for seat in ours if side.label_of(seat) in sold_online and seat not in side.sold
    }
    placed = {seat for seat, row in side.held.items() if row.hold_code_id == code}
    lift: dict[int, str] = {}
    waiting: list[str] = []
    stray: list[int] = []
    unplaced: list[str] = []
    for seat in sorted(ours - wanted):
        mapped = side.label_of(seat)
        if mapped is None:
            stray.append(seat)
            continue
        if seat not in placed:  # not known to be the bridge's: never lifted (it lifts all)
            unplaced.append(mapped)
            continue
        others = [h for h in side.layers[seat] if h.hold_code_id != code]
        if others:
            waiting.append(mapped)
        else:
            lift[seat] = mapped
    if unplaced:
        findings.append(
            grouped(
                FindingKind.WRITEBACK_STRAY,
                side,
                code,
                unplaced,
                f"seats not sold online carry the write-back hold code {code}, and the bridge "
                "has no record of placing it (a store lost, or the code used by hand): left as "
                "they are; lift them at the box office",
            )
        )
    if waiting:
        findings.append(
            grouped(
                FindingKind.WRITEBACK_LIFT_WAITS,
                side,
                code,
                waiting,
                "seats keep the bridge's Tessitura hold under another layer: lifting it would "
                "lift every layer, so it waits until it is alone",
            )
        )
    for seat in stray:
        findings.append(
            Finding(
                FindingKind.WRITEBACK_STRAY,
                performance_id=side.performance_id,
                event_key=side.event_key,
                seat_id=seat,
                hold_code_id=code,
                detail=f"seat {seat} carries the write-back hold code {code} but is not in the "
                "seat table: left as it is",
            )
        )
    if lift and (refusal := _release_refusal(side, len(lift), len(ours), policy)):
        findings.append(refusal)
        lift = {}
    ops: list[Operation] = []
    target = str(code)
    for kind, chosen in ((OpKind.HOLD_IN_TESSITURA, add), (OpKind.LIFT_IN_TESSITURA, lift)):
        if chosen:
            ordered = sorted(chosen.items(), key=lambda item: item[1])
            ops.append(
                Operation(
                    kind,
                    (side.event_key,),
                    labels=tuple(lbl for _, lbl in ordered),
                    target=target,
                    performance_id=side.performance_id,
                    seat_ids=tuple(seat for seat, _ in ordered),
                )
            )
    # a layer on a seat sold online is taken as the bridge's (a store lost relearns it); the
    # rows of layers gone are forgotten, except while the holds answer is in doubt
    claims = [
        WritebackHold(side.performance_id, seat, lbl, side.event_key, code)
        for seat in sorted(ours & wanted)
        if seat not in add
        and (lbl := side.label_of(seat)) is not None
        and (seat not in placed or side.held[seat].label != lbl)
    ]
    forgets = (
        []
        if policy.pass_refusal
        else [(side.performance_id, seat) for seat in sorted(placed) if seat not in ours]
    )
    return WritebackPlan(tuple(ops), tuple(findings), tuple(claims), tuple(forgets), len(lift))


def grouped(
    kind: FindingKind,
    side: TessituraSide | tuple[int, str],
    code: int,
    labels: Sequence[str],
    detail: str,
) -> Finding:
    """One finding about several seats of a performance (``side``, or its (performance id,
    event key)): up to :data:`EXAMPLES` labels named, all counted, the count leading ``detail``."""
    pid, key = (side.performance_id, side.event_key) if isinstance(side, TessituraSide) else side
    return Finding(
        kind,
        performance_id=pid,
        event_key=key,
        hold_code_id=code,
        labels=tuple(labels[:EXAMPLES]),
        count=len(labels),
        detail=f"{len(labels)} {detail}",
    )


def _needs_refresh(side: TessituraSide, seat: int, code: int, hold_hours: float | None) -> bool:
    """A layer with an end date within half the horizon of lapsing is held again (a new end)."""
    if hold_hours is None or side.now is None:
        return False
    ends = [h.end_date for h in side.layers.get(seat, ()) if h.hold_code_id == code]
    end = ends[0] if ends else None
    return end is not None and end - side.now < timedelta(hours=hold_hours / 2)


def _release_refusal(
    side: TessituraSide, lifting: int, holding: int, policy: Policy
) -> Finding | None:
    """The mass-release guard on this side: lifts that free more than the policy's share of the
    performance's write-back holds (and at least its floor), or any lift when the pass refused
    releases, wait for ``force``."""
    if policy.force:
        return None
    over = lifting > policy.mass_release_share * holding and lifting >= policy.mass_release_floor
    if not over and not policy.pass_refusal:
        return None
    why = (
        f"(limit {policy.mass_release_share:.0%} and at least {policy.mass_release_floor})"
        if over
        else f"({policy.pass_refusal})"
    )
    return Finding(
        FindingKind.MASS_RELEASE_REFUSED,
        performance_id=side.performance_id,
        event_key=side.event_key,
        hold_code_id=policy.writeback.hold_code_id,
        count=lifting,
        detail=f"would lift {lifting} of {holding} Tessitura write-back holds, making them "
        f"sellable at the box office {why}; rerun with force to allow",
    )


def _reported(side: TessituraSide, op: Operation) -> Finding:
    verb = "hold" if op.kind is OpKind.HOLD_IN_TESSITURA else "lift the hold of"
    return Finding(
        FindingKind.WRITEBACK_PLANNED,
        performance_id=side.performance_id,
        event_key=side.event_key,
        hold_code_id=int(op.target),
        labels=op.labels[:EXAMPLES],
        count=len(op.labels),
        detail=f"report mode: apply would {verb} {len(op.labels)} seats in Tessitura "
        f"(hold code {op.target})",
    )


def reversed_table(
    labels: Mapping[int, str], wanted: Iterable[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """A seat table (seat id -> label) read the other way: label -> its seat ids, sorted; only
    the ``wanted`` labels when given."""
    keep = None if wanted is None else set(wanted)
    out: dict[str, list[int]] = {}
    for seat, label in labels.items():
        if keep is None or label in keep:
            out.setdefault(label, []).append(seat)
    return {label: tuple(sorted(seats)) for label, seats in out.items()}


def joined(plan: Plan, writeback: WritebackPlan) -> Plan:
    """The unit's plan with its Tessitura side: the write-back operations after every seats.io
    step and before the ledger claims (their phase), its findings and releases added."""
    if not writeback.operations and not writeback.findings:
        return plan
    claims = [op for op in plan.operations if op.kind is OpKind.LEDGER_CLAIM]
    first = [op for op in plan.operations if op.kind is not OpKind.LEDGER_CLAIM]
    return replace(
        plan,
        operations=(*first, *writeback.operations, *claims),
        findings=sorted_findings([*plan.findings, *writeback.findings]),
        released=plan.released + writeback.released,
    )
