"""The online checks and seat-table generation, against plain fakes of both APIs."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from bridge.config import BridgeConfig, load_config
from bridge.errors import NotFoundError
from bridge.mapping.model import MappingTables, SeatTable
from bridge.mapping.online import EventFacts, check_online, generate_seat_table
from bridge.mapping.seat_table import TessituraSeat, TessituraSection
from bridge.sandbox.venue import Venue, load_venue

REPO = Path(__file__).resolve().parents[2]


class FakeTessitura:
    def __init__(self, venue: Venue) -> None:
        self.seat_maps = {p.id: venue.seat_map_id for p in venue.performances}
        self.hold_codes = {h.id for h in venue.hold_codes}
        self.section_list = [
            TessituraSection(s.id, s.description, s.short, s.legend, s.print_desc)
            for s in venue.sections
        ]
        self.seat_list = [TessituraSeat(s.id, s.section_id, s.row, s.number) for s in venue.seats]

    async def seat_map_of(self, performance_id: int) -> int:
        if performance_id not in self.seat_maps:
            raise NotFoundError(f"performance {performance_id}")
        return self.seat_maps[performance_id]

    async def sections(self, seat_map_id: int) -> Sequence[TessituraSection]:
        return self.section_list

    async def seats(self, performance_id: int) -> Sequence[TessituraSeat]:
        return self.seat_list

    async def hold_code_exists(self, hold_code_id: int) -> bool:
        return hold_code_id in self.hold_codes


class FakeSeatsio:
    def __init__(self, venue: Venue) -> None:
        self.events = {p.event_key: p.seatsio_season_key for p in venue.performances}
        self.seasons = {k for k in self.events.values() if k}
        self.labels = {s.label for s in venue.seats}

    async def event(self, key: str) -> EventFacts | None:
        return EventFacts(key, self.events[key]) if key in self.events else None

    async def season_exists(self, key: str) -> bool:
        return key in self.seasons

    async def object_labels(self, event_key: str) -> Collection[str]:
        return self.labels


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> BridgeConfig:
    monkeypatch.chdir(REPO)  # problems name files relative to the working directory
    return load_config(REPO / "config" / "sandbox.toml", environ={}, require_secrets=False)


@pytest.fixture
def venue() -> Venue:
    return load_venue()


async def test_the_sandbox_config_matches_the_sandbox_world(
    cfg: BridgeConfig, venue: Venue
) -> None:
    assert (
        await check_online(cfg.tables, cfg.mappings, FakeTessitura(venue), FakeSeatsio(venue)) == []
    )


async def test_hold_code_unknown_to_tessitura_is_a_problem(cfg: BridgeConfig, venue: Venue) -> None:
    tess = FakeTessitura(venue)
    tess.hold_codes.discard(3)
    (problem,) = await check_online(cfg.tables, cfg.mappings, tess, FakeSeatsio(venue))
    assert str(problem) == "mappings/sample/hold-codes.csv: hold code not found in Tessitura '3'"


async def test_missing_event_is_a_problem(cfg: BridgeConfig, venue: Venue) -> None:
    sio = FakeSeatsio(venue)
    del sio.events["perf-104"]
    (problem,) = await check_online(cfg.tables, cfg.mappings, FakeTessitura(venue), sio)
    assert "event of performance 104 not found in seats.io 'perf-104'" in str(problem)


async def test_event_outside_its_season_is_a_problem(cfg: BridgeConfig, venue: Venue) -> None:
    sio = FakeSeatsio(venue)
    sio.events["perf-105"] = None
    (problem,) = await check_online(cfg.tables, cfg.mappings, FakeTessitura(venue), sio)
    assert "event 'perf-105' is not in the season the table names 'season-2026-27'" in str(problem)


async def test_missing_season_is_a_problem(cfg: BridgeConfig, venue: Venue) -> None:
    sio = FakeSeatsio(venue)
    sio.seasons.clear()
    (problem,) = await check_online(cfg.tables, cfg.mappings, FakeTessitura(venue), sio)
    assert "season not found in seats.io 'season-2026-27'" in str(problem)


async def test_mapped_label_missing_on_the_chart_is_a_problem(
    cfg: BridgeConfig, venue: Venue
) -> None:
    sio = FakeSeatsio(venue)
    sio.labels.discard("Balcony-P-32")
    (problem,) = await check_online(cfg.tables, cfg.mappings, FakeTessitura(venue), sio)
    assert str(problem) == (
        "mappings/sample/seats-12.csv: seat 12000: label not on the chart of event 'perf-101' "
        "'Balcony-P-32'"
    )


async def test_tessitura_seat_without_a_row_is_a_problem(cfg: BridgeConfig, venue: Venue) -> None:
    tess = FakeTessitura(venue)
    tess.seat_list.append(TessituraSeat(12001, 3, "Q", "1"))
    (problem,) = await check_online(cfg.tables, cfg.mappings, tess, FakeSeatsio(venue))
    assert "Tessitura seat of seat map 12 has no row '12001'" in str(problem)


async def test_performance_on_a_seat_map_without_table_is_a_problem(
    cfg: BridgeConfig, venue: Venue
) -> None:
    tess = FakeTessitura(venue)
    tess.seat_maps[101] = 99
    (problem,) = await check_online(cfg.tables, cfg.mappings, tess, FakeSeatsio(venue))
    assert "performance 101 uses seat map 99, which has no seat table" in str(problem)


async def test_seat_table_no_listed_performance_uses_is_reported_unchecked(
    cfg: BridgeConfig, venue: Venue
) -> None:
    tables = dataclasses.replace(
        cfg.tables, seat_tables={**cfg.tables.seat_tables, 13: SeatTable(13, {})}
    )
    mappings = cfg.mappings.model_copy(
        update={"seat_tables": {**cfg.mappings.seat_tables, 13: Path("seats-13.csv")}}
    )
    cfg = dataclasses.replace(cfg, tables=tables, mappings=mappings)
    (problem,) = await check_online(
        cfg.tables, cfg.mappings, FakeTessitura(venue), FakeSeatsio(venue)
    )
    assert str(problem) == (
        "seats-13.csv: seat map 13 not checked online "
        "(no listed performance with a seats.io event uses it)"
    )


async def test_generated_table_of_a_template_mapped_performance_matches_the_sample(
    cfg: BridgeConfig, venue: Venue
) -> None:
    generated = await generate_seat_table(cfg.tables, 201, FakeTessitura(venue), FakeSeatsio(venue))
    assert generated.event_key == "perf-201"
    assert generated.result.clean
    assert generated.result.labels == cfg.tables.seat_tables[12].labels


async def test_generation_for_an_unmapped_performance_is_refused(
    cfg: BridgeConfig, venue: Venue
) -> None:
    cfg = dataclasses.replace(cfg, tables=MappingTables({}, {}, {}))
    with pytest.raises(NotFoundError, match=r"performance 201 has no seats\.io event"):
        await generate_seat_table(cfg.tables, 201, FakeTessitura(venue), FakeSeatsio(venue))
