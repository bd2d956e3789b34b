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
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bridge.core.desired import DesiredEvent, DesiredState, desired_state, winning_layer
from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.observed import FREE, ObjectState, ObservedEvent
from bridge.core.plan import held_per_event, plan, reason_of
from bridge.core.plan_model import Operation, Plan
from bridge.core.policy import Policy
from bridge.core.reasons import Reason, Rule
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

    def to_json(self) -> dict[str, Any]:
        return {
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
    here from the reads with the same functions.
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
