"""Which performances the bridge looks after: the performance table, plus what Tessitura's
performance search finds for the configured facilities or seasons.

Tessitura reads a search bound without a UTC offset as the venue's local time (its performance
dates carry the venue's offset), so the window is counted in local dates of the venue's time zone
(``[discovery] time_zone``) and sent as such. A day of margin on each side covers a clock or a
zone setting that is off by a few hours: tonight's 23:30 show is found even while it is already
tomorrow in UTC, and looking after a performance that has just ended costs one read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from datetime import date, datetime, timedelta

from bridge.clock import SYSTEM, Clock
from bridge.config import DiscoverySettings
from bridge.errors import BridgeError, ConfigError
from bridge.mapping.model import MappingTables
from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import (
    IdDescription,
    PerformanceSearchResult,
    ProductionSeasonSummary,
)

__all__ = ["MARGIN_DAYS", "discover", "discover_starts", "search_window"]

#: Days added before local today and after the horizon.
MARGIN_DAYS = 1


def search_window(settings: DiscoverySettings, now: datetime) -> tuple[date, date]:
    """The first and last local date (both inclusive) to search, for the instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(settings.zone).date()
    margin = timedelta(days=MARGIN_DAYS)
    return today - margin, today + timedelta(days=settings.horizon_days) + margin


#: Told what the search found (each item names the performance's facility): the seat-map check.
OnFound = Callable[[Sequence[PerformanceSearchResult]], object]


async def discover(
    tables: MappingTables,
    settings: DiscoverySettings,
    tessitura: TessituraClient,
    *,
    now: datetime | None = None,
    clock: Clock = SYSTEM,
    on_found: OnFound | None = None,
) -> list[int]:
    """Every performance the bridge should look after: those in the performance table, plus those
    Tessitura lists for the configured facilities or seasons within the horizon, counted from
    ``now`` (default: ``clock``'s wall time) in the venue's time zone. ``on_found`` is given the
    search's items (the kept seat maps are checked against their facilities)."""
    ids = set(tables.performances)
    ids |= {
        p.performance_id for p in await _search(settings, tessitura, now or clock.now(), on_found)
    }
    return sorted(ids)


async def discover_starts(
    tables: MappingTables,
    settings: DiscoverySettings,
    tessitura: TessituraClient,
    *,
    now: datetime | None = None,
    known: Mapping[int, datetime] | None = None,
    clock: Clock = SYSTEM,
    on_found: OnFound | None = None,
    names: MutableMapping[int, str] | None = None,
) -> dict[int, datetime | None]:
    """What :func:`discover` finds, with each performance's start (the daemon's cadence and when
    a performance leaves the schedule). The search gives the start of what it finds; a table
    performance it does not list is read once (``known`` starts are not read again). A start that
    cannot be read is None: the daemon then treats the performance as imminent, never as over.
    ``now`` defaults to ``clock``'s wall time. ``names``, when given, is told each production's
    name the search or a read gives (what the status page shows instead of an id)."""
    known = known or {}
    starts: dict[int, datetime | None] = {pid: known.get(pid) for pid in tables.performances}
    found = await _search(settings, tessitura, now or clock.now(), on_found)
    for item in found:
        starts[item.performance_id] = item.performance_date
        name = _name(item.production_season, item.performance_description)
        if names is not None and name:
            names[item.performance_id] = name
    for pid in sorted(p for p, s in starts.items() if s is None):
        try:
            perf = await tessitura.performance(pid)
        except ConfigError:
            raise
        except BridgeError:
            starts[pid] = None
            continue
        starts[pid] = perf.date
        name = _name(perf.production_season, perf.description)
        if names is not None and name:
            names[pid] = name
    return starts


def _name(production: IdDescription | ProductionSeasonSummary | None, own: str | None) -> str:
    """The production's name (``Macbeth``), else the performance's own description."""
    return (production.description if production else None) or own or ""


async def _search(
    settings: DiscoverySettings,
    tessitura: TessituraClient,
    now: datetime,
    on_found: OnFound | None = None,
) -> Sequence[PerformanceSearchResult]:
    """What Tessitura's performance search lists for the configured facilities or seasons within
    the horizon; nothing when neither is configured."""
    d = settings
    if not (d.facility_ids or d.season_ids):
        return ()
    start, end = search_window(d, now)
    # dates, not instants: the client sends them without an offset, as venue-local days
    found = await tessitura.search_performances(
        start=start, end=end, facility_ids=d.facility_ids, season_ids=d.season_ids
    )
    if on_found is not None:
        on_found(found)
    return found
