"""What the core reports instead of guessing: one value per thing an operator may have to look at.

Findings are data, not log lines: the desired-state and planning steps return them next to their
result, the CLI prints them, the status store counts them and the metrics export them by kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: How many labels a grouped finding lists before it only counts.
EXAMPLES = 10


class Severity(StrEnum):
    """How loud a finding is: CONFLICT is counted apart because product.md reports conflicts."""

    INFO = "info"
    WARNING = "warning"
    CONFLICT = "conflict"
    ERROR = "error"


class FindingKind(StrEnum):
    """Every kind of finding the reconcile core emits (desired state first, then the planner)."""

    # desired state (mapping a Tessitura performance)
    UNMAPPED_PERFORMANCE = "unmapped_performance"
    NO_SEAT_TABLE = "no_seat_table"
    SEAT_TABLE_UNUSABLE = "seat_table_unusable"
    UNMAPPED_SEAT = "unmapped_seat"
    UNKNOWN_HOLD_CODE = "unknown_hold_code"
    SEASON_INCOMPLETE = "season_incomplete"
    SEASON_HOLD_DIFFERS = "season_hold_differs"
    SEAT_MAP_CHANGED = "seat_map_changed"
    #: two performances on one event, or a performance on a season's key: refused, not planned
    EVENT_KEY_SHARED = "event_key_shared"
    # planner (comparing with seats.io)
    EVENT_NOT_FOUND = "event_not_found"
    NOT_ON_CHART = "not_on_chart"
    OWNED_NOT_ON_CHART = "owned_not_on_chart"
    NOT_ON_SEASON_CHART = "not_on_season_chart"
    CHANNEL_NOT_CONFIGURED = "channel_not_configured"
    CHANNEL_ON_SEASON_EVENT = "channel_on_season_event"
    CONFLICT = "conflict"
    SOLD_WHILE_HELD = "sold_while_held"
    FOREIGN_CHANNEL = "foreign_channel"
    UNOWNED_IN_BRIDGE_CHANNEL = "unowned_in_bridge_channel"
    UNOWNED_BRIDGE_STATUS = "unowned_bridge_status"
    FOR_SALE_BUDGET_EXHAUSTED = "for_sale_budget_exhausted"
    HELD_BY_FALLBACK = "held_by_fallback"
    CHANNEL_REFUSED = "channel_refused"
    MASS_RELEASE_REFUSED = "mass_release_refused"
    HELD_OUTSIDE_TABLE = "held_outside_table"
    SEASON_RELEASE_WAITS = "season_release_waits"
    BOOKED_DURING_RUN = "booked_during_run"
    # the Tessitura side (two-way write-back, bridge.core.writeback)
    WRITEBACK_UNMAPPED = "writeback_unmapped"
    WRITEBACK_STRAY = "writeback_stray"
    WRITEBACK_REFUSED = "writeback_refused"
    WRITEBACK_LIFT_WAITS = "writeback_lift_waits"
    WRITEBACK_RACE = "writeback_race"
    WRITEBACK_PLANNED = "writeback_planned"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]


_SEVERITY: Mapping[FindingKind, Severity] = {
    FindingKind.UNMAPPED_PERFORMANCE: Severity.WARNING,
    FindingKind.NO_SEAT_TABLE: Severity.ERROR,
    FindingKind.SEAT_TABLE_UNUSABLE: Severity.ERROR,
    FindingKind.UNMAPPED_SEAT: Severity.ERROR,
    FindingKind.UNKNOWN_HOLD_CODE: Severity.WARNING,
    FindingKind.SEASON_INCOMPLETE: Severity.ERROR,
    FindingKind.SEASON_HOLD_DIFFERS: Severity.WARNING,
    # Tessitura moved the performance to another seat map: planned with the new one from now on
    FindingKind.SEAT_MAP_CHANGED: Severity.WARNING,
    FindingKind.EVENT_KEY_SHARED: Severity.ERROR,
    FindingKind.EVENT_NOT_FOUND: Severity.ERROR,
    FindingKind.NOT_ON_CHART: Severity.ERROR,
    FindingKind.OWNED_NOT_ON_CHART: Severity.WARNING,
    FindingKind.NOT_ON_SEASON_CHART: Severity.ERROR,
    FindingKind.CHANNEL_NOT_CONFIGURED: Severity.ERROR,
    FindingKind.CHANNEL_ON_SEASON_EVENT: Severity.ERROR,
    FindingKind.CONFLICT: Severity.CONFLICT,
    FindingKind.SOLD_WHILE_HELD: Severity.INFO,
    # held by the box office yet in a partner's channel: a bridge status holds it meanwhile,
    # but a person has to settle whose seat it is
    FindingKind.FOREIGN_CHANNEL: Severity.CONFLICT,
    # the bridge's own channel or status with no ledger entry: its memory was lost (a store
    # removed or replaced) or someone else put it there; it cannot prove the hold is its own,
    # so it never releases it, and a seat nobody may hold stays unbuyable: not converged
    FindingKind.UNOWNED_IN_BRIDGE_CHANNEL: Severity.ERROR,
    FindingKind.UNOWNED_BRIDGE_STATUS: Severity.ERROR,
    FindingKind.FOR_SALE_BUDGET_EXHAUSTED: Severity.ERROR,
    # unbuyable, only not in its planned form yet: it moves there when the budget allows
    FindingKind.HELD_BY_FALLBACK: Severity.WARNING,
    # held by a fallback status, but the planned channel failed: not converged
    FindingKind.CHANNEL_REFUSED: Severity.ERROR,
    FindingKind.MASS_RELEASE_REFUSED: Severity.ERROR,
    FindingKind.HELD_OUTSIDE_TABLE: Severity.WARNING,
    FindingKind.SEASON_RELEASE_WAITS: Severity.ERROR,
    FindingKind.BOOKED_DURING_RUN: Severity.CONFLICT,
    # sold online, yet no single Tessitura seat to hold: the box office may sell it again
    FindingKind.WRITEBACK_UNMAPPED: Severity.WARNING,
    # the bridge's code on a seat outside the seat table: left alone, a person decides
    FindingKind.WRITEBACK_STRAY: Severity.WARNING,
    # sold online, yet Tessitura refused the hold (sold or locked at the box office): a person
    # checks the seat; a sale under an unlisted status is refused every pass
    FindingKind.WRITEBACK_REFUSED: Severity.ERROR,
    # the bridge's layer stays under a box-office layer until it is alone (-1 lifts every layer)
    FindingKind.WRITEBACK_LIFT_WAITS: Severity.INFO,
    # a layer appeared on a seat around the bridge's lift: kept, and said
    FindingKind.WRITEBACK_RACE: Severity.WARNING,
    # report mode: what apply would write in Tessitura
    FindingKind.WRITEBACK_PLANNED: Severity.INFO,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported fact; fields that do not apply are None (``labels``/``count`` for groups).

    ``labels`` lists the objects of a grouped finding (budget, season differences, mass release),
    ``count`` is the size of the group when the list is only a sample or there is no list.
    """

    kind: FindingKind
    performance_id: int | None = None
    event_key: str | None = None
    label: str | None = None
    seat_id: int | None = None
    hold_code_id: int | None = None
    detail: str = ""
    labels: tuple[str, ...] = ()
    count: int | None = None

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    def sort_key(self) -> tuple[Any, ...]:
        """Total order over findings, so plans and reports never depend on input order."""
        return (
            self.kind.value,
            self.event_key or "",
            -1 if self.performance_id is None else self.performance_id,
            self.label or "",
            -1 if self.seat_id is None else self.seat_id,
            -1 if self.hold_code_id is None else self.hold_code_id,
            self.detail,
            self.labels,
            -1 if self.count is None else self.count,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "performance_id": self.performance_id,
            "event_key": self.event_key,
            "label": self.label,
            "seat_id": self.seat_id,
            "hold_code_id": self.hold_code_id,
            "detail": self.detail,
            "labels": list(self.labels),
            "count": self.count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            kind=FindingKind(data["kind"]),
            performance_id=data.get("performance_id"),
            event_key=data.get("event_key"),
            label=data.get("label"),
            seat_id=data.get("seat_id"),
            hold_code_id=data.get("hold_code_id"),
            detail=data.get("detail", ""),
            labels=tuple(data.get("labels", ())),
            count=data.get("count"),
        )


def sorted_findings(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Deduplicated and in canonical order."""
    return tuple(sorted(set(findings), key=Finding.sort_key))
