"""Why a seat is (not) on sale: per-seat facts for one performance, from what a pass reads.

Pure: :func:`explain` takes the values a reconcile pass gathers (hold snapshots of the unit, the
tables, the policy, what seats.io shows, the ledger) and the desired state and plan the
reconciler made of them, plus what only an operator needs (seat positions, hold code names, the
journal). Each seat's :class:`~bridge.core.reasons.Reason` (the rule and the winning hold layer)
is read off the plan (:func:`~bridge.core.plan.reason_of`), where the planner recorded it; this
module decides nothing again, it puts the reason into words of what seats.io shows. So the
explanation cannot drift from what a reconcile does. The reads come from the reconciler's own
read path, through :mod:`bridge.reconcile.explain_gather`.

Unknown is never free here either: a seat outside the seat table, one whose holds could not be
read or whose code has no rule, is :attr:`SeatState.UNKNOWN` ("kept as is"), whatever seats.io
shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bridge.core.desired import DesiredEvent, DesiredState, desired_state, winning_layer
from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.observed import FREE, ObjectState, ObservedEvent
from bridge.core.plan import held_per_event, plan, reason_of
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.policy import Policy
from bridge.core.reasons import Reason, Rule
from bridge.core.writeback import TessituraSide, WritebackPlan, plan_writeback
from bridge.domain import HoldSnapshot, LedgerEntry, Ownership, SeatHold
from bridge.mapping.model import HoldRule, MappingTables, PerformanceTarget

__all__ = [
    "ExplainInputs",
    "HoldFact",
    "JournalEntry",
    "PerformanceFacts",
    "SeatFacts",
    "SeatPlace",
    "SeatState",
    "Shows",
    "WritebackFact",
    "WritebackSummary",
    "explain",
]


class SeatState(StrEnum):
    """What one seat is in seats.io, as the bridge sees it (the seat map's colours)."""

    FREE = "free"  # buyable: no hold shown
    CHANNEL = "channel"  # in a bridge-managed channel (held by code)
    STATUS = "status"  # carries one of the bridge's custom statuses (held by code)
    NOT_FOR_SALE = "not_for_sale"  # marked not for sale
    SOLD = "sold"  # booked, reserved by a token, resale, or someone else's status
    FOREIGN = "foreign"  # in a channel the bridge does not manage
    CONFLICT = "conflict"  # Tessitura holds it but it is sold online, or another plan conflict
    UNKNOWN = "unknown"  # unmapped seat, unknown code, failed read: kept as is (fail closed)

    @property
    def held(self) -> bool:
        """Held by the bridge's doing: a bridge channel, a bridge status or not for sale."""
        return self in (SeatState.CHANNEL, SeatState.STATUS, SeatState.NOT_FOR_SALE)


#: The planner's findings behind :attr:`Rule.CHANNEL_CONFLICT`, whose detail the rule quotes.
CHANNEL_CONFLICTS = frozenset(
    {
        FindingKind.FOREIGN_CHANNEL,
        FindingKind.CHANNEL_NOT_CONFIGURED,
        FindingKind.CHANNEL_ON_SEASON_EVENT,
    }
)


@dataclass(frozen=True, slots=True)
class SeatPlace:
    """Where a seat is in Tessitura's seat map (``GET TXN/Performances/{id}/Seats``)."""

    seat_id: int
    section: str | None = None
    row: str = ""
    number: str = ""
    x: int | None = None
    y: int | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journaled operation (a run's op), decoded: what it did to which objects, and how."""

    run_id: int
    index: int
    kind: str
    event_keys: tuple[str, ...]
    labels: tuple[str, ...]
    target: str
    state: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    #: a Tessitura write-back operation's performance and seat ids (None and () otherwise)
    performance_id: int | None = None
    seat_ids: tuple[int, ...] = ()

    @property
    def is_tessitura(self) -> bool:
        return self.kind in TESSITURA_KINDS

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "index": self.index,
            "kind": self.kind,
            "event_keys": list(self.event_keys),
            "labels": list(self.labels),
            "target": self.target,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
        }
        if self.is_tessitura:
            out["performance_id"] = self.performance_id
            out["seat_ids"] = list(self.seat_ids)
        return out


#: The journal kinds of the Tessitura side (two-way write-back).
TESSITURA_KINDS = frozenset(k.value for k in OpKind if k.is_tessitura)


@dataclass(frozen=True, slots=True)
class WritebackFact:
    """One seat's Tessitura side (``[writeback]`` on): whether the bridge's own hold code is one
    of its layers, whether the write-back ledger holds it (``since``), and what the write-back
    plans for it (``plan``) and why.

    ``plan``: ``hold`` (add the bridge's layer), ``refresh`` (hold again for a new end date),
    ``lift``, ``waits`` (the lift waits under another layer), ``refused`` (the lift is held back
    by the mass-release guard), ``keep`` (the layer stays: still sold online), ``none`` (nothing
    to do) or ``unknown`` (the side could not be read). In report mode it is what apply would do.
    """

    mode: str
    hold_code: int
    layer: bool
    in_ledger: bool
    since: datetime | None
    plan: str
    why: str

    def phrase(self) -> str:
        """The plan in words: ``next reconcile holds it in Tessitura: sold online (booked)``."""
        verbs = {
            "hold": "holds it in Tessitura",
            "refresh": "holds it again (a new end date)",
            "lift": "lifts the bridge's hold",
        }
        if self.plan in verbs:
            who = "report mode: apply would" if self.mode == "report" else "next reconcile"
            verb = verbs[self.plan]
            if self.mode == "report":
                verb = verb.replace("holds", "hold").replace("lifts", "lift")
            return f"{who} {verb}: {self.why}"
        words = {
            "waits": "the lift waits",
            "refused": "the lift is refused",
            "keep": "the bridge's hold stays",
            "none": "nothing to write",
            "unknown": "not read",
        }
        return f"{words.get(self.plan, self.plan)}: {self.why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "hold_code": self.hold_code,
            "layer": self.layer,
            "ledger": {"since": self.since.isoformat() if self.since else None}
            if self.in_ledger
            else None,
            "plan": self.plan,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class WritebackSummary:
    """The performance's Tessitura side: the write-back's mode and code, how many seats the
    ledger says the bridge holds there, what the next reconcile would hold and lift, and why the
    side could not be read (``error``)."""

    mode: str
    hold_code: int
    held: int
    holds: int = 0
    lifts: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "hold_code": self.hold_code,
            "held": self.held,
            "holds": self.holds,
            "lifts": self.lifts,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Shows:
    """What seats.io should show or shows for one object: ``kind`` is one of free, channel,
    status, not_for_sale, sold, foreign, as_is (kept as it is), absent (no such object)."""

    kind: str
    target: str = ""

    def __str__(self) -> str:
        words = {
            "free": "free",
            "not_for_sale": "not for sale",
            "as_is": "kept as it is",
            "absent": "no such object on the chart",
        }
        if self.kind in words:
            return words[self.kind]
        return f"{self.kind.replace('_', ' ')} {self.target}".strip()

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "target": self.target}


@dataclass(frozen=True, slots=True)
class HoldFact:
    """One Tessitura hold layer on the seat, with the hold-code row that maps it (None: no rule);
    ``wins``: its code is the one of the seat's winning layer (the reason's)."""

    code: int
    description: str | None
    priority: int
    end_date: datetime | None
    rule: HoldRule | None
    wins: bool = False
    #: the code is the bridge's own write-back hold (``[writeback] hold_code``)
    writeback: bool = False

    def mapping(self) -> str:
        """The hold-code row as one phrase: ``code 1 -> channel house (precedence 3)``."""
        if self.rule is None:
            return f"code {self.code} -> no rule (unknown code)"
        r = self.rule
        to = f"{r.action.value} {r.target}" if r.target else r.action.value
        fallback = f", fallback status {r.fallback_status}" if r.fallback_status else ""
        return f"code {self.code} -> {to} (precedence {r.precedence}{fallback})"

    def to_json(self) -> dict[str, Any]:
        r = self.rule
        return {
            "code": self.code,
            "description": self.description,
            "priority": self.priority,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "wins": self.wins,
            "writeback": self.writeback,
            "rule": None
            if r is None
            else {
                "action": r.action.value,
                "target": r.target,
                "precedence": r.precedence,
                "fallback_status": r.fallback_status,
            },
        }


@dataclass(frozen=True, slots=True)
class SeatFacts:
    """Everything the bridge knows about one seat of one performance, and the rule that applies.

    ``label`` is None for a seat missing from the seat table; ``place`` is None when Tessitura's
    seat map could not be read. ``desired`` is what seats.io should show, ``observed`` what it
    shows (None: not read, or the event is out of scope). ``owned``: the ledger's entries on the
    object (its event and its season). ``planned``: what the next reconcile would do to it;
    ``journal``: the last journaled operations on it, newest first. ``reason``: the plan's
    reason for it (a seat no plan reaches: the fail-closed one that keeps it), which ``rule``
    puts into words; not part of the JSON.
    """

    seat_id: int | None
    label: str | None
    place: SeatPlace | None
    holds: tuple[HoldFact, ...]
    event_key: str | None
    season_key: str | None
    desired: Shows
    observed: Shows | None
    owned: tuple[LedgerEntry, ...]
    state: SeatState
    rule: str
    findings: tuple[Finding, ...] = ()
    planned: tuple[Operation, ...] = ()
    journal: tuple[JournalEntry, ...] = ()
    reason: Reason | None = None
    writeback: WritebackFact | None = None

    @property
    def section(self) -> str | None:
        return self.place.section if self.place else None

    @property
    def x(self) -> int | None:
        return self.place.x if self.place else None

    @property
    def y(self) -> int | None:
        return self.place.y if self.place else None

    def to_json(self) -> dict[str, Any]:
        p = self.place
        return {
            "seat_id": self.seat_id,
            "label": self.label,
            "section": p.section if p else None,
            "row": p.row if p else None,
            "number": p.number if p else None,
            "x": p.x if p else None,
            "y": p.y if p else None,
            "state": self.state.value,
            "rule": self.rule,
            "holds": [h.to_json() for h in self.holds],
            "event_key": self.event_key,
            "season_key": self.season_key,
            "desired": self.desired.to_json(),
            "observed": self.observed.to_json() if self.observed else None,
            "owned": [
                {
                    "event_key": e.event_key,
                    "ownership": e.ownership.value,
                    "target": e.target,
                    "since": e.since.isoformat() if e.since else None,
                }
                for e in self.owned
            ],
            "findings": [f.to_json() for f in self.findings],
            "planned": [op.to_json() for op in self.planned],
            "journal": [j.to_json() for j in self.journal],
            "writeback": self.writeback.to_json() if self.writeback else None,
        }


@dataclass(frozen=True, slots=True)
class PerformanceFacts:
    """One performance explained: its mapping, every seat, what conflicts and what is pending.

    ``target`` is where the performance lives in seats.io (None: unmapped) and ``by_template``
    whether the config's event-key rule gave it; ``read_error`` why its holds could not be read;
    ``planned`` the operations a reconcile would run now (drift); ``unfinished`` journaled
    operations never finished (a crash, an interruption).
    """

    performance_id: int
    target: PerformanceTarget | None
    by_template: bool
    seat_map_id: int | None
    seats: tuple[SeatFacts, ...]
    findings: tuple[Finding, ...]
    planned: tuple[Operation, ...]
    unfinished: tuple[JournalEntry, ...] = ()
    read_error: str | None = None
    places_error: str | None = None
    writeback: WritebackSummary | None = None

    @property
    def event_keys(self) -> tuple[str, ...]:
        if self.target is None:
            return ()
        return tuple(k for k in (self.target.event_key, self.target.season_key) if k)

    @property
    def conflicts(self) -> tuple[SeatFacts, ...]:
        return tuple(s for s in self.seats if s.state is SeatState.CONFLICT)

    def counts(self) -> dict[str, int]:
        out = {state.value: 0 for state in SeatState}
        for seat in self.seats:
            out[seat.state.value] += 1
        return out

    def to_json(self, seats: Sequence[SeatFacts] | None = None) -> dict[str, Any]:
        t = self.target
        return {
            "performance_id": self.performance_id,
            "event_key": t.event_key if t else None,
            "season_key": t.season_key if t else None,
            "by_template": self.by_template,
            "seat_map_id": self.seat_map_id,
            "read_error": self.read_error,
            "places_error": self.places_error,
            "counts": self.counts(),
            "conflicts": [s.label or s.seat_id for s in self.conflicts],
            "findings": [f.to_json() for f in self.findings],
            "planned": [op.to_json() for op in self.planned],
            "unfinished": [j.to_json() for j in self.unfinished],
            "seats": [s.to_json() for s in (self.seats if seats is None else seats)],
            "writeback": self.writeback.to_json() if self.writeback else None,
        }


@dataclass(frozen=True, slots=True)
class ExplainInputs:
    """What :func:`explain` needs: a pass's reads for the performance's unit, and extras.

    ``snapshots``: the hold snapshots that could be read, for every performance of the unit (a
    season's performances travel together); ``read_errors``: performance id -> why not.
    ``observed``: seats.io as the observe step reads it, best read wide (every label of the seat
    table) so free seats show too; the planner only looks at the labels it decides on, so a wider
    read plans the same. ``refused_tables``: seat tables the pass does not trust (they shrank).
    ``desired`` and ``plan``: the desired state and the plan the reconciler's read path made of
    these reads (:meth:`bridge.reconcile.run.Reconciler.read_unit`); when None, they are made
    here from the reads with the same functions. ``writeback_sides`` and ``writeback_errors``:
    the Tessitura side as the read path read it (``[writeback]`` on), and why a performance's
    side could not be read.
    """

    performance_id: int
    tables: MappingTables
    policy: Policy
    snapshots: tuple[HoldSnapshot, ...] = ()
    read_errors: Mapping[int, str] = field(default_factory=dict)
    observed: Mapping[str, ObservedEvent] = field(default_factory=dict)
    ledger: Mapping[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    refused_tables: Mapping[int, str] = field(default_factory=dict)
    places: Mapping[int, SeatPlace] = field(default_factory=dict)
    places_error: str | None = None
    code_names: Mapping[int, str] = field(default_factory=dict)
    journal: tuple[JournalEntry, ...] = ()
    unfinished: tuple[JournalEntry, ...] = ()
    desired: DesiredState | None = None
    plan: Plan | None = None
    writeback_sides: tuple[TessituraSide, ...] = ()
    writeback_errors: Mapping[int, str] = field(default_factory=dict)


def explain(inputs: ExplainInputs) -> PerformanceFacts:
    """Per-seat facts of ``inputs.performance_id``, from the desired state and plan a reconcile
    of its unit computes."""
    tables, policy = inputs.tables, inputs.policy
    desired = inputs.desired
    if desired is None:
        desired = desired_state(inputs.snapshots, tables, policy, inputs.refused_tables)
    the_plan = inputs.plan
    if the_plan is None:
        the_plan = plan(desired, inputs.observed, inputs.ledger, policy, tables.channels)
    return _Explainer(inputs, desired, the_plan).performance()


class _Explainer:
    """Reads one performance's facts off a desired state and a plan."""

    def __init__(self, inputs: ExplainInputs, desired: DesiredState, the_plan: Plan) -> None:
        self.i = inputs
        self.desired = desired
        self.plan = the_plan
        pid = inputs.performance_id
        self.pid = pid
        self.target = inputs.tables.target_for(pid)
        self.by_template = self.target is not None and pid not in inputs.tables.performances
        self.snapshot = next((s for s in inputs.snapshots if s.performance_id == pid), None)
        self.keys = (
            {k for k in (self.target.event_key, self.target.season_key) if k}
            if self.target
            else set()
        )
        self.channel_keys = {c.key for c in inputs.tables.channels}
        self.findings = tuple(
            f
            for f in the_plan.findings
            if f.performance_id == pid or (f.event_key is not None and f.event_key in self.keys)
        )
        self.planned = tuple(op for op in the_plan.operations if self.keys & set(op.event_keys))
        t = self.target
        event = desired.events.get(t.event_key) if t else None
        seen = inputs.observed.get(t.event_key) if t else None
        season = desired.events.get(t.season_key) if t and t.season_key else None
        if event is not None and seen is not None and event.season_fallbacks and season is None:
            event = held_per_event(event, seen)  # as the planner does: one place for the rule
        self.event = event
        wb = inputs.policy.writeback
        self.side = next((s for s in inputs.writeback_sides if s.performance_id == pid), None)
        self.written_back = self._writeback_plan() if wb.on else WritebackPlan()
        self.wb_ops = {
            kind: {s for op in self.written_back.operations if op.kind is kind for s in op.seat_ids}
            for kind in (OpKind.HOLD_IN_TESSITURA, OpKind.LIFT_IN_TESSITURA)
        }

    def _writeback_plan(self) -> WritebackPlan:
        """The Tessitura side's plan for this performance: the reconcile's own operations in
        apply mode; in report mode what apply would do (the same planner on the same side)."""
        wb = self.i.policy.writeback
        if self.side is None:
            return WritebackPlan()
        if wb.applies:
            return WritebackPlan(
                operations=tuple(
                    op
                    for op in self.plan.operations
                    if op.kind.is_tessitura and op.performance_id == self.pid
                ),
                findings=tuple(f for f in self.plan.findings if f.performance_id == self.pid),
            )
        apply = replace(self.i.policy, writeback=replace(wb, mode="apply"))
        return plan_writeback([self.side], apply)

    def writeback_summary(self) -> WritebackSummary | None:
        wb = self.i.policy.writeback
        if not wb.on:
            return None
        side = self.side
        error = self.i.writeback_errors.get(self.pid)
        if side is None and error is None:
            error = "the Tessitura side was not read (no seats.io event, or holds unreadable)"
        return WritebackSummary(
            mode=wb.mode,
            hold_code=wb.hold_code_id,
            held=len(side.held) if side else 0,
            holds=len(self.wb_ops[OpKind.HOLD_IN_TESSITURA]),
            lifts=len(self.wb_ops[OpKind.LIFT_IN_TESSITURA]),
            error=error,
        )

    def writeback_fact(self, seat_id: int | None, label: str | None) -> WritebackFact | None:
        """The seat's Tessitura side in words, read off the write-back plan and the side."""
        wb = self.i.policy.writeback
        if not wb.on or seat_id is None:
            return None
        code, side = wb.hold_code_id, self.side

        def fact(plan: str, why: str, layer: bool = False) -> WritebackFact:
            row = side.held.get(seat_id) if side is not None else None
            since = row.since if row is not None else None
            return WritebackFact(wb.mode, code, layer, row is not None, since, plan, why)

        if side is None:
            why = self.i.writeback_errors.get(self.pid) or "the Tessitura side was not read"
            return fact("unknown", why)
        layers = side.layers.get(seat_id, ())
        ours = any(h.hold_code_id == code for h in layers)
        status = side.online.get(label) if label is not None else None
        online = f"sold online ({status})" if status in wb.statuses else None
        sold = seat_id in side.sold
        if seat_id in self.wb_ops[OpKind.HOLD_IN_TESSITURA]:
            return fact("refresh" if ours else "hold", online or "sold online", ours)
        if seat_id in self.wb_ops[OpKind.LIFT_IN_TESSITURA]:
            return fact("lift", "sold at the box office" if sold else "not sold online", ours)
        if ours:
            if label is None:
                return fact("none", "not in the seat table: left as it is", True)
            if online is not None and not sold:
                return fact("keep", online, True)
            gone = "sold at the box office" if sold else "not sold online"
            row = side.held.get(seat_id)
            if row is None or row.hold_code_id != code:  # the planner lifts only its own
                return fact(
                    "none",
                    f"{gone}, but the bridge has no record of placing it: left as it is",
                    True,
                )
            refused = next(
                (
                    f
                    for f in self.written_back.findings
                    if f.kind is FindingKind.MASS_RELEASE_REFUSED and f.hold_code_id == code
                ),
                None,
            )
            if refused is not None:
                return fact("refused", f"{gone}, but {refused.detail}", True)
            others = sorted({h.hold_code_id for h in layers if h.hold_code_id != code})
            if others:
                under = ", ".join(map(str, others))
                return fact(
                    "waits",
                    f"{gone}, but under code {under}: lifting would lift every layer, so it "
                    "waits until it is alone",
                    True,
                )
            return fact("none", gone, True)
        if online is None:
            return fact("none", "not sold online")
        if sold:
            return fact("none", f"{online}, and sold at the box office: the order is there")
        return fact("none", f"{online}, but its label maps to no single Tessitura seat")

    # -- the performance -------------------------------------------------------------------------

    def performance(self) -> PerformanceFacts:
        seat_map = self.snapshot.seat_map_id if self.snapshot else None
        table = self.i.tables.seat_tables.get(seat_map) if seat_map is not None else None
        if table is None and seat_map is None and len(self.i.tables.seat_tables) == 1:
            table = next(iter(self.i.tables.seat_tables.values()))  # the one hall there is
        labels = dict(table.labels) if table else {}
        layers: dict[int, list[SeatHold]] = {}
        for hold in self.snapshot.holds if self.snapshot else ():
            layers.setdefault(hold.seat_id, []).append(hold)
        seat_ids = sorted(set(self.i.places) | set(labels) | set(layers))
        seats = [self.seat(sid, labels.get(sid), layers.get(sid, [])) for sid in seat_ids]
        # objects the bridge holds whose label is in no row (kept until the table lists them)
        known = set(labels.values())
        for (key, label), _entry in sorted(self.i.ledger.items()):
            if key in self.keys and label not in known:
                known.add(label)
                seats.append(self.seat(None, label, []))
        unfinished = self.i.unfinished
        return PerformanceFacts(
            performance_id=self.pid,
            target=self.target,
            by_template=self.by_template,
            seat_map_id=seat_map,
            seats=tuple(seats),
            findings=self.findings,
            planned=self.planned,
            unfinished=unfinished,
            read_error=self.i.read_errors.get(self.pid),
            places_error=self.i.places_error,
            writeback=self.writeback_summary(),
        )

    # -- one seat --------------------------------------------------------------------------------

    def seat(self, seat_id: int | None, label: str | None, layers: list[SeatHold]) -> SeatFacts:
        rules = self.i.tables.hold_rules
        t = self.target
        season = self.desired.events.get(t.season_key) if t and t.season_key else None
        seen = self.i.observed.get(t.event_key) if t else None
        seen_season = self.i.observed.get(t.season_key) if t and t.season_key else None
        obj = seen.objects.get(label) if seen is not None and label else None
        season_obj = seen_season.objects.get(label) if seen_season is not None and label else None
        findings = tuple(f for f in self.findings if _about(f, seat_id, label))
        planned = tuple(op for op in self.planned if label is not None and label in op.labels)
        journal = tuple(
            j
            for j in self.i.journal
            if label is not None and label in j.labels and self.keys & set(j.event_keys)
        )
        owned = tuple(
            e
            for (key, lbl), e in sorted(self.i.ledger.items())
            if lbl == label and key in self.keys
        )
        # a status the ledger says the bridge set is the bridge's, even when its code left the table
        statuses = self.i.policy.bridge_statuses | {
            e.target for e in owned if e.ownership is Ownership.STATUS
        }
        # an event in a season: where the event has no such object (or is missing), the season's
        # object is what the plan works on
        if obj is None and season_obj is not None:
            obj, seen = season_obj, seen_season
        elif seen is None:
            seen = seen_season
        observed = (
            _shows(obj, season_obj, seen, self.channel_keys, statuses)
            if seen is not None and label is not None
            else None
        )
        reason = self.reason(label, layers, seen)
        holds = tuple(
            HoldFact(
                code=h.hold_code_id,
                description=self.i.code_names.get(h.hold_code_id),
                priority=h.priority,
                end_date=h.end_date,
                rule=rules.get(h.hold_code_id),
                wins=reason.layer is not None and h.hold_code_id == reason.layer.hold_code_id,
                writeback=h.hold_code_id == self.i.policy.writeback.hold_code_id > 0,
            )
            for h in sorted(layers, key=lambda h: (h.priority, h.hold_code_id))
        )
        state, rule = self._words(reason, seat_id, label, holds, season, obj, observed, owned)
        api = [op for op in planned if op.is_api]
        if api and state is not SeatState.UNKNOWN:
            rule += "; next reconcile: " + ", ".join(_op_phrase(op) for op in api)
        return SeatFacts(
            seat_id=seat_id,
            label=label,
            place=self.i.places.get(seat_id) if seat_id is not None else None,
            holds=holds,
            event_key=t.event_key if t else None,
            season_key=t.season_key if t else None,
            desired=_wanted(self.event, season, label),
            observed=observed,
            owned=owned,
            state=state,
            rule=rule,
            findings=findings,
            planned=planned,
            journal=tuple(sorted(journal, key=lambda j: (j.run_id, j.index), reverse=True)),
            reason=reason,
            writeback=self.writeback_fact(seat_id, label),
        )

    def reason(
        self, label: str | None, layers: list[SeatHold], seen: ObservedEvent | None
    ) -> Reason:
        """The seat's reason: the plan's (:func:`~bridge.core.plan.reason_of`) for its object on
        its event; a seat no plan reaches (no event, holds unreadable, no seat table row, an
        event that cannot be planned or that seats.io lacks) gets the fail-closed one that keeps
        it, its layers ranked by the desired state's own :func:`~bridge.core.desired.winning_layer`."""
        t = self.target
        if t is None:
            rule = Rule.NO_EVENT
        elif self.i.read_errors.get(self.pid) is not None or self.snapshot is None:
            rule = Rule.HOLDS_UNREADABLE
        elif label is None:
            rule = Rule.UNKNOWN_SEAT
        elif (reason := reason_of(self.desired, self.plan, t.event_key, label)) is None:
            rule = Rule.NOT_PLANNED
        elif seen is None:
            rule = Rule.EVENT_NOT_FOUND
        else:
            return reason
        return Reason(rule, winning_layer(layers, self.i.tables.hold_rules))

    def _words(
        self,
        reason: Reason,
        seat_id: int | None,
        label: str | None,
        holds: tuple[HoldFact, ...],
        season: DesiredEvent | None,
        obj: ObjectState | None,
        observed: Shows | None,
        owned: tuple[LedgerEntry, ...],
    ) -> tuple[SeatState, str]:
        """The seat's state and the one sentence that puts its reason into words of what seats.io
        shows and the ledger says; unknown where the bridge may not act."""
        unknown, t, event, rule = SeatState.UNKNOWN, self.target, self.event, reason.rule
        code = _code_phrase(holds)
        if rule is Rule.NO_EVENT:
            return unknown, f"performance {self.pid} has no seats.io event: nothing is changed"
        if rule is Rule.HOLDS_UNREADABLE:
            return unknown, "holds could not be read: kept as is"
        assert t is not None and self.snapshot is not None
        if label is None:
            if not holds:
                return unknown, f"unknown seat: seat {seat_id} is not in the seat table: left alone"
            seat_map = self.snapshot.seat_map_id
            return unknown, (
                f"unknown seat: seat {seat_id} ({code}) is not in the seat table of seat map "
                f"{seat_map}: kept as is"
            )
        if rule is Rule.NOT_PLANNED:
            errors = self.desired.findings
            why = (
                f.detail
                for f in errors
                if f.performance_id == self.pid and f.severity is Severity.ERROR
            )
            return unknown, f"{next(why, 'its event cannot be planned')}: kept as is"
        if rule is Rule.EVENT_NOT_FOUND:
            return unknown, f"seats.io has no event {t.event_key}: nothing is changed"
        assert event is not None
        if seat_id is None:
            return unknown, "held by the bridge but in no seat table row: kept as is"
        if obj is None or rule is Rule.NOT_ON_CHART:  # (the season's object is not the event's)
            if event.wants(label):
                return unknown, f"{code}, but the chart has no object {label}: check the table"
            return unknown, f"the chart of {t.event_key} has no object {label}"
        assert observed is not None
        state, wanted = _state_of(observed), _wanted(event, season, label)
        holding = (
            Rule.HELD,
            Rule.SEASON_CHANNEL,
            Rule.SEASON_DIFFERS,
            Rule.SEASON_FALLBACK,
            Rule.FALLBACK,
        )
        if rule in holding and state is SeatState.SOLD:
            # Tessitura holds it and seats.io shows it sold (here, or through its season's
            # ticket): whatever the planner does with the season, this seat is a conflict
            return SeatState.CONFLICT, (
                f"conflict: sold online ({obj.status}) while Tessitura holds it ({code}); "
                "reported, never overwritten"
            )
        match rule:
            case Rule.CONFLICT:
                return SeatState.CONFLICT, (
                    f"conflict: sold online ({obj.status}) while Tessitura holds it ({code}); "
                    "reported, never overwritten"
                )
            case Rule.CHANNEL_CONFLICT | Rule.PARTNER_CHANNEL:
                mine = (f for f in self.findings if _about(f, seat_id, label))
                why = (f.detail for f in mine if f.kind in CHANNEL_CONFLICTS)
                return SeatState.CONFLICT, f"conflict: {next(why, 'its channel cannot hold it')}"
            case Rule.SEASON_FALLBACK:
                fallback = event.season_fallbacks.get(label)
                held = f"status {fallback}" if fallback else "not for sale"
                return state, (
                    f"season fallback: season {t.season_key} cannot be planned (a performance "
                    f"is unreadable), so {code} is held per event as {held} unless the season's "
                    "channel holds it"
                )
            case Rule.UNKNOWN_CODE:
                unknowns = ", ".join(str(h.code) for h in holds if h.rule is None)
                return unknown, f"unknown hold code {unknowns}: no rule, kept as is"
            case Rule.UNKNOWN_SEAT:
                return unknown, "unknown seat: not in the seat table: kept as is"
            case Rule.UNDECIDED:
                return unknown, "undecided in this unit (a season performance differs): kept as is"
            case Rule.SEASON_CHANNEL:
                season_channel = f"season channel {wanted.target}"
                return state, f"held by {code} in the season's performances -> {season_channel}"
            case Rule.SEASON_DIFFERS:
                return state, (
                    f"season fallback: {code} differs between the season's performances -> "
                    f"held per event as {wanted}"
                )
            case Rule.HELD:
                return state, f"held by {code} -> {wanted}"
            case Rule.FALLBACK:
                return state, (
                    f"held by {code} -> {wanted}, but that form cannot be written now (the "
                    "event's for-sale edits spent, or its channel refused): a fallback status "
                    "holds it until it can"
                )
        # nothing wants it held here: what seats.io shows, and what the bridge does about it
        if state is SeatState.SOLD and owned:
            return state, f"sold online ({obj.status}) while the bridge held it: left as is"
        if state is SeatState.SOLD:
            return state, f"sold online ({obj.status}): not the bridge's, left alone"
        if rule is Rule.IGNORED:
            return state, f"held by {code} -> ignore: a Tessitura matter, left as seats.io shows it"
        if rule is Rule.RELEASE_REFUSED:
            return state, "release refused by the mass-release guard: kept held"
        if rule is Rule.RELEASE_WAITS:
            return state, f"the season keeps its {observed} until each event shows its own hold"
        if (state.held or state is SeatState.FOREIGN) and owned:  # RELEASED, or an unplanned season
            return state, f"no hold in Tessitura any more: the bridge releases its {observed}"
        if (state.held or state is SeatState.FOREIGN) and not self.planned_on(label):
            return state, f"not ours: {observed} is not in the ledger, left alone"
        if rule is Rule.NO_EFFECT:
            return state, f"{code}: nothing to show in seats.io"
        return state, "no hold: on sale"

    def planned_on(self, label: str) -> bool:
        return any(label in op.labels for op in self.planned)


def _about(finding: Finding, seat_id: int | None, label: str | None) -> bool:
    if label is not None and (finding.label == label or label in finding.labels):
        return True
    return seat_id is not None and finding.seat_id == seat_id


def _code_phrase(holds: tuple[HoldFact, ...]) -> str:
    """``code 1 (House Seats)``, the winning hold first; "no hold" when there is none."""
    if not holds:
        return "no hold"
    first = next((h for h in holds if h.wins), holds[0])
    name = f" ({first.description})" if first.description else ""
    more = f" (+{len(holds) - 1} more)" if len(holds) > 1 else ""
    return f"code {first.code}{name}{more}"


def _wanted(event: DesiredEvent | None, season: DesiredEvent | None, label: str | None) -> Shows:
    """What seats.io should show for ``label`` once the plan ran, per the desired state."""
    if event is None or label is None or not event.decides(label):
        return Shows("as_is")
    for key, labels in (season.channels if season else {}).items():
        if label in labels:
            return Shows("channel", key)
    for key, labels in event.channels.items():
        if label in labels:
            return Shows("channel", key)
    for status, labels in event.statuses.items():
        if label in labels:
            return Shows("status", status)
    if label in event.not_for_sale:
        return Shows("not_for_sale")
    return Shows("free")


def _shows(
    obj: ObjectState | None,
    season_obj: ObjectState | None,
    seen: ObservedEvent | None,
    bridge_channels: set[str],
    bridge_statuses: frozenset[str],
) -> Shows:
    """What seats.io shows for one object: a sale first, then channel, status, not for sale."""
    if obj is None or seen is None:
        return Shows("absent")
    channel = obj.channel or (season_obj.channel if season_obj else None)
    if obj.status != FREE and obj.status not in bridge_statuses:
        return Shows("sold", obj.status)
    if channel is not None:
        return Shows("channel" if channel in bridge_channels else "foreign", channel)
    if obj.status != FREE:
        return Shows("status", obj.status)
    if obj.label in seen.not_for_sale or not obj.for_sale:
        return Shows("not_for_sale")
    return Shows("free")


def _state_of(shows: Shows) -> SeatState:
    return {
        "sold": SeatState.SOLD,
        "channel": SeatState.CHANNEL,
        "foreign": SeatState.FOREIGN,
        "status": SeatState.STATUS,
        "not_for_sale": SeatState.NOT_FOR_SALE,
        "free": SeatState.FREE,
    }.get(shows.kind, SeatState.UNKNOWN)


def _op_phrase(op: Operation) -> str:
    words = op.kind.value.replace("_", " ")
    return f"{words} {op.target}".strip() + f" on {', '.join(op.event_keys)}"
