"""The shell of `seatbridge seasons sync`: read Tessitura's performances and what seats.io has,
plan with :func:`bridge.provision.plan.plan_seasons`, and (unless a dry run) make the calls.

Reads: one performance search per kind of filter (the discovery settings, the seasons table's
Tessitura seasons), one ``GET /events/{key}`` per configured season (its events come with it),
one ``GET /charts/{key}/categories`` per chart of a season whose categories the table manages (seats.io lists
a season's categories after its chart's: those are left out before comparing), and one per
planned event key not found in its season. A 404 means "does not exist".
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.config import BridgeConfig
from bridge.errors import BridgeError, NotFoundError
from bridge.mapping.model import MappingTables, SeasonCategory, TableBooking, TableBookingMode
from bridge.provision.plan import (
    Call,
    CreateEvent,
    CreateEventsInSeason,
    CreateSeason,
    ProvisionPlan,
    SeenEvent,
    UpdateSeason,
    WantedPerformance,
    plan_seasons,
)
from bridge.reconcile.discovery import search_window
from bridge.seatsio import Event, SeatsioClient
from bridge.seatsio.models import ForSaleConfig, TableBookingConfig
from bridge.seatsio.requests import Category
from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import PerformanceSearchResult

log = structlog.get_logger("seatbridge.seasons")

__all__ = ["CallResult", "apply", "find_performances", "observe", "plan_for"]


def _wanted(p: PerformanceSearchResult) -> WantedPerformance:
    status = (p.performance_status.description or "") if p.performance_status else ""
    return WantedPerformance(
        performance_id=p.performance_id,
        season_id=p.season.id if p.season else None,
        production_season_id=p.production_season.id if p.production_season else None,
        facility_id=p.facility.id if p.facility else None,
        description=p.performance_description,
        cancelled="cancel" in status.casefold(),
    )


async def find_performances(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    *,
    now: datetime | None = None,
    clock: Clock = SYSTEM,
) -> list[WantedPerformance]:
    """The performances within the discovery horizon of the configured facilities or seasons,
    and of the seasons table's Tessitura seasons, counted from ``now`` (default: ``clock``'s wall
    time)."""
    d = cfg.discovery
    start, end = search_window(d, now or clock.now())
    found: dict[int, WantedPerformance] = {}
    if d.facility_ids or d.season_ids:
        for p in await tessitura.search_performances(
            start=start, end=end, facility_ids=d.facility_ids, season_ids=d.season_ids
        ):
            found.setdefault(p.performance_id, _wanted(p))
    season_ids = sorted({r.season_id for r in cfg.tables.seasons} - set(d.season_ids))
    if season_ids:
        for p in await tessitura.search_performances(start=start, end=end, season_ids=season_ids):
            found.setdefault(p.performance_id, _wanted(p))
    return [found[k] for k in sorted(found)]


def table_booking_of(config: TableBookingConfig | None) -> TableBooking | None:
    """seats.io's tableBookingConfig as the table's value (None: absent or a mode not known)."""
    if config is None:
        return None
    try:
        mode = TableBookingMode(config.mode)
    except ValueError:
        return None
    tables = tuple(sorted((config.tables or {}).items())) if mode is TableBookingMode.CUSTOM else ()
    return TableBooking(mode, tables)


def seen_of(ev: Event, chart_category_keys: Collection[str] = ()) -> SeenEvent:
    """``ev`` for the planner; its categories less the chart's (seats.io lists both)."""
    return SeenEvent(
        key=ev.key,
        chart_key=ev.chart_key,
        is_season=ev.is_season,
        season_key=ev.top_level_season_key if ev.is_event_in_season else None,
        name=ev.name,
        for_sale_propagated=ev.for_sale_propagated,
        table_booking=table_booking_of(ev.table_booking_config),
        members=tuple(m.key for m in ev.events),
        categories=tuple(
            SeasonCategory(str(c.key), c.label, c.color, c.accessible)
            for c in ev.categories
            if str(c.key) not in chart_category_keys
        ),
        object_categories=tuple(
            sorted((label, str(key)) for label, key in (ev.object_categories or {}).items())
        ),
    )


async def _retrieve(seatsio: SeatsioClient, key: str) -> Event | None:
    try:
        return await seatsio.events.retrieve(key)
    except NotFoundError:
        return None


async def observe(
    seatsio: SeatsioClient, tables: MappingTables, event_keys: Iterable[str]
) -> dict[str, SeenEvent]:
    """What seats.io has of the table's seasons and of ``event_keys``, by key (absent: none)."""
    seen: dict[str, SeenEvent] = {}
    season_keys = [r.season_key for r in tables.seasons]
    seasons = [
        ev
        for ev in await asyncio.gather(*(_retrieve(seatsio, k) for k in season_keys))
        if ev is not None
    ]
    managed = {r.season_key for r in tables.seasons if r.categories is not None}
    charts = sorted(
        {ev.chart_key for ev in seasons if ev.key in managed and ev.is_season and ev.chart_key}
    )
    chart_categories = dict(
        zip(
            charts,
            await asyncio.gather(*(seatsio.seasons.chart_categories(c) for c in charts)),
            strict=True,
        )
    )
    for ev in seasons:
        own = chart_categories.get(ev.chart_key or "", [])
        seen[ev.key] = seen_of(ev, {str(c.key) for c in own})
        if ev.is_season:
            for member in ev.events:
                seen.setdefault(
                    member.key,
                    SeenEvent(member.key, member.chart_key or ev.chart_key, season_key=ev.key),
                )
    rest = sorted(set(event_keys) - set(seen) - set(season_keys))
    for other in await asyncio.gather(*(_retrieve(seatsio, k) for k in rest)):
        if other is not None:
            seen[other.key] = seen_of(other)
    return seen


def planned_event_keys(
    tables: MappingTables, performances: Sequence[WantedPerformance]
) -> set[str]:
    keys: set[str] = set()
    for p in performances:
        target = tables.target_for(p.performance_id)
        if target is not None:
            keys.add(target.event_key)
    return keys


async def plan_for(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    *,
    now: datetime | None = None,
    clock: Clock = SYSTEM,
) -> ProvisionPlan:
    """Read both sides and plan (the horizon from ``now``, default: ``clock``'s wall time)."""
    performances = await find_performances(cfg, tessitura, now=now, clock=clock)
    seen = await observe(seatsio, cfg.tables, planned_event_keys(cfg.tables, performances))
    return plan_seasons(cfg.tables, cfg.mappings.facility_charts, performances, seen)


@dataclass(frozen=True, slots=True)
class CallResult:
    call: Call
    error: str | None = None


async def apply_one(seatsio: SeatsioClient, call: Call) -> None:
    match call:
        case CreateSeason():
            await seatsio.seasons.create(
                call.chart_key,
                key=call.season_key,
                name=call.name,
                event_keys=call.event_keys,
                for_sale_propagated=call.for_sale_propagated,
                table_booking_config=call.table_booking.to_json() if call.table_booking else None,
                categories=_categories(call.categories.categories) if call.categories else None,
                object_categories=(
                    dict(call.categories.object_categories) if call.categories else None
                ),
                for_sale_config=_initial_for_sale(call),
            )
        case CreateEventsInSeason():
            await seatsio.seasons.create_events(call.season_key, event_keys=call.event_keys)
        case UpdateSeason():
            await seatsio.seasons.update(
                call.season_key,
                name=call.name,
                for_sale_propagated=call.for_sale_propagated,
                table_booking_config=call.table_booking.to_json() if call.table_booking else None,
                categories=_categories(call.categories) if call.categories is not None else None,
                object_categories=(
                    dict(call.object_categories) if call.object_categories is not None else None
                ),
            )
        case CreateEvent():
            await seatsio.events.create(call.chart_key, key=call.event_key, name=call.name)


def _categories(categories: Sequence[SeasonCategory]) -> list[Category]:
    return [Category(c.key, c.label, c.color, c.accessible) for c in categories]


def _initial_for_sale(call: CreateSeason) -> ForSaleConfig | None:
    """The season's initial forSaleConfig: only ever sent here, with its creation."""
    if call.categories is None or call.categories.for_sale_json() is None:
        return None
    return ForSaleConfig(
        for_sale=False,
        objects=list(call.categories.not_for_sale_objects),
        categories=list(call.categories.not_for_sale_categories),
    )


async def apply(seatsio: SeatsioClient, calls: Sequence[Call]) -> list[CallResult]:
    """Make the calls in order; a failed call is recorded and the others still go (each stands
    alone: a season's update and its new events, another season, a standalone event)."""
    results: list[CallResult] = []
    for call in calls:
        try:
            await apply_one(seatsio, call)
        except BridgeError as exc:
            results.append(CallResult(call, str(exc)))
        else:
            results.append(CallResult(call))
    return results


async def sync_seasons(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    *,
    now: datetime,
    clock: Clock = SYSTEM,
) -> str:
    """Plan and apply the seasons table once, unattended (the daemon's discovery does this):
    each call and finding logged, a failure logged rather than raised. Returns how it went for
    the metrics: ``applied``, ``unchanged`` or ``error``."""
    try:
        plan = await plan_for(cfg, tessitura, seatsio, now=now, clock=clock)
        results = await apply(seatsio, plan.calls)
    except BridgeError as exc:
        log.warning("seasons sync failed; discovery goes on", error=str(exc))
        return "error"
    for f in plan.findings:
        log.warning("seasons sync: " + f.message, kind=f.kind, level=f.level.value)
    failed = [r for r in results if r.error]
    for r in results:
        if r.error:
            log.error("seasons sync call failed", call=r.call.describe(), error=r.error)
        else:
            log.info("seasons sync call made", call=r.call.describe())
    return "error" if failed or plan.failed else ("applied" if results else "unchanged")
