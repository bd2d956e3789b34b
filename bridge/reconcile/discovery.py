"""Which performances the bridge looks after: the performance table, plus what Tessitura's
performance search finds for the configured facilities or seasons.

Tessitura reads a search bound without a UTC offset as the venue's local time (its performance
dates carry the venue's offset), so the window is counted in local dates of the venue's time zone
(``[discovery] time_zone``) and sent as such. A day of margin on each side covers a clock or a
zone setting that is off by a few hours: tonight's 23:30 show is found even while it is already
tomorrow in UTC, and looking after a performance that has just ended costs one read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bridge.config import DiscoverySettings
from bridge.mapping.model import MappingTables
from bridge.tessitura.client import TessituraClient

__all__ = ["MARGIN_DAYS", "discover", "search_window"]

#: Days added before local today and after the horizon.
MARGIN_DAYS = 1


def search_window(settings: DiscoverySettings, now: datetime) -> tuple[date, date]:
    """The first and last local date (both inclusive) to search, for the instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(settings.zone).date()
    margin = timedelta(days=MARGIN_DAYS)
    return today - margin, today + timedelta(days=settings.horizon_days) + margin


async def discover(
    tables: MappingTables,
    settings: DiscoverySettings,
    tessitura: TessituraClient,
    *,
    now: datetime | None = None,
) -> list[int]:
    """Every performance the bridge should look after: those in the performance table, plus those
    Tessitura lists for the configured facilities or seasons within the horizon, counted from
    ``now`` (default: the clock) in the venue's time zone."""
    ids = set(tables.performances)
    d = settings
    if d.facility_ids or d.season_ids:
        start, end = search_window(d, now or datetime.now(UTC))
        # dates, not instants: the client sends them without an offset, as venue-local days
        found = await tessitura.search_performances(
            start=start, end=end, facility_ids=d.facility_ids, season_ids=d.season_ids
        )
        ids |= {p.performance_id for p in found}
    return sorted(ids)
