"""Discovery counts "today" in the venue's time zone: tonight's late show west of UTC is found
while it is already tomorrow in UTC, against a fake Tessitura that reads search bounds as real
Tessitura does (venue-local time when no offset is given)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from bridge.config import BridgeConfig, DiscoverySettings, load_config
from bridge.reconcile.discovery import discover, discover_starts, search_window
from bridge.sandbox import (
    TESSITURA_ASGI_BASE,
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
)
from bridge.sandbox.tessitura_app import create_tessitura_app
from bridge.sandbox.venue import expand_venue, sample_venue_path
from bridge.tessitura import RetryPolicy, TessituraClient

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 21)  # venue-local: a Saturday in PST (-08:00)
LATE_SHOW = 201
#: 23:00 in Los Angeles on TODAY: already 07:00 tomorrow in UTC.
NOW = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def west_coast_venue_app() -> object:
    """The sample venue moved to UTC-08:00, with the gala at 23:30 local tonight."""
    raw = tomllib.loads(sample_venue_path().read_text(encoding="utf-8"))
    raw["utc_offset"] = "-08:00"
    for show in raw["standalone"]:
        if show["id"] == LATE_SHOW:
            show["day"], show["time"] = 0, "23:30"
    return create_tessitura_app(expand_venue(raw, today=TODAY))


@pytest.fixture
async def tessitura() -> AsyncIterator[TessituraClient]:
    transport = httpx.ASGITransport(app=west_coast_venue_app())  # type: ignore[arg-type]
    async with TessituraClient(
        TESSITURA_ASGI_BASE,
        TESSITURA_USER,
        TESSITURA_USER_GROUP,
        TESSITURA_LOCATION,
        TESSITURA_PASSWORD,
        transport=transport,
        retry=RetryPolicy.immediate(),
    ) as client:
        yield client


def config(tmp_path: Path, discovery: str) -> BridgeConfig:
    """The sandbox config (performance table 101-108, facility 47) with another [discovery]."""
    text = (REPO / "config" / "sandbox.toml").read_text()
    text = re.sub(
        r'"(\.\./mappings/[^"]+|sandbox-secrets/[^"]+)"',
        lambda m: f'"{REPO / "config" / m[1]}"',
        text,
    )
    text = re.sub(
        r"^\[discovery\]\n(?:(?!\[).*\n)*", f"[discovery]\n{discovery}\n\n", text, flags=re.M
    )
    path = tmp_path / "bridge.toml"
    path.write_text(text)
    return load_config(path, environ={})


async def test_tonights_late_show_west_of_utc_is_discovered(
    tessitura: TessituraClient, tmp_path: Path
) -> None:
    cfg = config(
        tmp_path, 'facility_ids = [47]\nhorizon_days = 30\ntime_zone = "America/Los_Angeles"'
    )
    found = await discover(cfg.tables, cfg.discovery, tessitura, now=NOW)
    assert LATE_SHOW in found

    # the old bounds, "today" as a UTC date sent without an offset, missed it:
    old = await tessitura.search_performances(
        start=NOW.date(), end=NOW.date() + timedelta(days=30), facility_ids=[47]
    )
    assert LATE_SHOW not in {p.performance_id for p in old}
    assert {p.performance_id for p in old} < set(found)


async def test_discovery_tells_each_performances_production_name(
    tessitura: TessituraClient, tmp_path: Path
) -> None:
    """The page shows names: the search names what it finds, a read names a table performance
    the search does not list (the symphony series, 101-108, is outside a 7-day horizon)."""
    cfg = config(tmp_path, 'facility_ids = [47]\nhorizon_days = 7\ntime_zone = "Etc/GMT+8"')
    names: dict[int, str] = {}
    starts = await discover_starts(cfg.tables, cfg.discovery, tessitura, now=NOW, names=names)
    assert names[LATE_SHOW] == "Gala Night"  # found by the search
    assert names[108] == "2026/27 Symphony Series"  # read: day 94 is beyond the horizon
    assert set(names) == {p for p, s in starts.items() if s is not None}


async def test_without_a_time_zone_the_margin_still_finds_it(
    tessitura: TessituraClient, tmp_path: Path
) -> None:
    cfg = config(tmp_path, "facility_ids = [47]\nhorizon_days = 30")
    assert cfg.discovery.zone is UTC
    assert LATE_SHOW in await discover(cfg.tables, cfg.discovery, tessitura, now=NOW)


async def test_the_horizon_ends_a_day_after_horizon_days_local(
    tessitura: TessituraClient, tmp_path: Path
) -> None:
    # 202 plays on day 2 at 20:00 local; a one-day horizon from TODAY still reaches it
    cfg = config(
        tmp_path, 'facility_ids = [47]\nhorizon_days = 1\ntime_zone = "America/Los_Angeles"'
    )
    found = await discover(cfg.tables, cfg.discovery, tessitura, now=NOW)
    assert {LATE_SHOW, 202} <= set(found)
    assert 203 not in found  # day 5


@pytest.mark.parametrize(
    ("zone", "now", "first", "last"),
    [
        # 23:00 in Los Angeles, 07:00 UTC next day: local today is the 21st
        ("America/Los_Angeles", NOW, date(2026, 11, 20), date(2026, 11, 23)),
        # 00:30 in Auckland (+13:00) is still the 21st in UTC: local today is the 22nd
        (
            "Pacific/Auckland",
            datetime(2026, 11, 21, 11, 30, tzinfo=UTC),
            date(2026, 11, 21),
            date(2026, 11, 24),
        ),
        (None, NOW, date(2026, 11, 21), date(2026, 11, 24)),
    ],
)
def test_search_window_is_local_today_with_a_day_of_margin(
    zone: str | None, now: datetime, first: date, last: date
) -> None:
    settings = DiscoverySettings(facility_ids=(47,), horizon_days=1, time_zone=zone)
    assert search_window(settings, now) == (first, last)


def test_search_window_wants_an_aware_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        search_window(DiscoverySettings(), datetime(2026, 11, 21, 23, 0))


async def test_the_fake_reads_bounds_in_venue_local_time(tessitura: TessituraClient) -> None:
    """No offset: venue-local. An offset: converted to venue-local, and an end at local
    midnight covers that whole local day."""
    pst = timezone(timedelta(hours=-8))
    tonight = datetime(2026, 11, 21, 23, 30, tzinfo=pst)

    async def ids(**bounds: object) -> set[int]:
        found = await tessitura.search_performances(facility_ids=[47], **bounds)  # type: ignore[arg-type]
        return {p.performance_id for p in found}

    assert LATE_SHOW in await ids(start=datetime(2026, 11, 21, 23, 0), end=date(2026, 11, 21))
    assert LATE_SHOW not in await ids(start=datetime(2026, 11, 21, 23, 45))
    assert LATE_SHOW in await ids(start=tonight.astimezone(UTC), end=tonight.astimezone(UTC))
    # 08:00Z on the 21st is local midnight: the whole local 21st, late show included
    assert LATE_SHOW in await ids(
        start=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
        end=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
    )
    # UTC midnight of the 22nd is 16:00 local on the 21st: not extended, the show is after it
    assert LATE_SHOW not in await ids(end=datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
