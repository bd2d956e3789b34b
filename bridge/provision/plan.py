"""The seasons planner: from the seasons wanted and what seats.io has, the calls that build the
difference. Pure: no I/O, the same inputs always give the same plan.

Rules (issue 13, and the seats.io pages on seasons):

- a configured season that does not exist is created with ``eventKeys`` for those of its
  performances whose events do not exist yet (``POST /seasons``: the events must be new);
- an existing season gets the missing events of its performances
  (``POST /seasons/{key}/actions/create-events``);
- a season's managed settings (name, forSalePropagated, tableBookingConfig, event-level
  categories, objectCategories) that differ are updated, only those fields
  (``POST /events/{seasonKey}``; an empty list clears);
- a season is created with its categories, objectCategories and initial ``forSaleConfig``; the
  for-sale config is never sent again (reconcile manages for-sale from then on);
- a standalone performance without an event gets one on its facility's chart (``POST /events``);
- never acted on, only reported: an event that exists outside the season it belongs to, an
  event of a season that no wanted performance maps to (removed from the season, or past the
  horizon), a cancelled performance, a performance the tables cannot place.

Idempotent: planning against the result of applying a plan gives an empty plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bridge.mapping.model import (
    MappingTables,
    SeasonCategories,
    SeasonCategory,
    SeasonRule,
    TableBooking,
)


@dataclass(frozen=True, slots=True)
class WantedPerformance:
    """A Tessitura performance as discovery found it."""

    performance_id: int
    season_id: int | None = None
    production_season_id: int | None = None
    facility_id: int | None = None
    description: str | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class SeenEvent:
    """An event or top-level season as seats.io has it (``members``: a season's event keys)."""

    key: str
    chart_key: str | None = None
    is_season: bool = False
    season_key: str | None = None  # the top-level season holding this event, if any
    name: str | None = None
    for_sale_propagated: bool | None = None
    table_booking: TableBooking | None = None
    members: tuple[str, ...] = ()
    #: A season's event-level categories (the chart's left out) and objectCategories.
    categories: tuple[SeasonCategory, ...] = ()
    object_categories: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class CreateSeason:
    season_key: str
    chart_key: str
    event_keys: tuple[str, ...]
    name: str | None = None
    for_sale_propagated: bool | None = None
    table_booking: TableBooking | None = None
    categories: SeasonCategories | None = None

    def describe(self) -> str:
        return f"POST /seasons {_dumps(self.body())}"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "chartKey": self.chart_key,
            "key": self.season_key,
            "eventKeys": list(self.event_keys),
        }
        if self.name is not None:
            body["name"] = self.name
        if self.for_sale_propagated is not None:
            body["forSalePropagated"] = self.for_sale_propagated
        if self.table_booking is not None:
            body["tableBookingConfig"] = self.table_booking.to_json()
        if self.categories is not None:
            if self.categories.categories:
                body["categories"] = [c.to_json() for c in self.categories.categories]
            if self.categories.object_categories:
                body["objectCategories"] = dict(self.categories.object_categories)
            if (for_sale := self.categories.for_sale_json()) is not None:
                body["forSaleConfig"] = for_sale
        return body


@dataclass(frozen=True, slots=True)
class CreateEventsInSeason:
    season_key: str
    event_keys: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"POST /seasons/{self.season_key}/actions/create-events "
            f"{_dumps({'eventKeys': list(self.event_keys)})}"
        )

    def body(self) -> dict[str, Any]:
        return {"eventKeys": list(self.event_keys)}


@dataclass(frozen=True, slots=True)
class UpdateSeason:
    """Only the changed fields: a field left None is not sent, so seats.io leaves it."""

    season_key: str
    name: str | None = None
    for_sale_propagated: bool | None = None
    table_booking: TableBooking | None = None
    #: Sent whole when set; an empty tuple clears (sent as an empty array).
    categories: tuple[SeasonCategory, ...] | None = None
    object_categories: tuple[tuple[str, str], ...] | None = None

    def describe(self) -> str:
        return f"POST /events/{self.season_key} {_dumps(self.body())}"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.name is not None:
            body["name"] = self.name
        if self.for_sale_propagated is not None:
            body["forSalePropagated"] = self.for_sale_propagated
        if self.table_booking is not None:
            body["tableBookingConfig"] = self.table_booking.to_json()
        if self.categories is not None:
            body["categories"] = [c.to_json() for c in self.categories]
        if self.object_categories is not None:
            body["objectCategories"] = (
                dict(self.object_categories) if self.object_categories else []
            )
        return body


@dataclass(frozen=True, slots=True)
class CreateEvent:
    event_key: str
    chart_key: str
    name: str | None = None

    def describe(self) -> str:
        return f"POST /events {_dumps(self.body())}"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"chartKey": self.chart_key, "eventKey": self.event_key}
        if self.name is not None:
            body["name"] = self.name
        return body


Call = CreateSeason | CreateEventsInSeason | UpdateSeason | CreateEvent


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=False)


# --------------------------------------------------------------------------- findings


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the planner will not act on: the operator decides."""

    level: Level
    kind: str
    message: str
    performance_id: int | None = None
    event_key: str | None = None
    season_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "kind": self.kind,
            "message": self.message,
            "performance_id": self.performance_id,
            "event_key": self.event_key,
            "season_key": self.season_key,
        }


@dataclass(frozen=True, slots=True)
class ProvisionPlan:
    calls: tuple[Call, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.calls

    @property
    def failed(self) -> bool:
        return any(f.level is Level.ERROR for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "calls": [
                {"kind": type(c).__name__, "request": c.describe(), "body": c.body()}
                for c in self.calls
            ],
            "findings": [f.to_json() for f in self.findings],
            "summary": {"api_calls": len(self.calls), "findings": len(self.findings)},
        }


# --------------------------------------------------------------------------- planning


@dataclass
class _Season:
    rule: SeasonRule
    events: list[tuple[int, str]] = field(default_factory=list)  # (performance id, event key)


def plan_seasons(
    tables: MappingTables,
    facility_charts: Mapping[int, str],
    performances: Iterable[WantedPerformance],
    seen: Mapping[str, SeenEvent],
) -> ProvisionPlan:
    """The calls that build what ``performances`` need in seats.io, given what it has (``seen``:
    by key, every season of the table and every event key planned; a key missing from ``seen``
    does not exist)."""
    findings: list[Finding] = []
    calls: list[Call] = []
    seasons = {r.season_key: _Season(r) for r in tables.seasons}
    standalone: list[tuple[WantedPerformance, str, str]] = []  # perf, event key, chart
    claimed: dict[str, int] = {}  # event key -> performance
    by_id: dict[int, WantedPerformance] = {}
    for p in sorted(performances, key=lambda p: p.performance_id):
        by_id.setdefault(p.performance_id, p)
    for p in by_id.values():
        target = tables.target_for(p.performance_id)
        if target is None:
            findings.append(
                Finding(
                    Level.ERROR,
                    "no-event-key",
                    f"performance {p.performance_id}: not in the performance table and no "
                    "event_key_template",
                    performance_id=p.performance_id,
                )
            )
            continue
        key = target.event_key
        if key in claimed or key in seasons:
            findings.append(
                Finding(
                    Level.ERROR,
                    "event-key-taken",
                    f"performance {p.performance_id}: event key {key!r} is also "
                    + (
                        f"performance {claimed[key]}'s"
                        if key in claimed
                        else "a season key in the seasons table"
                    ),
                    performance_id=p.performance_id,
                    event_key=key,
                )
            )
            continue
        claimed[key] = p.performance_id
        rules = [
            r
            for r in tables.seasons
            if r.covers(p.season_id, p.performance_id, p.production_season_id)
        ]
        if len(rules) > 1:
            findings.append(
                Finding(
                    Level.ERROR,
                    "two-seasons",
                    f"performance {p.performance_id}: the seasons table puts it in "
                    + " and ".join(repr(r.season_key) for r in rules),
                    performance_id=p.performance_id,
                    event_key=key,
                )
            )
            continue
        if p.cancelled:
            if key in seen:
                findings.append(
                    Finding(
                        Level.WARNING,
                        "cancelled",
                        f"performance {p.performance_id} is cancelled in Tessitura; its event "
                        f"{key!r} is left as it is",
                        performance_id=p.performance_id,
                        event_key=key,
                    )
                )
            continue
        if rules:
            rule = rules[0]
            if target.season_key is not None and target.season_key != rule.season_key:
                findings.append(
                    Finding(
                        Level.ERROR,
                        "season-mismatch",
                        f"performance {p.performance_id}: the performance table puts it in "
                        f"season {target.season_key!r}, the seasons table in "
                        f"{rule.season_key!r}",
                        performance_id=p.performance_id,
                        event_key=key,
                    )
                )
                continue
            seasons[rule.season_key].events.append((p.performance_id, key))
            continue
        if target.season_key is not None:
            continue  # in a season the seasons table does not manage: built by hand
        chart = facility_charts.get(p.facility_id) if p.facility_id is not None else None
        if chart is None:
            if key not in seen:
                findings.append(
                    Finding(
                        Level.ERROR,
                        "no-chart",
                        f"performance {p.performance_id}: no chart for facility "
                        f"{p.facility_id} in [mappings.facility_charts]; event {key!r} not "
                        "created",
                        performance_id=p.performance_id,
                        event_key=key,
                    )
                )
            continue
        standalone.append((p, key, chart))

    for s in seasons.values():
        _plan_season(s, seen, calls, findings)
    for p, key, chart in standalone:
        ev = seen.get(key)
        if ev is None:
            calls.append(CreateEvent(key, chart, p.description))
        elif ev.is_season or ev.season_key is not None:
            findings.append(
                Finding(
                    Level.ERROR,
                    "standalone-in-season",
                    f"performance {p.performance_id} is in no configured season, but "
                    + (
                        f"{key!r} is a season"
                        if ev.is_season
                        else f"its event {key!r} is in season {ev.season_key!r}"
                    ),
                    performance_id=p.performance_id,
                    event_key=key,
                )
            )
        elif ev.chart_key is not None and ev.chart_key != chart:
            findings.append(
                Finding(
                    Level.WARNING,
                    "chart-mismatch",
                    f"performance {p.performance_id}: event {key!r} is on chart "
                    f"{ev.chart_key!r}, facility {p.facility_id} maps to {chart!r}",
                    performance_id=p.performance_id,
                    event_key=key,
                )
            )
    return ProvisionPlan(tuple(calls), tuple(findings))


def _plan_season(
    s: _Season, seen: Mapping[str, SeenEvent], calls: list[Call], findings: list[Finding]
) -> None:
    rule = s.rule
    season = seen.get(rule.season_key)
    if season is not None and not season.is_season:
        findings.append(
            Finding(
                Level.ERROR,
                "season-is-an-event",
                f"season key {rule.season_key!r} is a plain event in seats.io",
                season_key=rule.season_key,
            )
        )
        return
    members = set(season.members) if season is not None else set()
    missing: list[str] = []
    for pid, key in s.events:
        if key in members:
            continue
        ev = seen.get(key)
        if ev is None:
            missing.append(key)
            continue
        where = (
            "is a season"
            if ev.is_season
            else f"is in season {ev.season_key!r}"
            if ev.season_key is not None
            else "exists outside any season"
        )
        findings.append(
            Finding(
                Level.ERROR,
                "event-outside-season",
                f"performance {pid}: event {key!r} {where}, not in {rule.season_key!r}; "
                "seats.io cannot move an event into a season: not recreated or moved",
                performance_id=pid,
                event_key=key,
                season_key=rule.season_key,
            )
        )
    wanted = {key for _, key in s.events}
    for key in sorted(members - wanted):
        findings.append(
            Finding(
                Level.WARNING,
                "not-in-tessitura-season",
                f"event {key!r} of season {rule.season_key!r} maps to no performance of "
                f"Tessitura season {rule.season_id} found (removed, cancelled or past the "
                "horizon): left as it is",
                event_key=key,
                season_key=rule.season_key,
            )
        )
    if season is None:
        if not s.events:
            findings.append(
                Finding(
                    Level.WARNING,
                    "empty-season",
                    f"season {rule.season_key!r}: no performance of Tessitura season "
                    f"{rule.season_id} found; not created yet",
                    season_key=rule.season_key,
                )
            )
            return
        if not missing:
            return  # every event the season would hold exists elsewhere (reported above)
        calls.append(
            CreateSeason(
                rule.season_key,
                rule.chart_key,
                tuple(missing),
                rule.name,
                rule.for_sale_propagated,
                rule.table_booking,
                rule.categories,
            )
        )
        return
    if season.chart_key is not None and season.chart_key != rule.chart_key:
        findings.append(
            Finding(
                Level.ERROR,
                "chart-mismatch",
                f"season {rule.season_key!r} is on chart {season.chart_key!r}, the seasons "
                f"table says {rule.chart_key!r}; a season's chart is not changed",
                season_key=rule.season_key,
            )
        )
        return
    side = rule.categories
    if side is not None and side.clears_unasked():  # the reader refuses it; never send it
        findings.append(
            Finding(
                Level.ERROR,
                "categories-not-cleared",
                f"season {rule.season_key!r}: its categories file lists none and does not say "
                "no_categories = true; its categories are left as they are",
                season_key=rule.season_key,
            )
        )
        side = None
    update = UpdateSeason(
        rule.season_key,
        name=rule.name if rule.name is not None and rule.name != season.name else None,
        for_sale_propagated=(
            rule.for_sale_propagated
            if rule.for_sale_propagated is not None
            and rule.for_sale_propagated != _propagated(season)
            else None
        ),
        table_booking=(
            rule.table_booking
            if rule.table_booking is not None and rule.table_booking != _booking(season)
            else None
        ),
        categories=(
            side.categories
            if side is not None and not _same_categories(side.categories, season.categories)
            else None
        ),
        object_categories=(
            side.object_categories
            if side is not None
            and tuple(sorted(side.object_categories)) != tuple(sorted(season.object_categories))
            else None
        ),
    )
    if update.body():
        calls.append(update)
    if missing:
        calls.append(CreateEventsInSeason(rule.season_key, tuple(missing)))


def _propagated(season: SeenEvent) -> bool:
    """seats.io's default is true (create a season: forSalePropagated)."""
    return True if season.for_sale_propagated is None else season.for_sale_propagated


def _booking(season: SeenEvent) -> TableBooking | None:
    return season.table_booking


def _same_categories(wanted: tuple[SeasonCategory, ...], seen: tuple[SeasonCategory, ...]) -> bool:
    """The same event-level categories, in any order."""
    if len(wanted) != len(seen):
        return False
    by_key = {c.key: c for c in seen}
    return all(c.key in by_key and c.same_as(by_key[c.key]) for c in wanted)
